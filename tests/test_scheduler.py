"""Calendar seeding, due occurrences, missed reminders and the lease, with a frozen clock and with APScheduler."""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from bot.core.clock import SHANGHAI, FrozenClock
from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from scheduler.admin import add_reminder, cancel_reminder
from scheduler.enqueue import find_due, queue_due
from scheduler.lease import Lease
from scheduler.models import Reminder, ReminderRun
from scheduler.outbox import OutboxWorker
from scheduler.runtime import Runtime
from scheduler.seed import CORPUS, SEEDS, ensure_seeded
from scheduler.service import start_scheduler
from scheduler.targets import add_target
from tests.fakes import FakeWeCom

GRACE = timedelta(hours=6)


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield init_db(engine)
    engine.dispose()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_calendar_is_seeded_once_from_the_notice_with_its_sources(sessions):
    assert ensure_seeded(sessions) == len(SEEDS) == 7
    assert ensure_seeded(sessions) == 0
    doc = re.sub(r"\s+", "", (CORPUS / "cacem-trusted-team-2024.txt").read_text(encoding="utf-8"))
    with sessions() as s:
        rows = list(s.scalars(select(Reminder).order_by(Reminder.first_at)))
    local = [(r.first_at.astimezone(SHANGHAI).month, r.first_at.astimezone(SHANGHAI).day) for r in rows]
    # Opening day, 7/3/1 days before 5月30日, the deadline itself, the review months, the presentations.
    assert local == [(5, 1), (5, 23), (5, 27), (5, 29), (5, 30), (6, 1), (9, 1)]
    assert all(r.yearly and "中施企协字〔2024〕11号" in r.source and "cacem-trusted-team-2024.txt" in r.source
               for r in rows)
    assert [r.source.split(" ")[1].split("（cacem")[0] for r in rows][:2] == ["二、活动安排（一）", "四、其他要求（三）"]
    assert all(re.sub(r"\s+", "", e.excerpt) in doc for e in SEEDS)
    # A seeded entry the secretariat cancelled stays cancelled.
    cancel_reminder(sessions, rows[0].id)
    assert ensure_seeded(sessions) == 0


def test_yearly_entries_fall_due_every_year_until_cancelled(sessions):
    ensure_seeded(sessions)
    due = find_due(sessions, _at("2026-05-27T09:00"), GRACE)
    assert [(d.occurrence_at, d.late) for d in due] == [(_at("2026-05-27T09:00"), False)]
    assert "还有 3 天" in due[0].text
    assert find_due(sessions, _at("2026-05-27T08:59"), GRACE) == []


def test_due_occurrences_are_queued_once(sessions):
    ensure_seeded(sessions)
    add_target(sessions, "wecom_robot", {"key": "k"})
    at = _at("2025-05-23T09:00")
    first = queue_due(sessions, at, GRACE)
    assert [(d.status, d.deliveries) for d in first] == [("queued", 1)]
    assert queue_due(sessions, at, GRACE) == [] and queue_due(sessions, at + timedelta(minutes=1), GRACE) == []


@pytest.fixture
def wecom_env(sessions, db_url, clock):
    with FakeWeCom(clock=clock) as wecom:
        add_target(sessions, "wecom_robot", {"key": wecom.add_robot("group")})
        yield Config.from_env(env={}, database_url=db_url, **wecom.config_overrides()), wecom


def _deliver(config, sessions, clock):
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=lambda s: clock.advance(seconds=s))


def test_missed_reminder_within_grace_is_sent_once_marked_late(sessions, wecom_env):
    config, wecom = wecom_env
    ensure_seeded(sessions)
    back = FrozenClock(_at("2025-05-30T09:40"))  # the server was down from before 09:00 until 09:40
    (due,) = queue_due(sessions, back(), GRACE)
    assert due.status == "late"
    _deliver(config, sessions, back)
    queue_due(sessions, back(), GRACE)
    back.advance(minutes=5)
    queue_due(sessions, back(), GRACE)
    _deliver(config, sessions, back)
    (arrival,) = wecom.delivered("robot")
    assert "（补发）" in arrival.body["markdown"]["content"] and "截止日" in arrival.body["markdown"]["content"]


def test_on_time_reminder_is_not_marked_late(sessions, wecom_env):
    config, wecom = wecom_env
    ensure_seeded(sessions)
    at = FrozenClock(_at("2025-05-30T09:00"))
    queue_due(sessions, at(), GRACE)
    _deliver(config, sessions, at)
    (arrival,) = wecom.delivered("robot")
    assert "补发" not in arrival.body["markdown"]["content"]


def test_missed_reminder_outside_grace_is_skipped_and_logged(sessions, wecom_env, caplog):
    config, wecom = wecom_env
    ensure_seeded(sessions)
    caplog.set_level(logging.WARNING, logger="scheduler")
    back = FrozenClock(_at("2025-05-30T15:30"))  # 6.5 hours late with a 6-hour grace
    due = queue_due(sessions, back(), GRACE, lookback=timedelta(days=7))
    assert [(d.occurrence_at, d.status) for d in due] == [(_at("2025-05-27T09:00"), "skipped"),
                                                          (_at("2025-05-29T09:00"), "skipped"),
                                                          (_at("2025-05-30T09:00"), "skipped")]
    _deliver(config, sessions, back)
    assert wecom.delivered() == []
    assert "missed by 6:30:00" in caplog.text and "skipped" in caplog.text


def test_lease_is_held_by_one_process_and_taken_over_when_it_lapses(sessions):
    clock = FrozenClock(_at("2025-05-20T10:00"))
    a = Lease(sessions, timedelta(seconds=30), clock, owner="a")
    b = Lease(sessions, timedelta(seconds=30), clock, owner="b")
    assert a.acquire() and not b.acquire()
    clock.advance(seconds=20)
    assert a.acquire() and not b.acquire()  # renewed by the heartbeat
    clock.advance(seconds=31)  # a died: no renewal
    assert b.acquire() and not a.acquire()
    b.release()
    assert a.acquire()


def test_scheduler_service_fires_on_time_catches_up_late_and_skips_stale(sessions, db_url):
    """Real APScheduler with its SQLAlchemy job store, on the real clock."""
    now = datetime.now(timezone.utc)
    ensure_seeded(sessions)
    with sessions() as s:  # keep the seeded calendar out of the way whatever today's date is
        for rem in s.scalars(select(Reminder)):
            rem.active = False
        s.commit()
    with FakeWeCom() as wecom:
        add_target(sessions, "wecom_robot", {"key": wecom.add_robot("g")})
        on_time = add_reminder(sessions, now + timedelta(seconds=2), "准时提醒", "test", now)
        with sessions() as s:  # entries whose time passed while no scheduler ran
            late = Reminder(text="迟到的提醒", first_at=now - timedelta(minutes=20), created_by="test")
            stale = Reminder(text="过期的提醒", first_at=now - timedelta(hours=3), created_by="test")
            s.add_all([late, stale])
            s.commit()
        config = Config.from_env(env={}, database_url=db_url, reminder_grace_minutes=60,
                                 scheduler_lease_seconds=2, **wecom.config_overrides())
        engine = make_engine(db_url)
        handle = start_scheduler(Runtime(config, engine, init_db(engine)), poll=0.1)
        try:
            deadline = time.monotonic() + 15
            while len(wecom.delivered()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            assert handle.is_owner
            assert "apscheduler_jobs" in inspect(engine).get_table_names()
        finally:
            handle.shutdown()
            engine.dispose()
    contents = sorted(a.body["markdown"]["content"] for a in wecom.delivered())
    assert len(contents) == 2
    assert any("准时提醒" in c and "补发" not in c for c in contents)
    assert any("迟到的提醒" in c and "（补发）" in c for c in contents)
    with sessions() as s:
        runs = {r.reminder_id: r.status for r in s.scalars(select(ReminderRun))}
    assert runs == {on_time.id: "queued", late.id: "late", stale.id: "skipped"}
