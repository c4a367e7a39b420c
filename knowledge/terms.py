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
TOKENIZER_VERSION = "31"  # bump when index_tokens changes, so stored tokens are rebuilt

# A stated amount (「投了4个亿」「合同额五千万」): the question asks for the threshold it is measured against.
STATED_AMOUNT = r"[\d一二三四五六七八九十两几]+\s*个?\s*(亿|千万|百万|万)"

# Question cues and the passage features they point at ("多少钱" → a passage that names an amount).
QUERY_CUES = {
    "qamount": r"多少钱|多少万|多少亿|金额|奖金|费用|收费|钱(?!的)|万元|亿元|投资额|合同额|门槛|奖励多少|奖多少|"
               r"(投资|合同|造价|规模|资金|预算)[^，。？?]{0,4}(多少|几个亿|多大)|多大的?(规模|项目|投资|合同)|"
               # 「精品工程投资要求」: a threshold on the investment is an amount.
               r"投资(额|规模)?(方面)?[有的]?(什么|啥|哪些)?(要求|门槛|下限|起点)|"
               + STATED_AMOUNT,
    "qdate": r"什么时候|啥时候|啥时|何时|几月|几号|哪天|哪一天|哪几天|哪些天|日期|时间|截止|期限|多久|哪年|哪一年|施行|生效|最晚|最迟|截至|[前后]报还是|还是.{0,8}[再才](报|交|填|申请)",
    # 「打电话、视频那种行不行」 asks about remote consulting, not for a number.
    "qcontact": r"(?<!打)电话(?![、和或]?视频)|座机|联系|找谁|问谁|咨询谁|qq|热线|手机|群(?![众体落])",
    "qemail": r"邮箱|邮件|email|e-mail|发到哪|发送到",
    "qbody": r"(?<![找问给])谁|哪个(部门|单位|协会|机构|组织)|哪家|什么(部门|单位|机构)|由谁",
    # 「每年拿多少出来培育」「多少要做成精品」: how many of a set, which a share answers.
    "qpercent": r"比例|百分之|占比|多少%|百分比|名额|不超过多少|几成|多少成|比重|多少(要|得|拿|出来|纳入)|拿多少(?!钱)|"
                r"至少多少(?!钱)",
    "qcount": r"几名|几人|多少人|几位|多少名|几次|几回|几趟|几个人|几个专家|多少家|几关|几道关|几步|几个环节|几个步骤",
    # How often: answered by a period (「每年」「每月」「不定期」), not by a date.
    "qfreq": r"多久.{0,4}[一几][次回]|多长时间.{0,4}[一几][次回]|几年一次|一年几次|一年一次|[评报搞办开]几[回次]|"
             r"隔多久|多久[评报搞办开组]|定期吗|每年都",
    # From when to when: answered by a range (「5月1日至30日」「6月至8月」), not by a single deadline.
    "qperiod": r"几号(开|开始)?到几号|几号开到|从几号|从哪天|开多久|开几天|哪几天|窗口|起止|到几号|几月到几月|哪几个月",
    # How many people: answered by a head count (「组长1人」「3名专家」), not by 「五个环节」.
    "qpeople": r"几个?人|多少个?人|几位|几名|多少名|人数|(几个|多少个?)(专家|评委|成员|组员|委员|人员)",
    "qscore": r"几分|多少分|满分|分值|打分|加分|扣分|得分|分数|总分",
    # 「各占多少」: a share of a whole, given as points (「占 80 分」) or as a percentage.
    "qshare": r"占多少|各占|占几|占了多少|占比多少|占多大",
    "qweb": r"网站|网址|官网|哪个网|链接|系统",
    "qstandard": r"标准|规范|规程|准则|依据",
    "qlevel": r"等级|级别|档次|分级|评级|[几哪][一二三四五六几]?个?[级档等](?!工程)|最[高低好优差]那?一?[档级等]|合格|优良",
    "qdef": r"定义|什么是|什么叫|是指什么|指的是|指什么|含义|概念",
    "qnumber": r"文号|哪个文件|什么文件|几号文|发文字号|红头文件",
    "qto": r"发给谁|发给哪些|下发给|主送|印发给|通知谁|给谁的|发给了",
    # What happens if …: a consequence, which the passages state with a few verbs (视同放弃, 取消, 清退 …).
    "qresult": r"(会|有)(什么|啥)(影响|后果|处理|处罚)|会怎么样|会怎样|会咋样|[咋怎如][么何]?处理|怎么处罚|后果|"
               r"会不会被|咋办|怎么办|要紧|有没有影响|影响大[吗不]|还算[^，。？?]{0,4}[吗不]|还作数|还有效|还认[吗不]|"
               # 「没去会怎么算」「不去咋样」: how a missed step is counted.
               r"会怎么算|[不没][^，。？?]{1,6}(咋样|怎么样|怎样|怎么算|咋算)",
}
PASSAGE_CUES = {
    "qamount": r"\d[\d.]*\s*(万元|亿元|元)|奖金|费用",
    "qdate": r"\d{1,2}\s*月(\s*\d{1,2}\s*日)?|\d{4}\s*年|起施行|起实行|之日起|"
             # A time relative to a step of the project: 「开工后及时填报」「开工前完成征拆」.
             r"(开工|竣工|完工|验收|公布|公示|批准|立项|结束|届满)(后|前|之前|以前|以后|之后)",
    # Only real numbers and addresses: a form's empty 「联系人：  电话：」 answers nothing.
    "qcontact": r"\d{3,4}-\d{7,8}|(?<!\d)1\d{10}(?!\d)|QQ\s*群?\s*[：:]?\s*\d{5,}",
    "qemail": r"[\w.-]+@[\w-]+\.[\w.]+",
    "qbody": r"由[^，。；]{1,30}(负责|承担|组织|牵头|审定|解释|实施|推荐|制定|制订|确定|认定|评定|签订|签署)|责任单位|"
             r"(秘书处|管理局|协会|部门|政府)[^，。；]{0,12}(负责|组织|牵头|审定|解释|实施)|"
             # A list of organisations, as the recommending units are: three names in a row.
             r"(?:[\u4e00-\u9fff（）()]{2,20}(?:协会|公司|集团|委员会)[\s、，,;；\d.]*){3}",
    "qpercent": r"\d+(\.\d+)?\s*%|百分之|比例",
    "qcount": r"\d+\s*(-\s*\d+)?\s*(名|个|人|项)|[一二三四五六七八九十两]+(个|项|名|次)",
    "qpeople": r"(\d+|[一二三四五六七八九十两]+)\s*(人|名|位)(?![单次])",
    "qfreq": r"每(年|月|季度|半年|周|两年)|一年一次|定期|不定期|常态化",
    "qperiod": r"\d{1,2}\s*月(\s*\d{1,2}\s*日)?\s*(至|到|—|-|~|－)\s*(\d{1,2}\s*月)?\s*\d{1,2}\s*[日月]",
    "qscore": r"\d+\s*分(?!之)",
    "qshare": r"占\s*\d+(\.\d+)?\s*(分|%)|\d+(\.\d+)?\s*%",
    "qweb": r"www\.|https?://|官网",
    "qstandard": r"[A-Z]+/[A-Z]+\s*\d+[-—]\d{4}|《[^》]{2,30}(标准|规范|规程|准则|导则)》",
    "qlevel": r"[\u4e00-\u9fff]{1,4}级[、，和及][\u4e00-\u9fff]{1,4}级|(领先|先进)、|[高中初]级(专家|职称|工程师)|"
              # A quality grade set as a requirement: 「质量要求标准为优良」「质量目标达到合格」.
              r"质量[^，。；]{0,8}(为|达到|评为)(优良|合格|优质)",
    "qdef": r"是指|是以|所指|界定为|定义为",
    "qnumber": r"[〔﹝\[]\s*\d{4}\s*[〕﹞\]]\s*\d+\s*号",
    # The addressees of a notice: a line of its own, 「各地级以上市住房和城乡建设局（委），……：」.
    "qto": r"(?m)(^|通知)\s*各[^：:\n。]{2,80}[：:]\s*$",
    "qresult": r"视同放弃|视为放弃|取消|通报|处罚|终止|追究|清退|撤销|收回|扣除|警示|降级|暂停|不予|作废|淘汰|约谈|黑名单",
}
_QUERY_CUES = {k: re.compile(v, re.I) for k, v in QUERY_CUES.items()}
_PASSAGE_CUES = {k: re.compile(v) for k, v in PASSAGE_CUES.items()}
WORD_WEIGHT = 2
SUBWORD_WEIGHT = 1
_RUN = re.compile(r"[0-9a-z\u4e00-\u9fff]+")
# The character before a 不/没 of an A-not-A question, or before the measure word of a count.
_NOT_WORDS = re.compile(r"([\u4e00-\u9fff])(?=[不没]\1)|[\d几一两三四五六七八九十多](?=个)")


@dataclass
class Lexicon:
    """The secretariat-editable word lists, loaded from ``knowledge/data``."""

    words: list[str] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)  # equivalent words; the first is canonical
    directed: list[tuple[list[str], list[str]]] = field(default_factory=list)  # colloquial → document words
    stopwords: frozenset[str] = frozenset()
    places: tuple[str, ...] = ()  # place names: a question naming one wants a passage that names it
    fingerprint: str = ""

    def members(self, word: str) -> list[str]:
        """The other words of the synonym group whose canonical word is ``word``."""
        if not hasattr(self, "_members"):
            self._members = {g[0]: g[1:] for g in self.groups}
        return self._members.get(word, [])

    def rules_in(self, q: str) -> tuple[tuple[int, ...], tuple[int, ...], frozenset[str]]:
        """The synonym groups and one-way rules one of whose words occurs in ``q``, in file order, and those words."""
        # One pass over the question's substrings instead of a substring test per word of every rule.
        if not hasattr(self, "_triggers"):
            groups_of: dict[str, list[int]] = {}
            rules_of: dict[str, list[int]] = {}
            for i, group in enumerate(self.groups):
                for w in group:
                    groups_of.setdefault(w, []).append(i)
            for i, (left, _right) in enumerate(self.directed):
                for w in left:
                    rules_of.setdefault(w, []).append(i)
            self._recent_rules: dict[str, tuple] = {}  # set before _triggers, which other threads test for
            self._triggers = (groups_of, rules_of, max(map(len, [*groups_of, *rules_of]), default=0))
        # Reading a question's terms and judging the answer's coverage both ask about the same question.
        hit = self._recent_rules.get(q)
        if hit is not None:
            return hit
        groups_of, rules_of, longest = self._triggers
        found = frozenset(q[i:j] for i in range(len(q)) for j in range(i + 1, min(len(q), i + longest) + 1)
                          if q[i:j] in groups_of or q[i:j] in rules_of)
        groups = tuple(sorted({i for w in found for i in groups_of.get(w, ())}))
        rules = tuple(sorted({i for w in found for i in rules_of.get(w, ())}))
        if len(self._recent_rules) >= 64:
            self._recent_rules.clear()
        self._recent_rules[q] = out = (groups, rules, found)
        return out

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


TOKEN_FILES = ("dictionary.txt", "synonyms.txt", "stopwords.txt")  # what the index words depend on
FILES = (*TOKEN_FILES, "places.txt")


def load_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """Read the word lists (dictionary, synonyms, stopwords, places) from the data directory, again when edited."""
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
                  for p in (Path(data_dir) / name for name in FILES))
    return _load_lexicon(Path(data_dir), stamp)


@lru_cache(maxsize=8)
def _load_lexicon(data_dir: Path, stamp: tuple) -> Lexicon:
    digest = hashlib.sha1(TOKENIZER_VERSION.encode())
    lex = Lexicon()
    for name in TOKEN_FILES:
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
    lex.places = tuple(dict.fromkeys(w for ln in _entries(data_dir / "places.txt") for w in _split(ln)))
    lex.fingerprint = digest.hexdigest()
    return lex


def _tokenizer(data_dir: Path = DATA_DIR):
    lex = load_lexicon(data_dir)
    return _tokenizer_for(lex.fingerprint, frozenset(lex.all_words()))


@lru_cache(maxsize=4)
def _tokenizer_for(fingerprint: str, words: frozenset[str]):
    import jieba  # heavy (about a second): only needed when documents are indexed, never to answer

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    for word in sorted(words):
        tok.add_word(word, freq=200000)
    return tok


def _keep(token: str, stop: frozenset[str]) -> bool:
    return bool(_RUN.fullmatch(token)) and token not in stop and (len(token) > 1 or token.isdigit())


def index_tokens(text: str, data_dir: Path = DATA_DIR) -> list[str]:
    """Words of a passage for the index: jieba's search-mode cut plus the canonical word of each synonym group."""
    lex = load_lexicon(data_dir)
    norm = normalise(text)
    counts: Counter = Counter()
    tokens = []
    for t in _tokenizer(data_dir).cut_for_search(norm):
        if _keep(t, lex.stopwords):
            counts[t] += 1
            if counts[t] <= 2:  # repetition says little in a short passage; it mostly inflates tables
                tokens.append(t)
    have = set(tokens)
    # Jieba may cut a domain word differently inside a longer phrase (质量信得过班组活动准则): the word lists'
    # words are indexed wherever they stand, as the question side finds them.
    tokens.extend(w for w in sorted(lex.all_words()) if w not in have and w in norm)
    for group in lex.groups:
        # One-character members (奖) would match inside unrelated words (鲁班奖): index only real words.
        if any(len(w) > 1 and w in norm for w in group):
            tokens.append(group[0])
    return tokens


def passage_cues(text: str) -> list[str]:
    """Feature tokens a passage carries (an amount, a date, a contact …), repeated up to 3 times by density."""
    out = []
    for cue, rx in _PASSAGE_CUES.items():
        out.extend([cue] * min(3, len(rx.findall(text))))
    return out


def bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of the Chinese runs: a fallback that still matches 抽 in 抽取."""
    out = []
    for run in re.findall(r"[\u4e00-\u9fff]+", normalise(text)):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


MEASURE = re.compile(r"([一二三四五六七八九十两几\d])[个项条类种]")


def measure_variants(text: str) -> list[str]:
    """The text as written and with other measure words after numerals: 「六个要素」 also reads 「六项要素」."""
    return [text] + sorted({MEASURE.sub(lambda m, w=w: m.group(1) + w, text) for w in "个项条类种"} - {text})


def query_terms(question: str, vocab: set[str], data_dir: Path = DATA_DIR,
                lex: Lexicon | None = None) -> tuple[Counter, list[str]]:
    """Weighted index terms of a question, and its cues.

    No tokenizer runs here: every substring of the question that is a word of the index is a term (what the
    index does not know cannot match anyway), so answering needs no dictionary load.
    """
    lex = lex or load_lexicon(data_dir)
    q = normalise(question)
    terms: Counter = Counter()
    spans: list[tuple[int, int, str]] = []
    for m in _RUN.finditer(q):
        run, base = m.group(0), m.start()
        for i in range(len(run)):
            if i > 0 and run[i].isdigit() and run[i - 1].isdigit():
                continue  # never a word that starts inside a number ("15" of "2015")
            if run[i].isdigit():
                num = re.match(r"\d+", run[i:]).group(0)
                spans.append((base + i, base + i + len(num), num))
            for j in range(i + 2, min(len(run), i + 12) + 1):
                w = run[i:j]
                if j < len(run) and w[-1].isdigit() and run[j].isdigit():
                    continue
                if w in vocab and w not in lex.stopwords:
                    spans.append((base + i, base + j, w))
    # 「有没有」「能不能」 only ask: their 没有/不能 deny nothing; the 个人 of 「几个人」 is a count, not a person.
    # Neither is a word of the question.
    grammar = {m.start() + 1 for m in _NOT_WORDS.finditer(q)}
    spans = [(a, b, w) for a, b, w in spans if not (a in grammar and b - a == 2)]
    for a, b, w in spans:
        # A word inside a longer matched word (信得过 in 质量信得过班组) still counts, but less: one concept
        # must not outweigh the word that says what is asked about.
        covered = any(c <= a and b <= d and (d - c) > (b - a) for c, d, _ in spans)
        terms[w] = max(terms[w], SUBWORD_WEIGHT if covered else WORD_WEIGHT)
    # A one-character member (交, 奖, 挑) counts only where it stands alone: 交 in 「交什么」 but not in 「交流群」,
    # 奖 in 「有奖吗」 but not in 「鲁班奖」.
    inside = [False] * len(q)
    for a, b, w in spans:
        if b - a > 1:
            inside[a:b] = [True] * (b - a)

    groups, rules, found = lex.rules_in(q)

    def asked(w: str) -> bool:
        if w not in found:
            return False
        return len(w) > 1 or any(not inside[m.start()] for m in re.finditer(re.escape(w), q))

    for group in (lex.groups[i] for i in groups):
        if any(asked(w) for w in group) and group[0] in vocab:
            weight = max([terms.pop(w) for w in group[1:] if w in terms] + [terms[group[0]], WORD_WEIGHT])
            # The canonical word stands for the whole group (the index adds it wherever a member stands), so the
            # literal member is not counted a second time.
            terms[group[0]] = weight
    for left, right in (lex.directed[i] for i in rules):
        if any(asked(w) for w in left):
            for w in right:
                if w in vocab and w not in terms:
                    terms[w] = 1
    cues = [cue for cue, rx in _QUERY_CUES.items() if rx.search(q)]
    return terms, cues
