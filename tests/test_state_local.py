"""Conversation state in memory while one worker is alone: the database gets it behind, and a newcomer sees it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import inline
from bot.core.db import make_engine
from bot.schema import init_db
from bot.dedup import DedupStore
from bot.dedup_local import LocalFirstDedup
from bot.inline import GuardedSessions
from bot.state import ConversationState, StateStore
from bot.state_local import LocalFirstState
from bot.worker_registry import WorkerRegistry
from tests.sim.fixtures import wait_for
from tests.test_dedup_local import FAST, url  # noqa: F401 - the fixture runs these tests on SQLite and PostgreSQL

KEY = ("wecom", "zhangsan", "zhangsan")


@pytest.fixture
def start(url, clock):  # noqa: F811
    """A worker as one process of ``bot serve`` has it: claims and conversation state, its own engine."""
    made = []

    def start_worker(**options):
        engine = make_engine(url)
        sessions = init_db(engine)
        state = LocalFirstState(GuardedSessions(sessions), clock)
        dedup = LocalFirstDedup(DedupStore.for_url(url, engine, clock), WorkerRegistry(engine, ttl=2.0),
                                **{**FAST, **options})
        dedup.add_rider(state)
        made.append((dedup, engine))
        dedup.claim("wecom", f"start-{len(made)}")  # starts the keeper, as the first message does
        return dedup, state

    yield start_worker
    for dedup, engine in made:
        dedup.close()
        engine.dispose()


def stored(url, clock, kind="qa"):  # noqa: F811
    """The state as the database holds it, read by a plain StateStore as another process would."""
    engine = make_engine(url)
    try:
        return StateStore(init_db(engine), clock).get(KEY, kind)
    finally:
        engine.dispose()


def test_a_lone_worker_keeps_state_in_memory_and_writes_it_behind(start, url, clock):  # noqa: F811
    dedup, state = start()
    assert wait_for(lambda: dedup.mode == "solo")
    state.put(KEY, "qa", {"q": "创优投资额", "doc": "award"})
    with inline.nonblocking():  # answered from memory: no database, so a request thread may ask
        assert state.get(KEY, "qa") == {"q": "创优投资额", "doc": "award"}
    assert wait_for(lambda: stored(url, clock) == {"q": "创优投资额", "doc": "award"})
    state.clear(KEY, "qa")
    assert wait_for(lambda: stored(url, clock) is None)


def test_a_reader_gets_its_own_copy(start):
    dedup, state = start()
    assert wait_for(lambda: dedup.mode == "solo")
    state.put(KEY, "eligibility", {"facts": {"investment": 1e8}})
    got = state.get(KEY, "eligibility")
    got["facts"]["investment"] = 0
    assert state.get(KEY, "eligibility") == {"facts": {"investment": 1e8}}


def test_a_newcomer_sees_the_state_written_alone_and_the_first_worker_then_sees_the_newcomers(start):
    first, first_state = start(flush_every=30)  # nothing written behind until another worker shows up
    assert wait_for(lambda: first.mode == "solo")
    first_state.put(KEY, "qa", {"q": "优质工程投资额", "doc": "award"})
    second, second_state = start()
    assert wait_for(lambda: first.mode == "shared" and second.mode == "shared")
    assert second_state.get(KEY, "qa") == {"q": "优质工程投资额", "doc": "award"}
    second_state.put(KEY, "qa", {"q": "精品工程投资额", "doc": "boutique"})
    assert first_state.get(KEY, "qa") == {"q": "精品工程投资额", "doc": "boutique"}
    with inline.nonblocking(), pytest.raises(inline.WouldBlock):
        first_state.get(KEY, "qa")  # shared: the database is the truth, so a request thread may not ask


def test_state_written_alone_survives_a_restart(start, url, clock):  # noqa: F811
    before, state = start(flush_every=30)
    assert wait_for(lambda: before.mode == "solo")
    state.put(KEY, "qa", {"q": "重启前的问题"})
    before.close()
    assert stored(url, clock) == {"q": "重启前的问题"}
    _, after = start()
    assert after.get(KEY, "qa") == {"q": "重启前的问题"}


def test_idle_state_expires_in_memory_and_in_the_database(start, url, clock):  # noqa: F811
    dedup, state = start()
    assert wait_for(lambda: dedup.mode == "solo")
    state.put(KEY, "qa", {"q": "旧问题"})
    assert wait_for(lambda: stored(url, clock) is not None)
    clock.advance(minutes=31)
    assert state.get(KEY, "qa", max_idle=timedelta(minutes=30)) is None
    assert state.get(KEY, "qa") is None
    assert wait_for(lambda: stored(url, clock) is None)


def test_a_refused_run_leaves_no_write_behind(start, url, clock):  # noqa: F811
    dedup, state = start()
    assert wait_for(lambda: dedup.mode == "solo")
    state.put(KEY, "qa", {"n": 1})
    with pytest.raises(inline.WouldBlock), inline.nonblocking(), state.staged():
        state.put(KEY, "qa", {"n": 2})
        assert state.get(KEY, "qa") == {"n": 2}  # the run sees its own write
        state.get(KEY, "eligibility")  # not in memory yet: reading it could wait on the database
    assert state.get(KEY, "qa") == {"n": 1}
    with inline.nonblocking(), state.staged():
        state.put(KEY, "qa", {"n": 3})
    assert state.get(KEY, "qa") == {"n": 3}
    assert wait_for(lambda: stored(url, clock) == {"n": 3})


def test_without_a_worker_around_it_is_a_plain_database_store(url, clock):  # noqa: F811
    engine = make_engine(url)
    sessions = init_db(engine)
    state = LocalFirstState(GuardedSessions(sessions), clock)
    state.put(KEY, "qa", {"q": "命令行里问的"})
    with sessions() as s:  # written at once, as the CLI expects
        row = s.execute(select(ConversationState).where(ConversationState.user_id == KEY[2])).scalar_one()
        assert row.data == {"q": "命令行里问的"}
    with inline.nonblocking(), pytest.raises(inline.WouldBlock):
        state.get(KEY, "qa")
    engine.dispose()
