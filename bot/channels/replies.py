"""Rendering a Reply for chat platforms: citations, markdown, and splitting long texts at sentence boundaries."""
from __future__ import annotations

import re
from typing import Any

from bot.core.message import Reply, Source

WELCOME = (
    "您好，我是质量活动助手。我可以：\n"
    "1. 解答质量活动规则，如「化工优质工程投资额有什么要求」，并注明依据的条款；\n"
    "2. 通过几个问题评估项目能否申报，如「我们项目能报化学工业优质工程吗」；\n"
    "3. 提醒申报截止时间。\n"
    "直接发文字问我即可，发送「帮助」查看更多。"
)
NOT_TEXT = "抱歉，我目前只能阅读文字消息，暂时看不了图片、语音、视频或文件。请把问题用文字发给我。"

# Sentence ends, Chinese and Western; a closing quote or bracket stays with its sentence.
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[」』”’）)】]*|\n+|$)")


def reply_from_json(data: dict[str, Any]) -> Reply:
    """Rebuild a Reply from its stored JSON form (as written by ``Reply.to_json``)."""
    sources = [Source(**{k: s.get(k, "") for k in ("doc", "title", "ref", "text")}) for s in data.get("sources", [])]
    extras = {k: v for k, v in data.items() if k not in ("text", "markdown", "sources")}
    return Reply(text=data.get("text", ""), markdown=data.get("markdown"), sources=sources, data=extras)


def citation_lines(reply: Reply) -> list[str]:
    """One line per distinct source: 《title》ref."""
    seen, lines = set(), []
    for s in reply.sources:
        label = f"《{s.title or s.doc}》{s.ref}".strip()
        if label not in seen:
            seen.add(label)
            lines.append(label)
    return lines


def render_text(reply: Reply) -> str:
    """Plain text with a 依据 line naming the sources, unless the text already names them."""
    cites = [c for c in citation_lines(reply) if c not in reply.text]
    if not cites:
        return reply.text
    return reply.text.rstrip() + "\n\n依据：" + "；".join(cites)


def render_markdown(reply: Reply) -> str:
    """Markdown for channels that render it: the handler's markdown or text, then the sources as a quote."""
    body = reply.markdown or reply.text
    cites = citation_lines(reply)
    if not cites:
        return body
    return body.rstrip() + "\n\n" + "\n".join(f"> 依据：{c}" for c in cites)


def wants_markdown(reply: Reply) -> bool:
    """Markdown helps when the handler wrote some or the answer cites its sources."""
    return bool(reply.markdown or reply.sources)


def _cut_chars(piece: str, limit: int) -> list[str]:
    # A single sentence longer than the limit: cut between characters, never inside one.
    out, buf, size = [], [], 0
    for ch in piece:
        n = len(ch.encode("utf-8"))
        if size + n > limit and buf:
            out.append("".join(buf))
            buf, size = [], 0
        buf.append(ch)
        size += n
    if buf:
        out.append("".join(buf))
    return out


def split_text(text: str, limit: int = 2048) -> list[str]:
    """Split text into parts of at most ``limit`` UTF-8 bytes, at sentence ends where possible."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in (m.group(0) for m in _SENTENCE.finditer(text)):
        if not sentence:
            continue
        if len((current + sentence).encode("utf-8")) <= limit:
            current += sentence
            continue
        if current.strip():
            parts.append(current)
        current = ""
        if len(sentence.encode("utf-8")) <= limit:
            current = sentence
        else:
            *whole, current = _cut_chars(sentence, limit)
            parts.extend(whole)
    if current.strip():
        parts.append(current)
    return [p.strip("\n") or p for p in parts]
