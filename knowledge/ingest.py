"""Adding and removing documents: read .txt/.md/.docx/.pdf, parse, tokenize and store in one transaction."""
from __future__ import annotations

import logging
import re
import time
import zipfile
from pathlib import Path

from knowledge import store
from knowledge.base import KnowledgeBase, KnowledgeBaseError
from knowledge.rows import rows_for
from knowledge.parser import parse_document

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 30 * 1024 * 1024
SUFFIXES = (".txt", ".md", ".docx", ".pdf")


class IngestError(KnowledgeBaseError):
    """A document file cannot be read or holds no text."""


def _read_plain(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{path.name} 不是 UTF-8 或 GBK 编码的文本文件")


def _markdown_to_text(text: str) -> str:
    text = re.sub(r"(?m)^\s{0,3}#{1,6}\s*", "", text)  # headings keep their words, lose their marks
    text = re.sub(r"(?m)^\s*[-*+]\s+", "", text)
    return re.sub(r"\*\*|__|`", "", text)


def _read_docx(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise IngestError(f"{path.name} 不是有效的 Word（.docx）文件") from exc
    lines = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":  # table rows become tab-separated lines, which the parser reads as a table
            for row in Table(block, document).rows:
                lines.append("\t".join(c.text.strip() for c in row.cells))
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise IngestError(f"{path.name} 不是有效的 PDF 文件，或已损坏") from exc


def read_document(path: str | Path) -> str:
    """The text of a document file; IngestError (Chinese message) when missing, unsupported, broken or empty."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"找不到文件 {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"不支持 {suffix or '无扩展名'} 文件，请使用 .txt、.md、.docx 或 .pdf")
    if path.stat().st_size == 0:
        raise IngestError(f"{path.name} 是空文件")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise IngestError(f"{path.name} 超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请拆分后再添加")
    if suffix == ".docx":
        text = _read_docx(path)
    elif suffix == ".pdf":
        text = _read_pdf(path)
    else:
        text = _read_plain(path)
        if suffix == ".md":
            text = _markdown_to_text(text)
    if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", text):
        raise IngestError(f"{path.name} 里没有可读取的文字（扫描件需要先做文字识别）")
    return text


def _default_id(path: Path) -> str:
    return re.sub(r"[^\w-]+", "-", path.stem).strip("-").lower() or "doc"


def add_document(kb: KnowledgeBase, path: str | Path, title: str, doc_id: str | None = None,
                 issuer: str = "", number: str = "", issued: str = "") -> tuple[str, int]:
    """Read, parse and store one document without touching the others; returns (id, passage count)."""
    path = Path(path)
    title = (title or "").strip()
    if not title:
        raise IngestError("请用 --title 给出文档标题")
    doc_id = (doc_id or _default_id(path)).strip()
    text = read_document(path)
    passages = parse_document(doc_id, text)
    if not passages:
        raise IngestError(f"{path.name} 里没有解析出任何条文")
    with kb.sessions() as s:
        if s.get(store.KbDocument, doc_id) is not None:
            raise IngestError(f"已有编号为 {doc_id} 的文档；请换一个 --id，或先 kb remove {doc_id}")
        doc = store.KbDocument(id=doc_id, title=title, issuer=issuer, number=number, issued=issued,
                               effective="", keywords=[], source=path.name, bundled=False, added_at=store.now())
        s.add(doc)
        s.add_all(rows_for(doc, passages, kb.data_dir))
        store.set_meta(s, "generation", str(time.time()))
        s.commit()
    log.info("added document %s with %s passages", doc_id, len(passages))
    kb.refresh(force=True)
    return doc_id, len(passages)


def remove_document(kb: KnowledgeBase, doc_id: str) -> bool:
    """Delete a document and its passages; False when no such document exists."""
    with kb.sessions() as s:
        if not store.delete_document(s, doc_id):
            return False
        store.set_meta(s, "generation", str(time.time()))
        s.commit()
    kb.refresh(force=True)
    return True
