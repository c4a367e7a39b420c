"""Adding documents from .txt/.md/.docx/.pdf files the tests create; broken files change nothing."""
import pytest

from bot.core.db import make_engine
from bot.schema import init_db
from knowledge import KnowledgeBase
from knowledge.ingest import IngestError, add_document, read_document, remove_document

RULES = [
    "测试协会会员服务办法",
    "第一章 总则",
    "第一条 为规范会员服务，制定本办法。",
    "第二条 会员年费为每年3000元，于每年3月31日前缴纳。",
    "第二章 附则",
    "第三条 本办法自2025年1月1日起施行。",
]


def pdf_bytes(lines):
    """A minimal PDF whose text is CJK: a Type0 font with a ToUnicode map, as PDF producers write it."""
    chars = sorted({c for line in lines for c in line})
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def "
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
    for i in range(0, len(chars), 100):
        chunk = chars[i:i + 100]
        cmap += f"{len(chunk)} beginbfchar\n" + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in chunk)
        cmap += "endbfchar\n"
    cmap += "endcmap CMapName currentdict /CMap defineresource pop end end"
    content = "BT /F1 12 Tf 14 TL 50 780 Td " + " ".join(
        "<" + "".join(f"{ord(c):04X}" for c in line) + "> Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        "/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        f"<< /Length {len(content.encode())} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture
def kb(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    yield KnowledgeBase.open(init_db(engine))
    engine.dispose()


def test_a_docx_with_a_table_is_indexed_and_cited(kb, tmp_path):
    import docx

    d = docx.Document()
    for line in RULES:
        d.add_paragraph(line)
    d.add_paragraph("附件1 收费标准表")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "会员类别", "年费"
    table.cell(1, 0).text, table.cell(1, 1).text = "理事单位", "8000元"
    path = tmp_path / "会员服务.docx"
    d.save(path)
    doc_id, count = add_document(kb, path, "测试协会会员服务办法")
    assert count >= 4
    top = kb.search("会员年费交多少钱", k=1)[0]
    assert top.doc == doc_id and top.ref == "第二条" and top.title == "测试协会会员服务办法"
    assert "8000元" in kb.search("理事单位年费", k=1)[0].text


def test_a_pdf_is_read_and_indexed(kb, tmp_path):
    path = tmp_path / "rules.pdf"
    path.write_bytes(pdf_bytes(RULES))
    assert "会员年费为每年3000元" in read_document(path)
    doc_id, _ = add_document(kb, path, "会员服务办法", doc_id="member-rules")
    assert doc_id == "member-rules"
    assert kb.search("会员办法什么时候施行", k=1)[0].ref == "第三条"


def test_markdown_and_removal(kb, tmp_path):
    path = tmp_path / "notice.md"
    path.write_text("# 通知\n\n## 一、报名时间\n\n会员报名时间为6月1日至6月20日。\n", encoding="utf-8")
    doc_id, _ = add_document(kb, path, "报名通知")
    assert kb.search("会员什么时候报名", k=1)[0].doc == doc_id
    assert remove_document(kb, doc_id)
    assert all(s.doc != doc_id for s in kb.search("会员什么时候报名", k=5))
    assert not remove_document(kb, doc_id)


@pytest.mark.parametrize("name,data,words", [
    ("empty.txt", b"", "空文件"),
    ("blank.md", "   \n\n".encode(), "没有可读取的文字"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "不是有效的 Word"),
    ("broken.pdf", b"%PDF-1.4\nnonsense", "PDF"),
    ("table.xlsx", b"whatever", "不支持"),
])
def test_a_bad_file_gets_a_chinese_error_and_changes_nothing(kb, tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    before = kb.documents()
    with pytest.raises(IngestError) as err:
        add_document(kb, path, "坏文件")
    assert words in str(err.value)
    assert kb.documents() == before


def test_adding_does_not_reread_other_documents_and_ids_are_unique(kb, tmp_path, monkeypatch):
    import knowledge.ingest

    seen = []
    real = knowledge.ingest.parse_document
    monkeypatch.setattr(knowledge.ingest, "parse_document", lambda doc, text: seen.append(doc) or real(doc, text))
    path = tmp_path / "a.txt"
    path.write_text("\n".join(RULES), encoding="utf-8")
    add_document(kb, path, "会员服务办法", doc_id="a")
    assert seen == ["a"]
    with pytest.raises(IngestError, match="已有编号为 a 的文档"):
        add_document(kb, path, "会员服务办法", doc_id="a")
    assert [d["id"] for d in kb.documents()].count("a") == 1


def test_a_document_added_by_another_process_is_found_by_a_serving_process(kb, tmp_path):
    from knowledge import base

    served = KnowledgeBase.open(kb.sessions)  # the serving process's view of the same database
    path = tmp_path / "notice.md"
    path.write_text("# 通知\n\n## 一、报名时间\n\n会员报名时间为6月1日至6月20日。\n", encoding="utf-8")
    doc_id, _ = add_document(kb, path, "报名通知")  # `kb add` in another process
    served._checked -= base.REFRESH_SECONDS + 1  # the look for new documents is due
    assert served.search("会员什么时候报名", k=1)[0].doc == doc_id
