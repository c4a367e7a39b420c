"""Search speed on the bundled corpus and on 10,000 generated passages, and the cold start of `bot ask`.

Prints numbers; targets: median search <= 2 ms (bundled), <= 10 ms (10,000 passages), cold start <= 1.5 s.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot.core.db import make_engine
from bot.schema import init_db  # noqa: E402
from knowledge import KnowledgeBase, store  # noqa: E402
from knowledge.rows import rows_for  # noqa: E402
from knowledge.parser import parse_document  # noqa: E402


def questions() -> list[str]:
    files = [ROOT / "eval" / "dev.jsonl", ROOT.parent / "shared" / "eval" / "qa_public.jsonl"]
    return [json.loads(line)["q"] for f in files if f.exists() for line in f.read_text("utf-8").splitlines() if line]


def median_ms(kb, qs, rounds=5) -> float:
    times = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            kb.search(q, k=5)
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def load_synthetic(sessions, n: int) -> None:
    from gen_corpus import generate

    with sessions() as s:
        for doc_id, text in generate(n):
            doc = store.KbDocument(id=doc_id, title=f"{doc_id} 合成管理办法", keywords=[], added_at=store.now())
            s.add(doc)
            s.add_all(rows_for(doc, parse_document(doc_id, text), Path(ROOT / "knowledge" / "data")))
        store.set_meta(s, "generation", str(time.time()))
        s.commit()


def cold_start(db_url: str, runs: int = 5) -> float:
    env = dict(os.environ, DATABASE_URL=db_url, LOG_LEVEL="WARNING")
    cmd = [sys.executable, "-m", "bot", "ask", "创优门槛多少钱"]
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)  # first start loads the corpus
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        sessions = init_db(make_engine(f"sqlite:///{tmp}/bundled.db"))
        kb = KnowledgeBase.open(sessions)
        print(f"bundled corpus: {len(kb.passages)} passages, median search {median_ms(kb, qs):.2f} ms (target <= 2 ms)")

        big = init_db(make_engine(f"sqlite:///{tmp}/big.db"))
        KnowledgeBase.open(big)
        t = time.perf_counter()
        load_synthetic(big, 10_000)
        built = time.perf_counter() - t
        t = time.perf_counter()
        kb = KnowledgeBase.open(big)
        opened = time.perf_counter() - t
        print(f"generated corpus: {len(kb.passages)} passages (tokenized in {built:.1f} s, index built in "
              f"{opened:.2f} s), median search {median_ms(kb, qs, rounds=2):.2f} ms (target <= 10 ms)")

        print(f"cold start of `python -m bot ask`: {cold_start(f'sqlite:///{tmp}/cli.db'):.2f} s (target <= 1.5 s)")


if __name__ == "__main__":
    main()
