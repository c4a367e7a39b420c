"""Answer each platform message exactly once, within the platform's patience, pushing late answers afterwards."""
from __future__ import annotations

import itertools
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot import inline
from bot.channels.replies import reply_from_json
from bot.dedup import DONE, DedupStore
from bot.dedup_local import LocalFirstDedup
from bot.dispatcher import FAILURE_REPLY
from bot.core.message import Message, Reply
from bot.state_local import LocalFirstState
from bot.worker_registry import WorkerRegistry

log = logging.getLogger(__name__)

INLINE, PUSHED = "inline", "pushed"
PRUNE_EVERY = 5000  # claimed messages between two clean-ups of old dedup records
# Longer texts always go to an answer thread: the search's work grows with the question, and the request thread
# has no deadline of its own.
INLINE_TEXT_MAX = 500

# Called with the finished reply when the HTTP response has already gone without it.
LateSender = Callable[[Reply], None]


@dataclass
class Outcome:
    """What the route should put in its HTTP response."""

    reply: Reply | None  # None: answer with an empty 200; the answer is (or was) pushed separately
    duplicate: bool = False  # a platform retry of a message already claimed


class _Run:
    """One handler run; the waiting request and the run agree under a lock on who delivers the answer."""

    __slots__ = ("lock", "done", "reply", "abandoned")

    def __init__(self):
        self.lock = threading.Lock()
        self.done = threading.Lock()  # held until the reply is there: a bare lock is the cheapest one-shot signal
        self.done.acquire()
        self.reply: Reply | None = None
        self.abandoned = False


class _Workers:
    """A fixed set of daemon threads fed by a queue; lighter per job than a ThreadPoolExecutor."""

    def __init__(self, size: int):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._loop, name=f"answer-{i}", daemon=True) for i in range(size)]
        for t in self.threads:
            t.start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # the edge of a worker thread: one failed job (e.g. the DB is down) must not kill it
                log.exception("background answer job failed")

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on a worker thread."""
        self.jobs.put(fn)

    def close(self) -> None:
        """Finish the queued jobs, then stop the threads."""
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join(timeout=30)


class Answerer:
    """Runs the dispatcher for a message at most once across workers (see bot.dedup_local) with a deadline.

    A message whose run cannot wait on anything (``bot.inline``: quick handlers, conversation state in memory) is
    answered on the request's own thread; any other goes to an answer thread, so the request can give up waiting
    after ``wait`` seconds and the answer is pushed when it is ready.
    """

    def __init__(self, services, max_workers: int = 8):
        self.services = services
        store = DedupStore.for_url(services.config.database_url, services.engine, services.clock)
        # Claims in memory while this is the only worker process, through the database while there are others.
        self.dedup = LocalFirstDedup(store, WorkerRegistry(store.engine))
        self.state: LocalFirstState = services.state
        self.dedup.add_rider(self.state)  # conversation state in memory on the same terms as the claims
        self.pool = _Workers(max_workers)
        self._claims = itertools.count()

    def answer(self, msg: Message, wait: float, late: LateSender) -> Outcome:
        """Answer ``msg`` inline if ready within ``wait`` seconds, else hand it to ``late`` when it is."""
        if not msg.msg_id:
            return self._run_now(msg, wait, late, record=False)
        rec = self.dedup.claim(msg.channel, msg.msg_id)
        if rec.claimed:
            if next(self._claims) % PRUNE_EVERY == 0:  # at start, then now and then: old records go
                self.later(self.dedup.prune, "pruning old dedup records")
            return self._run_now(msg, wait, late, record=True)
        log.info("%s message %s is a retry (%s)", msg.channel, msg.msg_id, rec.status)
        if rec.status != DONE:
            rec = self.dedup.wait_done(msg.channel, msg.msg_id, wait)
        if rec is None or rec.delivery == PUSHED or rec.reply is None:
            return Outcome(None, duplicate=True)
        return Outcome(reply_from_json(rec.reply), duplicate=True)

    def _run_now(self, msg: Message, wait: float, late: LateSender, record: bool) -> Outcome:
        if wait > 0 and len(msg.text) <= INLINE_TEXT_MAX and self.dedup.solo_now():
            outcome = self._run_inline(msg, wait, late, record)
            if outcome is not None:
                return outcome
        return self._run_handed_off(msg, wait, late, record)

    def _run_inline(self, msg: Message, wait: float, late: LateSender, record: bool) -> Outcome | None:
        """Answer on this thread; None when the run reached a step that could wait (run it again elsewhere)."""
        started = time.monotonic()
        try:
            with inline.nonblocking(), self.state.staged():
                reply = self.services.dispatcher.dispatch(msg)
        except inline.WouldBlock:
            return None
        except Exception:  # as in _work: whatever escapes the dispatcher still gets a reply
            log.exception("dispatch failed for %s message %s", msg.channel, msg.msg_id)
            reply = Reply(FAILURE_REPLY)
        took = time.monotonic() - started
        if took > wait:  # a starved process: the platform has stopped listening
            log.info("%s message %s answered after %.1fs; it will be pushed", msg.channel, msg.msg_id, took)
            if record:
                self.dedup.finish(msg.channel, msg.msg_id, reply.to_json(), PUSHED)
            self.pool.submit(lambda: self.deliver_late(late, reply, msg))
            return Outcome(None)
        if record:
            self._record(msg, reply)
        return Outcome(reply)

    def _record(self, msg: Message, reply: Reply) -> None:
        # Recorded before the response goes, so a retry that follows gets this same answer.
        try:
            self.dedup.finish(msg.channel, msg.msg_id, reply.to_json(), INLINE)
        except (SQLAlchemyError, sqlite3.Error):  # the answer exists: deliver it even if the record fails
            log.exception("could not record the answer to %s message %s", msg.channel, msg.msg_id)

    def _run_handed_off(self, msg: Message, wait: float, late: LateSender, record: bool) -> Outcome:
        run = _Run()
        self.pool.submit(lambda: self._work(msg, run, late, record))
        run.done.acquire(timeout=wait)
        with run.lock:
            if run.reply is None:
                run.abandoned = True
                log.info("%s message %s not answered within %.1fs; it will be pushed", msg.channel, msg.msg_id, wait)
                return Outcome(None)
        if record:
            self._record(msg, run.reply)
        return Outcome(run.reply)

    def _work(self, msg: Message, run: _Run, late: LateSender, record: bool) -> None:
        try:
            reply = self.services.dispatcher.dispatch(msg)
        except Exception:  # the dispatcher catches handler errors; this catches the rest, so a reply still goes
            log.exception("dispatch failed for %s message %s", msg.channel, msg.msg_id)
            reply = Reply(FAILURE_REPLY)
        with run.lock:
            run.reply = reply
            pushed = run.abandoned
            run.done.release()
        if pushed:
            if record:
                self.dedup.finish(msg.channel, msg.msg_id, reply.to_json(), PUSHED)
            self.deliver_late(late, reply, msg)

    def deliver_late(self, late: LateSender, reply: Reply, msg: Message) -> None:
        """Push an answer through the platform's API; a failure is logged, never raised into a worker."""
        try:
            late(reply)
        except Exception:  # the edge of a background job: the platform API may fail in many ways
            log.exception("could not push the answer to %s message %s", msg.channel, msg.msg_id)

    def later(self, fn: Callable[[], None], what: str) -> None:
        """Run a follow-up push (e.g. the rest of a long answer) in the background."""
        def job():
            try:
                fn()
            except Exception:  # the edge of a background job
                log.exception("follow-up push failed: %s", what)

        self.pool.submit(job)

    def close(self) -> None:
        """Wait for running answers to finish, then write the last dedup records."""
        self.pool.close()
        self.dedup.close()
