"""Processed-message records: one claim per message across workers, on SQLite and PostgreSQL."""
import threading

import pytest

from bot.core.db import make_engine
from bot.schema import init_db
from bot.dedup import DONE, DedupStore


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request, db_url, clock):
    url = db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engines = [make_engine(url), make_engine(url)]
    init_db(engines[0])
    # Two stores with their own connections stand for two worker processes.
    yield [DedupStore.for_url(url, e, clock) for e in engines]
    for e in engines:
        e.dispose()


def test_only_the_first_claim_wins_and_the_answer_is_shared(two_workers):
    a, b = two_workers
    assert a.claim("wecom", "m1").claimed
    second = b.claim("wecom", "m1")
    assert not second.claimed and second.status == "running"
    a.finish("wecom", "m1", {"text": "答案"}, "inline")
    rec = b.claim("wecom", "m1")
    assert not rec.claimed and rec.status == DONE and rec.reply == {"text": "答案"} and rec.delivery == "inline"
    assert b.claim("dingtalk", "m1").claimed  # ids are per channel


def test_concurrent_claims_from_many_threads_yield_one_winner(two_workers):
    wins = []

    def go(store):
        if store.claim("wecom", "race").claimed:
            wins.append(1)

    threads = [threading.Thread(target=go, args=(two_workers[i % 2],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_a_waiting_retry_sees_the_answer_when_it_lands(two_workers):
    a, b = two_workers
    a.claim("wecom", "m2")
    threading.Timer(0.2, a.finish, args=("wecom", "m2", {"text": "晚到的答案"}, "pushed")).start()
    rec = b.wait_done("wecom", "m2", timeout=3)
    assert rec.reply["text"] == "晚到的答案" and rec.delivery == "pushed"
    assert b.wait_done("wecom", "never-claimed", timeout=0.1) is None


def test_a_run_lost_with_its_worker_can_be_taken_over_later(two_workers, clock):
    a, b = two_workers
    a.claim("wecom", "m3")
    assert not b.claim("wecom", "m3").claimed
    clock.advance(minutes=11)
    assert b.claim("wecom", "m3").claimed


def test_old_records_are_pruned(two_workers, clock):
    a, _ = two_workers
    a.claim("wecom", "old")
    clock.advance(days=3)
    a.claim("wecom", "new")
    assert a.prune() == 1
    assert a.get("wecom", "old") is None and a.get("wecom", "new") is not None
