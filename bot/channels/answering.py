"""Answer each platform message exactly once, within the platform's patience, pushing late answers afterwards."""
from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.channels.replies import reply_from_json
from bot.core.message import Message, Reply
from bot.dedup import DONE, DedupStore
from bot.dispatcher import FAILURE_REPLY
from bot.state import Changes

log = logging.getLogger(__name__)

INLINE, PUSHED = "inline", "pushed"
PRUNE_EVERY = 5000  # claimed messages between two clean-ups of old dedup records

# Called with the finished reply when the HTTP response has already gone without it.
LateSender = Callable[[Reply], None]


@dataclass
class Outcome:
    """What the route should put in its HTTP response."""

    reply: Reply | None  # None: answer with an empty 200; the answer is (or was) pushed separately
    duplicate: bool = False  # a platform retry of a message already claimed


class _Run:
    """One handler run; the waiting request and the run agree under a lock on who delivers the answer."""

    __slots__ = ("lock", "done", "reply", "changes", "abandoned")

    def __init__(self):
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.reply: Reply | None = None
        self.changes: Changes = {}
        self.abandoned = False


class Answerer:
    """Runs the dispatcher for a message at most once across workers, on an answer thread with a deadline.

    The message is claimed in the database first. Its run's conversation-state changes are held back and written
    with the finished record in one transaction, before the reply leaves: in the HTTP response when the run is done
    within ``wait`` seconds, pushed through the platform's API when it is done later.
    """

    def __init__(self, services, max_workers: int = 8):
        self.services = services
        self.dedup = DedupStore(services.engine, services.clock)
        self.pool = ThreadPoolExecutor(max_workers, thread_name_prefix="answer")
        self._claims = itertools.count()

    def answer(self, msg: Message, wait: float, late: LateSender) -> Outcome:
        """Answer ``msg`` in the response if ready within ``wait`` seconds, else hand it to ``late`` when it is."""
        if not msg.msg_id:
            return self._run(msg, wait, late, record=False)
        rec = self.dedup.claim(msg.channel, msg.msg_id)
        if rec.claimed:
            if next(self._claims) % PRUNE_EVERY == 0:  # at start, then now and then: old records go
                self.later(self.dedup.prune, "pruning old dedup records")
            return self._run(msg, wait, late, record=True)
        log.info("%s message %s is a retry (%s)", msg.channel, msg.msg_id, rec.status)
        if rec.status != DONE:
            rec = self.dedup.wait_done(msg.channel, msg.msg_id, wait)
        if rec is None or rec.delivery == PUSHED or rec.reply is None:
            return Outcome(None, duplicate=True)
        return Outcome(reply_from_json(rec.reply), duplicate=True)

    def _run(self, msg: Message, wait: float, late: LateSender, record: bool) -> Outcome:
        run = _Run()
        self.pool.submit(self._work, msg, run, late, record)
        run.done.wait(wait)
        with run.lock:
            if run.reply is None:
                run.abandoned = True
                log.info("%s message %s not answered within %.1fs; it will be pushed", msg.channel, msg.msg_id, wait)
                return Outcome(None)
        if record:
            self._record(msg, run.reply, run.changes, INLINE)
        return Outcome(run.reply)

    def _work(self, msg: Message, run: _Run, late: LateSender, record: bool) -> None:
        # Without a message id there is no record to write the state with: it is written as the handlers go.
        collecting = self.services.state.collect() if record else contextlib.nullcontext({})
        try:
            with collecting as changes:
                reply = self.services.dispatcher.dispatch(msg)
        except Exception:  # the dispatcher catches handler errors; this catches the rest, so a reply still goes
            log.exception("dispatch failed for %s message %s", msg.channel, msg.msg_id)
            reply, changes = Reply(FAILURE_REPLY), {}
        with run.lock:
            run.reply, run.changes = reply, changes
            pushed = run.abandoned
            run.done.set()
        if pushed:
            if record:
                self._record(msg, reply, changes, PUSHED)
            self.deliver_late(late, reply, msg)

    def _record(self, msg: Message, reply: Reply, changes: Changes, delivery: str) -> None:
        # Written before the answer goes, so a retry that follows gets this same answer and the conversation
        # moves on exactly once.
        try:
            self.dedup.finish(msg.channel, msg.msg_id, reply.to_json(), delivery, changes)
        except SQLAlchemyError:  # the answer exists: deliver it even if the record fails
            log.exception("could not record the answer to %s message %s", msg.channel, msg.msg_id)

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
        """Wait for running answers and pushes to finish."""
        self.pool.shutdown(wait=True)
