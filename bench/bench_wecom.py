"""Encrypted WeCom round trip under concurrent load, against a bare Flask endpoint in the same waitress server.

The bot runs in a child process (its own GIL) with a fast echo handler instead of the real handlers, so the numbers
measure the channel: signature check, AES decrypt, XML parsing, the dedup claim and record in SQLite, the run of the
handler (on the request thread: the echo handler is quick, like the Q&A handler), AES encrypt. ``--with-state``
makes the echo handler also read and write its conversation's state, as the Q&A handler does. Prints throughput of
both endpoints, their ratio, and p50/p99 latency of the WeCom callback. Targets: ratio >= 0.5 and p99 <= 50 ms on
2 cores.

    .venv/bin/python bench/bench_wecom.py [--requests 12000] [--rounds 12] [--concurrency 8] [--with-state]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import queue
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
    quick = True  # like the real Q&A handler: only computes, so it may answer on the request thread

    def __init__(self, with_state: bool = False):
        self.with_state = with_state

    def matches(self, msg, ctx):
        return True

    def handle(self, msg, ctx):
        from bot.core.message import Reply

        if self.with_state:  # what the Q&A handler does around its search
            seen = ctx.state.get(msg.key, "qa") or {}
            ctx.state.put(msg.key, "qa", {"q": msg.text, "doc": "cncca-quality-award", "n": seen.get("n", 0) + 1})
        return Reply("收到：" + msg.text)


def _serve(aes_key: str, db_path: str, threads: int, ready, real: bool = False, with_state: bool = False) -> None:
    import logging

    logging.disable(logging.WARNING)
    import bot.services
    from bot.app import create_app
    from bot.channels.server import make_server
    from bot.core.config import Config

    if not real:
        bot.services.default_handlers = lambda: [EchoHandler(with_state)]
    config = Config.from_env(env={}, database_url=f"sqlite:///{db_path}", wecom_corp_id=CORP_ID, wecom_token=TOKEN,
                             wecom_aes_key=aes_key)
    app = create_app(bot.services.build_services(config, kb=None if real else object()))
    # The bare endpoint takes the same POSTs as the callback, so both sides of the ratio answer 200.
    app.add_url_rule("/bare", "bare", lambda: "ok", methods=["GET", "POST"])
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def _answered(content: str, real: bool) -> bool:
    """The reply is the expected kind of answer: the echo, or the article the real knowledge base quotes."""
    return "第八条" in content if real else content.startswith("收到：")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> int:
    from tests.sim.wecom import WeComSimulator, new_aes_key

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Rounds of about a thousand requests: shorter ones let the write-behind batches and heartbeats land unevenly
    # (5 rounds of 600 gave medians from 0.46 to 0.60 on one machine within minutes).
    ap.add_argument("--requests", type=int, default=12000, help="per endpoint, split over the rounds")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    ap.add_argument("--real", action="store_true",
                    help="answer with the real handlers and knowledge base instead of the echo handler")
    ap.add_argument("--with-state", action="store_true",
                    help="the echo handler also reads and writes conversation state, as the Q&A handler does")
    args = ap.parse_args()

    aes_key = new_aes_key()
    tmp = tempfile.mkdtemp(prefix="bench-wecom-")
    ready = mp.Queue()
    proc = mp.Process(target=_serve, args=(aes_key, os.path.join(tmp, "bot.db"), args.threads, ready, args.real,
                                                 args.with_state),
                      daemon=True)
    proc.start()
    port = None
    while port is None:
        try:
            port = ready.get(timeout=1)
        except queue.Empty:
            if not proc.is_alive():
                print("the bot process failed to start; see its traceback above", file=sys.stderr)
                return 2
    sim = WeComSimulator(f"http://127.0.0.1:{port}", TOKEN, aes_key, CORP_ID)
    try:
        wecom_reqs = []
        for i in range(args.requests + 50):
            text = "化工优质工程投资额有什么要求" if args.real else f"问题{i}"
            params, body = sim.envelope(sim.text_xml(text, user=f"u{i % 50}", msg_id=str(10**9 + i)))
            wecom_reqs.append(("/wecom/callback?" + urlencode(params), body))
        _load(port, wecom_reqs[-50:], args.concurrency)  # warm-up: connections, SQLite, thread pool
        _load(port, [("/bare", b"")] * 50, args.concurrency)
        # Rounds alternate the two endpoints so that load from elsewhere on the machine hits both alike.
        per = args.requests // args.rounds
        bare_lat, wecom_lat, bodies, ratios = [], [], [], []
        bare_total = wecom_total = bare_cpu = wecom_cpu = 0.0
        bare_bad = 0
        for r in range(args.rounds):
            cpu0 = _cpu_seconds(proc.pid)
            bare_s, lat, bare_got = _load(port, [("/bare", b"")] * per, args.concurrency)
            bare_bad += sum(1 for status, _ in bare_got if status != 200)
            cpu1 = _cpu_seconds(proc.pid)
            wecom_s, wlat, got = _load(port, wecom_reqs[r * per:(r + 1) * per], args.concurrency)
            cpu2 = _cpu_seconds(proc.pid)
            bare_lat += lat
            wecom_lat += wlat
            bodies += got
            ratios.append(bare_s / wecom_s)
            bare_total += bare_s
            wecom_total += wecom_s
            bare_cpu += cpu1 - cpu0
            wecom_cpu += cpu2 - cpu1
    finally:
        proc.terminate()
        proc.join(5)

    class _Resp:
        def __init__(self, content):
            self.content = content

    n = per * args.rounds
    bad = sum(1 for status, data in bodies if status != 200)
    ok = sum(1 for status, data in bodies if status == 200 and _answered(sim.open_reply(_Resp(data))["Content"], args.real))
    bare_rps, wecom_rps = n / bare_total, n / wecom_total
    ratio = statistics.median(ratios)
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratio, ratio, ratio)
    p50, p99 = _pct(wecom_lat, 50), _pct(wecom_lat, 99)
    print(f"cores: {os.cpu_count()}  requests: {n} per endpoint in {args.rounds} rounds  "
          f"concurrency: {args.concurrency}  waitress threads: {args.threads}  "
          + ("handlers: the real ones (knowledge base Q&A)" if args.real else
             "handler: echo (fast test handler; measures the channel, not the knowledge base)"
             + (", reading and writing conversation state" if args.with_state else "")))
    print(f"bare flask endpoint : {bare_rps:8.0f} req/s  p50 {_pct(bare_lat, 50):6.2f} ms  p99 {_pct(bare_lat, 99):6.2f} ms")
    print(f"wecom encrypted     : {wecom_rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    print(f"server CPU/request  : bare {bare_cpu / n * 1000:.2f} ms, wecom {wecom_cpu / n * 1000:.2f} ms")
    print(f"verified replies    : {ok}/{n}  non-200: {bad}  (bare endpoint non-200: {bare_bad})")
    print(f"round ratios        : {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"throughput ratio    : {ratio:.2f} (median of {len(ratios)} rounds, quartiles {q1:.2f}–{q3:.2f}; "
          f"target >= 0.5)   p99 {p99:.1f} ms (target <= 50 ms)")
    return 0 if ok == n and not bare_bad else 1


if __name__ == "__main__":
    sys.exit(main())
