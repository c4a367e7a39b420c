"""Platform API clients against the fake WeCom and DingTalk servers."""
from __future__ import annotations

import logging
import socket

import pytest

from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from bot.outbound.dingtalk import DingTalkApi
from bot.outbound.errors import InvalidMessage, RateLimited, SendFailed, Unreachable
from bot.outbound.wecom import WeComApi
from tests.fakes import FakeDingTalk, FakeWeCom


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield init_db(engine)
    engine.dispose()


@pytest.fixture
def wecom(clock):
    with FakeWeCom(clock=clock) as fake:
        yield fake


@pytest.fixture
def ding(clock):
    with FakeDingTalk(clock=clock) as fake:
        yield fake


def _wecom_api(fake, sessions, clock, db_url):
    return WeComApi(Config.from_env(env={}, database_url=db_url, **fake.config_overrides()), sessions, clock=clock)


def _ding_api(fake, sessions, clock, db_url):
    return DingTalkApi(Config.from_env(env={}, database_url=db_url, **fake.config_overrides()), sessions, clock=clock)


def test_wecom_app_message_arrives_and_token_is_shared_through_the_database(wecom, sessions, clock, db_url):
    api = _wecom_api(wecom, sessions, clock, db_url)
    api.send_app_message(touser=["zhangsan", "lisi"], content="班组推荐材料5月30日截止")
    # A second worker (a new client on the same database) reuses the stored token.
    _wecom_api(wecom, sessions, clock, db_url).send_app_message(toparty=["2"], msgtype="markdown", content="**提醒**")
    sent = wecom.delivered("app")
    assert [a.body["touser"] if "touser" in a.body else a.body["toparty"] for a in sent] == ["zhangsan|lisi", "2"]
    assert sent[0].body["agentid"] == 1000002 and sent[0].body["text"]["content"] == "班组推荐材料5月30日截止"
    assert wecom.tokens_issued == 1


def test_wecom_token_refreshed_on_expiry_and_on_early_revocation(wecom, sessions, clock, db_url):
    api = _wecom_api(wecom, sessions, clock, db_url)
    api.send_app_message(touser="@all", content="一")
    clock.advance(hours=2)
    api.send_app_message(touser="@all", content="二")
    assert wecom.tokens_issued == 2
    wecom.expire_tokens()
    api.send_app_message(touser="@all", content="三")
    assert wecom.tokens_issued == 3
    codes = [a.errcode for a in wecom.arrivals if a.kind == "app"]
    assert codes == [0, 0, 42001, 0]
    assert [a.body["text"]["content"] for a in wecom.delivered("app")] == ["一", "二", "三"]


def test_wecom_robot_limit_raises_rate_limited_then_recovers(wecom, sessions, clock, db_url):
    api = _wecom_api(wecom, sessions, clock, db_url)
    key = wecom.add_robot("robot-key-1")
    for i in range(20):
        api.send_robot(key, "markdown", f"第{i}条")
    with pytest.raises(RateLimited) as info:
        api.send_robot(key, "text", "第21条")
    assert info.value.errcode == 45009 and info.value.retry_after == 60
    clock.advance(seconds=60)
    api.send_robot(key, "text", "第21条")
    assert len(wecom.delivered("robot")) == 21


def test_wecom_unknown_robot_and_bad_content_fail_clearly(wecom, sessions, clock, db_url):
    api = _wecom_api(wecom, sessions, clock, db_url)
    with pytest.raises(SendFailed) as info:
        api.send_robot("no-such-key", "text", "你好")
    assert info.value.errcode == 93000 and not info.value.retryable
    with pytest.raises(InvalidMessage):
        api.send_robot("k", "text", "长" * 1000)  # 3000 bytes > 2048
    with pytest.raises(InvalidMessage):
        api.send_app_message(content="没有收件人")


def test_dingtalk_signed_robot_is_accepted_and_a_wrong_secret_is_refused(ding, sessions, clock, db_url):
    api = _ding_api(ding, sessions, clock, db_url)
    token, secret = ding.add_robot("ding-robot-1", "SEC-abc+/=")
    api.send_robot(token, secret, "markdown", "### 截止提醒\n5月30日截止", title="截止提醒")
    with pytest.raises(SendFailed) as info:
        api.send_robot(token, "SEC-wrong", "text", "伪造")
    assert info.value.errcode == 310000
    (arrival,) = ding.delivered("robot")
    assert arrival.body["markdown"]["title"] == "截止提醒"
    assert arrival.query["timestamp"] == str(int(clock().timestamp() * 1000))


def test_dingtalk_robot_refuses_a_stale_timestamp(ding, sessions, clock, db_url):
    from bot.core.clock import FrozenClock
    from datetime import timedelta

    token, secret = ding.add_robot("ding-robot-2", "SEC-xyz")
    late = FrozenClock(clock() - timedelta(hours=2))
    with pytest.raises(SendFailed) as info:
        _ding_api(ding, sessions, late, db_url).send_robot(token, secret, "text", "旧签名")
    assert info.value.errcode == 310000 and ding.delivered("robot") == []


def test_dingtalk_robot_limit_throttles_for_ten_minutes(ding, sessions, clock, db_url):
    api = _ding_api(ding, sessions, clock, db_url)
    token, secret = ding.add_robot("ding-robot-3", "SEC-3")
    for i in range(20):
        api.send_robot(token, secret, "text", f"第{i}条")
    with pytest.raises(RateLimited) as info:
        api.send_robot(token, secret, "text", "第21条")
    assert info.value.errcode == 130101 and info.value.retry_after == 600
    clock.advance(seconds=61)
    with pytest.raises(RateLimited):
        api.send_robot(token, secret, "text", "仍在限流")
    clock.advance(minutes=10)
    api.send_robot(token, secret, "text", "恢复")
    assert len(ding.delivered("robot")) == 21


def test_dingtalk_work_notice_fetches_token_and_refreshes_it(ding, sessions, clock, db_url):
    api = _ding_api(ding, sessions, clock, db_url)
    api.send_work_notice(["user1", "user2"], "text", "请提交推荐材料")
    ding.expire_tokens()
    api.send_work_notice("user3", "markdown", "## 提醒\n明天截止")
    sent = ding.delivered("work_notice")
    assert [a.body["userid_list"] for a in sent] == ["user1,user2", "user3"]
    assert sent[0].body["agent_id"] == 2000001 and sent[1].body["msg"]["markdown"]["title"] == "提醒"
    assert ding.tokens_issued == 2
    assert [a.errcode for a in ding.arrivals if a.kind == "work_notice"] == [0, 42001, 0]


def test_dingtalk_session_webhook_only_on_the_api_host(ding, sessions, clock, db_url):
    api = _ding_api(ding, sessions, clock, db_url)
    api.post_session_webhook(f"{ding.url}/robot/sendBySession?session=abc",
                             {"msgtype": "text", "text": {"content": "好"}})
    with pytest.raises(InvalidMessage):
        api.post_session_webhook("http://127.0.0.2:9/robot/sendBySession?session=x", {"msgtype": "text"})
    assert len(ding.delivered("session")) == 1


def test_injected_failures_are_typed(wecom, sessions, clock, db_url):
    api = _wecom_api(wecom, sessions, clock, db_url)
    key = wecom.add_robot("k2")
    wecom.inject("robot", -1, "system busy")
    with pytest.raises(SendFailed) as info:
        api.send_robot(key, "text", "一")
    assert info.value.retryable
    wecom.inject("robot", 0, status=502)
    with pytest.raises(Unreachable):
        api.send_robot(key, "text", "二")
    api.send_robot(key, "text", "三")
    assert [a.body["text"]["content"] for a in wecom.delivered("robot")] == ["三"]


def test_secrets_and_tokens_never_reach_logs_or_error_texts(wecom, ding, sessions, clock, db_url, caplog):
    caplog.set_level(logging.DEBUG)
    wapi = _wecom_api(wecom, sessions, clock, db_url)
    dapi = _ding_api(ding, sessions, clock, db_url)
    key = wecom.add_robot("robot-secret-key-XYZ")
    token, secret = ding.add_robot("ding-token-SECRET", "SEC-signing-secret")
    wapi.send_app_message(touser="u", content="a")
    wapi.send_robot(key, "text", "b")
    dapi.send_robot(token, secret, "text", "c")
    dapi.send_work_notice(["u"], "text", "d")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with pytest.raises(Unreachable) as info:
        dead_api = WeComApi(Config.from_env(env={}, wecom_api_base=f"http://127.0.0.1:{dead}"), sessions)
        dead_api.send_robot(key, "text", "e")
    issued = [a.response.get("access_token") or a.response.get("accessToken") for a in wecom.arrivals + ding.arrivals
              if a.kind == "token"]
    # urllib3 itself logs full URLs at DEBUG; the entry point keeps it at INFO. Our own modules must never do so.
    texts = "".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.")) + str(info.value)
    for secret_text in [key, token, secret, "corp-secret", "ding-secret", *issued]:
        assert secret_text not in texts
