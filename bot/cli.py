"""Command line: ``python -m bot <command>``; each area registers its own sub-commands."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# Modules that add sub-commands; each has register(subparsers) and keeps heavy imports inside its commands.
COMMAND_MODULES = ("bot.cli_knowledge", "bot.cli_channels", "bot.cli_chat", "bot.cli_reminders")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="质量活动助手")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def setup_logging() -> None:
    """Logging is configured here, at the entry point, and nowhere else."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet_http_debug()


def quiet_http_debug() -> None:
    """Keep the HTTP and websocket clients at INFO even under LOG_LEVEL=DEBUG: their debug lines echo request URLs
    whose query strings carry secrets (webhook keys, access tokens, WeCom's gettoken secret, the Stream ticket)."""
    for name in ("urllib3", "websockets"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit code."""
    # Chinese in and out, whatever the terminal's locale says.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    setup_logging()
    from bot.core.config import ConfigError

    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"配置有误：{exc}", file=sys.stderr)
        return 2
