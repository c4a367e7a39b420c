"""Message claims kept in memory while this process is the only worker, written to the database behind.

A synchronous write per claim and per answer costs more CPU under load than the whole channel around it. While
no other worker is alive, nobody else can claim a message, so a claim is a dict entry and the records follow in
batches. As soon as another worker shows up, claims go through the database again, and the newcomer waits until
every claim made alone is written. The hand-over runs through heartbeat rows (``bot.worker_registry``): a worker
first says "I am alone" and only then looks whether it is, so two workers can never both believe it.
Riders (``add_rider``: the conversation state of ``bot.state_local``) are kept in memory on the same terms.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import threading
import time
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.clock import as_utc
from bot.dedup import DONE, RUNNING, STALE_RUN, DedupStore, ProcessedMessage, Record
from bot.worker_registry import WorkerRegistry

log = logging.getLogger(__name__)

STARTING, SOLO, SHARED = "starting", "solo", "shared"
EARLIER = "earlier"  # an entry loaded from the database: claimed before; its details are in the database
_CLAIM, _FINISH = "claim", "finish"

_TABLE = ProcessedMessage.__table__
_KEY = [_TABLE.c.channel, _TABLE.c.msg_id]


class _Entry:
    """What this process knows of one recent message."""

    __slots__ = ("status", "claimed_at", "born", "reply", "delivery", "event")

    def __init__(self, status: str, claimed_at: datetime, born: float):
        self.status = status  # RUNNING or DONE: this process ran it; EARLIER: see the database
        self.claimed_at = claimed_at  # services clock, as stored in the database
        self.born = born  # time.monotonic(), for dropping old entries
        self.reply: dict[str, Any] | None = None
        self.delivery = ""
        self.event: threading.Event | None = None  # made when a retry waits for the answer


def _close_at_exit(owner_ref: weakref.ref) -> None:
    # A server stopped with Ctrl-C does not close its app; its last records and its heartbeat row still go.
    owner = owner_ref()
    if owner is not None:
        owner.close()


def _keep(owner_ref: weakref.ref, stop: threading.Event, every: float) -> None:
    # The thread holds its owner weakly: an app dropped without close() lets it end instead of writing forever.
    while True:
        owner = owner_ref()
        if owner is None:
            return
        try:
            owner._tick()
        except Exception:  # the edge of the keeper: it must outlive a bad moment
            log.exception("dedup keeper failed; going on")
        del owner
        if stop.wait(every):
            return


class LocalFirstDedup:
    """The claim/finish/wait_done/prune of ``DedupStore``, answered from memory whenever that is safe."""

    def __init__(self, store: DedupStore, registry: WorkerRegistry, flush_every: float = 0.05,
                 beat_every: float = 1.0, keep: timedelta = timedelta(hours=1), ready_wait: float = 3.0):
        self.store = store
        self.registry = registry
        self.flush_every = flush_every
        self.beat_every = beat_every
        self.keep = keep
        self.ready_wait = ready_wait
        engine = store.engine
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"dedup records need SQLite or PostgreSQL, not {engine.dialect.name}")
        insert = (sqlite if engine.dialect.name == "sqlite" else postgresql).insert
        self._insert_claims = insert(_TABLE).on_conflict_do_nothing(index_elements=_KEY).returning(*_KEY)
        ins = insert(_TABLE)
        # One statement for "update the claimed row, or insert the whole row when the claim is not there".
        self._upsert_finishes = ins.on_conflict_do_update(
            index_elements=_KEY, set_={c: ins.excluded[c] for c in ("status", "reply", "delivery", "finished_at")})
        # This process's writers to SQLite queue on one lock rather than in SQLite's sleeping busy wait.
        self._write_lock = getattr(store, "_write_lock", None) or contextlib.nullcontext()

        self._lock = threading.Lock()
        self._recent: dict[tuple[str, str], _Entry] = {}  # in insertion order, so the oldest come first
        self._pending: list[tuple] = []
        self._mode = STARTING
        self._ready = threading.Event()
        self._ready_by = 0.0  # claims wait for the go-ahead until then (time.monotonic)
        self._warned_waiting = False
        self._lease_until = 0.0  # claims in memory only while our solo heartbeat is this fresh
        self._inflight = 0  # claims on their way through the database
        self._row_solo = False  # what our heartbeat row says
        self._next_beat = self._next_flush = 0.0
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        self._at_exit = functools.partial(_close_at_exit, weakref.ref(self))
        self._closed = False
        self._riders: list = []  # other data kept in memory while alone, on the same terms (bot.state_local)

    def add_rider(self, rider) -> None:
        """Keep ``rider`` (enter_memory/leave_memory/flush/drop_old) in memory exactly while claims are."""
        with self._lock:
            self._riders.append(rider)
            if self._mode is SOLO:
                rider.enter_memory(self.solo_now)

    def solo_now(self) -> bool:
        """True while this worker claims in memory with a fresh lease."""
        return self._mode is SOLO and time.monotonic() < self._lease_until

    @property
    def mode(self) -> str:
        """Where claims go: "solo" (memory), "shared" (the database) or "starting" (waiting for the go-ahead)."""
        return self._mode

    def _now(self) -> datetime:
        return self.store.clock().astimezone(timezone.utc)

    # --- the calls Answerer makes -------------------------------------------------------------------------------

    def claim(self, channel: str, msg_id: str) -> Record:
        """Claim a message for this worker; when someone already has, return what is known of it."""
        if self._keeper is None:
            self._start()
        if self._mode is STARTING:
            self._await_ready()
        key = (channel, msg_id)
        with self._lock:
            entry = self._recent.get(key)
            if entry is None:
                if self._mode is SOLO and time.monotonic() < self._lease_until:
                    now = self._now()
                    self._recent[key] = _Entry(RUNNING, now, time.monotonic())
                    self._pending.append((_CLAIM, channel, msg_id, now))
                    return Record(True, RUNNING)
            elif entry.status == DONE:
                return Record(False, DONE, entry.delivery, entry.reply)
            elif entry.status == RUNNING and entry.claimed_at > self._now() - STALE_RUN:
                return Record(False, RUNNING)
            # Other workers are live, or the message was claimed before this process knew it, or our own run of
            # it went stale: the database decides.
            self._inflight += 1
        try:
            rec = self.store.claim(channel, msg_id)
        except BaseException:
            with self._lock:
                self._inflight -= 1
            raise
        with self._lock:
            self._inflight -= 1
            if rec.claimed:
                self._recent.pop(key, None)
                self._recent[key] = _Entry(RUNNING, self._now(), time.monotonic())
        return rec

    def finish(self, channel: str, msg_id: str, reply: dict[str, Any], delivery: str) -> None:
        """Record the answer in memory at once (waking waiting retries); the database gets it shortly after."""
        now = self._now()
        with self._lock:
            entry = self._recent.get((channel, msg_id))
            if entry is None or entry.status == EARLIER:
                entry = self._recent[(channel, msg_id)] = _Entry(RUNNING, now, time.monotonic())
            entry.status, entry.reply, entry.delivery = DONE, reply, delivery
            self._pending.append((_FINISH, channel, msg_id, entry.claimed_at, reply, delivery, now))
            if entry.event is not None:
                entry.event.set()
            closed = self._closed
        if closed:
            self._flush()  # no keeper any more to write it behind
        elif self._keeper is None:
            self._start()

    def wait_done(self, channel: str, msg_id: str, timeout: float, poll: float = 0.05) -> Record | None:
        """Wait until the message is answered; None when it is not within ``timeout`` seconds."""
        with self._lock:
            entry = self._recent.get((channel, msg_id))
            if entry is not None and entry.status == DONE:
                return Record(False, DONE, entry.delivery, entry.reply)
            if entry is not None and entry.status == RUNNING:
                if entry.event is None:
                    entry.event = threading.Event()
                event = entry.event
            else:
                event = None
        if event is None:  # another worker runs it: its answer arrives through the database
            return self.store.wait_done(channel, msg_id, timeout, poll)
        event.wait(timeout)
        with self._lock:
            if entry.status == DONE:
                return Record(False, DONE, entry.delivery, entry.reply)
        return None

    def prune(self, older_than: timedelta = timedelta(days=2)) -> int:
        """Delete records older than the platforms' retry horizon; returns how many went."""
        return self.store.prune(older_than)

    def close(self) -> None:
        """Stop the keeper, write what is pending, and leave the registry."""
        with self._lock:
            self._closed = True
            keeper = self._keeper
        atexit.unregister(self._at_exit)
        self._stop.set()
        if keeper is not None:
            keeper.join(timeout=10)
        with self._lock:
            self._mode = SHARED  # anything claimed after this goes through the database
            self._ready.set()
            for rider in self._riders:
                rider.leave_memory()
        if keeper is None:
            return
        try:
            self._flush()
        except Exception:  # closing must not fail; the records are lost, which at worst repeats an answer
            log.exception("could not write the last dedup records")
        self._flush_riders()
        try:
            self.registry.leave()
        except Exception:  # the row lapses by itself after the ttl
            log.exception("could not remove this worker's heartbeat row")

    # --- the keeper ---------------------------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._keeper is not None or self._closed:
                return
            self._ready_by = time.monotonic() + self.ready_wait
            self._next_flush = time.monotonic() + self.flush_every
            self._keeper = threading.Thread(
                target=_keep, args=(weakref.ref(self), self._stop, min(self.flush_every, self.beat_every)),
                name="dedup-keeper", daemon=True)
            self._keeper.start()
        atexit.register(self._at_exit)

    def _await_ready(self) -> None:
        left = self._ready_by - time.monotonic()
        if left > 0 and self._ready.wait(left):
            return
        if not self._warned_waiting:
            self._warned_waiting = True
            log.warning("no go-ahead from the other workers within %.0f s; claiming through the database meanwhile "
                        "(a message claimed alone by another worker and not yet written may run twice)",
                        self.ready_wait)

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_flush:
            self._next_flush = now + self.flush_every
            try:
                self._flush()
            except Exception:  # kept for the next try; not every 50 ms, so a dead database does not flood the log
                self._next_flush = now + self.beat_every
                log.exception("could not write dedup records; trying again")
            if not self._flush_riders():
                self._next_flush = now + self.beat_every
        # While waiting for the go-ahead, look every tick: the first claims are held until then.
        if self._mode is STARTING or now >= self._next_beat:
            self._next_beat = now + self.beat_every
            try:
                self._check()
            except Exception:
                log.exception("worker heartbeat failed; trying again")
            self._drop_old(now)
            for rider in self._riders:
                rider.drop_old()

    def _flush_riders(self) -> bool:
        """Write what the riders hold pending; False when one of them failed (it keeps its writes)."""
        ok = True
        for rider in self._riders:
            try:
                rider.flush()
            except Exception:  # the same as for dedup records: kept for the next try
                ok = False
                log.exception("could not write %s; trying again", type(rider).__name__)
        return ok

    def _check(self) -> None:
        """Beat, look at the other workers, and change mode when needed."""
        if self._mode is SOLO:
            beat_at = time.monotonic()
            self.registry.beat(solo=True)
            self._lease_until = beat_at + self.registry.ttl / 2  # half the ttl: room for clocks that disagree
            others = self.registry.others_alive()
            if not others:
                return
            with self._lock:
                self._mode = SHARED  # from now on claims go through the database after the memory check
                for rider in self._riders:
                    rider.leave_memory()
            log.info("another worker is live (%s); claiming through the database", others[0].worker_id)
        if self._row_solo:
            self._flush()  # every claim made alone is in the database before the others get the go-ahead
            for rider in self._riders:
                rider.flush()
        self.registry.beat(solo=False)
        self._row_solo = False
        others = self.registry.others_alive()
        if not others:
            others = self._try_solo()
            if others is None:
                return
        self._set_ready(not any(o.solo for o in others))

    def _try_solo(self) -> list | None:
        """Become the only worker claiming in memory; None when that worked, else the workers in the way."""
        beat_at = time.monotonic()
        self.registry.beat(solo=True)  # say it first, then look: of two starting at once, one sees the other
        self._row_solo = True
        others = self.registry.others_alive()
        if not others:
            loaded = self._load_recent()
            for _ in range(100):  # a claim already on its way to the database must land in memory first
                with self._lock:
                    if self._closed:
                        break
                    if self._inflight == 0:
                        self._merge(loaded)
                        self._mode = SOLO
                        self._lease_until = beat_at + self.registry.ttl / 2
                        for rider in self._riders:
                            rider.enter_memory(self.solo_now)
                        self._ready.set()
                        log.info("the only live worker: claiming in memory, writing records behind")
                        return None
                time.sleep(0.001)
        self.registry.beat(solo=False)
        self._row_solo = False
        return others

    def _set_ready(self, ready: bool) -> None:
        with self._lock:
            if ready:
                self._mode = SHARED
                self._ready.set()
            elif self._mode is not STARTING:
                self._mode = STARTING
                self._ready_by = time.monotonic() + self.ready_wait
                self._warned_waiting = False
                self._ready.clear()
                log.info("another worker claims alone; waiting until it has written its claims")

    def _load_recent(self) -> list[tuple[str, str, datetime]]:
        """Messages claimed within ``keep``, oldest first: once alone, no one else will tell us about them."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(_TABLE.c.channel, _TABLE.c.msg_id, _TABLE.c.claimed_at)
                .where(_TABLE.c.claimed_at >= self._now() - self.keep).order_by(_TABLE.c.claimed_at)
            ).all()
        return [(r.channel, r.msg_id, as_utc(r.claimed_at)) for r in rows]

    def _merge(self, loaded: list[tuple[str, str, datetime]]) -> None:
        # Called under the lock. Loaded entries get the age their claim has, so they leave memory in time.
        now, mono = self._now(), time.monotonic()
        new = [((ch, mid), _Entry(EARLIER, at, mono - max(0.0, (now - at).total_seconds())))
               for ch, mid, at in loaded if (ch, mid) not in self._recent]
        if new:
            self._recent = dict(sorted([*new, *self._recent.items()], key=lambda kv: kv[1].born))

    def _drop_old(self, now: float) -> None:
        cutoff = now - self.keep.total_seconds()
        with self._lock:
            old = []
            for key, entry in self._recent.items():
                if entry.born > cutoff:
                    break
                old.append(key)
            for key in old:
                del self._recent[key]

    def _flush(self) -> None:
        """Write every pending record in one transaction; on failure they stay pending."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            self._write(batch)
        except BaseException:
            with self._lock:
                self._pending[:0] = batch
            raise

    def _write(self, batch: list[tuple]) -> None:
        claims: dict[tuple[str, str], dict] = {}
        finishes: dict[tuple[str, str], dict] = {}
        for rec in batch:
            if rec[0] == _CLAIM:
                _, channel, msg_id, claimed_at = rec
                claims[(channel, msg_id)] = {"channel": channel, "msg_id": msg_id, "status": RUNNING,
                                             "delivery": "", "reply": None, "claimed_at": claimed_at,
                                             "finished_at": None}
            else:
                _, channel, msg_id, claimed_at, reply, delivery, finished_at = rec
                finishes[(channel, msg_id)] = {"channel": channel, "msg_id": msg_id, "status": DONE,
                                               "delivery": delivery, "reply": reply, "claimed_at": claimed_at,
                                               "finished_at": finished_at}
        # Most messages are claimed and answered within one batch: one row each, written already finished.
        answered = {key: finishes.pop(key) for key in list(claims) if key in finishes}
        claims.update(answered)
        with self._write_lock, self.store.engine.begin() as conn:
            if claims:
                written = {tuple(row) for row in conn.execute(self._insert_claims, list(claims.values()))}
                clashed = [k for k in claims if k not in written]
                if clashed:
                    log.warning("%d messages claimed in memory were already in the database (claimed by another "
                                "worker, or earlier than this process remembers); they may have been answered "
                                "twice: %s", len(clashed), ", ".join(f"{c}:{m}" for c, m in clashed[:5]))
                    finishes.update((k, answered[k]) for k in clashed if k in answered)  # our answer still counts
            if finishes:
                conn.execute(self._upsert_finishes, list(finishes.values()))
