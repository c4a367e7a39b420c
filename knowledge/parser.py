"""Split a regulation document into article-sized passages that know their citation and place."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.cleanup import SENTENCE_END, publication_note, repair_lines

MAX_CHARS = 800  # hard ceiling: nothing longer is ever a passage
ARTICLE_CHARS = 800  # an article stays whole up to this size
OUTLINE_CHARS = 400  # an outline section larger than this is split into its items
CHUNK_CHARS = 400  # target size when prose or a table must be cut
PUBLICATION_REF = "印发信息"  # the passage of a document's publication notes (公开方式, 抄送, 印发)

NUM = "一二三四五六七八九十百零〇"
PATTERNS = [  # (kind, rank, regex); lower rank = higher in the hierarchy
    ("attachment", 0, re.compile(rf"^附件\s*([{NUM}\d]+)\s*(?:[：:]\s*)?(?![.．、\d])(.*)$")),
    ("contents", 2, re.compile(r"^附件\s*[：:]\s*(1)\s*[.．、]\s*(.*)$")),
    ("chapter", 1, re.compile(rf"^第([{NUM}\d]+)章\s*(.*)$")),
    ("article", 2, re.compile(rf"^第([{NUM}\d]+)条\s*(.*)$")),
    ("section", 2, re.compile(rf"^([{NUM}]+)、\s*(.*)$")),
    ("subsection", 3, re.compile(rf"^（([{NUM}]+)）\s*(.*)$")),
    ("heading", 3, re.compile(r"^(\d{1,2})\s*(?![年月日个名项万元亿%\d.．、])([\u4e00-\u9fff][^，。；]{0,20})$")),
    ("item", 4, re.compile(r"^(\d{1,2})\s*[.．、](?!\d)\s*(.*)$")),
]
WRAPPER = re.compile(r"^附件\s*[：:]?\s*$")  # a bare "附件：" above the main text is not a numbered attachment


@dataclass
class Passage:
    """One citable unit of a document."""

    doc: str
    ref: str  # human citation: 「第八条」「四、（二）」「附件2」
    path: list[str]  # headings from the document root down to this passage
    text: str
    ord: int = 0


@dataclass
class _Node:
    kind: str
    rank: int
    label: str = ""
    title: str = ""
    lines: list[str] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)
    parent: "_Node | None" = None

    def own_text(self) -> str:
        return _join(([self.first_line()] if self.first_line() else []) + self.lines)

    def first_line(self) -> str:
        if self.kind in ("root",):
            return ""
        if self.kind in ("attachment", "chapter", "article"):
            return f"{self.label} {self.title}".strip()
        return self.label + self.title

    def full_text(self) -> str:
        parts = [self.own_text()] + [c.full_text() for c in self.children]
        return _join([p for p in parts if p])


def _join(lines: list[str]) -> str:
    return "\n".join(line.replace("\t", " ").strip() for line in lines if line.strip())


CONTENTS_REF = "附件目录"  # the citation of a list of attachments


def _label(kind: str, num: str) -> str:
    return {"attachment": f"附件{num}", "contents": CONTENTS_REF, "chapter": f"第{num}章", "article": f"第{num}条",
            "section": f"{num}、", "subsection": f"（{num}）", "heading": f"{num} ", "item": f"{num}."}[kind]


def _classify(line: str):
    for kind, rank, rx in PATTERNS:
        m = rx.match(line)
        if m:
            return kind, rank, _label(kind, m.group(1)), m.group(2).strip()
    return None


def _tree(lines: list[str]) -> _Node:
    root = _Node("root", -1)
    cur = root
    for line in lines:
        if WRAPPER.match(line):
            continue
        found = _classify(line.strip()) if "\t" not in line else None
        if found is None:
            if cur.kind == "attachment" and not cur.title and not cur.lines and not cur.children and _titleish(line):
                cur.title = line.strip()
            else:
                cur.lines.append(line)
            continue
        kind, rank, label, rest = found
        if kind == "heading" and cur.kind in ("article", "subsection", "item"):
            cur.lines.append(line)  # "1 质量策划" inside an article is an item line, not a new section
            continue
        while cur.rank >= rank:
            cur = cur.parent
        node = _Node(kind, rank, label, f"：1. {rest}" if kind == "contents" else rest, parent=cur)
        cur.children.append(node)
        cur = node
    return root


def _titleish(line: str) -> bool:
    return "\t" not in line and len(line) <= 40 and not re.search(r"[。；，]", line)


def _is_table(node: _Node) -> bool:
    rows = [ln for ln in node.lines if ln.strip()]
    return bool(rows) and sum("\t" in ln for ln in rows) >= 0.4 * len(rows)


def _chunks(lines: list[str], limit: int = CHUNK_CHARS) -> list[list[str]]:
    out: list[list[str]] = [[]]
    size = 0
    for line in lines:
        forced = line.startswith("注") and out[-1]
        if out[-1] and (size + len(line) > limit or forced):
            out.append([])
            size = 0
        out[-1].append(line)
        size += len(line) + 1
    return [c for c in out if c]


def _sentences(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Cut an over-long paragraph at sentence ends into pieces of at most ``MAX_CHARS``."""
    parts = re.findall(rf"[^{SENTENCE_END}]+[{SENTENCE_END}]*", text) or [text]
    pieces = []
    for p in parts:
        while len(p) > MAX_CHARS:  # a single run-on sentence: cut hard
            pieces.append(p[:CHUNK_CHARS])
            p = p[CHUNK_CHARS:]
        pieces.append(p)
    return ["".join(c) for c in _chunks(pieces, limit)]


def _flatten(node: _Node) -> list[str]:
    out = []
    for c in node.children:
        out.append(c.first_line())
        out.extend(c.lines)
        out.extend(_flatten(c))
    return out


class _Emitter:
    def __init__(self, doc: str):
        self.doc = doc
        self.out: list[Passage] = []

    def add(self, node: _Node, text: str) -> None:
        text = text.strip()
        if not text:
            return
        pieces = [text] if len(text) <= MAX_CHARS else _sentences(text)
        for piece in pieces:
            self.out.append(Passage(self.doc, _ref(node), _path(node), piece, len(self.out)))

    def emit(self, node: _Node) -> None:
        if node.kind == "attachment" and _is_table(node):
            self.table(node)
            return
        limit = ARTICLE_CHARS if node.kind == "article" else OUTLINE_CHARS
        container = node.kind in ("root", "attachment", "chapter")
        if not container and (not node.children or len(node.full_text()) <= limit):
            self.add(node, node.full_text())
            return
        if node.kind == "root":
            self.preamble(node)
        elif node.lines or (not container and len(node.title) > 24):
            self.add(node, node.own_text())  # the section's own lead-in; a bare heading lives on in the path
        for child in node.children:
            self.emit(child)

    def preamble(self, node: _Node) -> None:
        lines = [ln for ln in node.lines if ln.strip()]
        # A preamble of bare title lines is the document's name, not content worth citing.
        if not any(ln.endswith(tuple(SENTENCE_END)) for ln in lines):
            return
        for chunk in _chunks(lines):
            self.add(node, _join(chunk))

    def table(self, node: _Node) -> None:
        title = node.title or next((ln for ln in node.lines if ln.strip() and "\t" not in ln), "")
        rows, seen_header = [], set()
        for ln in node.lines + _flatten(node):
            cells = [c.strip() for c in ln.split("\t") if c.strip()]
            row = " ".join(cells)
            if not row or row == title:
                continue
            if "\t" in ln and row in seen_header:
                continue  # the header row repeated on every page
            if "\t" in ln and not any(ch.isdigit() for ch in row[:3]) and len(cells) > 1 and not seen_header:
                seen_header.add(row)
            rows.append(row)
        for chunk in _chunks(rows):
            body = "\n".join(chunk)
            self.add(node, f"{node.label} {title}\n{body}" if title else body)


def _ref(node: _Node) -> str:
    parts = []
    n = node
    while n is not None and n.kind != "root":
        if n.kind not in ("chapter",):
            parts.append(n.label.strip())
        n = n.parent
    parts.reverse()
    # "附件1 第八条": a space after an attachment label reads better; outline labels run together: 四、（二）1.
    out = ""
    for p in parts:
        out += (" " if out and (out.startswith("附件") and out.endswith(tuple("0123456789一二三四五六七八九十"))) else "") + p
    return out or "前言"


def _path(node: _Node) -> list[str]:
    path = []
    n = node
    while n is not None and n.kind != "root":
        if n.kind in ("attachment", "chapter"):
            path.append(n.first_line())
        else:
            path.append(n.label if n.kind == "article" else (n.label + re.split(r"[。；：]", n.title)[0])[:30])
        n = n.parent
    return list(reversed(path))


def parse_document(doc: str, raw: str) -> list[Passage]:
    """Parse a converted document into passages, best-effort for any text, exact for outline-numbered rules."""
    root = _tree(repair_lines(raw))
    em = _Emitter(doc)
    em.emit(root)
    note = publication_note(raw)
    if note:
        em.out.append(Passage(doc, PUBLICATION_REF, [PUBLICATION_REF], note, len(em.out)))
    return em.out
