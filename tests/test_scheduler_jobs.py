"""APScheduler glue: the job store mirrors the reminder table; missed runs beyond grace are recorded as skipped."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from bot.core.clock import SHANGHAI, FrozenClock
from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from scheduler import jobs
from scheduler.admin import add_reminder, cancel_reminder
from scheduler.models import ReminderRun
from scheduler.runtime import Runtime
from scheduler.seed import ensure_seeded


@pytest.fixture
def bound(db_url):
    """A paused APScheduler on the test database, bound as this process's scheduler service."""
    engine = make_engine(db_url)
    sessions = init_db(engine)
    clock = FrozenClock(datetime(2025, 5, 20, 10, 0, tzinfo=SHANGHAI))
    runtime = Runtime(Config.from_env(env={}, database_url=db_url, reminder_grace_minutes=60), engine, sessions, clock)
    aps = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone=SHANGHAI)
    aps.start(paused=True)
    jobs.bind(SimpleNamespace(runtime=runtime, aps=aps))
    yield runtime, aps
    jobs.bind(None)
    aps.shutdown(wait=False)
    engine.dispose()


def test_job_store_mirrors_the_calendar(bound):
    runtime, aps = bound
    ensure_seeded(runtime.sessions)
    assert jobs.sync_reminders() == 7
    assert jobs.sync_reminders() == 0  # nothing changed, nothing replaced
    seven_days = next(j for j in aps.get_jobs() if j.id == "reminder:2")
    # Real time decides the next run; it is always 23 May 09:00 in Shanghai.
    nxt = seven_days.next_run_time.astimezone(SHANGHAI)
    assert (nxt.month, nxt.day, nxt.hour, nxt.minute) == (5, 23, 9, 0)
    now = datetime.now(timezone.utc)
    one_off = add_reminder(runtime.sessions, now + timedelta(days=3), "临时提醒", "test", now)
    cancel_reminder(runtime.sessions, 2)
    assert jobs.sync_reminders() == 1
    ids = {j.id for j in aps.get_jobs()}
    assert f"reminder:{one_off.id}" in ids and "reminder:2" not in ids


def test_a_run_missed_beyond_grace_is_recorded_as_skipped_and_logged(bound, caplog):
    runtime, _ = bound
    caplog.set_level(logging.WARNING, logger="scheduler")
    now = runtime.clock()
    rem = add_reminder(runtime.sessions, now + timedelta(hours=1), "会被错过的提醒", "test", now)
    runtime.clock.advance(hours=3)  # the process was down; APScheduler reports the run as missed
    jobs.on_missed(JobExecutionEvent(EVENT_JOB_MISSED, f"reminder:{rem.id}", "default", now + timedelta(hours=1)))
    jobs.on_missed(JobExecutionEvent(EVENT_JOB_MISSED, f"reminder:{rem.id}", "default", now + timedelta(hours=1)))
    with runtime.sessions() as s:
        runs = [(r.reminder_id, r.status) for r in s.scalars(select(ReminderRun))]
    assert runs == [(rem.id, "skipped")]
    assert caplog.text.count("missed by 2:00:00") == 1
