"""Several real ``python -m bot reminders run`` processes on one database (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.db import make_engine
from bot.schema import init_db
from scheduler.admin import add_reminder
from scheduler.models import SENT, OutboxRow, Reminder, SchedulerLease
from scheduler.seed import ensure_seeded
from scheduler.targets import add_target
from tests.fakes import FakeDingTalk, FakeWeCom

ROOT = Path(__file__).resolve().parent.parent


def spawn(db_url: str, fakes, log_path: Path, **extra) -> subprocess.Popen:
    """Start ``python -m bot reminders run`` against the fakes with short lease and claim timeouts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECOM_", "DINGTALK_"))}
    for fake in fakes:
        env.update(fake.env())
    env.update({"DATABASE_URL": db_url, "SCHEDULER_LEASE_SECONDS": "2", "OUTBOX_CLAIM_SECONDS": "2",
                "REMINDER_GRACE_MINUTES": "60", "PYTHONPATH": str(ROOT), **extra})
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot", "reminders", "run", "--poll", "0.1"], cwd=ROOT, env=env,
                                stdout=log, stderr=log)


def wait_for(predicate, timeout: float) -> bool:
    """Poll until the predicate holds or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def stop(procs) -> None:
    """SIGTERM, then SIGKILL whatever is left."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def quiet_seeds(sessions) -> None:
    """Seed the calendar and switch it off, so the test does not depend on today's date."""
    ensure_seeded(sessions)
    with sessions() as s:
        for rem in s.scalars(select(Reminder)):
            rem.active = False
        s.commit()


def _all_sent(sessions, n: int) -> bool:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.state == SENT)) >= n


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, db_url):
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_two_scheduler_processes_send_each_occurrence_once_and_take_over(any_db_url, tmp_path):
    engine = make_engine(any_db_url)
    sessions = init_db(engine)
    quiet_seeds(sessions)
    log_path = tmp_path / "procs.log"
    with FakeWeCom() as wecom, FakeDingTalk() as ding:
        add_target(sessions, "wecom_robot", {"key": wecom.add_robot("group-1")})
        token, secret = ding.add_robot("ding-group-1", "SEC-procs")
        add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret})
        add_target(sessions, "wecom_app", {"touser": ["zhangsan"]})
        now = datetime.now(timezone.utc)
        for i, delay in enumerate((3, 4)):
            add_reminder(sessions, now + timedelta(seconds=delay), f"提醒{i}", "test", now)
        procs = [spawn(any_db_url, (wecom, ding), log_path) for _ in range(2)]
        try:
            assert wait_for(lambda: len(wecom.delivered()) + len(ding.delivered()) >= 6, 30), log_path.read_text()
            # Kill only once every send is recorded: a message in flight may repeat (see test_outbox_crash).
            assert wait_for(lambda: _all_sent(sessions, 6), 10)
            with sessions() as s:
                owner = s.scalar(select(SchedulerLease.owner))
            owner_pid = int(owner.split(":")[1])
            assert owner_pid in {p.pid for p in procs}
            os.kill(owner_pid, signal.SIGKILL)
            now = datetime.now(timezone.utc)
            add_reminder(sessions, now + timedelta(seconds=1), "提醒2", "test", now)
            assert wait_for(lambda: len(wecom.delivered()) + len(ding.delivered()) >= 9, 30), log_path.read_text()
            time.sleep(1.5)  # room for any duplicate to show up
            with sessions() as s:
                new_owner = s.scalar(select(SchedulerLease.owner))
            assert int(new_owner.split(":")[1]) != owner_pid
        finally:
            stop(procs)
            engine.dispose()
    sent = Counter()
    for a in wecom.delivered() + ding.delivered():
        text = a.body["markdown"].get("content") or a.body["markdown"]["text"]
        sent[(a.kind, a.query.get("key") or a.query.get("access_token"), text.split("\n\n")[1])] += 1
    assert len(sent) == 9 and set(sent.values()) == {1}, sent
    assert log_path.read_text().count("scheduler lease taken by") == 2
