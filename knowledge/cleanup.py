"""Repair the artefacts that word-processor conversions leave in regulation texts."""
from __future__ import annotations

import re

# Lines that start a structural unit; a broken sentence is never joined onto one of these.
MARKER = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+[章条节]|附件\s*[一二三四五六七八九十\d]*\s*[：:]?|[一二三四五六七八九十]+、"
    r"|（[一二三四五六七八九十]+）|\d+\s*[.．、](?!\d)|\d+[.．]\d+|\d+\s+\S|注[：:])"
)
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
CHECKBOX = re.compile(r"<input[^>]*checkbox[^>]*/?>", re.I)
HALF_PAREN_NUM = re.compile(r"^\(\s*([一二三四五六七八九十]+)\s*\)\s*")
# Page furniture: page numbers.
PAGE_JUNK = re.compile(r"^(-\s*\d+\s*-|第\s*\d+\s*页.*|[—－-]\s*\d+\s*[—－-])$")
# Publication notes (whether the text is public, who gets copies, the print footer): out of the running text, where
# they would end an article, but kept for a passage of their own (「这个文件公开吗」「哪天印发的」).
PUBLICATION = re.compile(r"^(（此件公开发布）|\(此件公开发布\)|抄送[：:].*|公开方式[：:].*|.{0,30}\d{4}年\d{1,2}月\d{1,2}日印发)$")
FOOTER = re.compile(r"^(.{0,30}?)\s*(\d{4}年\d{1,2}月\d{1,2}日)印发$")
SENTENCE_END = "。；！？：:;!?”」』》"
OPENERS = {"《": "》", "（": "）", "(": ")", "<": ">", "“": "”"}


def _unbalanced(line: str) -> bool:
    return any(line.count(o) > line.count(c) for o, c in OPENERS.items())


def _is_heading(line: str) -> bool:
    """A short line without sentence punctuation: a title or an outline heading, complete as it is."""
    return len(line) <= 40 and not re.search(r"[，。；、：:,;]", line) and not _unbalanced(line)


def _normalise(line: str) -> str:
    line = BOOKMARK.sub("", line)
    line = CHECKBOX.sub("□", line)
    line = line.replace("\u3000", " ").replace("\xa0", " ").strip()
    line = HALF_PAREN_NUM.sub(lambda m: f"（{m.group(1)}）", line)
    # "（一） 加强…" and "第三章组织管理": one canonical spacing after a marker.
    line = re.sub(r"^(（[一二三四五六七八九十]+）)\s+", r"\1", line)
    line = re.sub(r"^(第[一二三四五六七八九十百]+章)\s*(\S)", r"\1 \2", line)
    line = re.sub(r"^(第[一二三四五六七八九十百]+条)\s+", r"\1 ", line)
    return line


def repair_lines(raw: str) -> list[str]:
    """Clean lines of a converted document: bookmarks and page furniture dropped, broken sentences rejoined.

    Tab-separated table rows are kept as they are (with their tabs) so table parsing still sees the cells.
    """
    out: list[str] = []
    joinable = False  # may the next text line continue the previous one?
    for rawline in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if "\t" in rawline and rawline.strip():
            cells = [_normalise(c) for c in rawline.split("\t")]
            out.append("\t".join(cells).rstrip("\t"))  # the tab marks a table row for the parser
            joinable = False
            continue
        line = _normalise(rawline)
        if not line or PAGE_JUNK.match(line) or PUBLICATION.match(line):
            continue  # blank lines carry no meaning here: paragraphs are rebuilt from punctuation
        if line.startswith("- 附件") or line.startswith("-附件"):
            line = line.lstrip("- ")
        if joinable and out and not MARKER.match(line):
            out[-1] += line
        else:
            out.append(line)
        joinable = _continues(out[-1])
    return out


def _continues(last: str) -> bool:
    """May the next line continue ``last``? Page breaks cut sentences anywhere, but never after a heading."""
    if _unbalanced(last):
        return True
    if last.endswith(tuple(SENTENCE_END)):
        return False
    if MARKER.match(last):
        # An outline heading is short; a long marker line cut off mid-sentence is a broken paragraph.
        return len(last) > 24 or last.endswith(("，", "、", ","))
    return not _is_heading(last)


def publication_note(raw: str) -> str:
    """The document's publication notes, one per line, the print footer as 「印发：单位，日期」."""
    out = []
    for rawline in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _normalise(rawline)
        if not PUBLICATION.match(line):
            continue
        footer = FOOTER.match(line)
        if footer:
            by, date = footer.group(1).strip(), footer.group(2)
            line = f"印发：{by}，{date}" if by else f"印发日期：{date}"
        elif "此件公开发布" in line:
            line = "公开方式：此件公开发布"
        out.append(line)
    return "\n".join(dict.fromkeys(out))
