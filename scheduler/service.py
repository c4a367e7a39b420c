"""Runs the reminder scheduler and the outbox worker in whichever process holds the lease.

Every process may call ``start_scheduler``; a heartbeat thread keeps trying the lease, and only its holder runs
APScheduler (SQLAlchemy job store in the app's database, zone Asia/Shanghai) and the delivery worker. When the
holder dies its lease lapses and another process takes over, catching up on what was missed.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.core.clock import SHANGHAI
from scheduler import jobs
from scheduler.enqueue import queue_due
from scheduler.lease import Lease
from scheduler.outbox import OutboxWorker
from scheduler.seed import ensure_seeded

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
SYNC_SECONDS = 30
# After a takeover, occurrences this far back that were never handled are logged as skipped.
SKIP_LOOKBACK = timedelta(days=7)


class SchedulerService:
    """The handle returned by ``start_scheduler``; ``shutdown()`` stops everything and frees the lease."""

    def __init__(self, runtime, heartbeat: float | None = None, poll: float = 1.0):
        self.runtime = runtime
        ttl = timedelta(seconds=runtime.config.scheduler_lease_seconds)
        self.lease = Lease(runtime.sessions, ttl, clock=runtime.clock)
        self.heartbeat = heartbeat or max(ttl.total_seconds() / 3, 0.2)
        self.poll = poll
        self.aps: BackgroundScheduler | None = None
        self._worker_stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._standing_by = False
        self._thread = threading.Thread(target=self._run, name="scheduler-lease", daemon=True)

    @property
    def is_owner(self) -> bool:
        """True while this process runs the scheduler."""
        return self.aps is not None

    def start(self) -> "SchedulerService":
        """Seed the calendar and start competing for the lease."""
        ensure_seeded(self.runtime.sessions)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                held = self.lease.acquire()
                if held and not self.is_owner:
                    self._take_over()
                elif not held and self.is_owner:
                    log.warning("scheduler lease lost to another process; stepping down")
                    self._step_down()
                elif not held and not self._standing_by:
                    log.info("another process holds the scheduler lease; standing by")
                self._standing_by = not held
            except Exception:  # noqa: BLE001 - the heartbeat is the edge: it must outlive a bad moment
                log.exception("scheduler heartbeat failed; trying again")
                if self.is_owner:
                    self._step_down()
            self._stop.wait(self.heartbeat)

    def _take_over(self) -> None:
        rt = self.runtime
        grace = timedelta(minutes=rt.config.reminder_grace_minutes)
        log.info("scheduler lease taken by %s", self.lease.owner)
        aps = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=rt.engine, tablename=JOB_TABLE)},
            timezone=SHANGHAI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(grace.total_seconds())})
        aps.add_listener(jobs.on_missed, EVENT_JOB_MISSED)
        aps.start(paused=True)
        self.aps = aps
        jobs.bind(self)
        # Catch up first: anything missed while no process held the lease goes out now, marked late.
        caught = queue_due(rt.sessions, rt.clock(), grace, lookback=SKIP_LOOKBACK)
        if caught:
            log.info("catch-up after takeover: %s missed occurrences handled", len(caught))
        jobs.sync_reminders()
        aps.add_job(jobs.sync_reminders, "interval", seconds=SYNC_SECONDS, id="sync-reminders", name="sync",
                    replace_existing=True)
        aps.resume()
        self._worker_stop = threading.Event()
        worker = OutboxWorker(rt.config, rt.sessions, rt.clock)
        self._worker = threading.Thread(target=worker.run_forever, args=(self._worker_stop, self.poll),
                                        name="outbox-worker", daemon=True)
        self._worker.start()

    def _step_down(self) -> None:
        self._worker_stop.set()
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
        jobs.bind(None)

    def shutdown(self) -> None:
        """Stop the heartbeat, the scheduler and the worker, and release the lease."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self.is_owner:
            self._step_down()
        self.lease.release()
        log.info("scheduler stopped")


def start_scheduler(services, heartbeat: float | None = None, poll: float = 1.0) -> SchedulerService:
    """Start competing for the scheduler lease in this process; needs ``.config``, ``.engine``, ``.sessions``,
    ``.clock`` (a ``bot.services.Services`` will do). Returns a handle with ``.shutdown()``."""
    return SchedulerService(services, heartbeat=heartbeat, poll=poll).start()
