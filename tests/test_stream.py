"""DingTalk Stream mode against a local fake gateway (HTTP open + websocket), replies to a sessionWebhook fake."""
import pytest

from tests.sim.dingtalk import DingTalkSimulator
from tests.sim.fixtures import APP_SECRET, aes_key, channel_config, platform_fakes, recording, wait_for  # noqa: F401
from tests.sim.stream_gateway import FakeStreamGateway


@pytest.fixture
def stream_bot(db_url, aes_key, clock, recording, platform_fakes):
    from bot.channels.dingtalk_stream import StreamRunner
    from bot.services import build_services

    _, ding_api = platform_fakes
    with FakeStreamGateway("ding-key", APP_SECRET) as gateway:
        config = channel_config(db_url, aes_key, dingtalk_api_base=ding_api.url, dingtalk_openapi_base=gateway.url)
        services = build_services(config, clock=clock, kb=object())
        runner = StreamRunner(services).start()
        assert gateway.wait_connected(), "the client never opened the websocket"
        sim = DingTalkSimulator("", APP_SECRET, webhook_base=ding_api.url, now=lambda: clock().timestamp())
        yield gateway, ding_api, sim, recording
        runner.stop()
        services.engine.dispose()


def test_client_opens_with_our_credentials_and_subscribes_to_robot_messages(stream_bot):
    gateway, *_ = stream_bot
    opened = gateway.opens[0]
    assert opened["clientId"] == "ding-key"
    assert {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"} in opened["subscriptions"]


def test_a_pushed_message_is_acked_and_answered_through_the_session_webhook(stream_bot):
    gateway, ding_api, sim, handler = stream_bot
    frame = gateway.push_chatbot(sim.payload("化工优质工程投资额有什么要求", user="staff21", group="cid-g", at=True))
    ack = gateway.ack_for(frame)
    assert ack is not None and ack["code"] == 200
    assert wait_for(lambda: ding_api.delivered("session"))
    posted = ding_api.delivered("session")[0].body
    assert posted["markdown"]["text"].startswith("收到：化工优质工程投资额有什么要求")
    assert handler.runs == [("dingtalk", "cid-g", "staff21", "化工优质工程投资额有什么要求")]


def test_a_redelivered_message_runs_once_and_is_answered_once(stream_bot):
    gateway, ding_api, sim, handler = stream_bot
    payload = sim.payload("重复投递", msg_id="stream-dup")
    frames = [gateway.push_chatbot(payload) for _ in range(3)]
    assert all(gateway.ack_for(f)["code"] == 200 for f in frames)
    assert wait_for(lambda: ding_api.delivered("session"))
    assert not wait_for(lambda: len(ding_api.delivered("session")) > 1, timeout=0.5)
    assert handler.count() == 1


def test_group_chatter_without_a_mention_is_acked_and_ignored(stream_bot):
    gateway, ding_api, sim, handler = stream_bot
    frame = gateway.push_chatbot(sim.payload("大家好", group="cid-g", at=False))
    assert gateway.ack_for(frame)["code"] == 200
    assert handler.count() == 0 and ding_api.delivered("session") == []


def test_a_malformed_message_gets_a_bad_request_ack_not_a_crash(stream_bot):
    gateway, ding_api, sim, handler = stream_bot
    frame = gateway.push_chatbot({"msgtype": "hologram"})
    assert gateway.ack_for(frame)["code"] == 400
    # The connection still works afterwards.
    ok = gateway.push_chatbot(sim.payload("还在吗"))
    assert gateway.ack_for(ok)["code"] == 200


def test_the_gateway_ping_is_answered(stream_bot):
    gateway, *_ = stream_bot
    ping = gateway.push_ping()
    ack = gateway.ack_for(ping)
    assert ack is not None and ack["code"] == 200


def test_stream_command_refuses_to_start_without_credentials(tmp_path, capsys, monkeypatch):
    from bot.cli import main

    for name in ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    assert main(["stream"]) == 2
    assert "DINGTALK_APP_KEY" in capsys.readouterr().out


def test_connection_tickets_and_secrets_stay_out_of_the_log(db_url, aes_key, clock, recording, platform_fakes, caplog):
    import logging

    from bot.channels.dingtalk_stream import StreamRunner
    from bot.cli import quiet_http_debug
    from bot.services import build_services

    caplog.set_level(logging.DEBUG)
    levels = {name: logging.getLogger(name).level for name in ("urllib3", "websockets")}
    quiet_http_debug()  # as the stream command does
    _, ding_api = platform_fakes
    with FakeStreamGateway("ding-key", APP_SECRET) as gateway:
        config = channel_config(db_url, aes_key, dingtalk_api_base=ding_api.url, dingtalk_openapi_base=gateway.url)
        services = build_services(config, clock=clock, kb=object())
        runner = StreamRunner(services).start()
        try:
            assert gateway.wait_connected()
            sim = DingTalkSimulator("", APP_SECRET, webhook_base=ding_api.url, now=lambda: clock().timestamp())
            assert gateway.ack_for(gateway.push_chatbot(sim.payload("你好")))["code"] == 200
        finally:
            runner.stop()
            services.engine.dispose()
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
    # websockets.server is the fake gateway, i.e. the platform's side.
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server")]
    assert any("open connection" in line for line in lines)  # the SDK did log its connection steps
    for line in lines:
        assert APP_SECRET not in line
        assert not any(ticket in line for ticket in gateway.tickets)
