"""Broadcast delivery through rate-limited group robots, on a virtual clock against the fake platforms.

Queues B broadcasts to R robots (half WeCom, half DingTalk, each limited to 20 messages a minute by the fakes) and
runs the outbox worker until idle. Prints the virtual duration against the least the limits allow
(60 s × floor((B − 1) / 20)), the rate-limit errors seen (target: 0), and the worker's real throughput (rows sent per
second of wall time: database claims, signing and HTTP to a local fake).

    .venv/bin/python bench/bench_broadcast.py [--broadcasts 50] [--robots 4]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    """Run the benchmark and print its numbers."""
    from bot.core.clock import SHANGHAI, FrozenClock
    from bot.core.config import Config
    from bot.core.db import make_engine
    from bot.schema import init_db
    from scheduler.enqueue import queue_broadcast
    from scheduler.outbox import OutboxWorker
    from scheduler.targets import add_target
    from tests.fakes import FakeDingTalk, FakeWeCom

    parser = argparse.ArgumentParser()
    parser.add_argument("--broadcasts", type=int, default=50)
    parser.add_argument("--robots", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    clock = FrozenClock(datetime(2025, 5, 20, 10, 0, tzinfo=SHANGHAI))
    with tempfile.TemporaryDirectory() as tmp, FakeWeCom(clock=clock) as wecom, FakeDingTalk(clock=clock) as ding:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        sessions = init_db(engine)
        for i in range(args.robots):
            if i % 2 == 0:
                add_target(sessions, "wecom_robot", {"key": wecom.add_robot(f"bench-{i}")})
            else:
                token, secret = ding.add_robot(f"bench-{i}", f"SEC-bench-{i}")
                add_target(sessions, "dingtalk_robot", {"access_token": token, "secret": secret})
        for b in range(args.broadcasts):
            queue_broadcast(sessions, f"压测广播第{b}条", "bench", clock())
        config = Config.from_env(env={}, database_url=url, **wecom.config_overrides(), **ding.config_overrides())
        start_virtual, start_wall = clock(), time.perf_counter()
        stats = OutboxWorker(config, sessions, clock).run_until_idle(sleep=lambda s: clock.advance(seconds=s))
        wall = time.perf_counter() - start_wall
        virtual = clock() - start_virtual
        minimum = timedelta(seconds=60 * ((args.broadcasts - 1) // 20))
        limited = [a for a in wecom.arrivals + ding.arrivals if a.errcode in (45009, 130101)]
        delivered = len(wecom.delivered()) + len(ding.delivered())
        engine.dispose()
    total = args.broadcasts * args.robots
    print(f"deliveries: {delivered}/{total} sent={stats.sent} failed={stats.failed}")
    print(f"virtual duration: {virtual.total_seconds():.0f} s; least the limits allow: {minimum.total_seconds():.0f} s; "
          f"ratio {virtual / minimum if minimum else 1.0:.3f}")
    print(f"rate-limit errors from the platforms: {len(limited)}")
    print(f"worker throughput: {stats.sent / wall:.0f} rows/s ({wall:.2f} s wall for {stats.sent} rows)")
    return 0 if delivered == total and not limited else 1


if __name__ == "__main__":
    sys.exit(main())
