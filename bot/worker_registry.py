"""Which bot processes are alive: each keeps a heartbeat row, so a process can tell whether it is alone."""
from __future__ import annotations

import logging
import os
import secrets
import socket
import time
import weakref
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Boolean, DateTime, Integer, String, delete, insert, select, update
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import as_utc
from bot.core.db import Base

log = logging.getLogger(__name__)

# Rows not heard from for this long are removed by whoever looks; they stopped mattering after the ttl anyway.
FORGET_AFTER = 24 * 3600.0

# Workers of this very process that have not left: a row with our host and pid but another id is a worker
# that went away without leaving (its owner was collected), dead as surely as one whose pid has ended.
_LIVE_HERE: set[str] = set()


class ChannelWorker(Base):
    """One running worker that answers platform messages, with its last heartbeat."""

    __tablename__ = "channel_worker"
    worker_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    # True while the worker claims messages in memory only; others must wait until it says False.
    solo: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_TABLE = ChannelWorker.__table__


def pid_running(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    if pid <= 0:
        return False  # os.kill(0, …) would address our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True


class WorkerRegistry:
    """This worker's heartbeat row, and a view of the other workers' rows."""

    def __init__(self, engine: Engine, ttl: float = 5.0, now: Callable[[], float] = time.time):
        self.engine = engine
        self.ttl = ttl
        # Real time, not the services clock: tests freeze that one, and a frozen heartbeat never lapses.
        self.now = now
        self.host = socket.gethostname()
        self.pid = 0
        self._identify()

    def _identify(self) -> None:
        # A process forked after this registry was made must not speak under its parent's name.
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.worker_id = f"{self.host}:{self.pid}:{secrets.token_hex(4)}"
            _LIVE_HERE.add(self.worker_id)
            weakref.finalize(self, _LIVE_HERE.discard, self.worker_id)

    def _stamp(self) -> datetime:
        return datetime.fromtimestamp(self.now(), timezone.utc)

    def beat(self, solo: bool) -> None:
        """Record that this worker is alive, and whether it claims alone; the row is written by no one else."""
        self._identify()
        values = {"heartbeat_at": self._stamp(), "solo": solo}
        with self.engine.begin() as conn:
            done = conn.execute(update(_TABLE).where(_TABLE.c.worker_id == self.worker_id).values(**values)).rowcount
            if not done:
                conn.execute(insert(_TABLE).values(worker_id=self.worker_id, host=self.host, pid=self.pid, **values))
        _LIVE_HERE.add(self.worker_id)

    def others_alive(self) -> list[Row]:
        """The other workers heard from within the ttl; rows of workers known dead are deleted on the way."""
        self._identify()
        now = self.now()
        with self.engine.connect() as conn:
            rows = conn.execute(select(_TABLE).where(_TABLE.c.worker_id != self.worker_id)).all()
        alive, dead = [], []
        for row in rows:
            age = now - as_utc(row.heartbeat_at).timestamp()
            if row.host == self.host and (not pid_running(row.pid)
                                          or (row.pid == self.pid and row.worker_id not in _LIVE_HERE)):
                dead.append(row.worker_id)  # on our own host we know at once, no need to wait for the ttl
            elif age > FORGET_AFTER:
                dead.append(row.worker_id)
            elif age <= self.ttl:
                alive.append(row)
        if dead:
            with self.engine.begin() as conn:
                conn.execute(delete(_TABLE).where(_TABLE.c.worker_id.in_(dead)))
            log.info("removed %d worker rows of processes that are gone", len(dead))
        return alive

    def leave(self) -> None:
        """Delete this worker's row, so the others need not wait for it to lapse."""
        with self.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.worker_id == self.worker_id))
        _LIVE_HERE.discard(self.worker_id)
