"""A lease row in the database decides which process runs the scheduler; it lapses unless renewed."""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta, timezone

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from scheduler.models import SchedulerLease

log = logging.getLogger(__name__)


def make_owner_id() -> str:
    """host:pid:random, unique per process start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """Acquire, renew and release one named lease; ``acquire`` is a single conditional UPDATE, so two processes
    can never both succeed."""

    def __init__(self, sessions: sessionmaker, ttl: timedelta, clock: Clock = system_clock, name: str = "scheduler",
                 owner: str | None = None):
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self.name = name
        self.owner = owner or make_owner_id()

    def acquire(self) -> bool:
        """Take the lease if it is free or lapsed, or renew it if ours; True when we hold it now."""
        now = self.clock().astimezone(timezone.utc)
        try:
            with self.sessions.begin() as s:
                res = s.execute(
                    update(SchedulerLease).execution_options(synchronize_session=False)
                    .where(SchedulerLease.name == self.name,
                           or_(SchedulerLease.owner == self.owner, SchedulerLease.expires_at < now))
                    .values(owner=self.owner, expires_at=now + self.ttl))
                if res.rowcount == 1:
                    return True
                if s.get(SchedulerLease, self.name) is not None:
                    return False
            with self.sessions.begin() as s:
                s.add(SchedulerLease(name=self.name, owner=self.owner, expires_at=now + self.ttl))
            return True
        except IntegrityError:
            return False  # another process created the row first
        except OperationalError as exc:
            # A busy or unreachable database means we cannot prove we hold the lease.
            log.warning("lease %s: database unavailable (%s)", self.name, type(exc).__name__)
            return False

    def release(self) -> None:
        """Give the lease up at once so another process need not wait for it to lapse."""
        try:
            with self.sessions.begin() as s:
                s.execute(delete(SchedulerLease).where(SchedulerLease.name == self.name,
                                                       SchedulerLease.owner == self.owner))
        except OperationalError as exc:
            log.warning("lease %s: could not release (%s)", self.name, type(exc).__name__)
