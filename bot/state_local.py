"""Conversation state in memory while this process claims messages alone, written to the database behind.

Every answered question reads and writes its conversation's state. While this worker is the only one (the solo
lease of ``bot.dedup_local``), nobody else writes state, so memory is the truth and the database follows in
batches; that lets a message be answered on the request thread without waiting on the database (``bot.inline``).
When another worker shows up, memory is dropped and the pending writes land before the newcomer gets the go-ahead.
Values are kept as JSON text, so a handler gets a fresh copy on every read, as it would from the database.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from bot import inline
from bot.core.clock import Clock, as_utc, system_clock
from bot.state import ConversationState, StateStore

_TABLE = ConversationState.__table__
_KEY = [_TABLE.c.channel, _TABLE.c.chat_id, _TABLE.c.user_id, _TABLE.c.kind]
_MISSING = object()

# (channel, chat_id, user_id, kind) -> (JSON text, or None when there is no state; when it was written)
Entry = tuple[str | None, datetime]


class LocalFirstState(StateStore):
    """``StateStore`` answered from memory while ``held()`` says this worker is alone."""

    def __init__(self, sessions, clock: Clock = system_clock, keep: timedelta = timedelta(hours=2)):
        super().__init__(sessions, clock)
        self.keep = keep.total_seconds()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one batch on its way at a time, so an older one never lands last
        self._held: Callable[[], bool] | None = None  # set while in memory mode
        self._cache: dict[tuple, tuple[Entry, float]] = {}  # entry, time.monotonic() of the last write or load
        self._pending: dict[tuple, Entry] = {}  # the last write of each key not yet in the database
        self._local = threading.local()
        self._engine = sessions.kw["bind"]
        ins = (sqlite if self._engine.dialect.name == "sqlite" else postgresql).insert(_TABLE)
        # Built once, as the dedup keeper's statements: "replace the row's data, or insert the row".
        self._upsert = ins.on_conflict_do_update(
            index_elements=_KEY, set_={"data": ins.excluded.data, "updated_at": ins.excluded.updated_at})

    # --- modes, switched by the dedup keeper ----------------------------------------------------------------------

    def enter_memory(self, held: Callable[[], bool]) -> None:
        """From now on, while ``held()``, memory is the truth; it starts empty and fills from the database."""
        with self._lock:
            # Writes that did not reach the database yet (it failed) stay the truth until they do.
            mono = time.monotonic()
            self._cache = {k: (entry, mono) for k, entry in self._pending.items()}
            self._held = held

    def leave_memory(self) -> None:
        """Back to the database for every read; pending writes stay until ``flush()``."""
        with self._lock:
            self._held = None
            self._cache.clear()

    def in_memory(self) -> bool:
        """True while reads and writes are answered from memory."""
        held = self._held
        return held is not None and held()

    # --- staging: a run that may be refused applies its writes only when it completes ----------------------------

    @contextlib.contextmanager
    def staged(self) -> Iterator[None]:
        """Writes inside the block are seen by its own reads and applied only if the block completes."""
        writes: dict[tuple, Entry] = {}
        self._local.staged = writes
        try:
            yield
        finally:
            self._local.staged = None
        if writes:
            self._apply(writes)  # reached only without an exception: a refused run leaves no trace

    # --- the StateStore calls -------------------------------------------------------------------------------------

    def get(self, key: tuple[str, str, str], kind: str, max_idle: timedelta | None = None) -> dict[str, Any] | None:
        """Return the stored state, or None when absent or idle for longer than ``max_idle`` (then it is dropped)."""
        k = (*key, kind)
        staged = getattr(self._local, "staged", None)
        if staged and k in staged:
            return self._fresh(k, staged[k], max_idle)
        with self._lock:
            cached = self._cache.get(k, _MISSING) if self._held is not None and self._held() else None
        if cached is None:  # not in memory mode
            inline.refuse("conversation state")
            self._lapsed()
            return super().get(key, kind, max_idle)
        if cached is _MISSING:
            inline.refuse("conversation state")
            return self._fresh(k, self._load(k), max_idle)
        return self._fresh(k, cached[0], max_idle)

    def put(self, key: tuple[str, str, str], kind: str, data: dict[str, Any]) -> None:
        """Store (replace) the state and mark it as touched now."""
        self._write((*key, kind), json.dumps(dict(data), ensure_ascii=False))

    def clear(self, key: tuple[str, str, str], kind: str) -> None:
        """Forget the state of that kind for the key."""
        self._write((*key, kind), None)

    # --- internals ------------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def _fresh(self, k: tuple, entry: Entry, max_idle: timedelta | None) -> dict[str, Any] | None:
        text, at = entry
        if text is None:
            return None
        if max_idle is not None and self._now() - at > max_idle:
            self._write(k, None)
            return None
        return json.loads(text)

    def _write(self, k: tuple, text: str | None) -> None:
        staged = getattr(self._local, "staged", None)
        if staged is not None:
            staged[k] = (text, self._now())
        else:
            self._apply({k: (text, self._now())})

    def _apply(self, writes: dict[tuple, Entry]) -> None:
        with self._lock:
            if self._held is not None and self._held():
                mono = time.monotonic()
                for k, entry in writes.items():
                    self._cache.pop(k, None)  # re-inserted at the end: the dict stays ordered by last write
                    self._cache[k] = (entry, mono)
                self._pending.update(writes)
                return
            for k in writes:  # written below, past memory: an entry kept there would be stale
                self._cache.pop(k, None)
        self._lapsed()
        for k, (text, _) in writes.items():  # not alone (any more): straight to the database, as StateStore does
            if text is None:
                super().clear(k[:3], k[3])
            else:
                super().put(k[:3], k[3], json.loads(text))

    def _load(self, k: tuple) -> Entry:
        """Read one key from the database into memory (unless a write got there first)."""
        with self.sessions() as s:
            row = s.get(ConversationState, k)
            entry = (None, self._now()) if row is None else (
                json.dumps(row.data or {}, ensure_ascii=False), as_utc(row.updated_at))
        with self._lock:
            if self._held is not None:
                current = self._cache.get(k)
                if current is not None:
                    return current[0]
                self._cache[k] = (entry, time.monotonic())
        return entry

    def _lapsed(self) -> None:
        # Memory mode without a fresh lease: the database is about to be read, so it must hold every write first.
        if self._pending:
            self.flush()

    def flush(self) -> None:
        """Write every pending change in one transaction; on failure they stay pending."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return
            try:
                self._write_batch(batch)
            except BaseException:
                with self._lock:
                    for k, entry in batch.items():
                        self._pending.setdefault(k, entry)  # a newer write made meanwhile wins
                raise

    def _write_batch(self, batch: dict[tuple, Entry]) -> None:
        rows = [dict(channel=k[0], chat_id=k[1], user_id=k[2], kind=k[3], data=json.loads(text), updated_at=at)
                for k, (text, at) in batch.items() if text is not None]
        gone = [k for k, (text, _) in batch.items() if text is None]
        with self._engine.begin() as conn:
            if rows:
                conn.execute(self._upsert, rows)
            if gone:
                conn.execute(delete(_TABLE).where(tuple_(*_KEY).in_(gone)))

    def drop_old(self) -> None:
        """Forget entries not written or loaded for ``keep``; they are in the database and load again when asked."""
        cutoff = time.monotonic() - self.keep
        with self._flush_lock, self._lock:
            old = []
            for k, (_, mono) in self._cache.items():
                if mono > cutoff:
                    break
                if k not in self._pending:
                    old.append(k)
            for k in old:
                del self._cache[k]
