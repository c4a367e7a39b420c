"""Processed-message records in the database, so a platform's retry never runs a handler twice, in any worker.

A message is claimed (a committed row) before its handlers run, and finished (its reply, with the conversation
state the run changed, in one transaction) before the reply leaves. A claim left running by a process that died is
taken over by the next retry: at once when the claimant was a process on this host that no longer runs, after
``STALE_RUN`` when it was on another host.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import Clock, as_utc, system_clock
from bot.core.db import Base
from bot.state import Changes, write_changes

log = logging.getLogger(__name__)

RUNNING, DONE = "running", "done"
# A run on another host that has not finished after this long is taken to be lost with its worker.
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
    # The claiming process, "host:pid:token", so a retry can tell a claim whose process died.
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


_TABLE = ProcessedMessage.__table__
_HOST = socket.gethostname()
_identity: tuple[int, str] = (0, "")


def process_owner() -> str:
    """This process's name on its claims: host, pid and a token, new after a fork or a restart with the same pid."""
    global _identity
    pid = os.getpid()
    if _identity[0] != pid:
        _identity = (pid, f"{_HOST}:{pid}:{secrets.token_hex(4)}")
    return _identity[1]


def _pid_running(pid: int) -> bool:
    if pid <= 0:
        return False  # os.kill(0, …) would address our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True


def owner_gone(owner: str | None) -> bool:
    """True when ``owner`` was a process on this host that no longer runs (or an earlier life of our pid)."""
    host, _, rest = (owner or "").partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False  # another host (or a record from before owners were kept): only its age can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != process_owner()
    return not _pid_running(pid)


@dataclass
class Record:
    """What a worker learns when it claims a message."""

    claimed: bool  # True: this worker must run the handlers
    status: str
    delivery: str = ""
    reply: dict[str, Any] | None = None


class DedupStore:
    """Claim, finish and look up processed messages keyed by (channel, msg_id)."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def claim(self, channel: str, msg_id: str) -> Record:
        """Claim a message for this worker; when another already has, return what it recorded."""
        try:
            with self.engine.begin() as conn:
                conn.execute(_TABLE.insert().values(channel=channel, msg_id=msg_id, status=RUNNING, delivery="",
                                                    owner=process_owner(), claimed_at=self._now()))
            return Record(True, RUNNING)
        except IntegrityError:
            pass  # the primary key says someone saw this message first
        with self.engine.begin() as conn:
            row = conn.execute(select(_TABLE.c.status, _TABLE.c.owner, _TABLE.c.claimed_at)
                               .where(_TABLE.c.channel == channel, _TABLE.c.msg_id == msg_id)).first()
            if row is not None and row.status == RUNNING and (
                    owner_gone(row.owner) or as_utc(row.claimed_at) < self._now() - STALE_RUN):
                # Conditional on the claimant we saw, so of two retries only one takes over.
                same_owner = _TABLE.c.owner.is_(None) if row.owner is None else _TABLE.c.owner == row.owner
                taken = conn.execute(
                    _TABLE.update()
                    .where(_TABLE.c.channel == channel, _TABLE.c.msg_id == msg_id, _TABLE.c.status == RUNNING,
                           same_owner)
                    .values(owner=process_owner(), claimed_at=self._now())
                ).rowcount
                if taken:
                    log.warning("taking over the unfinished run of %s message %s from %s", channel, msg_id,
                                row.owner or "an unknown worker")
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

    def finish(self, channel: str, msg_id: str, reply: dict[str, Any], delivery: str,
               changes: Changes | None = None) -> None:
        """Store the answer, how it was delivered and the conversation state the run changed, in one transaction."""
        with self.engine.begin() as conn:
            write_changes(conn, changes or {})
            conn.execute(_TABLE.update().where(_TABLE.c.channel == channel, _TABLE.c.msg_id == msg_id)
                         .values(status=DONE, reply=reply, delivery=delivery, finished_at=self._now()))

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
        with self.engine.begin() as conn:
            return conn.execute(_TABLE.delete().where(_TABLE.c.claimed_at < self._now() - older_than)).rowcount
