"""Quick handlers answer on the request thread, and still never hold WeCom past its patience nor answer twice."""
import threading
import time

import pytest
from sqlalchemy import text

from bot.core.message import Reply
from tests.sim.fixtures import aes_key, platform_fakes, running_bot, wait_for  # noqa: F401 - fixtures


class QuickHandler:
    """A handler that says it only computes; each test makes it misbehave in one way."""

    name = "quick-test"
    quick = True

    def __init__(self):
        self.threads: list[str] = []
        self.gate = None  # running_bot opens it on the way out
        self.sleep = 0.0
        self.write_db = False

    def matches(self, msg, ctx):
        return True

    def handle(self, msg, ctx):
        self.threads.append(threading.current_thread().name)
        seen = (ctx.state.get(msg.key, "quick-test") or {}).get("n", 0) + 1
        ctx.state.put(msg.key, "quick-test", {"n": seen})
        if self.write_db:  # e.g. a handler that keeps a log table: the write may wait on the database's lock
            with ctx.sessions.begin() as s:
                s.execute(text("UPDATE conversation_state SET data = data WHERE kind = 'quick-test'"))
        time.sleep(self.sleep)
        return Reply(f"第{seen}次：{msg.text}")


@pytest.fixture
def quick(monkeypatch):
    handler = QuickHandler()
    monkeypatch.setattr("bot.services.default_handlers", lambda: [handler])
    return handler


@pytest.fixture
def bot(db_url, aes_key, clock, quick, platform_fakes):
    with running_bot(db_url, aes_key, clock, quick, platform_fakes) as bot:
        bot.wecom.send_text("开始", user="warmup", msg_id="warm-1")  # the first message starts the worker keeper
        assert wait_for(lambda: bot.app.extensions["bot.answerer"].dedup.solo_now())
        yield bot


def test_a_quick_handler_answers_on_the_request_thread_once_its_conversation_is_in_memory(bot, quick):
    replies = [bot.wecom.open_reply(bot.wecom.send_text(q, user="lisi"))["Content"] for q in ("一问", "二问")]
    assert replies == ["第1次：一问", "第2次：二问"]
    # The first message read the conversation from the database, which may wait: it went to an answer thread.
    assert quick.threads[-2].startswith("answer-") and not quick.threads[-1].startswith("answer-")


def test_a_quick_handler_waiting_on_a_locked_database_still_gets_an_empty_200_in_time(bot, quick, db_url):
    import sqlite3

    bot.wecom.send_text("先来一句", user="wangwu")  # the conversation is in memory from now on
    quick.write_db = True
    locker = sqlite3.connect(db_url.split("///", 1)[1], timeout=5, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 2 s
    threading.Timer(2.0, locker.rollback).start()
    started = time.monotonic()
    resp = bot.wecom.send_text("要写库的问题", user="wangwu", msg_id="lock-1")
    assert resp.status_code == 200 and resp.content == b""
    assert time.monotonic() - started < 1.8  # REPLY_WAIT_SECONDS is 1 s here; the lock lasts 2 s
    fake = bot.extras["wecom_api"]
    assert wait_for(lambda: fake.delivered("app"))
    # The run that met the lock on the request thread left no trace: the pushed answer counts this message once.
    assert [a.body["text"]["content"] for a in fake.delivered("app")] == ["第2次：要写库的问题"]
    locker.close()


def test_a_quick_handler_that_overruns_the_deadline_has_its_answer_pushed_once(bot, quick):
    quick.sleep = 1.3  # past REPLY_WAIT_SECONDS (1 s): WeCom stops listening to this response
    resp = bot.wecom.send_text("很慢的问题", user="zhaoliu", msg_id="slow-1")
    assert resp.status_code == 200 and resp.content == b""
    fake = bot.extras["wecom_api"]
    assert wait_for(lambda: fake.delivered("app"))
    quick.sleep = 0
    again = bot.wecom.send_text("很慢的问题", user="zhaoliu", msg_id="slow-1")  # WeCom's retry
    assert again.status_code == 200 and again.content == b""
    time.sleep(0.2)
    assert [a.body["text"]["content"] for a in fake.delivered("app")] == ["第1次：很慢的问题"]
