"""From a colloquial question to ranked passages: question terms, synonyms and cues, then the bm25 index."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from knowledge.terms import query_terms

log = logging.getLogger(__name__)

CANDIDATES = 40
CONFIDENT_COVERAGE = 0.4  # share of the question's (idf-weighted) words the best passage must contain


@dataclass
class Ranked:
    """Ranked passage ids with scores, plus how well the best one covers the question."""

    hits: list[tuple[int, float]] = field(default_factory=list)
    coverage: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def confident(self) -> bool:
        """True when the best passage answers the question well enough to quote it as the answer."""
        return bool(self.hits) and self.hits[0][1] > 0 and self.coverage >= CONFIDENT_COVERAGE


def passage_words(p) -> set[str]:
    """Every index word of a stored passage: text, headings and document title."""
    return set(p.tokens.split()) | set(p.heading_tokens.split())


def coverage(kb, terms: dict[str, float], pid: int) -> float:
    """Idf-weighted share of the question's terms that stand in the passage."""
    words = passage_words(kb.passages[pid])
    total = sum(kb.index.idf(t) * w for t, w in terms.items())
    if total <= 0:
        return 0.0
    return sum(kb.index.idf(t) * w for t, w in terms.items() if t in words) / total


def rank(kb, question: str, k: int) -> Ranked:
    """Passages for a question, best first; at least ``k`` when the index holds that many."""
    terms, cues = query_terms(question, kb.index.vocab, kb.data_dir)
    hits = kb.index.search(terms, cues, limit=max(CANDIDATES, k)) if terms else []
    hits = [(pid, s) for pid, s in hits if pid in kb.passages][:k]
    out = Ranked(hits=hits, terms=dict(terms))
    if hits:
        out.coverage = coverage(kb, out.terms, hits[0][0])
    if len(hits) < k:
        # Too few matches: fill with the first passages so callers always get k to show as "nearest".
        seen = {pid for pid, _ in hits}
        out.hits += [(pid, 0.0) for pid in kb.passages if pid not in seen][: k - len(hits)]
    return out
