"""``python -m bot chat``: talk to the dispatcher from standard input, one message per line."""
from __future__ import annotations


def register(sub) -> None:
    """Add the ``chat`` sub-command."""
    p = sub.add_parser("chat", help="在终端里和机器人对话（每行一条消息）")
    p.add_argument("--user", default="cli-user", help="发送者 ID（对话状态按此保存，默认 cli-user）")
    p.add_argument("--chat", default=None, help="会话 ID（默认与发送者相同，即单聊）")
    p.add_argument("--json", action="store_true", help="每条回复输出一行 JSON：{\"text\", …}")
    p.set_defaults(func=run_chat)


def run_chat(args) -> int:
    """Read messages from stdin and print each reply until end of input."""
    import itertools
    import json
    import sys
    import uuid

    from bot.core.message import Message
    from bot.services import build_services

    services = build_services()
    session = uuid.uuid4().hex[:8]
    interactive = sys.stdin.isatty() and not args.json
    if interactive:
        print("质量活动助手（输入消息后回车；Ctrl-D 退出）", flush=True)
    try:
        for n in itertools.count(1):
            if interactive:
                print("> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            msg = Message(channel="cli", chat_id=args.chat or args.user, user_id=args.user, text=text,
                          msg_id=f"cli-{session}-{n}")
            reply = services.dispatcher.dispatch(msg)
            if args.json:
                print(json.dumps(reply.to_json(), ensure_ascii=False), flush=True)
            else:
                print(reply.text, end="\n\n", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        services.engine.dispose()
    return 0
