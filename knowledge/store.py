"""Documents and passages in the database, with the index tokens computed when they were added."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.db import Base


class KbDocument(Base):
    """One document of the knowledge base (id = the bundled file's stem, or chosen on ``kb add``)."""

    __tablename__ = "kb_documents"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[str] = mapped_column(String(100), default="")
    issued: Mapped[str] = mapped_column(String(40), default="")
    effective: Mapped[str] = mapped_column(String(40), default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)  # extra words that name the document's topic
    source: Mapped[str] = mapped_column(String(300), default="")
    bundled: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KbPassage(Base):
    """One citable passage; ``tokens``/``heading_tokens``/``cues`` are space-separated index words."""

    __tablename__ = "kb_passages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_id: Mapped[str] = mapped_column(ForeignKey("kb_documents.id", ondelete="CASCADE"), index=True)
    ord: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(120))
    path: Mapped[list] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[str] = mapped_column(Text, default="")
    heading_tokens: Mapped[str] = mapped_column(Text, default="")
    cues: Mapped[str] = mapped_column(String(200), default="")


class KbMeta(Base):
    """Small facts about the stored index: whether the bundled corpus was loaded, the tokenizer fingerprint."""

    __tablename__ = "kb_meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")


def now() -> datetime:
    """The current UTC time for ``added_at``."""
    return datetime.now(timezone.utc)


def get_meta(s: Session, key: str) -> str | None:
    """A meta value, or None."""
    row = s.get(KbMeta, key)
    return row.value if row else None


def set_meta(s: Session, key: str, value: str) -> None:
    """Insert or replace a meta value (the caller commits)."""
    row = s.get(KbMeta, key)
    if row is None:
        s.add(KbMeta(key=key, value=value))
    else:
        row.value = value


def all_passages(s: Session) -> list[KbPassage]:
    """Every passage, in document and reading order."""
    return list(s.scalars(select(KbPassage).order_by(KbPassage.doc_id, KbPassage.ord)))


def all_documents(s: Session) -> list[KbDocument]:
    """Every document, oldest first."""
    return list(s.scalars(select(KbDocument).order_by(KbDocument.added_at, KbDocument.id)))


def delete_document(s: Session, doc_id: str) -> bool:
    """Remove a document and its passages; False when there was none (the caller commits)."""
    if s.get(KbDocument, doc_id) is None:
        return False
    s.execute(delete(KbPassage).where(KbPassage.doc_id == doc_id))
    s.execute(delete(KbDocument).where(KbDocument.id == doc_id))
    return True
