"""Several workers racing over one outbox (SQLite and PostgreSQL): the claim lets exactly one send each row."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from scheduler.enqueue import queue_broadcast
from scheduler.models import SENT, OutboxRow
from scheduler.outbox import OutboxWorker
from scheduler.targets import add_target
from tests.fakes import FakeDingTalk, FakeWeCom


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, db_url):
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_racing_workers_send_each_row_exactly_once(any_db_url, clock):
    engine = make_engine(any_db_url)
    sessions = init_db(engine)
    with FakeWeCom(clock=clock) as wecom, FakeDingTalk(clock=clock) as ding:
        for i in range(30):
            add_target(sessions, "wecom_app", {"touser": [f"wx{i}"]})
            add_target(sessions, "dingtalk_notice", {"userids": [f"dt{i}"]})
        queue_broadcast(sessions, "请于5月30日前提交推荐材料", "admin", clock())
        config = Config.from_env(env={}, database_url=any_db_url, **wecom.config_overrides(),
                                 **ding.config_overrides())
        workers = [OutboxWorker(config, sessions, clock, batch=10) for _ in range(4)]
        threads = [threading.Thread(target=w.run_until_idle, kwargs={"max_wait": 0}) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        received = Counter([a.body["touser"] for a in wecom.delivered("app")]
                           + [a.body["userid_list"] for a in ding.delivered("work_notice")])
    assert len(received) == 60 and set(received.values()) == {1}
    assert sum(w.stats.sent for w in workers) == 60
    assert sum(1 for w in workers if w.stats.sent) > 1  # they really did share the work
    with sessions() as s:
        assert {r.state for r in s.scalars(select(OutboxRow))} == {SENT}
    engine.dispose()
