"""Per-(channel, chat, user) conversation state kept in the database, so it survives restarts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, delete
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from bot.core.clock import Clock, as_utc, system_clock
from bot.core.db import Base


class ConversationState(Base):
    """One piece of state (``kind``: "eligibility", "qa", "broadcast" …) for one conversation key."""

    __tablename__ = "conversation_state"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



class StateStore:
    """Get, put and clear JSON state per conversation key and kind, with idle expiry."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock):
        self.sessions = sessions
        self.clock = clock

    def get(self, key: tuple[str, str, str], kind: str, max_idle: timedelta | None = None) -> dict[str, Any] | None:
        """Return the stored state, or None when absent or idle for longer than ``max_idle`` (then it is dropped)."""
        with self.sessions() as s:
            row = s.get(ConversationState, (*key, kind))
            if row is None:
                return None
            if max_idle is not None and self.clock() - as_utc(row.updated_at) > max_idle:
                s.delete(row)
                s.commit()
                return None
            return dict(row.data or {})

    def put(self, key: tuple[str, str, str], kind: str, data: dict[str, Any]) -> None:
        """Store (replace) the state and mark it as touched now."""
        with self.sessions() as s:
            row = s.get(ConversationState, (*key, kind))
            if row is None:
                row = ConversationState(channel=key[0], chat_id=key[1], user_id=key[2], kind=kind)
                s.add(row)
            row.data = dict(data)
            row.updated_at = self.clock().astimezone(timezone.utc)
            s.commit()

    def clear(self, key: tuple[str, str, str], kind: str) -> None:
        """Forget the state of that kind for the key."""
        with self.sessions() as s:
            s.execute(
                delete(ConversationState).where(
                    ConversationState.channel == key[0],
                    ConversationState.chat_id == key[1],
                    ConversationState.user_id == key[2],
                    ConversationState.kind == kind,
                )
            )
            s.commit()
