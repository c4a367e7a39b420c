"""资格评估: checks by conversation whether a project or team may apply to a program, citing each article."""
from __future__ import annotations

from bot.core.message import Message, Reply
from handlers.base import Context, Handler
from handlers.eligibility.dialog import EligibilityDialog


class EligibilityHandler(Handler):
    """Starts on 「资格评估」 or 「我们项目能报鲁班奖吗」, then owns the user's messages until the verdict."""

    name = "eligibility"

    def matches(self, msg: Message, ctx: Context) -> bool:
        """A running check, a request to start one, or a correction after a verdict."""
        return EligibilityDialog(msg, ctx).wants()

    def handle(self, msg: Message, ctx: Context) -> Reply:
        """Apply the message's facts and ask the next question or give the verdict."""
        return EligibilityDialog(msg, ctx).reply()


HANDLERS = [EligibilityHandler()]
