"""Generate a large synthetic regulation corpus (articles built from the bundled documents' sentences)."""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"
NUMS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1..99 as Chinese numerals (第二十三条)."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else NUMS[tens - 1]) + "十" if tens else "") + (NUMS[ones - 1] if ones else "")


def sentences() -> list[str]:
    """Every sentence of the bundled documents, the material the synthetic articles are made of."""
    out = []
    for path in CORPUS.glob("*.txt"):
        text = re.sub(r"\s+", "", path.read_text(encoding="utf-8"))
        out.extend(s for s in re.findall(r"[^。；]{8,120}[。；]", text))
    return out


def generate(passages: int = 10_000, per_doc: int = 80, seed: int = 7) -> list[tuple[str, str]]:
    """(document id, text) pairs holding about ``passages`` articles in 第X章/第X条 form."""
    rng = random.Random(seed)
    pool = sentences()
    docs = []
    for d in range((passages + per_doc - 1) // per_doc):
        lines = [f"第{d + 1}号合成管理办法"]
        count = min(per_doc, passages - d * per_doc)
        for a in range(1, count + 1):
            if a % 10 == 1:
                lines.append(f"第{chinese_number(a // 10 + 1)}章 第{d + 1}组规定{a // 10 + 1}")
            body = "".join(rng.sample(pool, rng.randint(1, 4)))
            body = re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), body)
            lines.append(f"第{chinese_number(a)}条 {body}")
        docs.append((f"synthetic-{d + 1:03d}", "\n".join(lines)))
    return docs


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "synthetic-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for doc_id, text in generate():
        (out / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    print(f"wrote {len(list(out.glob('*.txt')))} documents to {out}")
