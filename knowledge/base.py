"""The knowledge base: documents and passages in the database, searched through a per-process index."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.core.message import Source
from knowledge import ranking, store
from knowledge.index import IndexRow, SearchIndex
from knowledge import prebuilt
from knowledge.parser import Passage, parse_document
from knowledge.rows import rows_for
from knowledge.terms import DATA_DIR, bigrams, load_lexicon

log = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
REFRESH_SECONDS = 5.0  # how often a running process looks for documents added or removed by another one


def fingerprint(data_dir: Path = DATA_DIR, corpus_dir: Path = CORPUS_DIR) -> str:
    """Identifies the word lists and bundled metadata that stored index words were computed with."""
    meta = corpus_dir / "documents.json"
    extra = hashlib.sha1(meta.read_bytes()).hexdigest()[:12] if meta.exists() else ""
    return f"{load_lexicon(data_dir).fingerprint[:28]}:{extra}"


class KnowledgeBaseError(Exception):
    """A knowledge-base operation the user asked for cannot be done; the message is Chinese and user-facing."""


class KnowledgeBase:
    """Search and citation lookup over the indexed documents."""

    def __init__(self, sessions, data_dir: Path = DATA_DIR):
        self.sessions = sessions
        self.data_dir = data_dir
        self.index = SearchIndex()
        self.passages: dict[int, store.KbPassage] = {}
        self.titles: dict[str, str] = {}
        self._doc_words: dict[str, list[str]] = {}
        self.field_cache: dict = {}
        self.lexicon = load_lexicon(data_dir)
        self.avg_lengths: dict[str, float] = {}
        self._generation = ""
        self._checked = 0.0

    @classmethod
    def open(cls, sessions, data_dir: Path = DATA_DIR, corpus_dir: Path = CORPUS_DIR) -> "KnowledgeBase":
        """Open the knowledge base stored in the database, loading the bundled corpus on first start."""
        kb = cls(sessions, data_dir)
        kb._load_bundled(corpus_dir)
        kb._retokenize_if_stale(corpus_dir)
        kb._build()
        return kb

    # -- loading -------------------------------------------------------------------------------------------
    def _load_bundled(self, corpus_dir: Path) -> None:
        with self.sessions() as s:
            if store.get_meta(s, "bundled") is not None:
                return
        meta = json.loads((corpus_dir / "documents.json").read_text(encoding="utf-8"))
        with self.sessions() as s:
            try:
                # The meta row doubles as a lock: a second process starting at the same moment fails here.
                s.add(store.KbMeta(key="bundled", value=",".join(sorted(meta))))
                s.flush()
            except IntegrityError:
                s.rollback()
                return
            cache = prebuilt.load(corpus_dir, self._fingerprint(corpus_dir))
            files = {p.stem: p for p in corpus_dir.glob("*.txt")}
            order = [k for k in meta if k in files] + sorted(k for k in files if k not in meta)
            start = store.now()
            for n, stem in enumerate(order):
                path, info = files[stem], meta.get(stem, {})
                doc = store.KbDocument(
                    id=path.stem, title=info.get("title", path.stem), issuer=info.get("issuer", ""),
                    number=info.get("number", ""), issued=info.get("issued", ""),
                    effective=info.get("effective", ""), keywords=info.get("keywords", []),
                    source=path.name, bundled=True, added_at=start + timedelta(milliseconds=n),
                )
                s.add(doc)
                passages = parse_document(doc.id, path.read_text(encoding="utf-8"))
                # Words prebuilt for exactly these passages and word lists spare a fresh install loading jieba.
                s.add_all(prebuilt.rows(doc, passages, cache) or rows_for(doc, passages, self.data_dir))
            store.set_meta(s, "tokenizer", self._fingerprint(corpus_dir))
            store.set_meta(s, "generation", str(time.time()))
            s.commit()
            log.info("loaded the bundled corpus from %s", corpus_dir)

    def _fingerprint(self, corpus_dir: Path) -> str:
        return fingerprint(self.data_dir, corpus_dir)

    def _retokenize_if_stale(self, corpus_dir: Path = CORPUS_DIR) -> None:
        """Rebuild stored tokens when the word lists or the bundled metadata were edited since they were computed."""
        fingerprint = self._fingerprint(corpus_dir)
        with self.sessions() as s:
            if store.get_meta(s, "tokenizer") == fingerprint:
                return
            meta_path = corpus_dir / "documents.json"
            meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
            docs = {d.id: d for d in store.all_documents(s)}
            by_doc: dict[str, list[store.KbPassage]] = {}
            for p in store.all_passages(s):
                by_doc.setdefault(p.doc_id, []).append(p)
            for doc_id, doc in docs.items():
                if doc.bundled and doc_id in meta:  # titles and keywords follow documents.json
                    info = meta[doc_id]
                    doc.title = info.get("title", doc.title)
                    doc.keywords = info.get("keywords", doc.keywords)
            for doc_id, doc in docs.items():
                rows = by_doc.get(doc_id, [])
                fresh = rows_for(doc, [Passage(doc_id, p.ref, p.path, p.text, p.ord) for p in rows], self.data_dir)
                for old, new in zip(rows, fresh):
                    old.tokens, old.heading_tokens, old.cues = new.tokens, new.heading_tokens, new.cues
            store.set_meta(s, "tokenizer", fingerprint)
            store.set_meta(s, "generation", str(time.time()))
            s.commit()
            log.info("rebuilt index tokens after a dictionary change")

    def _build(self) -> None:
        index = SearchIndex()
        with self.sessions() as s:
            passages = store.all_passages(s)
            docs = store.all_documents(s)
            self.titles = {d.id: d.title for d in docs}
            self._doc_words = {d.id: [w for w in (d.keywords or []) if len(w) > 1] for d in docs}
            self._generation = store.get_meta(s, "generation") or ""
        rows = []
        for p in passages:
            title, _, heading = p.heading_tokens.partition("\t")
            rows.append(IndexRow(p.id, title, heading, p.tokens, p.cues, " ".join(bigrams(p.text))))
        index.add(rows)
        self.index = index
        self.passages = {p.id: p for p in passages}
        self.field_cache = {}
        self.avg_lengths = ranking.average_lengths(passages)
        self.quoted = ranking.quoted_names(passages)
        self.lexicon = load_lexicon(self.data_dir)
        self._checked = time.monotonic()

    def refresh(self, force: bool = False) -> None:
        """Rebuild the in-process index when another process added or removed a document."""
        if not force and time.monotonic() - self._checked < REFRESH_SECONDS:
            return
        with self.sessions() as s:
            generation = store.get_meta(s, "generation") or ""
        self._checked = time.monotonic()
        if force or generation != self._generation:
            self._build()

    # -- reading -------------------------------------------------------------------------------------------
    def source(self, pid: int, score: float = 0.0) -> Source:
        """The passage as a bot.core.message.Source."""
        p = self.passages[pid]
        return Source(doc=p.doc_id, title=self.titles.get(p.doc_id, p.doc_id), ref=p.ref, text=p.text,
                      score=round(score, 4))

    def search(self, query: str, k: int = 5) -> list[Source]:
        """Best passages for a question, best first."""
        return self.lookup(query, k)[0]

    def lookup(self, query: str, k: int = 5) -> tuple[list[Source], bool]:
        """Best passages for a question and whether the best one answers it well enough to be quoted."""
        self.refresh()
        ranked = ranking.rank(self, query, k)
        return [self.source(pid, score) for pid, score in ranked.hits], ranked.confident

    def article(self, ref: str, doc: str | None = None) -> list[Source]:
        """Passages whose citation is ``ref`` (e.g. 「第八条」, 「附件2」), optionally within one document."""
        self.refresh()
        want = re.sub(r"\s+", "", ref)
        order = {d: n for n, d in enumerate(self.titles)}
        found = [pid for pid, p in self.passages.items()
                 if (doc is None or p.doc_id == doc)
                 and (re.sub(r"\s+", "", p.ref) == want or re.sub(r"\s+", "", p.ref).endswith(want))]
        found.sort(key=lambda pid: (order.get(self.passages[pid].doc_id, 0), self.passages[pid].ord))
        return [self.source(pid) for pid in found]

    def domain_words(self) -> list[str]:
        """The domain dictionary and every document's keywords: the words that name a topic."""
        words = set(self.lexicon.words)
        for keywords in self._doc_words.values():
            words.update(keywords)
        return sorted(words)

    def doc_words(self) -> dict[str, list[str]]:
        """Words that name each document (its keywords), for questions that say which one they mean."""
        return dict(self._doc_words)

    def documents(self) -> list[dict]:
        """Every document with its metadata and passage count."""
        with self.sessions() as s:
            counts: dict[str, int] = {}
            for p in store.all_passages(s):
                counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
            return [dict(id=d.id, title=d.title, issuer=d.issuer, number=d.number, issued=d.issued,
                         effective=d.effective, bundled=d.bundled, passages=counts.get(d.id, 0))
                    for d in store.all_documents(s)]
