"""Sub-commands ``serve`` (HTTP channels and the web chat) and ``stream`` (DingTalk Stream mode)."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def register(sub) -> None:
    """Add this area's sub-commands to the parser."""
    p = sub.add_parser("serve", help="启动 HTTP 服务：企业微信、钉钉回调和网页聊天")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8080, help="监听端口（默认 8080）")
    p.add_argument("--threads", type=int, default=16, help="工作线程数（默认 16）")
    p.set_defaults(func=serve)
    s = sub.add_parser("stream", help="以钉钉 Stream 模式连接（服务器无需公网地址）")
    s.set_defaults(func=stream)


def serve(args) -> int:
    """Run every HTTP channel under waitress until interrupted."""
    from bot.app import create_app
    from bot.channels.server import make_server
    from scheduler.service import start_scheduler

    app = create_app()
    # Every server process competes for the scheduler lease; only its holder sends reminders.
    reminders = start_scheduler(app.extensions["bot.services"])
    server = make_server(app, host=args.host, port=args.port, threads=args.threads)
    log.info("serving on http://%s:%s/ (web chat at /, health at /healthz)", args.host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()
        reminders.shutdown()
    return 0


def stream(args) -> int:
    """Connect to DingTalk's Stream gateway and answer robot messages until interrupted."""
    from bot.core.config import Config

    config = Config.from_env()
    if not config.dingtalk_enabled:
        log.error("DingTalk Stream needs DINGTALK_APP_KEY and DINGTALK_APP_SECRET")
        print("钉钉 Stream 模式需要设置 DINGTALK_APP_KEY 和 DINGTALK_APP_SECRET。")
        return 2
    from bot.channels.dingtalk_stream import run_forever
    from bot.services import build_services

    from scheduler.service import start_scheduler

    services = build_services(config)
    # A server without a public address runs the reminders from here too.
    reminders = start_scheduler(services)
    try:
        run_forever(services)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        reminders.shutdown()
    return 0
