"""Processed-message records in the database, so a platform's retry never runs a handler twice, in any worker."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from bot.clock import Clock, system_clock
from bot.db import Base

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


@dataclass
class Record:
    """What a worker learns when it claims a message."""

    claimed: bool  # True: this worker must run the handlers
    status: str
    delivery: str = ""
    reply: dict[str, Any] | None = None


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class DedupStore:
    """Claim, finish and look up processed messages keyed by (channel, msg_id)."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock):
        self.sessions = sessions
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def claim(self, channel: str, msg_id: str) -> Record:
        """Claim a message for this worker; when another already has, return what it recorded."""
        try:
            with self.sessions() as s:
                s.add(ProcessedMessage(channel=channel, msg_id=msg_id, status=RUNNING, delivery="",
                                       claimed_at=self._now()))
                s.commit()
            return Record(True, RUNNING)
        except IntegrityError:
            pass  # the primary key says someone saw this message first
        with self.sessions() as s:
            cutoff = self._now() - STALE_RUN
            taken = s.execute(
                update(ProcessedMessage)
                .where(ProcessedMessage.channel == channel, ProcessedMessage.msg_id == msg_id,
                       ProcessedMessage.status == RUNNING, ProcessedMessage.claimed_at < cutoff)
                .values(claimed_at=self._now())
            ).rowcount
            s.commit()
            if taken:
                log.warning("taking over stale run of %s message %s", channel, msg_id)
                return Record(True, RUNNING)
        return self.get(channel, msg_id) or Record(False, RUNNING)

    def get(self, channel: str, msg_id: str) -> Record | None:
        """The record of a message, or None when it was never seen."""
        with self.sessions() as s:
            row = s.get(ProcessedMessage, (channel, msg_id))
            if row is None:
                return None
            return Record(False, row.status, row.delivery or "", row.reply)

    def finish(self, channel: str, msg_id: str, reply: dict[str, Any], delivery: str) -> None:
        """Store the answer and how it was delivered."""
        with self.sessions() as s:
            s.execute(
                update(ProcessedMessage)
                .where(ProcessedMessage.channel == channel, ProcessedMessage.msg_id == msg_id)
                .values(status=DONE, reply=reply, delivery=delivery, finished_at=self._now())
            )
            s.commit()

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
        with self.sessions() as s:
            n = s.execute(delete(ProcessedMessage).where(ProcessedMessage.claimed_at < self._now() - older_than))
            s.commit()
            return n.rowcount
