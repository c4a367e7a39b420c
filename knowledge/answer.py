"""Turn ranked passages into a reply: the quoted rule, trimmed to what answers, and where it stands."""
from __future__ import annotations

import re

from bot.core.message import Source
from knowledge.terms import PASSAGE_CUES, QUERY_CUES, normalise

MAX_BYTES = 2048  # WeCom's text message limit, in UTF-8 bytes
QUOTE_CHARS = 240  # a quote longer than this is trimmed to its most relevant lines
NOT_FOUND = "抱歉，知识库里没有找到能直接回答这个问题的条文。"


def citation(src: Source) -> str:
    """「——《办法》第八条」: the line that says where a quote stands."""
    return f"——《{src.title}》{src.ref}"


def _units(text: str) -> list[tuple[str, bool]]:
    """Lines, and sentences within long lines, each marked True when it starts a line of the passage."""
    out = []
    for line in text.split("\n"):
        if len(line) <= 120:
            out.append((line, True))
        else:
            pieces = [p for p in re.findall(r"[^。；]+[。；]?", line) if p.strip()]
            out.extend((p, n == 0) for n, p in enumerate(pieces))
    return out


def _overlap(unit: str, words: list[str], cues: list = ()) -> float:
    u = normalise(unit)
    # A sentence that states what the question asks for (an amount for 「多少钱」, a date for 「什么时候」) wins.
    return sum(len(w) for w in words if w in u) + sum(4 for rx in cues if rx.search(unit))


def trim(text: str, question: str, words: list[str] | None = None, limit: int = QUOTE_CHARS) -> str:
    """The passage cut down to its lead line plus the lines that share the most words with the question."""
    if len(text) <= limit:
        return text
    q = normalise(question)
    words = words or [q[i:i + 2] for i in range(len(q) - 1) if re.match(r"[\u4e00-\u9fff]{2}", q[i:i + 2])]
    cues = [re.compile(PASSAGE_CUES[c]) for c, rx in QUERY_CUES.items() if re.search(rx, q, re.I)]
    marked = _units(text)
    units = [u for u, _ in marked]
    starts = [new for _, new in marked]
    lead, rest = units[0], units[1:]
    ranked = sorted(range(len(rest)), key=lambda i: -_overlap(rest[i], words, cues))
    keep, size = set(), len(lead)
    top = _overlap(rest[ranked[0]], words, cues) if ranked else 0
    for i in ranked:
        if size + len(rest[i]) > limit and keep:
            continue
        if keep and _overlap(rest[i], words, cues) < max(1, top * 0.75):
            break  # only lines nearly as relevant as the best one
        keep.add(i)
        size += len(rest[i])
    joined, gap = lead, False
    for i, unit in enumerate(rest):
        if i in keep:
            joined += ("……" if gap else "") + ("\n" if starts[i + 1] else "") + unit
            gap = False
        else:
            gap = True
    return joined + ("……" if gap else "")


def fit(text: str, max_bytes: int = MAX_BYTES) -> str:
    """Cut a reply so it fits the platform's byte limit, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 6].decode("utf-8", errors="ignore") + "……"


def compose(question: str, sources: list[Source], confident: bool, words: list[str] | None = None) -> str:
    """The reply text: a cited quote when confident, otherwise an honest "not found" with the nearest articles."""
    if sources and confident:
        best = sources[0]
        body = f"{trim(best.text, question, words)}\n{citation(best)}"
        others = [s for s in sources[1:3] if s.score > 0 and (s.doc, s.ref) != (best.doc, best.ref)]
        if others:
            # Related articles of the same document need no title again.
            body += "\n相关条文：" + "；".join(s.ref if s.doc == best.doc else f"《{s.title}》{s.ref}" for s in others)
        return fit(body)
    near = [s for s in sources[:3] if s.score > 0]
    if not near:
        return fit(NOT_FOUND + "您可以换个说法再问，或发送「帮助」查看我能回答哪些问题。")
    lines = [NOT_FOUND + "下面几条可能相关："]
    for n, s in enumerate(near, 1):
        snippet = re.sub(r"\s+", " ", s.text)[:60]
        lines.append(f"{n}. 《{s.title}》{s.ref}：{snippet}……")
    lines.append("可以换个说法再问，或直接问「第八条怎么说的」查看条文原文。")
    return fit("\n".join(lines))
