"""The WeCom callback, driven through a real server by a simulator that encrypts and signs like WeCom does."""
import base64
import os
import threading
import xml.etree.ElementTree as ET

import pytest
import requests

from bot.channels.replies import WELCOME
from bot.channels.wecom_crypto import RandomBytes
from tests.sim.fixtures import aes_key, channel_bot, platform_fakes, recording, wait_for  # noqa: F401


def test_url_verification_returns_the_decrypted_echo_alone(channel_bot):
    resp = channel_bot.wecom.verify_url("echo-12345")
    assert resp.status_code == 200
    assert resp.text == "echo-12345"


def test_text_message_gets_an_encrypted_passive_reply_that_verifies(channel_bot):
    resp = channel_bot.wecom.send_text("化工优质工程投资额有什么要求", user="lisi")
    assert resp.status_code == 200
    reply = channel_bot.wecom.open_reply(resp)
    assert reply["ToUserName"] == "lisi" and reply["FromUserName"] == channel_bot.wecom.corp_id
    assert reply["MsgType"] == "text"
    assert reply["Content"].startswith("收到：化工优质工程投资额有什么要求")
    assert "《化学工业优质工程奖评选办法》第八条" in reply["Content"]
    # A private chat: the conversation is the user.
    assert channel_bot.handler.runs == [("wecom", "lisi", "lisi", "化工优质工程投资额有什么要求")]


def test_same_msgid_three_times_runs_the_handler_once_and_gets_the_same_answer(channel_bot):
    answers = []
    for _ in range(3):
        resp = channel_bot.wecom.send_text("投资额要求", msg_id="7001")
        answers.append(channel_bot.wecom.open_reply(resp)["Content"])
    assert channel_bot.handler.count() == 1
    assert answers[0] == answers[1] == answers[2]


def test_retries_arriving_while_the_first_run_is_still_busy_do_not_start_a_second_run(channel_bot):
    channel_bot.handler.gate = threading.Event()
    results = []

    def send():
        results.append(channel_bot.wecom.send_text("慢问题", msg_id="7002"))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    threading.Timer(0.5, channel_bot.handler.gate.set).start()
    for t in threads:
        t.join(10)
    assert channel_bot.handler.count() == 1
    contents = {channel_bot.wecom.open_reply(r)["Content"].split("\n")[0] for r in results}
    assert contents == {"收到：慢问题"}


def test_enter_agent_gets_a_welcome(channel_bot):
    resp = channel_bot.wecom.post(channel_bot.wecom.event_xml("enter_agent"))
    assert channel_bot.wecom.open_reply(resp)["Content"] == WELCOME
    assert channel_bot.handler.count() == 0


def test_other_events_get_an_empty_200(channel_bot):
    resp = channel_bot.wecom.post(channel_bot.wecom.event_xml("click"))
    assert resp.status_code == 200 and resp.content == b""


@pytest.mark.parametrize("kind", ["image", "voice", "file"])
def test_images_voice_and_files_get_a_polite_note(channel_bot, kind):
    resp = channel_bot.wecom.post(channel_bot.wecom.text_xml("", msg_type=kind))
    content = channel_bot.wecom.open_reply(resp)["Content"]
    assert "抱歉" in content and "文字" in content
    assert channel_bot.handler.count() == 0


def test_cdata_terminator_in_an_answer_survives_the_round_trip(channel_bot):
    resp = channel_bot.wecom.send_text("a]]>b<xml/>")
    assert channel_bot.wecom.open_reply(resp)["Content"].startswith("收到：a]]>b<xml/>")


def test_every_passive_reply_has_its_own_nonce_and_random_aes_prefix(channel_bot):
    nonces, first_blocks = set(), set()
    for i in range(120):
        resp = channel_bot.wecom.send_text(f"第{i}个问题", msg_id=str(8100 + i))
        channel_bot.wecom.open_reply(resp)  # verifies
        outer = {c.tag: c.text or "" for c in ET.fromstring(resp.content)}
        nonces.add(outer["Nonce"])
        # CBC with a fixed IV: the first cipher block is decided by the 16 random leading bytes alone.
        first_blocks.add(base64.b64decode(outer["Encrypt"])[:16])
    assert len(nonces) == 120 and len(first_blocks) == 120


def test_a_forked_worker_does_not_repeat_its_parents_random_bytes():
    pool = RandomBytes()
    pool.hex(8)  # the parent now holds a buffer of unused bytes
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next draws, then leave without running pytest's exit handlers
        os.write(write_end, "".join(pool.hex(8) for _ in range(4)).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child = os.read(read_end, 1000).decode()
    os.close(read_end)
    parent = "".join(pool.hex(8) for _ in range(4))
    assert len(child) == len(parent) == 64 and child != parent


def test_healthz_says_which_channels_are_on(channel_bot):
    body = requests.get(channel_bot.url + "/healthz", timeout=5).json()
    assert body["channels"]["wecom"]["enabled"] and body["channels"]["dingtalk"]["enabled"]


def test_an_answer_not_ready_in_time_gets_an_empty_200_and_arrives_by_app_message(channel_bot):
    channel_bot.handler.gate = threading.Event()
    resp = channel_bot.wecom.send_text("需要查很久的问题", user="wangwu", msg_id="7003")
    assert resp.status_code == 200 and resp.content == b""  # in time for WeCom's 5 s, without the answer
    channel_bot.handler.gate.set()
    fake = channel_bot.extras["wecom_api"]
    assert wait_for(lambda: fake.delivered("app"))
    sent = fake.delivered("app")
    assert len(sent) == 1
    assert sent[0].body["touser"] == "wangwu"
    assert sent[0].body["text"]["content"].startswith("收到：需要查很久的问题")
    # WeCom's retry of the same message after the push gets no second copy.
    again = channel_bot.wecom.send_text("需要查很久的问题", user="wangwu", msg_id="7003")
    assert again.status_code == 200 and again.content == b""
    assert channel_bot.handler.count() == 1 and len(fake.delivered("app")) == 1


def test_a_long_answer_is_split_at_sentences_first_part_passive_rest_by_app_message(channel_bot):
    channel_bot.handler.long_answer = True
    resp = channel_bot.wecom.send_text("详细说说", user="zhaoliu")
    first = channel_bot.wecom.open_reply(resp)["Content"]
    fake = channel_bot.extras["wecom_api"]
    # The citation closes the answer, so its arrival means every part has been pushed.
    assert wait_for(lambda: any("依据" in a.body["text"]["content"] for a in fake.delivered("app")))
    rest = [a.body["text"]["content"] for a in fake.delivered("app")]
    parts = [first, *rest]
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert all(a.errcode == 0 for a in fake.arrivals if a.kind == "app")  # none refused
    # Each part but the last ends at a sentence end; nothing is lost or reordered.
    assert all(p.endswith("。") for p in parts[:-1])
    full = "".join(parts)
    assert "第1句：" in parts[0] and "第120句：" in full and full.index("第119句") < full.index("第120句")
    assert full.count("优质工程的投资额") == 120


def test_dedup_holds_on_postgresql_too(pg_url, aes_key, clock, recording, platform_fakes):
    from tests.sim.fixtures import running_bot

    with running_bot(pg_url, aes_key, clock, recording, platform_fakes) as bot:
        recording.gate = threading.Event()
        results = []
        threads = [threading.Thread(target=lambda: results.append(bot.wecom.send_text("问", msg_id="pg-1")))
                   for _ in range(3)]
        for t in threads:
            t.start()
        threading.Timer(0.3, recording.gate.set).start()
        for t in threads:
            t.join(10)
        assert recording.count() == 1
        assert {bot.wecom.open_reply(r)["Content"].split("\n")[0] for r in results} == {"收到：问"}


def test_a_transient_failure_of_the_app_message_api_is_retried(channel_bot, monkeypatch):
    monkeypatch.setattr("bot.channels.push.RETRY_DELAYS", (0.05, 0.05))
    fake = channel_bot.extras["wecom_api"]
    fake.inject("app", -1, "system busy")
    channel_bot.handler.gate = threading.Event()
    assert channel_bot.wecom.send_text("慢", user="sunqi").content == b""
    channel_bot.handler.gate.set()
    assert wait_for(lambda: fake.delivered("app"))
    assert [a.errcode for a in fake.arrivals if a.kind == "app"] == [-1, 0]  # refused once, then delivered


def test_a_crash_below_the_handlers_still_gets_a_polite_answer(channel_bot, monkeypatch):
    def broken(msg):
        raise RuntimeError("database gone")

    monkeypatch.setattr(channel_bot.services.dispatcher, "dispatch", broken)
    resp = channel_bot.wecom.send_text("你好")
    assert resp.status_code == 200 and "抱歉" in channel_bot.wecom.open_reply(resp)["Content"]
