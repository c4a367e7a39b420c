"""The handler contract: ``matches(msg, ctx)`` then ``handle(msg, ctx) -> Reply``; no network, no platform SDK."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from bot.core.clock import Clock
from bot.core.config import Config
from bot.core.message import Message, Reply
from bot.state import StateStore

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import sessionmaker


@dataclass
class Context:
    """What a handler may use: settings, the database, conversation state, the knowledge base, the clock."""

    config: Config
    sessions: "sessionmaker"
    state: StateStore
    kb: Any  # knowledge.KnowledgeBase; typed loosely so handlers load without the index
    clock: Clock
    dispatch: Callable[[Message], Reply]  # re-dispatch a message, e.g. a question asked mid-dialog

    def is_admin(self, msg: Message) -> bool:
        """True when the sender is on the secretariat's ADMIN_USERS list."""
        return self.config.is_admin(msg.channel, msg.user_id)


class Handler(ABC):
    """One capability of the bot."""

    name: str = "handler"

    @abstractmethod
    def matches(self, msg: Message, ctx: Context) -> bool:
        """True when this handler should answer the message."""

    @abstractmethod
    def handle(self, msg: Message, ctx: Context) -> Reply:
        """Answer the message."""
