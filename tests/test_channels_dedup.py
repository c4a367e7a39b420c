"""Processed-message records: one claim per message across workers, on SQLite and PostgreSQL."""
import socket
import subprocess
import sys
import threading
from datetime import timezone

import pytest

from bot.core.db import make_engine
from bot.schema import init_db
from bot.dedup import DONE, DedupStore, ProcessedMessage
from bot.state import ConversationState


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workers(request, db_url, clock):
    url = db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engines = [make_engine(url), make_engine(url)]
    init_db(engines[0])
    # Two stores with their own connections stand for two worker processes.
    yield [DedupStore(e, clock) for e in engines]
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


def _claimed_by(store, msg_id, owner, clock):
    with store.engine.begin() as conn:
        conn.execute(ProcessedMessage.__table__.insert().values(
            channel="wecom", msg_id=msg_id, status="running", delivery="", owner=owner, claimed_at=clock().astimezone(timezone.utc)))


def test_a_run_whose_process_died_on_this_host_is_taken_over_at_once(two_workers, clock):
    a, _ = two_workers
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _claimed_by(a, "m4", f"{socket.gethostname()}:{dead.pid}:0badf00d", clock)
    assert a.claim("wecom", "m4").claimed
    assert not a.claim("wecom", "m4").claimed  # the takeover is a claim like any other: one winner


def test_a_run_of_a_live_process_or_another_host_is_left_to_it(two_workers, clock):
    a, _ = two_workers
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _claimed_by(a, "m5", f"{socket.gethostname()}:{alive.pid}:0badf00d", clock)
        _claimed_by(a, "m6", "elsewhere.example:1:0badf00d", clock)
        assert not a.claim("wecom", "m5").claimed
        assert not a.claim("wecom", "m6").claimed
        clock.advance(minutes=11)
        assert a.claim("wecom", "m6").claimed  # another host is only known dead by the age of its claim
    finally:
        alive.kill()


def test_the_answer_and_the_conversation_state_it_changed_land_together(two_workers, clock):
    a, b = two_workers
    a.claim("wecom", "m7")
    key = ("wecom", "u1", "u1", "qa")
    a.finish("wecom", "m7", {"text": "答案"}, "inline", {key: ({"q": "创优门槛"}, clock())})
    with b.engine.connect() as conn:
        row = conn.execute(ConversationState.__table__.select()).one()
    assert row.data == {"q": "创优门槛"} and b.get("wecom", "m7").status == DONE

    a.claim("wecom", "m8")
    broken = {key: ({"q": "下一个问题"}, clock()), ("wecom", "u1", "u1", "eligibility"): ({"facts": {1, 2}}, clock())}
    with pytest.raises(Exception):
        a.finish("wecom", "m8", {"text": "答案"}, "inline", broken)  # a set is no JSON: the second write fails
    with b.engine.connect() as conn:
        rows = conn.execute(ConversationState.__table__.select()).all()
    assert [r.data for r in rows] == [{"q": "创优门槛"}] and b.get("wecom", "m8").status == "running"
