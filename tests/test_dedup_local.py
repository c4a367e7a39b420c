"""Claims in memory while one worker is alone, through the database while several are: one winner either way."""
import gc
import logging
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from bot.core.db import make_engine
from bot.schema import init_db
from bot.dedup import DONE, DedupStore, ProcessedMessage
from bot.dedup_local import LocalFirstDedup
from bot.worker_registry import ChannelWorker, WorkerRegistry
from tests.sim.fixtures import wait_for

FAST = {"flush_every": 0.02, "beat_every": 0.05}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url):
    url = db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    return url


@pytest.fixture
def start(url, clock):
    """Start a worker with its own engine and registry, as a separate process would."""
    made = []

    def start_worker(ttl: float = 2.0, **options) -> LocalFirstDedup:
        engine = make_engine(url)
        store = DedupStore.for_url(url, engine, clock)
        worker = LocalFirstDedup(store, WorkerRegistry(store.engine, ttl=ttl), **{**FAST, **options})
        made.append((worker, {engine, store.engine}))
        return worker

    yield start_worker
    for worker, engines in made:
        worker.close()
        for engine in engines:
            engine.dispose()


@pytest.fixture
def db(url, clock):
    """What the database holds, read as another process would."""
    engine = make_engine(url)
    yield DedupStore(engine, clock)
    engine.dispose()


def add_worker_row(db, **row):
    with db.engine.begin() as conn:
        conn.execute(insert(ChannelWorker.__table__).values(heartbeat_at=datetime.now(timezone.utc), **row))


def test_a_lone_worker_answers_a_retry_from_memory_and_writes_the_records_behind(start, db):
    worker = start()
    assert worker.claim("wecom", "m1").claimed
    assert worker.mode == "solo"
    retry = worker.claim("wecom", "m1")
    assert not retry.claimed and retry.status == "running"
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(worker.wait_done("wecom", "m1", timeout=5)))
    waiter.start()
    worker.finish("wecom", "m1", {"text": "答案"}, "inline")
    waiter.join(5)
    assert waited[0].reply == {"text": "答案"} and waited[0].delivery == "inline"
    again = worker.claim("wecom", "m1")
    assert not again.claimed and again.status == DONE and again.reply == {"text": "答案"}

    def stored():
        rec = db.get("wecom", "m1")
        return rec is not None and rec.status == DONE and rec.reply == {"text": "答案"} and rec.delivery == "inline"

    assert wait_for(stored)
    assert worker.claim("dingtalk", "m1").claimed  # ids are per channel


def test_two_workers_started_apart_let_exactly_one_claim_win(start):
    first = start(flush_every=30)  # its claims stay in memory until another worker shows up
    assert first.claim("wecom", "early").claimed
    assert first.mode == "solo"
    second = start()
    results, lock = [], threading.Lock()

    def go(worker, msg_id):
        rec = worker.claim("wecom", msg_id)
        with lock:
            results.append((msg_id, rec.claimed))

    # Right after the second starts: claims of a message the first holds only in memory, and a race for a new one.
    threads = [threading.Thread(target=go, args=(second, "early"))]
    threads += [threading.Thread(target=go, args=((first, second)[i % 2], "race")) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert ("early", False) in results and ("early", True) not in results
    assert sum(claimed for msg_id, claimed in results if msg_id == "race") == 1
    assert first.mode == "shared" and second.mode == "shared"


def test_a_retry_at_another_worker_gets_the_answer_once_written(start):
    first = start()
    assert first.claim("wecom", "m2").claimed
    second = start()
    assert not second.claim("wecom", "m2").claimed
    threading.Timer(0.1, first.finish, args=("wecom", "m2", {"text": "晚到的答案"}, "pushed")).start()
    rec = second.wait_done("wecom", "m2", timeout=5)
    assert rec.reply == {"text": "晚到的答案"} and rec.delivery == "pushed"


def test_a_restarted_worker_still_knows_a_message_answered_before(start):
    before = start(flush_every=30)  # nothing written until it closes
    assert before.claim("wecom", "m3").claimed
    before.finish("wecom", "m3", {"text": "重启前的答案"}, "inline")
    before.close()
    after = start()
    rec = after.claim("wecom", "m3")
    assert not rec.claimed and rec.status == DONE
    assert rec.reply == {"text": "重启前的答案"} and rec.delivery == "inline"
    assert after.mode == "solo"


def test_a_peer_that_leaves_lets_the_survivor_claim_alone_and_remember_its_messages(start):
    survivor, peer = start(), start()
    assert survivor.claim("wecom", "a").claimed
    assert peer.claim("wecom", "b").claimed
    assert wait_for(lambda: survivor.mode == "shared" and peer.mode == "shared")
    peer.finish("wecom", "b", {"text": "乙的答案"}, "inline")
    peer.close()
    assert wait_for(lambda: survivor.mode == "solo")
    rec = survivor.claim("wecom", "b")
    assert not rec.claimed and rec.reply == {"text": "乙的答案"}


def test_a_peer_that_stops_beating_lets_the_survivor_claim_alone_after_the_ttl(start, url):
    engine = make_engine(url)
    peer = WorkerRegistry(engine, ttl=0.5)
    peer.host, peer.worker_id = "elsewhere", "elsewhere:4242:cafe"  # a process on another machine
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            peer.beat(solo=False)
            stop.wait(0.05)

    peer.beat(solo=False)
    beater = threading.Thread(target=beat)
    beater.start()
    try:
        survivor = start(ttl=0.5)
        assert survivor.claim("wecom", "m4").claimed
        assert survivor.mode == "shared"
    finally:
        stop.set()
        beater.join()
    assert wait_for(lambda: survivor.mode == "solo")
    assert not survivor.claim("wecom", "m4").claimed
    engine.dispose()


def test_a_dead_process_left_on_this_host_does_not_hold_up_startup(start, db, caplog):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    add_worker_row(db, worker_id=f"{socket.gethostname()}:{gone.pid}:dead", host=socket.gethostname(),
                   pid=gone.pid, solo=True)
    worker = start(ttl=60)  # only the pid can tell it is gone
    with caplog.at_level(logging.WARNING):
        assert worker.claim("wecom", "m5").claimed
    assert worker.mode == "solo"
    assert "no go-ahead" not in caplog.text
    with db.engine.connect() as conn:
        assert conn.execute(select(ChannelWorker.worker_id)).scalars().all() == [worker.registry.worker_id]


def test_without_a_go_ahead_claims_fall_back_to_the_database_with_a_warning(start, db, caplog):
    # A live worker elsewhere that claims alone and never hands over (e.g. its database writes keep failing).
    add_worker_row(db, worker_id="elsewhere:7:stuck", host="elsewhere", pid=os.getpid(), solo=True)
    worker = start(ttl=60, ready_wait=0.2)
    with caplog.at_level(logging.WARNING):
        assert worker.claim("wecom", "m6").claimed
    assert "no go-ahead" in caplog.text
    assert db.get("wecom", "m6") is not None  # claimed through the database, visible to every worker at once
    assert not worker.claim("wecom", "m6").claimed


def test_a_worker_dropped_without_close_stops_its_keeper(url, clock):
    before = {t for t in threading.enumerate() if t.name == "dedup-keeper"}
    engine = make_engine(url)
    worker = LocalFirstDedup(DedupStore(engine, clock), WorkerRegistry(engine), **FAST)
    worker.claim("wecom", "m7")
    keepers = {t for t in threading.enumerate() if t.name == "dedup-keeper"} - before
    assert len(keepers) == 1
    del worker
    gc.collect()
    assert wait_for(lambda: not any(t.is_alive() for t in keepers))
    engine.dispose()


def test_a_message_already_in_the_database_keeps_the_answer_and_is_reported(start, db, caplog):
    worker = start()
    assert worker.claim("wecom", "warm").claimed and worker.mode == "solo"
    # Claimed elsewhere after this worker loaded the recent claims: memory does not know it.
    with db.engine.begin() as conn:
        conn.execute(insert(ProcessedMessage.__table__).values(
            channel="wecom", msg_id="m9", status="running", delivery="", claimed_at=datetime.now(timezone.utc)))
    with caplog.at_level(logging.WARNING, logger="bot.dedup_local"):
        assert worker.claim("wecom", "m9").claimed
        assert worker.claim("wecom", "m10").claimed  # an ordinary message written in the same batch
        worker.finish("wecom", "m9", {"text": "我们的答案"}, "inline")
        worker.finish("wecom", "m10", {"text": "另一条答案"}, "pushed")
        assert wait_for(lambda: all((rec := db.get("wecom", m)) is not None and rec.status == DONE
                                    for m in ("m9", "m10")), timeout=5)
    rec = db.get("wecom", "m9")
    assert rec.reply == {"text": "我们的答案"} and rec.delivery == "inline"
    other = db.get("wecom", "m10")
    assert other.reply == {"text": "另一条答案"} and other.delivery == "pushed"
    assert "wecom:m10" not in caplog.text
    assert "may have been answered twice: wecom:m9" in caplog.text
