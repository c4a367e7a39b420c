"""Questions about the rules: a cited quote from the knowledge base, with follow-ups understood in context."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from bot.core.message import Message, Reply
from handlers.base import Context, Handler

log = logging.getLogger(__name__)

KIND = "qa"
MAX_IDLE = timedelta(minutes=30)  # a follow-up after half an hour is a new conversation
NUM = "一二三四五六七八九十百零〇\\d"
# 「第八条怎么说的」「附件2是什么」「附件1第十条」: a request for an article by its citation.
ARTICLE = re.compile(rf"(附件\s*[{NUM}]+\s*)?第\s*[{NUM}]+\s*条|附件\s*[{NUM}]+")
ARTICLE_ASK = re.compile(r"怎么说|说的什么|说了什么|讲的什么|讲了什么|讲什么|内容|原文|是什么|写的什么|全文|看看|看一下|^\S{0,12}$")
# An elliptical follow-up: 「那精品工程呢」「如果是国优呢」「那要多少钱」.
FOLLOW_UP = re.compile(r"^(那么|那|还有|另外|如果是|要是|换成|那如果是?)\s*(?P<a>.{1,14}?)\s*(呢|的话呢|怎么样|又如何|咋样)?[?？。!！]*$"
                       r"|^(?P<b>.{1,10}?)(呢|的呢)[?？。!！]*$")
GREETING_PREFIX = re.compile(r"^(@\S+\s+)*((你好|您好|请问|麻烦问一下|问一下|想问一下|我想问|咨询一下|好的|嗯)[，,。!！\s]*)*")


def _doc_hint(text: str, kb) -> str | None:
    """A document the message names by a word of its title or keywords (「班组」「泽州」「广东」)."""
    for doc_id, words in kb.doc_words().items():
        if any(w in text for w in words):
            return doc_id
    return None


def _topic(prev: str, kb) -> str:
    """The domain words of the previous question (「信得过班组」「投资额」), without its question words."""
    vocabulary = set(kb.domain_words())
    found: list[str] = []
    for word in sorted(vocabulary, key=len, reverse=True):
        if word in prev and not any(word in f for f in found):
            found.append(word)
    return " ".join(sorted(found, key=prev.index)) or prev


def _rewrite(text: str, state: dict, kb) -> str:
    """Complete an elliptical follow-up with the previous question's topic: 「那精品工程呢」「那找谁联系呢」."""
    prev = state.get("q")
    m = FOLLOW_UP.match(text)
    if not prev or not m:
        return text
    fragment = (m.group("a") or m.group("b") or "").strip()
    return f"{fragment} {_topic(prev, kb)}" if fragment else prev


def _article_reply(text: str, ref: str, state: dict, ctx: Context) -> Reply | None:
    from knowledge.answer import citation, fit

    ref = re.sub(r"\s+", "", ref)
    doc = _doc_hint(text, ctx.kb) or state.get("doc")
    found = (ctx.kb.article(ref, doc) if doc else []) or ctx.kb.article(ref)
    if not found:
        return None
    best = found[0]
    same = [s for s in found if s.doc == best.doc and s.ref == best.ref]
    # An attachment may span several passages, each repeating its title line: show the title once.
    parts = [same[0].text] + [s.text.split("\n", 1)[-1] if s.text.startswith(ref) else s.text for s in same[1:]]
    body = "\n".join(parts) + f"\n{citation(best)}"
    others = [s for s in found[1:] if s.doc != best.doc]
    if others:
        names = "、".join(dict.fromkeys(f"《{s.title}》" for s in others))
        body = fit(body, 1700) + f"\n（{names}也有{ref}；先问一个相关问题，再问「{ref}怎么说的」即可查看那份文件的条文。）"
    return Reply(fit(body), sources=found[:3], data={"qa": {"ref": ref, "doc": best.doc}})


def answer(msg: Message, ctx: Context) -> Reply:
    """Answer a question from the knowledge base, quoting the article it relies on."""
    from knowledge.answer import compose

    text = GREETING_PREFIX.sub("", msg.text.strip()) or msg.text.strip()
    state = ctx.state.get(msg.key, KIND, max_idle=MAX_IDLE) or {}
    m = ARTICLE.search(text)
    if m and ARTICLE_ASK.search(text.replace(m.group(0), "")) and len(text) <= 24:
        reply = _article_reply(text, m.group(0), state, ctx)
        if reply is not None:
            ctx.state.put(msg.key, KIND, {"q": state.get("q", ""), "doc": reply.data["qa"]["doc"]})
            return reply
    query = _rewrite(text, state, ctx.kb)
    sources, confident = ctx.kb.lookup(query, k=5)
    reply_text = compose(query, sources, confident)
    top = sources[0].doc if sources and confident else state.get("doc")
    ctx.state.put(msg.key, KIND, {"q": query if confident else state.get("q", query), "doc": top})
    log.debug("qa answered %s (confident=%s)", msg.msg_id, confident)
    return Reply(reply_text, sources=sources[:3], data={"qa": {"query": query, "confident": confident}})


class QAHandler(Handler):
    """The catch-all: any message no other handler took is treated as a question about the rules."""

    name = "qa"

    def matches(self, msg: Message, ctx: Context) -> bool:
        """Every non-empty message."""
        return bool(msg.text and msg.text.strip())

    def handle(self, msg: Message, ctx: Context) -> Reply:
        """Answer with a cited quote, or say honestly that nothing fits and offer the nearest articles."""
        return answer(msg, ctx)


HANDLERS: list = [QAHandler()]
