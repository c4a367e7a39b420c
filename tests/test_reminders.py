"""Chat commands: the secretariat's calendar and broadcast commands, members' subscriptions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.testing import TestBot
from handlers.reminders import RemindersHandler
from scheduler.models import OutboxRow, Reminder, Target
from scheduler.outbox import OutboxWorker
from scheduler.targets import add_target
from tests.fakes import FakeWeCom


def _outbox_count(services) -> int:
    with services.sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow))


@pytest.fixture
def admin(services):
    return TestBot(services, user_id="admin")


@pytest.fixture
def member(services):
    return TestBot(services, user_id="zhangsan")


@pytest.fixture
def two_targets(services):
    add_target(services.sessions, "wecom_robot", {"key": "robot-a"}, name="A群")
    add_target(services.sessions, "dingtalk_notice", {"userids": ["u1", "u2"]})


def test_non_admin_broadcast_is_refused_and_nothing_is_queued(member, services, two_targets):
    reply = member.say("广播 明天停电，请注意")
    assert "仅限协会秘书处" in reply.text
    assert member.say("确认").text != "" and _outbox_count(services) == 0
    for command in ("新增提醒 2025-06-01 09:00 测试", "取消提醒 1", "提醒列表"):
        assert "仅限协会秘书处" in member.say(command).text
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reminder).where(Reminder.created_by != "seed")) == 0


def test_admin_broadcast_needs_confirmation_then_reaches_every_target(admin, services, clock):
    with FakeWeCom(clock=clock) as wecom:
        add_target(services.sessions, "wecom_robot", {"key": wecom.add_robot("g1")})
        add_target(services.sessions, "wecom_app", {"touser": ["lisi"]})
        preview = admin.say("广播 请各推荐单位于5月30日前提交推荐函")
        assert "2 个接收方" in preview.text and "请各推荐单位于5月30日前提交推荐函" in preview.text
        assert "确认" in preview.text and _outbox_count(services) == 0
        confirmed = admin.say("确认")
        assert "已加入发送队列" in confirmed.text and _outbox_count(services) == 2
        assert admin.say("确认").text != confirmed.text  # the pending broadcast is gone: no second queueing
        assert _outbox_count(services) == 2
        config = services.config.__class__.from_env(env={}, database_url=services.config.database_url,
                                                    **wecom.config_overrides())
        OutboxWorker(config, services.sessions, clock).run_until_idle(sleep=lambda s: clock.advance(seconds=s))
        texts = [a.body["markdown"]["content"] for a in wecom.delivered()]
        assert len(texts) == 2 and all("请各推荐单位于5月30日前提交推荐函" in t for t in texts)


def test_admin_can_drop_a_pending_broadcast(admin, services, two_targets):
    admin.say("广播 这条不发了")
    assert "没有发送" in admin.say("取消").text
    assert _outbox_count(services) == 0
    # With nothing pending, 「确认」 is an ordinary message again.
    assert not RemindersHandler().matches(_msg("确认"), services.dispatcher.ctx)


def _msg(text, user="admin", channel="test"):
    from bot.core.message import Message

    return Message(channel=channel, chat_id=user, user_id=user, text=text)


def test_broadcast_with_no_targets_or_bad_text_explains_itself(admin, services):
    assert "没有任何接收方" in admin.say("广播 你好").text
    add_target(services.sessions, "wecom_robot", {"key": "k"})
    assert "过长" in admin.say("广播 " + "长" * 1200).text
    assert "请在「广播」后写上" in admin.say("广播").text
    assert _outbox_count(services) == 0


def test_add_list_and_cancel_reminders(admin, services):
    reply = admin.say("新增提醒 2025-05-30 09:00 班组推荐材料今天截止")
    assert "已新增提醒 #" in reply.text and "2025-05-30 09:00" in reply.text
    rid = int(reply.text.split("#")[1].split("：")[0])
    listing = admin.say("提醒列表").text
    assert "班组推荐材料今天截止" in listing
    assert "中施企协字〔2024〕11号" in listing and "四、其他要求（三）" in listing  # seeded entries cite their source
    edited = admin.say(f"修改提醒 {rid} 2025-05-31 10:00 班组推荐材料今天截止（已延期）").text
    assert "已修改提醒" in edited and "2025-05-31 10:00" in edited and "已延期" in edited
    # The secretariat moves a seeded yearly deadline: it repeats yearly from the new date on.
    moved = admin.say("修改提醒 5 2025-05-31 09:00").text
    assert "每年5月31日 09:00" in moved and "下次 2025-05-31 09:00" in moved
    assert "格式：修改提醒" in admin.say("修改提醒 3").text
    assert "已取消提醒" in admin.say(f"取消提醒 {rid}").text
    assert "班组推荐材料今天截止" not in admin.say("提醒列表").text
    assert "没有编号为" in admin.say(f"取消提醒 {rid}").text


@pytest.mark.parametrize("command, expected", [
    ("新增提醒 明天 交材料", "没有看懂"),
    ("新增提醒 2025-13-40 09:00 交材料", "无法识别的时间"),
    ("新增提醒 2025-05-01 09:00 已经过去", "已经过去"),
    ("取消提醒 三", "请写明要取消的提醒编号"),
    ("取消提醒 ²", "请写明要取消的提醒编号"),
    ("取消提醒 99999999999999999999", "请写明要取消的提醒编号"),
    ("移除接收方 abc", "请写明要移除的接收方编号"),
])
def test_bad_reminder_commands_get_a_clear_chinese_answer(admin, command, expected):
    assert expected in admin.say(command).text


def test_members_subscribe_and_unsubscribe_on_their_channel(services):
    wecom_user = TestBot(services, user_id="wangwu", channel="wecom")
    ding_user = TestBot(services, user_id="dt123", channel="dingtalk")
    web_user = TestBot(services, user_id="visitor", channel="web")
    assert "企业微信应用消息" in wecom_user.say("订阅提醒").text
    assert "无需重复订阅" in wecom_user.say("订阅提醒").text
    assert "钉钉工作通知" in ding_user.say("订阅提醒").text
    assert "只能通过企业微信或钉钉" in web_user.say("订阅提醒").text
    with services.sessions() as s:
        rows = {(t.kind, str(t.address), t.active) for t in s.scalars(select(Target))}
    assert rows == {("wecom_app", str({"touser": ["wangwu"], "toparty": [], "totag": []}), True),
                    ("dingtalk_notice", str({"userids": ["dt123"]}), True)}
    assert "已退订" in wecom_user.say("退订提醒").text
    wecom_user.say("订阅提醒")
    assert "已退订" in wecom_user.say("取消提醒").text  # a member's 「取消提醒」 means unsubscribe
    assert "还没有订阅" in wecom_user.say("退订提醒").text
    assert "还没有订阅" in web_user.say("退订提醒").text


@pytest.mark.parametrize("text", ["广播体操比赛怎么报名", "提醒我截止日期是哪天", "取消", "确认", "新增提醒功能怎么用",
                                  "班组活动5月30日截止吗"])
def test_ordinary_messages_are_left_to_other_handlers(services, text):
    assert not RemindersHandler().matches(_msg(text), services.dispatcher.ctx)


def test_admin_manages_group_robots_in_private_chat_with_secrets_masked(admin, services):
    wecom_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    ding_url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
    secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef"
    assert "已添加接收方" in admin.say(f"添加群机器人 {wecom_url} 秘书处群").text
    reply = admin.say(f"添加群机器人 {ding_url} {secret} 钉钉会员群").text
    assert "已添加接收方" in reply and secret not in reply
    assert "加签密钥" in admin.say(f"添加群机器人 {ding_url}").text
    listing = admin.say("接收方列表").text
    assert "秘书处群" in listing and "钉钉会员群" in listing
    assert "693a91f6-7xxx" not in listing and secret not in listing and "0123456789abcdef0123" not in listing
    group_admin = TestBot(services, user_id="admin", chat_id="group-1", is_group=True)
    assert "单聊" in group_admin.say(f"添加群机器人 {wecom_url}").text
    assert "已移除接收方 #1" in admin.say("移除接收方 1").text
    assert "秘书处群" not in admin.say("接收方列表").text
    assert "仅限协会秘书处" in TestBot(services, user_id="lisi").say("接收方列表").text
