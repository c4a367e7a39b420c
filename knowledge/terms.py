"""Domain vocabulary: the editable dictionary, synonyms and stop words, index tokens and question terms."""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
TOKENIZER_VERSION = "3"  # bump when index_tokens changes, so stored tokens are rebuilt

# Question cues and the passage features they point at ("多少钱" → a passage that names an amount).
QUERY_CUES = {
    "qamount": r"多少钱|多少万|多少亿|金额|奖金|费用|收费|钱|万元|亿元|投资额|合同额|门槛|奖励多少|奖多少",
    "qdate": r"什么时候|何时|几月|几号|哪天|哪一天|日期|时间|截止|期限|多久|哪年|哪一年|施行|生效|报名",
    "qcontact": r"电话|联系|找谁|问谁|咨询谁|qq|热线|手机",
    "qemail": r"邮箱|邮件|email|e-mail|发到哪|发给谁|发送到",
    "qbody": r"谁|哪个部门|哪个单位|哪家|什么部门|什么单位|由谁|负责|组织",
    "qpercent": r"比例|百分之|占比|多少%|百分比|名额|不超过多少",
    "qcount": r"几名|几个|几人|多少人|几项|几位|多少名|几方面|几个环节|几种",
}
PASSAGE_CUES = {
    "qamount": r"\d[\d.]*\s*(万元|亿元|元)|奖金|费用|投资额|合同额",
    "qdate": r"\d{1,2}\s*月(\s*\d{1,2}\s*日)?|\d{4}\s*年|起施行|起实行|之日起",
    "qcontact": r"\d{3,4}-\d{7,8}|QQ|联系人|联系方式|电话",
    "qemail": r"[\w.-]+@[\w-]+\.[\w.]+|邮箱",
    "qbody": r"由[^，。；]{1,30}(负责|承担|组织|牵头|审定|解释|实施|推荐)|秘书处|管理局|协会",
    "qpercent": r"\d+(\.\d+)?\s*%|百分之|比例",
    "qcount": r"\d+\s*(-\s*\d+)?\s*(名|个|人|项|分)|[一二三四五六七八九十两]+(个|项|名)",
}
_QUERY_CUES = {k: re.compile(v, re.I) for k, v in QUERY_CUES.items()}
_PASSAGE_CUES = {k: re.compile(v) for k, v in PASSAGE_CUES.items()}
_RUN = re.compile(r"[0-9a-z\u4e00-\u9fff]+")


@dataclass
class Lexicon:
    """The secretariat-editable word lists, loaded from ``knowledge/data``."""

    words: list[str] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)  # equivalent words; the first is canonical
    directed: list[tuple[list[str], list[str]]] = field(default_factory=list)  # colloquial → document words
    stopwords: frozenset[str] = frozenset()
    fingerprint: str = ""

    def all_words(self) -> set[str]:
        """Every word the tokenizer must keep whole."""
        out = set(self.words)
        for g in self.groups:
            out.update(g)
        for left, right in self.directed:
            out.update(left)
            out.update(right)
        return {w for w in out if len(w) > 1}


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case; the same on both sides of the index."""
    return unicodedata.normalize("NFKC", text).lower()


def _entries(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def _split(line: str) -> list[str]:
    return [normalise(w) for w in re.split(r"[\s,，、]+", line) if w]


@lru_cache(maxsize=4)
def load_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """Read dictionary.txt, synonyms.txt and stopwords.txt from the data directory."""
    digest = hashlib.sha1(TOKENIZER_VERSION.encode())
    lex = Lexicon()
    for name in ("dictionary.txt", "synonyms.txt", "stopwords.txt"):
        path = data_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    lex.words = [normalise(ln.split()[0]) for ln in _entries(data_dir / "dictionary.txt")]
    for line in _entries(data_dir / "synonyms.txt"):
        if "=>" in line:
            left, right = line.split("=>", 1)
            lex.directed.append((_split(left), _split(right)))
        else:
            lex.groups.append(_split(line))
    lex.stopwords = frozenset(w for ln in _entries(data_dir / "stopwords.txt") for w in _split(ln))
    lex.fingerprint = digest.hexdigest()
    return lex


@lru_cache(maxsize=4)
def _tokenizer(data_dir: Path = DATA_DIR):
    import jieba  # heavy (about a second): only needed when documents are indexed, never to answer

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    for word in sorted(load_lexicon(data_dir).all_words()):
        tok.add_word(word, freq=200000)
    return tok


def _keep(token: str, stop: frozenset[str]) -> bool:
    return bool(_RUN.fullmatch(token)) and token not in stop and (len(token) > 1 or token.isdigit())


def index_tokens(text: str, data_dir: Path = DATA_DIR) -> list[str]:
    """Words of a passage for the index: jieba's search-mode cut plus the canonical word of each synonym group."""
    lex = load_lexicon(data_dir)
    norm = normalise(text)
    tokens = [t for t in _tokenizer(data_dir).cut_for_search(norm) if _keep(t, lex.stopwords)]
    for group in lex.groups:
        if any(w in norm for w in group):
            tokens.append(group[0])
    return tokens


def passage_cues(text: str) -> list[str]:
    """Feature tokens a passage carries: it names an amount, a date, a contact, an e-mail, a body …"""
    return [cue for cue, rx in _PASSAGE_CUES.items() if rx.search(text)]


def query_terms(question: str, vocab: set[str], data_dir: Path = DATA_DIR) -> tuple[Counter, list[str]]:
    """Weighted index terms of a question, and its cues.

    No tokenizer runs here: every substring of the question that is a word of the index is a term (what the
    index does not know cannot match anyway), so answering needs no dictionary load.
    """
    lex = load_lexicon(data_dir)
    q = normalise(question)
    terms: Counter = Counter()
    for run in _RUN.findall(q):
        for i in range(len(run)):
            if run[i].isdigit():
                m = re.match(r"\d+", run[i:])
                if i == 0 or not run[i - 1].isdigit():
                    terms[m.group(0)] += 2
            for j in range(i + 2, min(len(run), i + 12) + 1):
                w = run[i:j]
                if w in vocab and w not in lex.stopwords:
                    terms[w] = 2
    for group in lex.groups:
        if any(w in q for w in group) and group[0] in vocab:
            terms[group[0]] = max(terms[group[0]], 2)
    for left, right in lex.directed:
        if any(w in q for w in left):
            for w in right:
                if w in vocab and w not in terms:
                    terms[w] = 1
    cues = [cue for cue, rx in _QUERY_CUES.items() if rx.search(q)]
    return terms, cues
