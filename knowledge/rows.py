"""Passages as database rows with their index words: tokens of the text, of the headings, and cues."""
from __future__ import annotations

import re
from pathlib import Path

from knowledge import store
from knowledge.parser import Passage
from knowledge.terms import index_tokens, passage_cues

# Numbering says where a passage stands, not what it is about: kept out of the heading words.
LABEL = re.compile(r"第[一二三四五六七八九十百零〇\d]+[章条节]|附件\s*[一二三四五六七八九十\d]*|^[一二三四五六七八九十]+、"
                   r"|（[一二三四五六七八九十]+）|^\d+(\s*[.．、]\s*\d*)*")
LEADING_LABEL = re.compile(r"^\s*(?:" + LABEL.pattern + ")")


def lead(text: str) -> str:
    """An article's own title: its first line when short (「第九条 评价标准」), or the words before its first
    colon or full stop when short (「咨询服务方式：」, 「监理单位应提供本单位监理责任险。」)."""
    first = text.split("\n", 1)[0]
    if len(first) <= 30:
        return first
    m = re.match(r"^(.{2,30}?)[：:。；]", first)
    return m.group(1) if m else ""


def rows_for(doc: store.KbDocument, passages: list[Passage], data_dir: Path) -> list[store.KbPassage]:
    """Database rows for a document's passages, with index words computed by the tokenizer."""
    context = " ".join([doc.title, *doc.keywords])
    title_tokens = " ".join(index_tokens(context, data_dir))
    out = []
    for p in passages:
        words = " ".join(LABEL.sub("", h) for h in [*p.path, lead(p.text)])
        heading = " ".join(index_tokens(words, data_dir))
        out.append(store.KbPassage(
            doc_id=doc.id, ord=p.ord, ref=p.ref, path=p.path, text=p.text,
            tokens=" ".join(index_tokens(LEADING_LABEL.sub("", p.text, count=1), data_dir)),
            heading_tokens=f"{title_tokens}\t{heading}",
            cues=" ".join(passage_cues(p.text)),
        ))
    return out
