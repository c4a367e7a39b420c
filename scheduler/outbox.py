"""The delivery worker: claims due outbox rows one at a time, sends them, records the outcome."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.outbound.errors import OutboundError, RateLimited
from scheduler.models import FAILED, PENDING, SENDING, SENT, SKIPPED, OutboxRow, Target, aware
from scheduler.pacing import RATE_LIMITS, next_slot
from scheduler.sender import Sender

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = 30.0
MAX_BACKOFF = 3600.0


def _update(model):
    # Plain SQL UPDATEs: the WHERE clause, not objects loaded in the session, decides which rows change.
    return update(model).execution_options(synchronize_session=False)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: 30 s, 60 s, 120 s … capped at an hour."""
    return timedelta(seconds=min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF))


@dataclass
class Stats:
    """What one worker run did."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0


class OutboxWorker:
    """Sends pending rows; a row is claimed (pending -> sending) in its own transaction before the network call."""

    def __init__(self, config: Config, sessions: sessionmaker, clock: Clock = system_clock,
                 sender: Sender | None = None, batch: int = 50):
        self.sessions = sessions
        self.clock = clock
        self.claim_for = timedelta(seconds=config.outbox_claim_seconds)
        self.sender = sender or Sender(config, sessions, clock)
        self.batch = batch
        self.stats = Stats()

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def _due_clause(self, now: datetime):
        # Pending rows whose time has come, and rows claimed by a worker that died before recording the outcome.
        return or_(and_(OutboxRow.state == PENDING, OutboxRow.next_attempt_at <= now),
                   and_(OutboxRow.state == SENDING, OutboxRow.claimed_until < now))

    def run_once(self) -> int:
        """Try every row due now (up to ``batch``); returns how many were claimed."""
        now = self._now()
        with self.sessions() as s:
            ids = list(s.scalars(select(OutboxRow.id).where(self._due_clause(now))
                                 .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(self.batch)))
        claimed = 0
        for row_id in ids:
            claimed += self._process(row_id)
        return claimed

    def _process(self, row_id: int) -> int:
        now = self._now()
        with self.sessions.begin() as s:
            row = s.get(OutboxRow, row_id)
            target = s.get(Target, row.target_id) if row else None
            if row is None or row.state not in (PENDING, SENDING):
                return 0
            if target is None or not target.active:
                s.execute(_update(OutboxRow).where(OutboxRow.id == row_id, self._due_clause(now))
                          .values(state=SKIPPED, claimed_until=None, last_error="target removed"))
                return 0
            if target.kind in RATE_LIMITS:
                slot = next_slot(s, target.id, target.kind, now)
                if slot > now:
                    self._defer(s, target.id, slot)
                    self.stats.deferred += 1
                    return 0
            claim = s.execute(_update(OutboxRow).where(OutboxRow.id == row_id, self._due_clause(now)).values(
                state=SENDING, claimed_until=now + self.claim_for, attempts=OutboxRow.attempts + 1))
            if claim.rowcount != 1:
                return 0  # another worker got it first
            if row.state == SENDING:
                log.warning("outbox row %s was claimed by a worker that stopped; sending it again", row_id)
            kind, address, attempts = target.kind, dict(target.address), row.attempts + 1
            msgtype, title, content = row.msgtype, row.title, row.content
        try:
            self.sender.send(kind, address, msgtype, content, title)
        except RateLimited as exc:
            self._retry(row_id, attempts - 1, now + timedelta(seconds=exc.retry_after), exc, target_id=target.id)
        except OutboundError as exc:
            if exc.retryable and attempts < MAX_ATTEMPTS:
                self._retry(row_id, attempts, now + backoff(attempts), exc)
            else:
                self._finish(row_id, FAILED, str(exc))
        except Exception as exc:  # noqa: BLE001 - the worker is the edge: a bug in one row must not stop the rest
            log.exception("outbox row %s: unexpected error", row_id)
            if attempts < MAX_ATTEMPTS:
                self._retry(row_id, attempts, now + backoff(attempts), exc)
            else:
                self._finish(row_id, FAILED, type(exc).__name__)
        else:
            self._finish(row_id, SENT, "")
        return 1

    def _defer(self, s, target_id: int, slot: datetime) -> None:
        s.execute(_update(OutboxRow).where(OutboxRow.target_id == target_id, OutboxRow.state == PENDING,
                                          OutboxRow.next_attempt_at < slot).values(next_attempt_at=slot))

    def _retry(self, row_id: int, attempts: int, when: datetime, exc: Exception, target_id: int | None = None) -> None:
        log.warning("outbox row %s: %s; retry at %s", row_id, exc, when.isoformat())
        with self.sessions.begin() as s:
            s.execute(_update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == SENDING).values(
                state=PENDING, attempts=attempts, next_attempt_at=when, claimed_until=None,
                last_error=str(exc)[:500]))
            if target_id is not None:  # the whole robot is throttled, not just this row
                self._defer(s, target_id, when)
        self.stats.retried += 1

    def _finish(self, row_id: int, state: str, error: str) -> None:
        with self.sessions.begin() as s:
            s.execute(_update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == SENDING).values(
                state=state, claimed_until=None, last_error=error[:500],
                sent_at=self._now() if state == SENT else None))
        if state == SENT:
            self.stats.sent += 1
        else:
            self.stats.failed += 1
            log.error("outbox row %s failed for good: %s", row_id, error)

    def next_due(self) -> datetime | None:
        """When the next row becomes due (now or later), or None when nothing is waiting."""
        with self.sessions() as s:
            pending = s.scalar(select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.state == PENDING))
            stale = s.scalar(select(func.min(OutboxRow.claimed_until)).where(OutboxRow.state == SENDING))
        times = [aware(t) for t in (pending, stale) if t is not None]
        return min(times) if times else None

    def run_until_idle(self, sleep=time.sleep, max_wait: float | None = None) -> Stats:
        """Send until nothing is pending, sleeping (or, with a test clock, advancing it) until rows come due."""
        while True:
            if self.run_once():
                continue
            nxt = self.next_due()
            if nxt is None:
                return self.stats
            wait = (nxt - self.clock()).total_seconds()
            if max_wait is not None and wait > max_wait:
                return self.stats
            # A due row another worker holds: look again shortly instead of spinning.
            sleep(wait if wait > 0 else 0.02)

    def run_forever(self, stop: threading.Event, poll: float = 1.0) -> None:
        """Send as rows come due until ``stop`` is set; new rows are noticed within ``poll`` seconds."""
        while not stop.is_set():
            if self.run_once():
                continue
            nxt = self.next_due()
            wait = poll if nxt is None else min(poll, max((nxt - self.clock()).total_seconds(), 0.01))
            stop.wait(wait)
