"""One dispatch entry for every channel: a neutral Message in, a Reply out."""
from __future__ import annotations

import logging

from bot.core.message import Message, Reply

log = logging.getLogger(__name__)

EMPTY_TEXT_REPLY = "请直接输入您的问题，例如：「创优对投资额有什么要求」。发送「帮助」查看我能做什么。"
FAILURE_REPLY = "抱歉，处理您的消息时出了点问题，请稍后再试；如果一直这样，请联系协会秘书处。"
NO_HANDLER_REPLY = "抱歉，我没有理解这条消息。发送「帮助」查看我能做什么。"


class Dispatcher:
    """Asks each handler in turn; the first that matches answers."""

    def __init__(self, handlers: list, ctx):
        self.handlers = handlers
        self.ctx = ctx

    def dispatch(self, msg: Message) -> Reply:
        """Answer one message; a failing handler yields a polite reply, never an exception."""
        if not msg.text or not msg.text.strip():
            return Reply(EMPTY_TEXT_REPLY)
        for handler in self.handlers:
            try:
                if handler.matches(msg, self.ctx):
                    return handler.handle(msg, self.ctx)
            except Exception:  # the edge: one broken handler must not take the conversation down
                log.exception("handler %s failed on message %s from %s", handler.name, msg.msg_id, msg.channel)
                return Reply(FAILURE_REPLY)
        return Reply(NO_HANDLER_REPLY)
