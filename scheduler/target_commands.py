"""``python -m bot targets list|add|remove``: where reminders and broadcasts go."""
from __future__ import annotations

import os
import sys



def _sessions():
    from scheduler.runtime import open_runtime  # opened per command: parsing the command line stays light

    return open_runtime().sessions


def fail(message: str) -> int:
    """Print a Chinese error to stderr; exit code 2."""
    print(message, file=sys.stderr)
    return 2


def _target_address(args) -> dict:
    secret = os.environ.get(args.secret_env, "") if args.secret_env else (args.secret or "")
    return {"key": args.key, "url": args.url, "touser": args.touser, "toparty": args.toparty, "totag": args.totag,
            "access_token": args.access_token, "secret": secret, "userids": args.userids}


def cmd_targets_list(args) -> int:
    """List active targets; keys, tokens and secrets are masked."""
    from scheduler.targets import active_targets, describe

    rows = active_targets(_sessions())
    for t in rows:
        print(describe(t))
    if not rows:
        print("暂无接收方。用 python -m bot targets add 添加。")
    return 0


def cmd_targets_add(args) -> int:
    """Add a group robot, app-message recipients or work-notice users."""
    from scheduler.targets import TargetError, add_target, describe

    try:
        target, created = add_target(_sessions(), args.kind, _target_address(args), name=args.name or "")
    except TargetError as exc:
        return fail(str(exc))
    print(("已添加接收方：" if created else "接收方已存在：") + describe(target))
    return 0


def cmd_targets_remove(args) -> int:
    """Remove a target by id; its queued messages are skipped."""
    from scheduler.targets import remove_target

    target = remove_target(_sessions(), args.id)
    if target is None:
        return fail(f"没有编号为 {args.id} 的有效接收方。")
    print(f"已移除接收方 #{target.id}「{target.name}」。")
    return 0
