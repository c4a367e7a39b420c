"""Killing the sending process (SIGKILL) in the middle of a 200-target broadcast loses nothing and repeats nothing
but at most the one message that was in flight."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

from sqlalchemy import select

from bot.core.db import make_engine
from bot.schema import init_db
from scheduler.enqueue import queue_broadcast
from scheduler.models import SENT, OutboxRow
from scheduler.targets import add_target
from tests.fakes import FakeDingTalk, FakeWeCom
from tests.test_scheduler_processes import quiet_seeds, spawn, stop, wait_for


# A quick takeover: the lease lapses after 1 s, an unfinished claim after 1 s.
FAST = {"SCHEDULER_LEASE_SECONDS": "1", "OUTBOX_CLAIM_SECONDS": "1"}


def _recipients(wecom, ding) -> Counter:
    return Counter([a.body["touser"] for a in wecom.delivered("app")]
                   + [a.body["userid_list"] for a in ding.delivered("work_notice")]
                   + [a.query["key"] for a in wecom.delivered("robot")]
                   + [a.query["access_token"] for a in ding.delivered("robot")])


def test_sigkill_mid_broadcast_then_restart_delivers_each_message_once(db_url, tmp_path, clock):
    engine = make_engine(db_url)
    sessions = init_db(engine)
    quiet_seeds(sessions)
    log_path = tmp_path / "worker.log"
    with FakeWeCom() as wecom, FakeDingTalk() as ding:
        wecom.delay = ding.delay = 0.005  # slow enough that the kill lands mid-broadcast
        for i in range(5):  # 10 group robots (signed ones on DingTalk), 190 members
            add_target(sessions, "wecom_robot", {"key": wecom.add_robot(f"group-{i}")})
            token, secret = ding.add_robot(f"ding-group-{i}", f"SEC-crash-{i}")
            add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret})
        for i in range(95):
            add_target(sessions, "wecom_app", {"touser": [f"wx{i:03d}"]})
            add_target(sessions, "dingtalk_notice", {"userids": [f"dt{i:03d}"]})
        _, queued = queue_broadcast(sessions, "请各推荐单位于5月30日前提交推荐材料", "admin", clock())
        assert queued == 200
        first = spawn(db_url, (wecom, ding), log_path, **FAST)
        try:
            assert wait_for(lambda: sum(_recipients(wecom, ding).values()) >= 60, 30), log_path.read_text()
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            at_kill = sum(_recipients(wecom, ding).values())
            assert at_kill < 200
            second = spawn(db_url, (wecom, ding), log_path, **FAST)
            try:
                assert wait_for(lambda: len(_recipients(wecom, ding)) == 200, 40), log_path.read_text()
                time.sleep(1.5)  # past the claim timeout: a re-sent in-flight row would show up now
            finally:
                stop([second])
        finally:
            stop([first])
    counts = _recipients(wecom, ding)
    assert len(counts) == 200
    assert sum(counts.values()) - 200 <= 1, [r for r, n in counts.items() if n > 1]
    with sessions() as s:
        assert {r.state for r in s.scalars(select(OutboxRow))} == {SENT}
    engine.dispose()
