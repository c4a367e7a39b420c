"""Encrypted WeCom round trip under concurrent load, against a bare Flask endpoint in the same waitress server.

The bot runs in a child process (its own GIL) with a fast echo handler instead of the real handlers, so the numbers
measure the channel: signature check, AES decrypt, XML parsing, the dedup claim and record in SQLite, the answer
thread, AES encrypt. Prints throughput of both endpoints, their ratio, and p50/p99 latency of the WeCom callback.
Targets: ratio >= 0.5 and p99 <= 50 ms on 2 cores.

    .venv/bin/python bench/bench_wecom.py [--requests 2000] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TOKEN, CORP_ID = "bench-token", "ww-bench"


class EchoHandler:
    """Answers at once: the benchmark measures the channel, not the knowledge base."""

    name = "echo"

    def matches(self, msg, ctx):
        return True

    def handle(self, msg, ctx):
        from bot.message import Reply

        return Reply("收到：" + msg.text)


def _serve(aes_key: str, db_path: str, threads: int, ready) -> None:
    import logging

    logging.disable(logging.INFO)
    import bot.services
    from bot.app import create_app
    from bot.channels.server import make_server
    from bot.config import Config

    bot.services.default_handlers = lambda: [EchoHandler()]
    config = Config.from_env(env={}, database_url=f"sqlite:///{db_path}", wecom_corp_id=CORP_ID, wecom_token=TOKEN,
                             wecom_aes_key=aes_key)
    app = create_app(bot.services.build_services(config, kb=object()))
    app.add_url_rule("/bare", "bare", lambda: "ok")
    server = make_server(app, port=0, threads=threads)
    ready.put(server.effective_port)
    server.run()


def _load(port: int, requests_: list[tuple[str, bytes]], concurrency: int) -> tuple[float, list[float], list]:
    latencies: list[float] = []
    bodies: list = []
    lock = threading.Lock()
    chunks = [requests_[i::concurrency] for i in range(concurrency)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, got = [], []
        for path, body in chunk:
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            resp = conn.getresponse()
            data = resp.read()
            mine.append(time.perf_counter() - t0)
            got.append((resp.status, data))
        conn.close()
        with lock:
            latencies.extend(mine)
            bodies.extend(got)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, bodies


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> int:
    from tests.sim.wecom import WeComSimulator, new_aes_key

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    args = ap.parse_args()

    aes_key = new_aes_key()
    tmp = tempfile.mkdtemp(prefix="bench-wecom-")
    ready = mp.Queue()
    proc = mp.Process(target=_serve, args=(aes_key, os.path.join(tmp, "bot.db"), args.threads, ready), daemon=True)
    proc.start()
    port = ready.get(timeout=60)
    sim = WeComSimulator(f"http://127.0.0.1:{port}", TOKEN, aes_key, CORP_ID)
    try:
        wecom_reqs = []
        for i in range(args.requests + 50):
            params, body = sim.envelope(sim.text_xml(f"问题{i}", user=f"u{i % 50}", msg_id=str(10**9 + i)))
            wecom_reqs.append(("/wecom/callback?" + urlencode(params), body))
        bare_reqs = [("/bare", b"")] * args.requests
        _load(port, wecom_reqs[-50:], args.concurrency)  # warm-up: connections, SQLite, thread pool
        _load(port, [("/bare", b"")] * 50, args.concurrency)
        bare_s, bare_lat, _ = _load(port, bare_reqs, args.concurrency)
        wecom_s, wecom_lat, bodies = _load(port, wecom_reqs[:args.requests], args.concurrency)
    finally:
        proc.terminate()
        proc.join(5)

    class _Resp:
        def __init__(self, content):
            self.content = content

    bad = sum(1 for status, data in bodies if status != 200)
    ok = sum(1 for status, data in bodies if status == 200 and sim.open_reply(_Resp(data))["Content"].startswith("收到："))
    bare_rps, wecom_rps = args.requests / bare_s, args.requests / wecom_s
    ratio = wecom_rps / bare_rps
    p50, p99 = _pct(wecom_lat, 50), _pct(wecom_lat, 99)
    print(f"cores: {os.cpu_count()}  requests: {args.requests}  concurrency: {args.concurrency}  "
          f"handler: echo (fast test handler; measures the channel, not the knowledge base)")
    print(f"bare flask endpoint : {bare_rps:8.0f} req/s  p50 {_pct(bare_lat, 50):6.2f} ms  p99 {_pct(bare_lat, 99):6.2f} ms")
    print(f"wecom encrypted     : {wecom_rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    print(f"verified replies    : {ok}/{args.requests}  non-200: {bad}")
    print(f"throughput ratio    : {ratio:.2f}  (target >= 0.5)   p99 {p99:.1f} ms (target <= 50 ms)")
    return 0 if ok == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
