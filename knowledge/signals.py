"""Ranking signals from a passage's place in the document (headings, lists) and from verbatim phrases.

Colloquial questions are cut into words differently from the headings (「服务的方式」 against 「咨询服务方式」),
so headings are compared by character bigrams; the ranker turns each signal into a boost.
"""
from __future__ import annotations

import re

from knowledge.rows import LABEL, lead
from knowledge.terms import bigrams, normalise

STOP_CHARS = set("的了吗呢吧啊呀么是有在和与及或对给把被从到为就都也还又要会能我你他她它们这那哪啥谁什怎几多")
# Questions that ask for an enumeration (「包括哪些」「有哪几种」「都有什么」) …
# 「从哪些项目里挑」 asks where from, not for a list.
LIST_QUESTION = re.compile(r"(?<![从在])(哪些|哪几)|包括|包含|有什么|都有|几种|几类|几个方面|分几|几项|几个环节|内容")
# … and passages that give one: numbered items, or a run of at least three 、-separated terms.
LIST_PASSAGE = re.compile(r"(（[一二三四五六七八九十]+）|\n\s*\d+(\.\d+)*\s*[、.．]?\s*\S)|([^、，。；\n]{1,20}、){2,}")

# Questions about a total (「一共多少家」「总共几个」): a numbered list's last rows say how many there are.
TOTAL_QUESTION = re.compile(r"一共|总共|共有|共计|多少家|几家|多少个")

SECTION_DEPTH, SECTION_ITEMS, SECTION_LIFT = 8, 3, 1.01  # a list question: a section just above its items


def content_grams(text: str, stopwords=frozenset()) -> list[str]:
    """The character bigrams of a text that carry meaning (none with a function character or a stop word)."""
    return [g for g in dict.fromkeys(bigrams(text)) if g not in stopwords and not any(c in STOP_CHARS for c in g)]


def _title(heading: str) -> str:
    return LABEL.sub("", normalise(heading)).strip()


def passage_grams(kb, pid: int) -> dict:
    """Cached bigram sets of a passage's own title and its parent's title."""
    cache = kb.field_cache.setdefault(("grams", pid), {})
    if "own" not in cache:
        p = kb.passages[pid]
        path = list(p.path or [])
        own = _title(lead(p.text)) or (_title(path[-1]) if path else "")
        parent = _title(path[-2]) if len(path) > 1 else ""
        cache["own"] = set(content_grams(own)) if len(own) <= 30 else set()
        short = re.sub(r"[（(][^）)]*[）)]", "", own)  # 「咨询服务内容（详见附件一）」
        cache["title"] = re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", short) if len(short) <= 12 else ""
        cache["parent"] = set(content_grams(parent)) if len(parent) <= 30 else set()
    return cache


def heading_match(kb, pid: int, qgrams: set[str]) -> float:
    """How much of the passage's own title (or, half as much, its parent's) the question repeats."""
    grams = passage_grams(kb, pid)
    best = 0.0
    for key, factor in (("own", 1.0), ("parent", 0.5)):
        title = grams[key]
        if len(title) >= 1:
            best = max(best, factor * len(title & qgrams) / len(title))
    return best


def title_key(question: str) -> str:
    """The question as titles are compared with it: letters, digits and CJK only, without 的."""
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]|的", "", normalise(question))


def names_title(kb, pid: int, key: str) -> bool:
    """True when the question (its ``title_key``) contains the passage's whole short title (「咨询服务方式」)."""
    title = passage_grams(kb, pid)["title"]
    return len(title) >= 4 and title in key


def asks_for_list(question: str) -> bool:
    """True when the question asks what something includes (「包括哪些」「有哪几种」)."""
    return bool(LIST_QUESTION.search(normalise(question)))


def gives_list(kb, pid: int) -> bool:
    """True when the passage enumerates (numbered items, or three or more 、-separated terms)."""
    cache = kb.field_cache.setdefault(("grams", pid), {})
    if "list" not in cache:
        cache["list"] = bool(LIST_PASSAGE.search(kb.passages[pid].text))
    return cache["list"]


def asks_total(question: str) -> bool:
    """True when the question asks how many there are in all (「推荐单位一共有多少家」)."""
    return bool(TOTAL_QUESTION.search(normalise(question)))


def ends_list(kb, pid: int) -> bool:
    """True for the last chunk of a table or list split into several passages (its last row is the count)."""
    ends = kb.field_cache.get("list_ends")
    if ends is None:
        groups: dict[tuple, list] = {}
        for p in kb.passages.values():
            groups.setdefault((p.doc_id, p.ref, tuple(p.path or ())), []).append(p)
        ends = {max(ps, key=lambda p: p.ord).id for ps in groups.values()
                if len(ps) > 1 and re.search(r"(?m)^\s*\d+\s", max(ps, key=lambda p: p.ord).text)}
        kb.field_cache["list_ends"] = ends
    return pid in ends


def lift_sections(kb, hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """For a list question, a section's own passage goes just above its items when several of them rank high.

    「六个要素是哪些」 matches each 「（一）设计要素」「（二）特色要素」…; the section's opening passage names them all.
    """
    parents: dict[tuple, list[float]] = {}
    for pid, score in hits[:SECTION_DEPTH]:
        path = tuple(kb.passages[pid].path or ())
        if len(path) > 1:
            parents.setdefault((kb.passages[pid].doc_id, path[:-1]), []).append(score)
    lifted = {key: max(scores) * SECTION_LIFT for key, scores in parents.items() if len(scores) >= SECTION_ITEMS}
    if not lifted:
        return hits
    out = []
    for pid, score in hits:
        p = kb.passages[pid]
        key = (p.doc_id, tuple(p.path or ()))
        out.append((pid, max(score, lifted[key]) if key in lifted else score))
    out.sort(key=lambda h: -h[1])
    return out


def longest_shared(q: str, text: str, start: int = 3) -> int:
    """Length of the longest run of the question that stands verbatim in the passage (0 below ``start``)."""
    best = 0
    n = len(q)
    for i in range(n):
        length = max(best + 1, start)
        while i + length <= n and q[i:i + length] in text:
            best = length
            length += 1
    return best


# A blank template (checkboxes, empty 「联系人：   电话：」 fields, 「年  月  日」) lists the words of the rules but
# states none; it answers only questions about the form itself.
TEMPLATE_MARK = re.compile(r"□|[：:][ \u3000]{4,}\S|年[ \u3000]+月[ \u3000]+日")
FORM_QUESTION = re.compile(r"表|填|格式|模板|样式|附件")


def is_template(kb, pid: int) -> bool:
    """True for a blank form: at least two fill-in marks (cached per passage)."""
    key = ("template", pid)
    if key not in kb.field_cache:
        kb.field_cache[key] = len(TEMPLATE_MARK.findall(kb.passages[pid].text)) >= 2
    return kb.field_cache[key]


def asks_for_form(question: str) -> bool:
    """True when the question is about a form or an attachment (「申请表怎么填」「附件一是什么」)."""
    return bool(FORM_QUESTION.search(question))
