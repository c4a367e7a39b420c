"""Sub-commands ``reminders list|add|edit|remove|due|send-due|status|run`` and ``targets list|add|remove``."""
from __future__ import annotations

import json
import os
import sys


def _runtime():
    from scheduler.runtime import open_runtime
    from scheduler.seed import ensure_seeded

    rt = open_runtime()
    ensure_seeded(rt.sessions)
    return rt


def _row_id(text: str) -> int:
    """An id as typed on the command line; argparse shows the Chinese message on error."""
    import argparse

    if not (text.isdecimal() and 0 < int(text) < 2**31):
        raise argparse.ArgumentTypeError(f"编号应为正整数，收到「{text}」")
    return int(text)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _at(args):
    from scheduler.admin import ReminderError, parse_when

    try:
        return parse_when(args.at), None
    except ReminderError as exc:
        return None, _fail(str(exc))


def cmd_list(args) -> int:
    """Print the calendar, soonest first."""
    from scheduler.admin import describe, upcoming

    rt = _runtime()
    rows = upcoming(rt.sessions, rt.clock(), include_inactive=args.all)
    for rem, nxt in rows:
        print(describe(rem, nxt))
    if not rows:
        print("暂无提醒。")
    return 0


def cmd_add(args) -> int:
    """Add a reminder at a local time (Asia/Shanghai unless an offset is given)."""
    from scheduler.admin import ReminderError, add_reminder, describe
    from scheduler.calendar import next_occurrence

    at, err = _at(args)
    if err is not None:
        return err
    rt = _runtime()
    try:
        rem = add_reminder(rt.sessions, at, " ".join(args.text), "cli", rt.clock(), yearly=args.yearly,
                           source=args.source)
    except ReminderError as exc:
        return _fail(str(exc))
    print("已新增提醒：" + describe(rem, next_occurrence(rem, rt.clock())))
    return 0


def cmd_edit(args) -> int:
    """Move a reminder and/or change its text."""
    from scheduler.admin import ReminderError, describe, edit_reminder
    from scheduler.calendar import next_occurrence

    at, err = _at(args) if args.at else (None, None)
    if err is not None:
        return err
    if at is None and not args.text:
        return _fail("请用 --at 或 --text 指明要修改的内容。")
    rt = _runtime()
    try:
        rem = edit_reminder(rt.sessions, args.id, rt.clock(), at=at, text=args.text)
    except ReminderError as exc:
        return _fail(str(exc))
    if rem is None:
        return _fail(f"没有编号为 {args.id} 的有效提醒。")
    print("已修改提醒：" + describe(rem, next_occurrence(rem, rt.clock())))
    return 0


def cmd_remove(args) -> int:
    """Cancel a reminder by id."""
    from scheduler.admin import cancel_reminder

    rem = cancel_reminder(_runtime().sessions, args.id)
    if rem is None:
        return _fail(f"没有编号为 {args.id} 的有效提醒。")
    print(f"已取消提醒 #{rem.id}：{rem.text}")
    return 0


def _grace(rt):
    from datetime import timedelta

    return timedelta(minutes=rt.config.reminder_grace_minutes)


def cmd_due(args) -> int:
    """Show what would go out at the given moment (nothing is queued or sent)."""
    from scheduler.calendar import fmt_local
    from scheduler.enqueue import find_due

    at, err = _at(args)
    if err is not None:
        return err
    rt = _runtime()
    due = find_due(rt.sessions, at, _grace(rt))
    if args.json:
        print(json.dumps([{"reminder_id": d.reminder_id, "occurrence_at": d.occurrence_at.isoformat(),
                           "late": d.late, "text": d.text, "targets": d.targets} for d in due], ensure_ascii=False))
        return 0
    for d in due:
        late = "（补发）" if d.late else ""
        print(f"#{d.reminder_id} {fmt_local(d.occurrence_at)}{late} → {len(d.targets)} 个接收方：{d.text}")
    if not due:
        print(f"{fmt_local(at)} 没有到期的提醒。")
    return 0


def cmd_send_due(args) -> int:
    """Queue what is due at the given moment and deliver it through the outbox; a second run sends nothing more."""
    from scheduler.enqueue import queue_due
    from scheduler.outbox import OutboxWorker

    at, err = _at(args)
    if err is not None:
        return err
    rt = _runtime()
    queued = [d for d in queue_due(rt.sessions, at, _grace(rt), send_from=rt.clock()) if d.deliveries]
    stats = OutboxWorker(rt.config, rt.sessions, rt.clock).run_until_idle(max_wait=args.max_wait)
    print(f"排队 {sum(d.deliveries for d in queued)} 条（{len(queued)} 个提醒），发送成功 {stats.sent} 条，"
          f"失败 {stats.failed} 条，稍后重试 {stats.retried} 条。")
    return 0 if not stats.failed else 1


def cmd_status(args) -> int:
    """Print outbox counts by state and the latest failures."""
    from sqlalchemy import func, select

    from scheduler.models import FAILED, OutboxRow, Target
    from scheduler.targets import describe

    rt = _runtime()
    with rt.sessions() as s:
        counts = dict(s.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all())
        failed = list(s.scalars(select(OutboxRow).where(OutboxRow.state == FAILED)
                                .order_by(OutboxRow.id.desc()).limit(args.limit)))
        targets = {t.id: t for t in s.scalars(select(Target).where(Target.id.in_([r.target_id for r in failed])))}
    names = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败", "skipped": "已跳过"}
    print("，".join(f"{label} {counts.get(state, 0)} 条" for state, label in names.items()))
    for row in failed:
        who = describe(targets[row.target_id]) if row.target_id in targets else f"#{row.target_id}"
        print(f"失败 {row.key}（尝试 {row.attempts} 次）→ {who}：{row.last_error}")
    return 0


def cmd_run(args) -> int:
    """Run the scheduler and the outbox worker in this process until interrupted."""
    import signal
    import threading

    from scheduler.service import start_scheduler

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handle = start_scheduler(_runtime(), poll=args.poll)
    print(f"提醒调度已启动（进程 {os.getpid()}），按 Ctrl+C 停止。", flush=True)
    stop.wait()
    handle.shutdown()
    return 0


def register(sub) -> None:
    """Add this area's sub-commands to the parser."""
    from scheduler import target_commands  # light: no database or HTTP client is opened at import
    rem = sub.add_parser("reminders", help="截止提醒：列表、新增、取消、到期预览与发送、运行调度").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = rem.add_parser("list", help="列出提醒")
    p.add_argument("--all", action="store_true", help="包括已取消的提醒")
    p.set_defaults(func=cmd_list)
    p = rem.add_parser("add", help="新增提醒：AT 文本")
    p.add_argument("at", help="时间，如 2025-05-30T09:00（默认北京时间）")
    p.add_argument("text", nargs="+")
    p.add_argument("--yearly", action="store_true", help="每年重复")
    p.add_argument("--source", default="", help="依据（文件与条款）")
    p.set_defaults(func=cmd_add)
    p = rem.add_parser("edit", help="修改提醒的时间或内容")
    p.add_argument("id", type=_row_id)
    p.add_argument("--at", help="新的时间（每年重复的提醒从该日期起每年重复）")
    p.add_argument("--text", help="新的内容")
    p.set_defaults(func=cmd_edit)
    p = rem.add_parser("remove", help="取消提醒")
    p.add_argument("id", type=_row_id)
    p.set_defaults(func=cmd_remove)
    for name, func, text in (("due", cmd_due, "预览某时刻将发出的提醒"), ("send-due", cmd_send_due, "发送某时刻到期的提醒")):
        p = rem.add_parser(name, help=text)
        p.add_argument("--at", required=True, help="ISO 时间，如 2025-05-23T09:00+08:00")
        if name == "due":
            p.add_argument("--json", action="store_true")
        else:
            p.add_argument("--max-wait", type=float, default=120.0, help="最多等待限流或重试的秒数")
        p.set_defaults(func=func)
    p = rem.add_parser("status", help="发送队列概况与最近的失败")
    p.add_argument("--limit", type=int, default=10)
    p.set_defaults(func=cmd_status)
    p = rem.add_parser("run", help="运行提醒调度与发送（多进程时只有一个持有租约）")
    p.add_argument("--poll", type=float, default=1.0, help="检查待发消息的间隔秒数")
    p.set_defaults(func=cmd_run)

    tgt = sub.add_parser("targets", help="提醒接收方：列表、添加、移除").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    tgt.add_parser("list", help="列出接收方（密钥打码）").set_defaults(func=target_commands.cmd_targets_list)
    p = tgt.add_parser("add", help="添加接收方")
    p.add_argument("kind", choices=["wecom_robot", "wecom_app", "dingtalk_robot", "dingtalk_notice"])
    p.add_argument("--name")
    p.add_argument("--key", help="企业微信群机器人 key")
    p.add_argument("--url", help="群机器人 webhook 完整地址")
    p.add_argument("--touser", help="成员 ID，逗号分隔；@all 为全员")
    p.add_argument("--toparty", help="部门 ID，逗号分隔")
    p.add_argument("--totag", help="标签 ID，逗号分隔")
    p.add_argument("--access-token", help="钉钉群机器人 access_token")
    p.add_argument("--secret", help="钉钉加签密钥（建议改用 --secret-env）")
    p.add_argument("--secret-env", help="从该环境变量读取加签密钥，避免出现在命令历史中")
    p.add_argument("--userids", help="钉钉用户 ID，逗号分隔")
    p.set_defaults(func=target_commands.cmd_targets_add)
    p = tgt.add_parser("remove", help="移除接收方")
    p.add_argument("id", type=_row_id)
    p.set_defaults(func=target_commands.cmd_targets_remove)
