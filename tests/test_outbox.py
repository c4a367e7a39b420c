"""The delivery worker against fake platforms with a virtual clock: pacing, retries, tokens, exactly-once."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from scheduler.enqueue import queue_broadcast
from scheduler.models import FAILED, SENDING, SENT, OutboxRow
from scheduler.outbox import OutboxWorker
from scheduler.targets import add_target
from tests.fakes import FakeDingTalk, FakeWeCom


@pytest.fixture
def env(db_url, clock):
    """Fake WeCom and DingTalk on the test clock, a database, and a config pointing at both fakes."""
    engine = make_engine(db_url)
    sessions = init_db(engine)
    with FakeWeCom(clock=clock) as wecom, FakeDingTalk(clock=clock) as ding:
        config = Config.from_env(env={}, database_url=db_url, **wecom.config_overrides(), **ding.config_overrides())
        yield config, sessions, wecom, ding
    engine.dispose()


def _robots(sessions, wecom, ding, n_each=2):
    for i in range(n_each):
        add_target(sessions, "wecom_robot", {"key": wecom.add_robot(f"wkey-{i}")}, name=f"企业微信群{i}")
        token, secret = ding.add_robot(f"dtok-{i}", f"SEC-secret-{i}")
        add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret}, name=f"钉钉群{i}")


def _virtual_sleep(clock):
    return lambda seconds: clock.advance(seconds=seconds)


@pytest.mark.parametrize("robots, broadcasts, least_seconds", [
    (200, 1, 0),   # one broadcast to 200 group robots: all at once
    (8, 25, 60),   # 25 messages per robot: 20 now, 5 a minute later
    (4, 50, 120),  # 50 messages per robot: batches at 0, 60 and 120 seconds
])
def test_200_deliveries_through_robots_arrive_once_each_in_the_least_time_the_limits_allow(
        env, clock, robots, broadcasts, least_seconds):
    config, sessions, wecom, ding = env
    _robots(sessions, wecom, ding, n_each=robots // 2)  # half WeCom, half signed DingTalk; 20 a minute each
    for i in range(broadcasts):
        queue_broadcast(sessions, f"第{i:02d}号通知", "admin", clock())
    start = clock()
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    arrived = wecom.delivered("robot") + ding.delivered("robot")
    keys = Counter((a.query.get("key") or a.query.get("access_token"),
                    (a.body.get("markdown") or {}).get("content") or a.body["markdown"]["text"]) for a in arrived)
    assert len(keys) == robots * broadcasts == 200 and set(keys.values()) == {1}
    assert clock() - start == timedelta(seconds=least_seconds)
    assert max(a.at for a in arrived) - start == timedelta(seconds=least_seconds)
    assert not [a for a in wecom.arrivals + ding.arrivals if a.errcode in (45009, 130101)]
    # Each robot got its messages in the order they were queued.
    first_robot = [a.body["markdown"]["content"] for a in wecom.delivered("robot") if a.query["key"] == "wkey-0"]
    assert [c.rsplit("第", 1)[1] for c in first_robot] == [f"{i:02d}号通知" for i in range(broadcasts)]


def test_rate_limit_from_the_platform_queues_instead_of_failing(env, clock):
    config, sessions, wecom, ding = env
    add_target(sessions, "wecom_robot", {"key": wecom.add_robot("busy")})
    token, secret = ding.add_robot("dbusy", "SEC-busy")
    add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret})
    # Someone else already used both robots this minute.
    wecom.inject("robot", 45009, "api freq out of limit")
    ding.inject("robot", 130101, "send too fast")
    queue_broadcast(sessions, "材料提交提醒", "admin", clock())
    start = clock()
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    assert len(wecom.delivered("robot")) == 1 and len(ding.delivered("robot")) == 1
    assert wecom.delivered("robot")[0].at - start == timedelta(seconds=60)
    assert ding.delivered("robot")[0].at - start == timedelta(seconds=600)
    with sessions() as s:
        assert {r.state for r in s.scalars(select(OutboxRow))} == {SENT}


def test_transient_failures_are_retried_with_backoff_and_sent_once(env, clock):
    config, sessions, wecom, ding = env
    token, secret = ding.add_robot("dflaky", "SEC-flaky")
    add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret})
    ding.inject("robot", 0, status=502, times=2)
    queue_broadcast(sessions, "重试测试", "admin", clock())
    start = clock()
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    attempts = [a.at - start for a in ding.arrivals if a.kind == "robot"]
    assert attempts == [timedelta(0), timedelta(seconds=30), timedelta(seconds=90)]
    assert len(ding.delivered("robot")) == 1


def test_expired_tokens_are_refreshed_mid_run(env, clock):
    config, sessions, wecom, ding = env
    for i in range(3):
        add_target(sessions, "wecom_app", {"touser": [f"user{i}"]})
        add_target(sessions, "dingtalk_notice", {"userids": [f"duser{i}"]})
    queue_broadcast(sessions, "第一条", "admin", clock())
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    wecom.expire_tokens()
    ding.expire_tokens()
    queue_broadcast(sessions, "第二条", "admin", clock())
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    assert len(wecom.delivered("app")) == 6 and len(ding.delivered("work_notice")) == 6
    assert wecom.tokens_issued == 2 and ding.tokens_issued == 2


def test_permanent_failure_is_recorded_not_retried(env, clock):
    config, sessions, wecom, ding = env
    add_target(sessions, "wecom_robot", {"key": "key-the-platform-does-not-know"})
    add_target(sessions, "wecom_robot", {"key": wecom.add_robot("good")})
    queue_broadcast(sessions, "通知", "admin", clock())
    stats = OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    assert (stats.sent, stats.failed) == (1, 1)
    with sessions() as s:
        bad = s.scalar(select(OutboxRow).where(OutboxRow.state == FAILED))
    assert "93000" in bad.last_error and bad.attempts == 1
    assert len([a for a in wecom.arrivals if a.kind == "robot"]) == 2


def test_a_claimed_row_is_not_sent_by_another_worker_until_its_claim_expires(env, clock):
    config, sessions, wecom, ding = env
    add_target(sessions, "wecom_robot", {"key": wecom.add_robot("k")})
    queue_broadcast(sessions, "只发一次", "admin", clock())
    with sessions.begin() as s:  # a worker claimed it and then died before recording the outcome
        row = s.scalar(select(OutboxRow))
        row.state, row.claimed_until = SENDING, clock() + timedelta(seconds=config.outbox_claim_seconds)
    worker = OutboxWorker(config, sessions, clock)
    assert worker.run_once() == 0 and wecom.delivered() == []
    worker.run_until_idle(sleep=_virtual_sleep(clock))
    assert len(wecom.delivered("robot")) == 1
    worker.run_until_idle(sleep=_virtual_sleep(clock))
    assert len(wecom.delivered("robot")) == 1


def test_rows_for_a_removed_target_are_skipped_not_sent(env, clock):
    from scheduler.models import SKIPPED
    from scheduler.targets import remove_target

    config, sessions, wecom, ding = env
    gone, _ = add_target(sessions, "wecom_robot", {"key": wecom.add_robot("gone")})
    add_target(sessions, "wecom_robot", {"key": wecom.add_robot("stays")})
    queue_broadcast(sessions, "通知", "admin", clock())
    remove_target(sessions, gone.id)
    OutboxWorker(config, sessions, clock).run_until_idle(sleep=_virtual_sleep(clock))
    assert [a.query["key"] for a in wecom.delivered("robot")] == ["stays"]
    with sessions() as s:
        assert s.scalar(select(OutboxRow).where(OutboxRow.target_id == gone.id)).state == SKIPPED
