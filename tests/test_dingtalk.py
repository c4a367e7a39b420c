"""The DingTalk robot callback (HTTP mode), driven through a real server by a simulator that signs like DingTalk."""
import threading

from tests.sim.fixtures import aes_key, channel_bot, platform_fakes, recording, wait_for  # noqa: F401


def test_private_message_is_answered_in_the_response_as_markdown_with_its_source(channel_bot):
    resp = channel_bot.ding.send_text("化工优质工程投资额有什么要求", user="staff07")
    assert resp.status_code == 200
    body = resp.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["text"].startswith("收到：化工优质工程投资额有什么要求")
    assert "《化学工业优质工程奖评选办法》第八条" in body["markdown"]["text"]
    assert channel_bot.handler.runs == [("dingtalk", "staff07", "staff07", "化工优质工程投资额有什么要求")]
    assert "at" not in body  # nobody to point at in a private chat


def test_group_message_answered_only_when_mentioned_with_the_mention_stripped(channel_bot):
    silent = channel_bot.ding.send_text("大家好", group="cid-group-1", at=False)
    assert silent.status_code == 200 and silent.json() == {}
    assert channel_bot.handler.count() == 0
    resp = channel_bot.ding.send_text("投资额有什么要求", group="cid-group-1", user="staff08")
    assert resp.json()["markdown"]["text"].startswith("收到：投资额有什么要求")
    assert resp.json()["at"] == {"atUserIds": ["staff08"]}  # the asker is mentioned in the group
    # Group: the conversation is the group, the user is the sender.
    assert channel_bot.handler.runs == [("dingtalk", "cid-group-1", "staff08", "投资额有什么要求")]


def test_sender_id_is_the_fallback_when_staff_id_is_missing(channel_bot):
    payload = channel_bot.ding.payload("你好", user="x")
    del payload["senderStaffId"]
    assert channel_bot.ding.post(payload).status_code == 200
    assert channel_bot.handler.runs[0][2] == "$:LWCP_v1:$x"


def test_same_msgid_three_times_runs_the_handler_once_and_gets_the_same_answer(channel_bot):
    payload = channel_bot.ding.payload("重复投递", msg_id="dup-1")
    bodies = [channel_bot.ding.post(payload).json() for _ in range(3)]
    assert channel_bot.handler.count() == 1
    assert bodies[0] == bodies[1] == bodies[2] and bodies[0]["msgtype"] == "markdown"


def test_late_answer_goes_to_the_session_webhook(channel_bot):
    channel_bot.handler.gate = threading.Event()
    resp = channel_bot.ding.send_text("需要查很久的问题", user="staff09")
    assert resp.status_code == 200 and resp.json() == {}
    channel_bot.handler.gate.set()
    fake = channel_bot.extras["ding_api"]
    assert wait_for(lambda: fake.delivered("session"))
    posted = fake.delivered("session")
    assert len(posted) == 1
    assert posted[0].body["markdown"]["text"].startswith("收到：需要查很久的问题")


def test_long_answer_continues_through_the_session_webhook_in_order(channel_bot):
    channel_bot.handler.long_answer = True
    first = channel_bot.ding.send_text("详细说说").json()["markdown"]["text"]
    fake = channel_bot.extras["ding_api"]
    assert wait_for(lambda: any("依据" in a.body["markdown"]["text"] for a in fake.delivered("session")))
    parts = [first] + [a.body["markdown"]["text"] for a in fake.delivered("session")]
    assert len(parts) >= 2 and all(len(p.encode()) <= 4000 for p in parts)
    full = "".join(parts)
    assert full.count("优质工程的投资额") == 120 and full.index("第119句") < full.index("第120句")


def test_pictures_get_a_polite_note_and_run_nothing(channel_bot):
    resp = channel_bot.ding.post(channel_bot.ding.payload("", msgtype="picture"))
    assert "文字" in resp.json()["text"]["content"]
    assert channel_bot.handler.count() == 0
