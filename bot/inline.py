"""Runs that must not wait: a handler answered on the request's own thread may only compute, never block.

The channels answer a message on the request thread when nothing in the run can wait (on the database, a lock, a
sleep), and on an answer thread with a deadline otherwise. Inside ``nonblocking()``, anything that could wait
calls ``refuse()``, which unwinds the run with ``WouldBlock``; the channel then runs the message again on an
answer thread. Writes a refused run made to conversation state are staged, never applied (see bot.state_local).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

_local = threading.local()


class WouldBlock(BaseException):
    """Raised inside a non-blocking run at the first step that could wait.

    A BaseException, like GeneratorExit: the dispatcher and the handlers catch ``Exception`` to turn failures into
    polite replies, and this is not a failure but a request to start over elsewhere.
    """


@contextlib.contextmanager
def nonblocking() -> Iterator[None]:
    """Within the block, every ``refuse()`` raises ``WouldBlock``."""
    outer = getattr(_local, "on", False)
    _local.on = True
    try:
        yield
    finally:
        _local.on = outer


def refuse(what: str) -> None:
    """Called before a step that could wait; unwinds a non-blocking run, does nothing elsewhere."""
    if getattr(_local, "on", False):
        raise WouldBlock(what)


class GuardedSessions:
    """A sessionmaker that refuses to open a session inside a non-blocking run."""

    def __init__(self, maker):
        self.maker = maker

    def __call__(self, **kw):
        refuse("database session")
        return self.maker(**kw)

    def begin(self):
        """Like ``sessionmaker.begin()``."""
        refuse("database session")
        return self.maker.begin()

    def __getattr__(self, name):
        return getattr(self.maker, name)


def guard_engine(engine: Engine) -> None:
    """Refuse any connection a non-blocking run takes by another path than ``GuardedSessions``."""
    # The pool's checkout event fires after a free connection is found: a backstop, not the first line.
    if not getattr(engine, "_bot_inline_guard", False):
        event.listen(engine.pool, "checkout", lambda *_: refuse("database connection"))
        engine._bot_inline_guard = True
