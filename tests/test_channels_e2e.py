"""End to end with the real handlers and knowledge base: questions, follow-ups and an eligibility dialog,
sent as WeCom and DingTalk send them."""
import itertools

from tests.sim.fixtures import real_bot, wait_for  # noqa: F401

AWARD_RULES = "全面提升工程质量开展创建优质工程活动管理办法（试行）"
_ids = itertools.count(1)


def wecom_say(bot, user: str, text: str) -> str:
    """One WeCom message; the whole answer as the user sees it (passive reply plus any pushed parts)."""
    before = len(bot.extras["wecom_api"].delivered("app"))
    resp = bot.wecom.send_text(text, user=user, msg_id=str(900000 + next(_ids)))
    assert resp.status_code == 200
    first = bot.wecom.open_reply(resp)["Content"]
    if len(first.encode()) > 1500:  # near the 2048-byte limit: the rest may follow through the app message API
        wait_for(lambda: len(bot.extras["wecom_api"].delivered("app")) > before, timeout=2)
    pushed = [a.body["text"]["content"] for a in bot.extras["wecom_api"].delivered("app")[before:]
              if a.body.get("touser") == user]
    return first + "".join(pushed)


def ding_say(bot, user: str, text: str, group: str | None = None) -> str:
    """One DingTalk message (in a group: @-mentioning the bot); the answer's text."""
    resp = bot.ding.send_text(text, user=user, group=group, msg_id=f"e2e-{next(_ids)}")
    assert resp.status_code == 200
    body = resp.json()
    return body["markdown"]["text"] if body.get("msgtype") == "markdown" else body["text"]["content"]


def test_wecom_question_is_answered_encrypted_quoting_article_eight(real_bot):
    answer = wecom_say(real_bot, "qa-wecom", "化工优质工程投资额有什么要求")
    assert "第八条" in answer and "1亿元" in answer and AWARD_RULES in answer


def test_dingtalk_question_is_answered_quoting_article_eight_as_markdown(real_bot):
    resp = real_bot.ding.send_text("化工优质工程投资额有什么要求", user="qa-ding")
    body = resp.json()
    assert body["msgtype"] == "markdown"
    assert "第八条" in body["markdown"]["text"] and "1亿元" in body["markdown"]["text"]


def test_follow_up_in_a_wecom_private_chat_keeps_the_topic(real_bot):
    wecom_say(real_bot, "follow-w", "化工优质工程投资额有什么要求")
    answer = wecom_say(real_bot, "follow-w", "那精品工程呢")
    assert "5亿元" in answer and AWARD_RULES in answer


def test_follow_up_in_a_dingtalk_group_is_kept_per_member(real_bot):
    ding_say(real_bot, "member-a", "化工优质工程投资额有什么要求", group="cid-e2e-group")
    a = ding_say(real_bot, "member-a", "那精品工程呢", group="cid-e2e-group")
    assert "5亿元" in a and AWARD_RULES in a
    # Another member of the same group asking only the follow-up has no such context.
    b = ding_say(real_bot, "member-b", "那精品工程呢", group="cid-e2e-group")
    assert b != a


DIALOG = ["我们项目能报化学工业优质工程吗", "是", "已经批复了，总投资3个亿", "新建的", "能独立生产"]


def test_eligibility_dialog_through_wecom(real_bot):
    answers = [wecom_say(real_bot, "pm-wecom", text) for text in DIALOG]
    assert "会员单位" in answers[0]
    verdict = answers[-1]
    assert "化学工业优质工程" in verdict and "符合申请条件" in verdict and "第八条" in verdict


def test_eligibility_dialog_through_a_dingtalk_group(real_bot):
    answers = [ding_say(real_bot, "pm-ding", text, group="cid-e2e-pm") for text in DIALOG]
    assert "会员单位" in answers[0]
    assert "符合申请条件" in answers[-1] and "第八条" in answers[-1]


def test_follow_up_in_the_web_chat_keeps_the_topic_per_session(real_bot):
    import requests

    def ask(text, session):
        return requests.post(real_bot.url + "/api/chat", json={"text": text, "session": session}, timeout=10).json()

    ask("化工优质工程投资额有什么要求", "web-session-aaaa")
    follow = ask("那精品工程呢", "web-session-aaaa")
    assert "5亿元" in follow["text"] and any(AWARD_RULES in c for c in follow["citations"])
    fresh = ask("那精品工程呢", "web-session-bbbb")
    assert fresh["text"] != follow["text"]
