"""Per-(channel, chat, user) conversation state kept in the database, so it survives restarts."""
from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import JSON, DateTime, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
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


_TABLE = ConversationState.__table__

# (channel, chat_id, user_id, kind) -> (the new data, or None to forget it; when it was written)
Changes = dict[tuple[str, str, str, str], tuple[dict[str, Any] | None, datetime]]


class StateStore:
    """Get, put and clear JSON state per conversation key and kind, with idle expiry.

    Inside ``collect()`` the writes of this thread are held back (its own reads see them) and handed to the caller,
    who writes them with ``write_changes`` in the same transaction as the record of the answered message: a message
    either counts with its whole effect on the conversation, or, if the process dies first, not at all.
    """

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock):
        self.sessions = sessions
        self.clock = clock
        self._local = threading.local()

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    @contextlib.contextmanager
    def collect(self) -> Iterator[Changes]:
        """Hold back this thread's writes inside the block; the yielded dict holds them afterwards."""
        changes: Changes = {}
        outer = getattr(self._local, "changes", None)
        self._local.changes = changes
        try:
            yield changes
        finally:
            self._local.changes = outer

    def get(self, key: tuple[str, str, str], kind: str, max_idle: timedelta | None = None) -> dict[str, Any] | None:
        """Return the stored state, or None when absent or idle for longer than ``max_idle`` (then it is dropped)."""
        k = (*key, kind)
        held = getattr(self._local, "changes", None)
        if held is not None and k in held:
            data, at = held[k]
        else:
            with self.sessions() as s:
                row = s.get(ConversationState, k)
                if row is None:
                    return None
                data, at = row.data, as_utc(row.updated_at)
        if data is None:
            return None
        if max_idle is not None and self._now() - at > max_idle:
            self.clear(key, kind)
            return None
        return dict(data)

    def put(self, key: tuple[str, str, str], kind: str, data: dict[str, Any]) -> None:
        """Store (replace) the state and mark it as touched now."""
        self._write((*key, kind), dict(data))

    def clear(self, key: tuple[str, str, str], kind: str) -> None:
        """Forget the state of that kind for the key."""
        self._write((*key, kind), None)

    def _write(self, k: tuple[str, str, str, str], data: dict[str, Any] | None) -> None:
        held = getattr(self._local, "changes", None)
        if held is not None:
            held[k] = (data, self._now())
            return
        with self.sessions() as s:
            write_changes(s.connection(), {k: (data, self._now())})
            s.commit()


def write_changes(conn: Connection, changes: Changes) -> None:
    """Apply collected state changes on ``conn``, inside the caller's transaction."""
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
    for (channel, chat_id, user_id, kind), (data, at) in changes.items():
        if data is None:
            conn.execute(delete(_TABLE).where(_TABLE.c.channel == channel, _TABLE.c.chat_id == chat_id,
                                              _TABLE.c.user_id == user_id, _TABLE.c.kind == kind))
            continue
        ins = insert(_TABLE).values(channel=channel, chat_id=chat_id, user_id=user_id, kind=kind, data=data,
                                    updated_at=at)
        conn.execute(ins.on_conflict_do_update(index_elements=list(_TABLE.primary_key.columns),
                                               set_={"data": ins.excluded.data, "updated_at": ins.excluded.updated_at}))
