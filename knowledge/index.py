"""An in-memory SQLite FTS5 index over the stored passages, ranked with bm25 and weighted fields.

The index lives in each process (built from the database's passages at start), so it works the same whether the
main database is SQLite or PostgreSQL; the stored tokens make the build a plain bulk insert.
"""
from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass

# bm25 column weights: the document's title and keywords, the headings above the passage, its text, its cues.
WEIGHTS = {"title": 0.6, "heading": 1.5, "body": 1.0, "cue": 1.2, "gram": 0.25}


@dataclass
class IndexRow:
    """What the index needs of a passage: its id and space-separated tokens per field."""

    id: int
    title: str
    heading: str
    body: str
    cue: str
    gram: str = ""


class SearchIndex:
    """FTS5 full-text index with a vocabulary set for the question-side term finder."""

    def __init__(self):
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        cols = ", ".join(WEIGHTS)
        # unicode61 keeps a run of CJK characters as one token, so pre-cut words stay words.
        self._conn.execute(f"CREATE VIRTUAL TABLE idx USING fts5({cols}, tokenize='unicode61')")
        self._conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(idx, 'row')")
        self._conn.execute("CREATE VIRTUAL TABLE vocab_col USING fts5vocab(idx, 'col')")
        self.vocab: set[str] = set()
        self._size = 0
        self.df: dict[str, int] = {}  # passages per term, for the idf of question terms
        self.gram_df: dict[str, int] = {}  # passages per two-character piece, for pieces no word covers

    def add(self, rows: list[IndexRow]) -> None:
        """Index passages (by their database id)."""
        with self._lock:
            self._conn.executemany(
                "INSERT INTO idx(rowid, title, heading, body, cue, gram) VALUES (?, ?, ?, ?, ?, ?)",
                [(r.id, r.title, r.heading, r.body, r.cue, r.gram) for r in rows],
            )
            self._conn.commit()
            self._size = self._conn.execute("SELECT count(*) FROM idx").fetchone()[0]
            self._refresh_vocab()

    def remove(self, ids: list[int]) -> None:
        """Drop passages from the index."""
        with self._lock:
            self._conn.executemany("DELETE FROM idx WHERE rowid = ?", [(i,) for i in ids])
            self._conn.commit()
            self._size = self._conn.execute("SELECT count(*) FROM idx").fetchone()[0]
            self._refresh_vocab()

    def _refresh_vocab(self) -> None:
        # The bigram column is a fallback only: its pieces must not turn into question words.
        self.vocab = {t for (t,) in self._conn.execute("SELECT DISTINCT term FROM vocab_col WHERE col != 'gram'")}
        self.df = {t: n for t, n in self._conn.execute("SELECT term, doc FROM vocab") if t in self.vocab}
        self.gram_df = {t: n for t, n in self._conn.execute("SELECT term, doc FROM vocab_col WHERE col = 'gram'")}

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term or a two-character piece (0 for unknown ones)."""
        n = self.df.get(term, 0) or self.gram_df.get(term, 0)
        total = max(1, len(self))
        return math.log(1 + (total - n + 0.5) / (n + 0.5)) if n else 0.0

    def __len__(self) -> int:
        return self._size

    def search(self, terms: Counter, cues: list[str], grams: list[str] = (), limit: int = 40) -> list[tuple[int, float]]:
        """Best passage ids with their scores (higher is better); a term of weight w counts w times."""
        phrases = [f"gram : {g}" for g in grams]
        for term, weight in terms.items():
            quoted = '"' + term.replace('"', '""') + '"'
            phrases.extend([quoted] * max(1, int(weight)))
        phrases.extend(f"cue : {c}" for c in cues)
        if not phrases:
            return []
        w = ", ".join(str(v) for v in WEIGHTS.values())
        sql = f"SELECT rowid, -bm25(idx, {w}) FROM idx WHERE idx MATCH ? ORDER BY bm25(idx, {w}) LIMIT ?"
        with self._lock:
            return [(int(r), float(s)) for r, s in self._conn.execute(sql, (" OR ".join(phrases), limit))]
