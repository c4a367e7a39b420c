"""Placeholder until the knowledge Q&A handler lands."""
from bot.message import Message, Reply


def answer(msg: Message, ctx) -> Reply:
    """Answer a question from the knowledge base, quoting the article it relies on."""
    hits = ctx.kb.search(msg.text, k=3)
    return Reply(hits[0].text if hits else "抱歉，知识库里没有找到相关规定。", sources=hits)


HANDLERS: list = []
