"""Knowledge sub-commands: ``ask``, ``eval`` and ``kb add|list|remove``; heavy imports stay inside the commands."""
from __future__ import annotations

import json
import sys


def _open_kb():
    from bot.core.config import Config
    from bot.core.db import make_engine
    from bot.schema import init_db
    from knowledge import KnowledgeBase

    config = Config.from_env()
    sessions = init_db(make_engine(config.database_url))
    return KnowledgeBase.open(sessions)


def _answer(kb, question: str) -> dict:
    from knowledge.answer import compose

    sources, confident = kb.lookup(question, k=5)
    return {"question": question, "answer": compose(question, sources, confident),
            "sources": [s.to_json() for s in sources]}


def cmd_ask(args) -> int:
    """Answer one question, or (with --json and no question) one per line from standard input."""
    kb = _open_kb()
    questions = [" ".join(args.question)] if args.question else None
    if questions is None:
        if not args.json:
            print("请提供问题，例如：python -m bot ask \"创优门槛多少钱\"", file=sys.stderr)
            return 2
        questions = [line.strip() for line in sys.stdin]
    for q in questions:
        if args.json:
            out = _answer(kb, q) if q else {"question": q, "answer": "", "sources": []}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            print(_answer(kb, q)["answer"])
    return 0


def _squash(text: str) -> str:
    import re

    return re.sub(r"\s+", "", text or "")


def cmd_eval(args) -> int:
    """Print hit@1 and hit@3 for a question file (one JSON object per line with "q" and "expect")."""
    try:
        with open(args.file, encoding="utf-8") as fh:
            items = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError) as exc:
        print(f"无法读取题目文件 {args.file}：{exc}", file=sys.stderr)
        return 2
    kb = _open_kb()
    h1 = h3 = 0
    for item in items:
        texts = [_squash(s.text) for s in kb.search(item["q"], k=3)]
        texts = [t if len(t) <= 800 else "" for t in texts]
        want = [_squash(e) for e in item["expect"]]
        hits = [any(e in t for e in want) for t in texts] or [False]
        h1 += hits[0]
        h3 += any(hits)
        if args.show_misses and not hits[0]:
            top = kb.search(item["q"], k=1)[0]
            print(f"MISS {item.get('id', '')} {item['q']}\n  want: {item['expect'][0]}\n  got:  {top.doc} {top.ref} "
                  f"{_squash(top.text)[:80]}")
    n = max(1, len(items))
    print(f"questions={len(items)} hit@1={h1 / n:.3f} hit@3={h3 / n:.3f}")
    return 0


def cmd_kb_add(args) -> int:
    """Parse and index one document file; a broken or empty file changes nothing."""
    from knowledge import KnowledgeBaseError
    from knowledge.ingest import add_document

    kb = _open_kb()
    try:
        doc_id, count = add_document(kb, args.file, args.title, doc_id=args.doc_id, issuer=args.issuer,
                                     number=args.number, issued=args.issued)
    except KnowledgeBaseError as exc:
        print(f"添加失败：{exc}", file=sys.stderr)
        return 1
    print(f"已添加文档 {doc_id}《{args.title}》，共 {count} 条。")
    return 0


def cmd_kb_list(args) -> int:
    """List the documents with their passage counts."""
    kb = _open_kb()
    for d in kb.documents():
        extra = "，".join(x for x in (d["issuer"], d["number"], d["issued"]) if x)
        mark = "（内置）" if d["bundled"] else ""
        print(f"{d['id']}\t《{d['title']}》{mark}\t{d['passages']} 条" + (f"\t{extra}" if extra else ""))
    return 0


def cmd_kb_remove(args) -> int:
    """Remove a document and its passages."""
    from knowledge.ingest import remove_document

    kb = _open_kb()
    if not remove_document(kb, args.doc_id):
        print(f"没有编号为 {args.doc_id} 的文档；用 kb list 查看现有文档。", file=sys.stderr)
        return 1
    print(f"已删除文档 {args.doc_id}。")
    return 0


def cmd_kb_prebuild(args) -> int:
    """Rewrite the prebuilt index words of the bundled corpus after the word lists were edited."""
    from knowledge import prebuilt
    from knowledge.base import CORPUS_DIR, fingerprint
    from knowledge.terms import DATA_DIR

    count = prebuilt.build(CORPUS_DIR, DATA_DIR, fingerprint(DATA_DIR, CORPUS_DIR))
    print(f"已为内置文档预先生成 {count} 条的索引词：{CORPUS_DIR / prebuilt.FILENAME}")
    return 0


def register(sub) -> None:
    """Add this area's sub-commands to the parser."""
    ask = sub.add_parser("ask", help="回答一个问题（--json：逐行读取标准输入，逐行输出 JSON）")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="JSON 输出，每行一个问题")
    ask.set_defaults(func=cmd_ask)
    ev = sub.add_parser("eval", help="按题目文件计算 hit@1 / hit@3")
    ev.add_argument("file")
    ev.add_argument("--show-misses", action="store_true")
    ev.set_defaults(func=cmd_eval)
    kb = sub.add_parser("kb", help="管理知识库文档：add / list / remove")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION")
    add = kb_sub.add_parser("add", help="添加文档（.txt .md .docx .pdf）")
    add.add_argument("file")
    add.add_argument("--title", required=True, help="文档标题，用于引用行")
    add.add_argument("--id", dest="doc_id", help="文档编号（默认取文件名）")
    add.add_argument("--issuer", default="", help="发文单位")
    add.add_argument("--number", default="", help="文号")
    add.add_argument("--issued", default="", help="发布日期")
    add.set_defaults(func=cmd_kb_add)
    kb_sub.add_parser("list", help="列出文档").set_defaults(func=cmd_kb_list)
    kb_sub.add_parser("prebuild", help="修改词表后，重新生成内置文档的预建索引词").set_defaults(func=cmd_kb_prebuild)
    rm = kb_sub.add_parser("remove", help="删除文档及其条文")
    rm.add_argument("doc_id")
    rm.set_defaults(func=cmd_kb_remove)
    kb.set_defaults(func=lambda args: (kb.print_help(), 2)[1])
