"""An in-process test channel, so tests read like a chat: ``TestBot(services).say("你好")``."""
from __future__ import annotations

import itertools

from bot.core.message import Message, Reply

_ids = itertools.count(1)


class TestBot:
    """Talks to the dispatcher as one user in one chat."""

    __test__ = False  # not a pytest class

    def __init__(self, services, user_id: str = "tester", chat_id: str | None = None, channel: str = "test",
                 is_group: bool = False):
        self.services = services
        self.user_id = user_id
        self.chat_id = chat_id or user_id
        self.channel = channel
        self.is_group = is_group

    def say(self, text: str) -> Reply:
        """Send one message and return the bot's reply."""
        msg = Message(channel=self.channel, chat_id=self.chat_id, user_id=self.user_id, text=text,
                      msg_id=f"t{next(_ids)}", is_group=self.is_group)
        return self.services.dispatcher.dispatch(msg)
