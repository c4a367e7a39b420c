"""Index words prebuilt for the bundled corpus, so a fresh install answers without loading the tokenizer.

The file holds, per passage, the words ``rows.rows_for`` would compute, keyed by the passage's document, place and
text, under the fingerprint of the word lists and metadata they were made with. Any mismatch (an edited dictionary,
a changed parser) simply falls back to the tokenizer; ``python -m bot kb prebuild`` rewrites the file.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from knowledge import store
from knowledge.parser import Passage

log = logging.getLogger(__name__)

FILENAME = "index-words.json"


def _key(doc_id: str, p: Passage) -> str:
    raw = "\x1f".join([doc_id, str(p.ord), p.ref, " › ".join(p.path), p.text])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]


def load(corpus_dir: Path, fingerprint: str) -> dict:
    """The prebuilt words when they were made with the current word lists, else an empty mapping."""
    path = corpus_dir / FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("fingerprint") != fingerprint:
        log.info("prebuilt index words are out of date; tokenizing the bundled corpus")
        return {}
    return data.get("passages", {})


def rows(doc: store.KbDocument, passages: list[Passage], cache: dict) -> list[store.KbPassage] | None:
    """Rows for the passages from the prebuilt words, or None unless every passage is found."""
    out = []
    for p in passages:
        words = cache.get(_key(doc.id, p))
        if words is None:
            return None
        out.append(store.KbPassage(doc_id=doc.id, ord=p.ord, ref=p.ref, path=p.path, text=p.text,
                                   tokens=words[0], heading_tokens=words[1], cues=words[2]))
    return out


def build(corpus_dir: Path, data_dir: Path, fingerprint: str) -> int:
    """Tokenize the bundled documents and write the prebuilt words; returns the passage count."""
    from knowledge.parser import parse_document
    from knowledge.rows import rows_for

    meta = json.loads((corpus_dir / "documents.json").read_text(encoding="utf-8"))
    entries = {}
    for path in sorted(corpus_dir.glob("*.txt")):
        info = meta.get(path.stem, {})
        doc = store.KbDocument(id=path.stem, title=info.get("title", path.stem), keywords=info.get("keywords", []))
        passages = parse_document(doc.id, path.read_text(encoding="utf-8"))
        for p, row in zip(passages, rows_for(doc, passages, data_dir)):
            entries[_key(doc.id, p)] = [row.tokens, row.heading_tokens, row.cues]
    body = {"fingerprint": fingerprint, "passages": entries}
    (corpus_dir / FILENAME).write_text(json.dumps(body, ensure_ascii=False, indent=0), encoding="utf-8")
    return len(entries)
