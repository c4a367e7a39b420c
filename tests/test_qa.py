"""Chatting with the Q&A: cited answers, follow-ups in private and group chats, article lookup, small talk."""
from bot.testing import TestBot


def test_a_question_gets_the_rule_and_its_citation(testbot):
    r = testbot.say("创优门槛多少钱")
    assert "投资额在1亿元或合同额2000万元以上" in r.text
    assert "——《全面提升工程质量开展创建优质工程活动管理办法（试行）》第八条" in r.text
    assert r.sources and r.sources[0].ref == "第八条"
    assert len(r.text.encode("utf-8")) <= 2048


def test_an_elliptical_follow_up_keeps_the_topic(testbot):
    testbot.say("信得过班组什么时候报名")
    r = testbot.say("那找谁联系呢")
    assert "010-63253413" in r.text and r.sources[0].doc == "cacem-trusted-team-2024"


def test_follow_ups_are_kept_per_user_in_a_group(services):
    alice = TestBot(services, user_id="alice", chat_id="group1", is_group=True)
    bob = TestBot(services, user_id="bob", chat_id="group1", is_group=True)
    alice.say("创优对投资额有什么要求")
    bob.say("信得过班组什么时候报名")
    r = alice.say("那精品工程呢")
    assert r.sources[0].doc == "cncca-quality-award" and "5亿元" in r.text
    r = bob.say("那结果分几级呢")
    assert r.sources[0].doc == "cacem-trusted-team-2024" and "卓越级" in r.text


def test_an_article_by_its_citation_uses_the_document_in_context(testbot):
    testbot.say("全过程咨询专家组几个人")
    r = testbot.say("第八条怎么说的")
    assert "——《咨询服务管理办法（试行）》第八条" in r.text
    r = testbot.say("附件2是什么")
    assert "中国建筑股份有限公司" in r.text and len(r.text.encode("utf-8")) <= 2048


def test_nothing_close_enough_says_so_and_offers_the_nearest(testbot):
    r = testbot.say("怎么申请专利")
    assert "没有找到" in r.text and "——《" not in r.text


def test_greetings_and_help_get_the_help_text_not_an_article(testbot):
    for text in ("你好", "帮助", "你能做什么？", "在吗"):
        r = testbot.say(text)
        assert "资格评估" in r.text and "订阅提醒" in r.text and not r.sources, text
        assert "广播" not in r.text  # secretariat commands only for admins
    assert "不客气" in testbot.say("谢谢！").text


def test_admins_see_the_secretariat_commands(services):
    r = TestBot(services, user_id="admin").say("帮助")
    assert "新增提醒 2025-05-30 09:00 内容" in r.text and "广播 内容" in r.text and "取消提醒 3" in r.text


def test_questions_that_start_like_small_talk_are_still_answered(testbot):
    for text in ("你好，创优门槛多少钱", "好的，那班组活动找谁联系", "请问推荐函发哪个邮箱"):
        r = testbot.say(text)
        assert r.sources and "——《" in r.text, text


def test_a_stray_confirm_or_cancel_is_not_answered_with_an_article(testbot):
    for text in ("确认", "取消", "算了"):
        reply = testbot.say(text)
        assert "没有等待确认" in reply.text and not reply.sources, text


def test_cancel_still_ends_a_running_eligibility_check(testbot):
    testbot.say("我们项目能报鲁班奖吗")
    assert "没有等待确认" not in testbot.say("取消").text
    assert "没有等待确认" in testbot.say("取消").text  # the dialog is over: nothing left to cancel
