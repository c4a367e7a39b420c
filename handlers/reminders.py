"""Chat commands for reminders: the secretariat manages the calendar and broadcasts; members subscribe.

Handlers only write to the database (reminders, targets, outbox rows); the outbox worker does the sending.
"""
from __future__ import annotations

import re
from datetime import timedelta

from bot.core.clock import SHANGHAI
from bot.core.message import Message, Reply
from handlers.base import Context, Handler
from scheduler.admin import (ReminderError, add_reminder, cancel_reminder, describe, edit_reminder, parse_when,
                             upcoming)
from scheduler.calendar import next_occurrence
from scheduler.enqueue import queue_broadcast
from scheduler.models import DINGTALK_NOTICE, DINGTALK_ROBOT, WECOM_APP, WECOM_ROBOT
from scheduler.render import text_problem
from scheduler.seed import ensure_seeded
from scheduler.targets import (TargetError, active_targets, add_target, describe as describe_target,
                               find_subscription, remove_target)

PENDING_KIND = "broadcast"
PENDING_TTL = timedelta(minutes=10)
LIST_LIMIT = 20

_LIST = re.compile(r"^(提醒列表|查看提醒)$")
_ADD = re.compile(r"^新增提醒(?:[\s:：]+(?P<rest>.*))?$", re.S)
_EDIT = re.compile(r"^修改提醒(?:[\s:：#]*(?P<rest>\S.*))?$", re.S)
_CANCEL = re.compile(r"^取消提醒(?:[\s:：#]*(?P<rest>\S.*))?$", re.S)
_BROADCAST = re.compile(r"^广播(?:[\s:：]+(?P<rest>.*))?$", re.S)
_SUBSCRIBE = re.compile(r"^订阅提醒$")
_UNSUBSCRIBE = re.compile(r"^(退订提醒|取消订阅提醒?)$")
_CONFIRM = re.compile(r"^(确认|确认发送|确定)$")
_DROP = re.compile(r"^(取消|取消发送|取消广播|放弃)$")
_ADD_ARGS = re.compile(r"^(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s+(?P<time>\d{1,2}[:：]\d{2})\s+(?P<text>\S.*)$", re.S)
_EDIT_ARGS = re.compile(r"^(?P<id>\d{1,9})\s+(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s+(?P<time>\d{1,2}[:：]\d{2})"
                        r"(?:\s+(?P<text>\S.*))?$", re.S)
_TARGET_LIST = re.compile(r"^接收方列表$")
_ADD_ROBOT = re.compile(r"^添加群机器人(?:[\s:：]+(?P<rest>.*))?$", re.S)
_REMOVE_TARGET = re.compile(r"^移除接收方(?:[\s:：#]*(?P<rest>\S.*))?$", re.S)
_USER_ID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")

ADMIN_COMMANDS = {"list": "提醒列表", "add": "新增提醒", "edit": "修改提醒", "cancel": "取消提醒", "broadcast": "广播",
                  "targets": "接收方列表", "add_robot": "添加群机器人", "remove_target": "移除接收方"}
ROBOT_USAGE = ("格式：添加群机器人 <webhook 地址> [名称]；钉钉群机器人需加签：添加群机器人 <webhook 地址> <SEC 开头的密钥> [名称]")
ADD_USAGE = "格式：新增提醒 2025-05-30 09:00 班组推荐材料今天截止（时间为北京时间）"
EDIT_USAGE = "格式：修改提醒 3 2025-05-31 09:00 [新的内容]（每年重复的提醒从新日期起每年重复）"
CHANNEL_NAMES = {"wecom": "企业微信应用消息", "dingtalk": "钉钉工作通知"}


def _command(text: str) -> tuple[str, re.Match] | None:
    for name, pattern in (("list", _LIST), ("add", _ADD), ("edit", _EDIT), ("cancel", _CANCEL),
                          ("broadcast", _BROADCAST), ("subscribe", _SUBSCRIBE), ("unsubscribe", _UNSUBSCRIBE),
                          ("targets", _TARGET_LIST), ("add_robot", _ADD_ROBOT), ("remove_target", _REMOVE_TARGET)):
        m = pattern.match(text)
        if m:
            return name, m
    return None


class RemindersHandler(Handler):
    """Calendar, broadcast and target commands for the secretariat; 「订阅提醒」「退订提醒」 for everyone."""

    name = "reminders"

    def _pending(self, msg: Message, ctx: Context) -> dict | None:
        return ctx.state.get(msg.key, PENDING_KIND, max_idle=PENDING_TTL)

    def matches(self, msg: Message, ctx: Context) -> bool:
        """Only our commands, and 「确认」/「取消」 while a broadcast awaits confirmation."""
        text = msg.text.strip()
        if _command(text):
            return True
        # 「确认」/「取消」 belong to us only while this user has a broadcast waiting.
        return bool((_CONFIRM.match(text) or _DROP.match(text)) and self._pending(msg, ctx) is not None)

    def handle(self, msg: Message, ctx: Context) -> Reply:
        """Check the sender's rights, then run the command."""
        text = msg.text.strip()
        found = _command(text)
        name, m = found if found else (("confirm" if _CONFIRM.match(text) else "drop"), None)
        if name == "cancel" and text == "取消提醒" and not ctx.is_admin(msg):
            name = "unsubscribe"  # a member saying 「取消提醒」 means "stop reminding me"
        if name in ADMIN_COMMANDS and not ctx.is_admin(msg):
            return Reply(f"抱歉，「{ADMIN_COMMANDS[name]}」仅限协会秘书处使用。如需发布通知或调整提醒，请联系秘书处。"
                         "\n您可以发送「订阅提醒」，在截止日期前收到个人提醒。")
        rest = ((m.group("rest") or "").strip() if m is not None and "rest" in m.groupdict() else "")
        return getattr(self, f"_{name}")(msg, ctx, rest)

    def _list(self, msg: Message, ctx: Context, rest: str) -> Reply:
        ensure_seeded(ctx.sessions)
        rows = upcoming(ctx.sessions, ctx.clock())
        if not rows:
            return Reply("当前没有提醒。" + ADD_USAGE)
        lines = [describe(rem, nxt) for rem, nxt in rows[:LIST_LIMIT]]
        more = (f"\n……另有 {len(rows) - LIST_LIMIT} 条，完整列表请用 python -m bot reminders list。"
                if len(rows) > LIST_LIMIT else "")
        n = len(active_targets(ctx.sessions))
        return Reply(f"当前提醒（北京时间，共 {len(rows)} 条，接收方 {n} 个）：\n" + "\n".join(lines) + more
                     + "\n取消请发送「取消提醒 编号」。")

    def _add(self, msg: Message, ctx: Context, rest: str) -> Reply:
        m = _ADD_ARGS.match(rest)
        if not m:
            return Reply("没有看懂提醒的时间和内容。" + ADD_USAGE)
        try:
            at = parse_when(f"{m['date']} {m['time'].replace('：', ':')}")
            rem = add_reminder(ctx.sessions, at, m["text"], f"{msg.channel}:{msg.user_id}", ctx.clock())
        except ReminderError as exc:
            return Reply(f"{exc}\n{ADD_USAGE}")
        n = len(active_targets(ctx.sessions))
        return Reply(f"已新增提醒 #{rem.id}：{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）「{rem.text}」。"
                     f"届时将发送给当前的 {n} 个接收方。")

    def _edit(self, msg: Message, ctx: Context, rest: str) -> Reply:
        m = _EDIT_ARGS.match(rest)
        if not m:
            return Reply("没有看懂要修改的提醒。" + EDIT_USAGE)
        try:
            at = parse_when(f"{m['date']} {m['time'].replace('：', ':')}")
            rem = edit_reminder(ctx.sessions, int(m["id"]), ctx.clock(), at=at, text=m["text"])
        except ReminderError as exc:
            return Reply(f"{exc}\n{EDIT_USAGE}")
        if rem is None:
            return Reply(f"没有编号为 {m['id']} 的有效提醒，发送「提醒列表」查看编号。")
        return Reply("已修改提醒：" + describe(rem, next_occurrence(rem, ctx.clock())))

    def _cancel(self, msg: Message, ctx: Context, rest: str) -> Reply:
        if not (rest.isdecimal() and len(rest) <= 9):
            return Reply("请写明要取消的提醒编号，例如：取消提醒 3。发送「提醒列表」查看编号。")
        rem = cancel_reminder(ctx.sessions, int(rest))
        if rem is None:
            return Reply(f"没有编号为 {rest} 的有效提醒，发送「提醒列表」查看编号。")
        return Reply(f"已取消提醒 #{rem.id}：{rem.text}")

    def _broadcast(self, msg: Message, ctx: Context, rest: str) -> Reply:
        if not rest:
            return Reply("请在「广播」后写上要发送的内容，例如：广播 请各推荐单位于5月30日前提交推荐材料。")
        problem = text_problem(rest)
        if problem:
            return Reply(f"广播{problem}")
        n = len(active_targets(ctx.sessions))
        if n == 0:
            return Reply("当前没有任何接收方，广播无法送达。请先用 python -m bot targets add 添加群机器人或成员。")
        ctx.state.put(msg.key, PENDING_KIND, {"text": rest, "targets": n})
        return Reply(f"广播预览（将发送给 {n} 个接收方）：\n————\n{rest}\n————\n"
                     "回复「确认」发送，回复「取消」放弃（10 分钟内有效）。")

    def _confirm(self, msg: Message, ctx: Context, rest: str) -> Reply:
        pending = self._pending(msg, ctx)
        ctx.state.clear(msg.key, PENDING_KIND)
        if pending is None:
            return Reply("没有待确认的广播。")
        if not ctx.is_admin(msg):  # the sender lost the secretariat role since the preview
            return Reply("抱歉，「广播」仅限协会秘书处使用，这条广播没有发送。")
        bid, n = queue_broadcast(ctx.sessions, pending["text"], f"{msg.channel}:{msg.user_id}", ctx.clock())
        return Reply(f"广播 #{bid} 已加入发送队列：{n} 个接收方，将按各平台的频率限制陆续送达。")

    def _drop(self, msg: Message, ctx: Context, rest: str) -> Reply:
        ctx.state.clear(msg.key, PENDING_KIND)
        return Reply("已取消这条广播，没有发送任何消息。")

    def _subscribe(self, msg: Message, ctx: Context, rest: str) -> Reply:
        kind = {"wecom": WECOM_APP, "dingtalk": DINGTALK_NOTICE}.get(msg.channel)
        if kind is None:
            return Reply("个人提醒目前只能通过企业微信或钉钉推送，请在企业微信或钉钉里给我发送「订阅提醒」。")
        if not _USER_ID.match(msg.user_id):
            return Reply("抱歉，无法识别您的账号，暂时不能订阅，请联系协会秘书处。")
        subscriber = f"{msg.channel}:{msg.user_id}"
        if find_subscription(ctx.sessions, subscriber) is not None:
            return Reply("您已订阅截止提醒，无需重复订阅。发送「退订提醒」可取消。")
        address = {"touser": [msg.user_id]} if kind == WECOM_APP else {"userids": [msg.user_id]}
        add_target(ctx.sessions, kind, address, name=f"{msg.user_name or msg.user_id}（个人订阅）", subscriber=subscriber)
        return Reply(f"已订阅截止提醒：到期前会通过{CHANNEL_NAMES[msg.channel]}发给您。发送「退订提醒」可随时取消。")

    def _unsubscribe(self, msg: Message, ctx: Context, rest: str) -> Reply:
        target = find_subscription(ctx.sessions, f"{msg.channel}:{msg.user_id}")
        if target is None:
            return Reply("您还没有订阅截止提醒。发送「订阅提醒」可以订阅。")
        remove_target(ctx.sessions, target.id)
        return Reply("已退订截止提醒，之后不会再单独发给您。")

    def _targets(self, msg: Message, ctx: Context, rest: str) -> Reply:
        rows = active_targets(ctx.sessions)
        if not rows:
            return Reply("当前没有接收方。" + ROBOT_USAGE)
        return Reply(f"当前接收方（{len(rows)} 个，密钥已打码）：\n" + "\n".join(describe_target(t) for t in rows))

    def _add_robot(self, msg: Message, ctx: Context, rest: str) -> Reply:
        if msg.is_group:  # a webhook key or signing secret pasted in a group is a leaked secret
            return Reply("为防止密钥泄露，请在与我的单聊中添加群机器人。")
        parts = rest.split()
        if not parts:
            return Reply(ROBOT_USAGE)
        url = parts[0]
        try:
            if "dingtalk" in url or "access_token=" in url:
                if len(parts) < 2 or not parts[1].startswith("SEC"):
                    return Reply("钉钉群机器人需要加签密钥（SEC 开头）。" + ROBOT_USAGE)
                target, created = add_target(ctx.sessions, DINGTALK_ROBOT, {"url": url, "secret": parts[1]},
                                             name=" ".join(parts[2:]))
            elif "key=" in url:
                target, created = add_target(ctx.sessions, WECOM_ROBOT, {"url": url}, name=" ".join(parts[1:]))
            else:
                return Reply("没有识别出群机器人的 webhook 地址。" + ROBOT_USAGE)
        except TargetError as exc:
            return Reply(f"{exc}\n{ROBOT_USAGE}")
        return Reply(("已添加接收方：" if created else "该群机器人已在接收方中：") + describe_target(target))

    def _remove_target(self, msg: Message, ctx: Context, rest: str) -> Reply:
        if not (rest.isdecimal() and len(rest) <= 9):
            return Reply("请写明要移除的接收方编号，例如：移除接收方 2。发送「接收方列表」查看编号。")
        target = remove_target(ctx.sessions, int(rest))
        if target is None:
            return Reply(f"没有编号为 {rest} 的有效接收方，发送「接收方列表」查看编号。")
        return Reply(f"已移除接收方 #{target.id}「{target.name}」，排队中的消息不再发给它。")


HANDLERS = [RemindersHandler()]
