"""Latency for real load: concurrent simulated WeCom users asking real questions of the real bot.

The bot runs in a child process with its real handlers and knowledge base, behind waitress, on SQLite or
PostgreSQL. Each simulated user keeps one connection, sends an encrypted, signed WeCom text message (a question
drawn from the question sets in eval/), waits for the passive reply, checks it decrypts to an answer, then thinks
for a while (0.5–1.5 × ``--think`` seconds) before the next question. Prints p50/p90/p99/max latency, the count of
answers and of errors. Goal: p99 <= 300 ms with 50 users on 2 cores, 0 errors.

    .venv/bin/python bench/bench_load.py [--users 50] [--seconds 30] [--think 1.0] [--db sqlite|postgresql|both]

PostgreSQL runs take TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test) and use a schema of
their own, dropped afterwards.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import queue
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN, CORP_ID = "bench-token", "ww-bench"


def _serve(aes_key: str, db_url: str, threads: int, ready) -> None:
    import logging

    logging.disable(logging.WARNING)
    from bot.app import create_app
    from bot.channels.server import make_server
    from bot.core.config import Config
    from bot.services import build_services

    config = Config.from_env(env={}, database_url=db_url, wecom_corp_id=CORP_ID, wecom_token=TOKEN,
                             wecom_aes_key=aes_key)
    server = make_server(create_app(build_services(config)), port=0, threads=threads)
    ready.put(server.effective_port)
    server.run()


def _questions() -> list[str]:
    found = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        found += [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return found


class _Resp:
    def __init__(self, content: bytes):
        self.content = content


def _user(n: int, port: int, sim, questions: list[str], deadline: float, think: float, out: dict, lock) -> None:
    rnd = random.Random(n)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, errors, late = [], [], 0
    i = 0
    while time.monotonic() < deadline:
        i += 1
        params, body = sim.envelope(sim.text_xml(rnd.choice(questions), user=f"user{n}", msg_id=f"{n}{i:06d}"))
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/wecom/callback?" + urlencode(params), body=body,
                         headers={"Content-Type": "text/xml"})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as err:
            errors.append(f"{type(err).__name__}: {err}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        took = time.perf_counter() - t0
        if resp.status != 200:
            errors.append(f"HTTP {resp.status}")
        elif not data:
            late += 1  # an empty 200: the answer follows by app message
        else:
            try:
                content = sim.open_reply(_Resp(data))["Content"]
                if content.strip():
                    lat.append(took)
                else:
                    errors.append("empty answer")
            except Exception as err:  # a reply that does not verify or decrypt is an error of the run
                errors.append(f"bad reply: {err}")
        time.sleep(think * rnd.uniform(0.5, 1.5))
    conn.close()
    with lock:
        out["lat"] += lat
        out["errors"] += errors
        out["late"] += late


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def run(db: str, args) -> bool:
    """One run on one database; prints its line and returns whether it met the goal."""
    from sqlalchemy import text

    from bot.core.db import make_engine
    from tests.sim.wecom import WeComSimulator, new_aes_key

    schema = None
    if db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-load-')}/bot.db"
    else:
        base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        schema = "bench_" + uuid.uuid4().hex[:10]
        with make_engine(base).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    aes_key = new_aes_key()
    ready = mp.Queue()
    proc = mp.Process(target=_serve, args=(aes_key, url, args.threads, ready), daemon=True)
    proc.start()
    try:
        port = None
        while port is None:
            try:
                port = ready.get(timeout=1)
            except queue.Empty:
                if not proc.is_alive():
                    print(f"{db}: the bot process failed to start", file=sys.stderr)
                    return False
        sim = WeComSimulator(f"http://127.0.0.1:{port}", TOKEN, aes_key, CORP_ID)
        questions = _questions()
        out = {"lat": [], "errors": [], "late": 0}
        lock = threading.Lock()
        _user(-1, port, sim, questions, time.monotonic() + 1.0, 0.05, {"lat": [], "errors": [], "late": 0}, lock)
        deadline = time.monotonic() + args.seconds
        users = [threading.Thread(target=_user, args=(n, port, sim, questions, deadline, args.think, out, lock))
                 for n in range(args.users)]
        start = time.monotonic()
        for t in users:
            t.start()
            time.sleep(args.think / args.users)  # users arrive spread over one think time, not all at once
        for t in users:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        proc.terminate()
        proc.join(5)
        if schema:
            with make_engine(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
                             ).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    lat, errors = out["lat"], out["errors"]
    p99 = _pct(lat, 99)
    print(f"{db:10s}  users {args.users}  {len(lat)} answers in {elapsed:.0f} s ({len(lat) / elapsed:.1f}/s)  "
          f"p50 {_pct(lat, 50):.0f} ms  p90 {_pct(lat, 90):.0f} ms  p99 {p99:.0f} ms  max {_pct(lat, 100):.0f} ms  "
          f"late (pushed) {out['late']}  errors {len(errors)}")
    for err in sorted(set(errors))[:5]:
        print(f"            error: {err}")
    return not errors and p99 <= 300


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's answer and next question")
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}  real handlers and knowledge base  think {args.think} s  goal: p99 <= 300 ms, "
          "0 errors")
    ok = True
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        ok = run(db, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
