"""Processed-message records in the database, so a platform's retry never runs a handler twice, in any worker."""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, bindparam, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import Clock, system_clock
from bot.core.db import Base, make_engine

log = logging.getLogger(__name__)

RUNNING, DONE = "running", "done"
# A run that has not finished after this long is taken to be lost with its worker; a later retry may take it over.
STALE_RUN = timedelta(minutes=10)


class ProcessedMessage(Base):
    """One incoming platform message: claimed by the first worker that saw it, then its stored reply."""

    __tablename__ = "processed_message"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=RUNNING)
    # How the answer reached the user: "" (not yet), "inline" (in the HTTP response) or "pushed" (sent afterwards).
    delivery: Mapped[str] = mapped_column(String(16), default="")
    reply: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


_TABLE = ProcessedMessage.__table__
# The two statements every message runs, as plain SQL: several times cheaper than building them per call.
_CLAIM = text(
    "INSERT INTO processed_message (channel, msg_id, status, delivery, claimed_at) "
    "VALUES (:channel, :msg_id, 'running', '', :now)"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))
_FINISH = text(
    "UPDATE processed_message SET status = 'done', reply = :reply, delivery = :delivery, finished_at = :now "
    "WHERE channel = :channel AND msg_id = :msg_id"
).bindparams(bindparam("reply", type_=JSON), bindparam("now", type_=DateTime(timezone=True)))
_CLAIM_SQLITE = ("INSERT INTO processed_message (channel, msg_id, status, delivery, claimed_at) "
                 "VALUES (?, ?, 'running', '', ?)")
_FINISH_SQLITE = ("UPDATE processed_message SET status = 'done', reply = ?, delivery = ?, finished_at = ? "
                  "WHERE channel = ? AND msg_id = ?")


@dataclass
class Record:
    """What a worker learns when it claims a message."""

    claimed: bool  # True: this worker must run the handlers
    status: str
    delivery: str = ""
    reply: dict[str, Any] | None = None


class DedupStore:
    """Claim, finish and look up processed messages keyed by (channel, msg_id); plain SQL on the hot path."""

    def __init__(self, engine: Engine, clock: Clock = system_clock, serialize_writes: bool = False):
        self.engine = engine
        self.clock = clock
        # SQLite lets one writer in at a time and makes the others sleep in growing steps (up to 100 ms);
        # queueing this process's writers on a lock instead keeps the tail latency down.
        self._write_lock = threading.Lock() if serialize_writes else contextlib.nullcontext()
        self._sqlite = engine.dialect.name == "sqlite"
        self._local = threading.local()
        if self._sqlite:
            # Values converted exactly as SQLAlchemy stores them, so Core reads of the same rows agree.
            dialect = engine.dialect
            self._dt = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            self._json = JSON().dialect_impl(dialect).bind_processor(dialect)

    def _write(self, stmt, sqlite_sql: str, values: dict[str, Any], order: tuple[str, ...]) -> None:
        # The two per-message writes: straight through the DB-API on SQLite, where SQLAlchemy's per-call
        # overhead would cost more than the write itself; through SQLAlchemy everywhere else.
        with self._write_lock:
            if not self._sqlite:
                with self.engine.begin() as conn:
                    conn.execute(stmt, values)
                return
            # Single statements in autocommit on a connection this thread keeps: no pool round trip, no
            # BEGIN/COMMIT pair. The connection comes from the engine once, so its connect settings apply.
            conn = getattr(self._local, "conn", None)
            if conn is None:
                fairy = self.engine.raw_connection()
                conn = fairy.driver_connection
                fairy.detach()  # this thread's own from now on; the pool no longer hands it out
                conn.isolation_level = None
                self._local.conn, self._local.fairy = conn, fairy
            conn.execute(sqlite_sql, tuple(values[k] for k in order))

    @classmethod
    def for_url(cls, url: str, engine: Engine, clock: Clock = system_clock) -> "DedupStore":
        """A store for the bot's database; on SQLite it gets its own connections that skip the per-commit fsync."""
        if not url.startswith("sqlite"):
            return cls(engine, clock)
        own = make_engine(url)

        @event.listens_for(own, "connect")
        def _no_fsync_per_commit(dbapi_conn, _record):  # pragma: no cover - trivial
            # Two commits per message would otherwise cost two fsyncs. In WAL mode NORMAL still survives a
            # crash of the process; a power cut may forget the last records, which at worst repeats one answer.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return cls(own, clock, serialize_writes=True)

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def claim(self, channel: str, msg_id: str) -> Record:
        """Claim a message for this worker; when another already has, return what it recorded."""
        now = self._now()
        try:
            self._write(_CLAIM, _CLAIM_SQLITE, {"channel": channel, "msg_id": msg_id,
                                                "now": self._dt(now) if self._sqlite else now},
                        ("channel", "msg_id", "now"))
            return Record(True, RUNNING)
        except (IntegrityError, sqlite3.IntegrityError):
            pass  # the primary key says someone saw this message first
        with self._write_lock, self.engine.begin() as conn:
            taken = conn.execute(
                _TABLE.update()
                .where(_TABLE.c.channel == channel, _TABLE.c.msg_id == msg_id, _TABLE.c.status == RUNNING,
                       _TABLE.c.claimed_at < self._now() - STALE_RUN)
                .values(claimed_at=self._now())
            ).rowcount
        if taken:
            log.warning("taking over stale run of %s message %s", channel, msg_id)
            return Record(True, RUNNING)
        return self.get(channel, msg_id) or Record(False, RUNNING)

    def get(self, channel: str, msg_id: str) -> Record | None:
        """The record of a message, or None when it was never seen."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(_TABLE.c.status, _TABLE.c.delivery, _TABLE.c.reply)
                .where(_TABLE.c.channel == channel, _TABLE.c.msg_id == msg_id)
            ).first()
        if row is None:
            return None
        return Record(False, row.status, row.delivery or "", row.reply)

    def finish(self, channel: str, msg_id: str, reply: dict[str, Any], delivery: str) -> None:
        """Store the answer and how it was delivered."""
        now = self._now()
        values = {"channel": channel, "msg_id": msg_id, "delivery": delivery, "reply": reply, "now": now}
        if self._sqlite:
            values.update(reply=self._json(reply), now=self._dt(now))
        self._write(_FINISH, _FINISH_SQLITE, values, ("reply", "delivery", "now", "channel", "msg_id"))

    def wait_done(self, channel: str, msg_id: str, timeout: float, poll: float = 0.05) -> Record | None:
        """Poll until another worker has finished the message; None when it has not within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.get(channel, msg_id)
            if rec is not None and rec.status == DONE:
                return rec
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll)

    def prune(self, older_than: timedelta = timedelta(days=2)) -> int:
        """Delete records older than the platforms' retry horizon; returns how many went."""
        with self._write_lock, self.engine.begin() as conn:
            return conn.execute(_TABLE.delete().where(_TABLE.c.claimed_at < self._now() - older_than)).rowcount
