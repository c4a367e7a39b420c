"""From a colloquial question to ranked passages: question terms, synonyms and cues, then the bm25 index."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from knowledge import signals
from knowledge.parser import CONTENTS_REF
from knowledge.terms import PASSAGE_CUES, QUERY_CUES, bigrams, measure_variants, normalise, query_terms
from knowledge.terms import STATED_AMOUNT as AMOUNT_STATED

log = logging.getLogger(__name__)

CANDIDATES = 40
STRICT_CUES = ("qamount", "qdate", "qcontact", "qemail", "qpercent", "qcount", "qpeople", "qperiod", "qfreq", "qscore",
               "qshare", "qweb", "qstandard", "qlevel", "qbody", "qdef", "qnumber", "qto", "qresult")
CUE_PENALTY = 0.7
HARD_CUES = ("qemail",)  # unambiguous: 「电话」 may mean a phone consultation, 「系统」 a system
# Where to reach someone: a contact block lists names and numbers, which no question word needs to stand next to.
ADDRESS_CUES = ("qcontact", "qemail", "qweb")
# Someone named by surname and title (「黄老师」「王主任」), as people ask for a contact person.
PERSON = re.compile(r"([\u4e00-\u9fff])(?:老师|经理|主任|处长|部长|秘书长|女士|先生)")
# Whether one may apply or take part: answered by a rule, never by the blank form that lists the same words.
MAY_APPLY = re.compile(r"[能可]不?[能以]?(申请|申报|报|参加|参评|评|搞)|够(不够)?(条件|格|资格)|符合(条件|要求)|有资格")
STATED_AMOUNT = re.compile(AMOUNT_STATED + "(?!一)")  # 「万一」 states nothing
# Asking whom to contact, which a passage without a phone number or group number cannot answer.
CONTACT_ASK = re.compile(r"找谁问|问谁|联系谁|找谁咨询|联系方式|联系人|联系电话|咨询电话|座机|电话号码|电话多少|打过去|qq|"
                         r"交流群|微信群|群号|加群|"
                         r"(有没有|什么|哪个|啥)群|群[能可]加", re.I)
HARD_CUE_PENALTY = 0.6
RERANK_DEPTH = 12
COMMON_SHARE = 0.25
DOC_BOOST = 1.4
PHRASE_WEIGHT = 1.0
PHRASE_CAP = 4
FIELD_WEIGHTS = {"title": 0.5, "heading": 1.0, "body": 1.0}
FIELD_B = {"title": 0.0, "heading": 0.3, "body": 0.75}
K1 = 1.2
CUE_WEIGHT = 3.0
SENTENCE_BASE = 3.0
SENTENCE_CUE_PENALTY = 0.85
SENTENCE = re.compile(r"[。；;！？\n]")
CUE_RX = {k: re.compile(v) for k, v in PASSAGE_CUES.items()}
QUERY_CUE_RX = {k: re.compile(v, re.I) for k, v in QUERY_CUES.items()}
STOP_CHARS = set("的了吗呢吧啊呀么是有在和与及或对给把被从到为就都也还又要会能我你他她它们这那哪啥谁什怎几多")
HEADING_WEIGHT = 0.3  # the question repeats the passage's own title (「咨询服务方式」) or its parent's
LIST_BOOST = 1.3  # a question asking 「包括哪些」 and a passage that enumerates
TITLE_BOOST = 1.2  # the question contains the passage's whole short title, and no cue it lacks
INTERPRET_PENALTY = 0.7  # the closing 「负责解释」 clause, unless the question asks who interprets
INTERPRET_CLAUSE = re.compile(r"本(办法|方案|规定|细则)由.{2,30}负责解释")
TOTAL_BOOST = 1.3  # a question asking how many in all, and the last chunk of a numbered list
TEMPLATE_PENALTY = 0.6  # a blank form, unless the question is about the form
DEFINITION_PENALTY = 0.8  # a definition, for a may-I-apply question
GRAM_WEIGHT = 1.0  # a two-character piece no word covers: counts like a word inside a longer word
NAME_BOOST = 1.3  # the question says a name the passage puts in quotation marks (「丹河杯」, “丹河”杯)
# Not an abbreviation being defined (「以下简称“班组”」): that names a common word, not a thing.
QUOTED = re.compile(r"(?<!简称)(?<!称为)[“\"]([^”\"，。；、\s]{2,8})[”\"]")
QUOTE_MARKS = re.compile(r"[“”‘’\"']")
PLACE_PENALTY = 0.6  # the question names a place (knowledge/data/places.txt) that neither passage nor title names
CONFIDENT_COVERAGE = 0.55  # share of the question's meaningful characters the best passage must account for


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


def char_coverage(kb, question: str, pid: int) -> float:
    """Share of the question's meaningful characters that the passage accounts for.

    A word counts when the passage contains it, or a word of its synonym group, or (for 「多少钱」「什么时候」…)
    the kind of fact the cue asks for. Unknown words (「专利」) stay uncovered, so an off-topic question that
    shares one common word with an article is not answered with that article.
    """
    lex = kb.lexicon
    p = kb.passages[pid]
    # A name the text quotes (“丹河”杯) is the asker's 丹河杯.
    q, text, words = normalise(question), QUOTE_MARKS.sub("", normalise(p.text)), passage_words(p)
    content = [bool(re.match(r"[0-9a-z\u4e00-\u9fff]", ch)) and ch not in STOP_CHARS for ch in q]
    covered = [False] * len(q)

    def mark(a: int, b: int, flags: list[bool]) -> None:
        for i in range(a, b):
            flags[i] = True

    for i in range(len(q)):
        for j in range(i + 1, min(len(q), i + 4) + 1):
            if q[i:j] in lex.stopwords:
                for n in range(i, j):
                    content[n] = False
    for i in range(len(q)):
        for j in range(min(len(q), i + 12), i + 1, -1):
            w = q[i:j]
            if w in text or w in words:
                mark(i, j, covered)
                break
    groups, rules, said = lex.rules_in(q)

    def mark_said(members: list[str]) -> None:
        for member in said.intersection(members):
            for m in re.finditer(re.escape(member), q):
                mark(m.start(), m.end(), covered)

    for i in groups:
        group = lex.groups[i]
        if group[0] in words or any(len(m) > 1 and m in text for m in group):
            mark_said(group)
    # A one-way rule's words count where the passage has what they lead to: 「住一个宿舍」 is its 「同吃同住」.
    for i in rules:
        left, right = lex.directed[i]
        if any(len(w) > 1 and (w in words or w in text) for w in right):
            mark_said(left)
    for m in PERSON.finditer(q):
        if lists_person(p.text, m.group(1)):
            mark(m.start(), m.end(), covered)  # 「黄老师」 is 黄新宇 of the contact list
    have = set(p.cues.split())
    for cue, rx in QUERY_CUE_RX.items():
        if cue in have:
            for m in rx.finditer(q):
                mark(m.start(), m.end(), covered)
    total = sum(content)
    return sum(1 for c, v in zip(content, covered) if c and v) / total if total else 0.0


def passage_words(p) -> set[str]:
    """Every index word of a stored passage: text, headings and document title."""
    return set(p.tokens.split()) | set(p.heading_tokens.split())


def _sentences(text: str) -> list[str]:
    """Sentences, and each pair of neighbours: an answer often runs over a full stop (「…活动。评价结果为…」)."""
    sents = [s for s in SENTENCE.split(normalise(text)) if s.strip()]
    return sents + [a + b for a, b in zip(sents, sents[1:])]


def passage_sentences(kb, pid: int) -> list[str]:
    """The passage's sentences and neighbouring pairs, computed once per passage."""
    fields = _fields(kb, pid)
    if "sentences" not in fields:
        fields["sentences"] = _sentences(kb.passages[pid].text)
    return fields["sentences"]


def best_sentence(kb, pid: int, weights: dict[str, float], strict: list[str]) -> float:
    """Share of the question's weight that one sentence of the passage covers (the answer is usually one sentence)."""
    total = sum(weights.values()) or 1.0
    fields = _fields(kb, pid)
    text = fields["text"]
    # Only the words the passage contains at all can be in one of its sentences.
    forms = [(w, found) for term, w in weights.items()
             if (found := [f for f in (term, *kb.lexicon.members(term)) if f in text])]
    if not forms:
        return 0.0
    best = 0.0
    for sent in passage_sentences(kb, pid):
        got = 0.0
        for w, words in forms:
            if any(f in sent for f in words):
                got += w
        missing = sum(1 for c in strict if not CUE_RX[c].search(sent)) if strict else 0
        best = max(best, got / total * (SENTENCE_CUE_PENALTY ** missing))
    return best


def lists_person(text: str, surname: str) -> bool:
    """The text lists someone of that surname with a number (「黄新宇 010-63253408」)."""
    return re.search(re.escape(surname) + r"\s?[\u4e00-\u9fff]{1,2}\s*[\d(（]", text) is not None


def cue_near_terms(kb, pid: int, cue: str, terms) -> bool:
    """Some sentence stating the asked-for kind of fact also holds a word of the question."""
    # 「去不了会怎样」 is not answered by an article whose only consequence (「予以淘汰」) concerns something else.
    fields = _fields(kb, pid)
    stating = [sent for sent in passage_sentences(kb, pid) if CUE_RX[cue].search(sent)]
    if not stating:
        return True  # a fact spread over lines (a list of names) cannot be placed in one sentence
    words = [f for t in terms for f in (t, *kb.lexicon.members(t)) if f in fields["text"]]
    return any(w in sent for sent in stating for w in words)


def quoted_names(passages) -> dict[str, set[int]]:
    """Names a passage sets in quotation marks (“丹河”杯, “质量月”), with the passages that name them."""
    names: dict[str, set[int]] = {}
    for p in passages:
        for m in QUOTED.finditer(p.text):
            names.setdefault(normalise(m.group(1)), set()).add(p.id)
    return names


def average_lengths(passages) -> dict[str, float]:
    """Mean token count per field, for BM25F's length normalisation."""
    n = max(1, len(passages))
    sums = {"title": 0, "heading": 0, "body": 0}
    for p in passages:
        title, _, heading = p.heading_tokens.partition("\t")
        sums["title"] += len(title.split())
        sums["heading"] += len(heading.split())
        sums["body"] += len(p.tokens.split())
    return {k: max(1.0, v / n) for k, v in sums.items()}


def _fields(kb, pid: int) -> dict[str, Counter]:
    cached = kb.field_cache.get(pid)
    if cached is None:
        p = kb.passages[pid]
        title, _, heading = p.heading_tokens.partition("\t")
        cached = {}
        for name, words in (("title", title.split()), ("heading", heading.split()), ("body", p.tokens.split())):
            norm = 1 - FIELD_B[name] + FIELD_B[name] * len(words) / kb.avg_lengths.get(name, 1.0)
            cached[name] = (Counter(words), FIELD_WEIGHTS[name] / norm)
        cached["text"] = normalise(p.text)
        kb.field_cache[pid] = cached
    return cached


def bm25f(kb, pid: int, terms: dict[str, float], idf: dict[str, float]) -> float:
    """BM25F over the passage's fields, with field weights, saturation and a mild length norm."""
    fields = _fields(kb, pid)
    text = fields["text"]
    score = 0.0
    for term, w in terms.items():
        tf = 0.0
        for name in ("title", "heading", "body"):
            counts, factor = fields[name]
            n = counts.get(term)
            if not n and name == "body" and term in text:
                n = min(2, text.count(term))  # the question cut a word the tokenizer did not: still a match
            if n:
                tf += n * factor
        if tf:
            score += w * idf[term] * tf / (K1 + tf)
    return score


def _lacks(have: list[str], cue: str) -> bool:
    """The passage states no fact of the kind the cue asks for."""
    # A share of a sum (「比例不低于10%」「节约资金额度的5%」) answers 「多少」 as well as an amount does.
    return cue not in have and not (cue == "qamount" and "qpercent" in have)


def rerank(kb, question: str, hits: list[tuple[int, float]], terms, cues: list[str]) -> list[tuple[int, float]]:
    """Reorder the index's candidates by how well their best sentence answers, and by the question's cues."""
    strict = [c for c in cues if c in STRICT_CUES]
    q = normalise(question)
    hard = [c for c in strict if c in HARD_CUES] + (["qcontact"] if CONTACT_ASK.search(q) else [])
    if STATED_AMOUNT.search(q):
        hard.append("qamount")  # 「投了6个亿能申请吗」 is measured against a threshold: only an amount answers
    variants = measure_variants(q)
    named = {doc for doc, words in kb.doc_words().items() if any(normalise(w) in q for w in words)}
    idf = {t: kb.index.idf(t) for t in terms}
    weights = {t: idf[t] * w for t, w in terms.items()}
    qgrams = signals.content_grams(question, kb.lexicon.stopwords)
    # Headings are matched with the question's words and their synonyms (「什么样的」 → 条件 → 「项目条件」).
    qset = set(qgrams).union(*(signals.content_grams(t) for t in terms))
    wants_list = signals.asks_for_list(question)
    wants_total = signals.asks_total(question)
    key = signals.title_key(question)
    asks_interpret = "解释" in q
    asks_form = signals.asks_for_form(q)
    asks_may = bool(MAY_APPLY.search(q))
    names = [name for name in kb.quoted if name in q or name in terms]  # said, or reached through a synonym
    places = [place for place in kb.lexicon.places if place in q]
    surnames = [m.group(1) for m in PERSON.finditer(q)]
    out = []
    for n, (pid, score) in enumerate(hits):
        p = kb.passages[pid]
        # The index's bm25 only chose the candidates; BM25F over the fields with the question's weights decides.
        have = p.cues.split()
        if n < RERANK_DEPTH and strict:
            astray = {c for c in set(have).intersection(strict)
                      if c not in ADDRESS_CUES and not cue_near_terms(kb, pid, c, terms)}
            have = [c for c in have if c not in astray]
        score = bm25f(kb, pid, terms, idf) + CUE_WEIGHT * sum(min(2, have.count(c)) for c in strict) / 2
        missing = sum(1 for c in strict if _lacks(have, c))
        score *= CUE_PENALTY ** missing
        if any(_lacks(have, c) for c in hard):
            score *= HARD_CUE_PENALTY  # asked for an e-mail, a number to call or a threshold: this passage has none
        if n < RERANK_DEPTH:
            shared = max(signals.longest_shared(v, _fields(kb, pid)["text"]) for v in variants)
            score += PHRASE_WEIGHT * min(PHRASE_CAP, max(0, shared - 2))
            score *= SENTENCE_BASE + best_sentence(kb, pid, weights, strict)
        else:
            score *= SENTENCE_BASE
        score *= 1 + HEADING_WEIGHT * signals.heading_match(kb, pid, qset)
        if not missing and signals.names_title(kb, pid, key):
            score *= TITLE_BOOST
        if wants_list and signals.gives_list(kb, pid):
            score *= LIST_BOOST
        if not asks_interpret and INTERPRET_CLAUSE.search(p.text):
            score *= INTERPRET_PENALTY  # 「本办法由……负责解释」 names the body but answers only who interprets
        if not asks_form and (signals.is_template(kb, pid) or p.ref == CONTENTS_REF):
            # 「化工优质工程投资额有什么要求」: the form names both words but sets no rule; a list of attachments
            # only names the titles.
            score *= TEMPLATE_PENALTY
            if asks_may:
                score *= TEMPLATE_PENALTY  # 「改建的能申请吗」: a blank form never says who may apply
        if asks_may and "qdef" in have and "qdef" not in cues:
            score *= DEFINITION_PENALTY  # 「出过事故还能报吗」 is answered by the conditions, not by what the term means
        if wants_total and signals.ends_list(kb, pid):
            score *= TOTAL_BOOST  # 「一共多少家」: the list's last rows carry the highest number
        if places and not any(place in _fields(kb, pid)["text"] or place in kb.titles.get(p.doc_id, "")
                              for place in places):
            score *= PLACE_PENALTY  # 「我们是山东的，找哪个协会」: the article without 山东 is about someone else
        if surnames and "qcontact" in have and any(lists_person(p.text, sn) for sn in surnames):
            score *= NAME_BOOST  # 「黄老师的电话」: the contact block lists 黄新宇 with a number
        if any(pid in kb.quoted[name] for name in names):
            score *= NAME_BOOST
        if named and p.doc_id in named and len(named) < len(kb.titles):
            score *= DOC_BOOST  # the question names the document's topic (「班组」「泽州」「创优」)
        out.append((pid, score))
    out.sort(key=lambda h: -h[1])
    return signals.lift_sections(kb, out) if wants_list else out


def uncovered_grams(kb, question: str, terms) -> list[str]:
    """Two-character pieces of the question's stretches that no index word covers, where the documents have them.

    「征拆要啥时候搞完」: jieba leaves 征拆 as two single characters, so no word matches it, yet the article says
    「开工前完成征拆」. Only stretches outside every known word count, so a question the words read well is unchanged.
    """
    q = normalise(question)
    covered = [False] * len(q)
    for word in [*terms, *(m for t in terms for m in kb.lexicon.members(t))]:
        for m in re.finditer(re.escape(word), q):
            covered[m.start():m.end()] = [True] * (m.end() - m.start())
    limit = COMMON_SHARE * max(1, len(kb.index))
    out = []
    for m in re.finditer(r"[\u4e00-\u9fff]+", q):
        for i in range(m.start(), m.end() - 1):
            g = q[i:i + 2]
            if covered[i] or covered[i + 1] or g[0] in STOP_CHARS or g[1] in STOP_CHARS or g in kb.lexicon.stopwords:
                continue
            if 0 < kb.index.gram_df.get(g, 0) <= limit:
                out.append(g)
    return list(dict.fromkeys(out))


def rank(kb, question: str, k: int) -> Ranked:
    """Passages for a question, best first; at least ``k`` when the index holds that many."""
    terms, cues = query_terms(question, kb.index.vocab, kb.data_dir, kb.lexicon)
    stop = kb.lexicon.stopwords
    grams = [g for g in dict.fromkeys(bigrams(question)) if g not in stop and not any(c in STOP_CHARS for c in g)]
    # Words in most passages only slow the index down; they still count when candidates are rescored.
    n = max(1, len(kb.index))
    lookup = Counter({t: w for t, w in terms.items() if kb.index.df.get(t, 0) <= COMMON_SHARE * n}) or terms
    loose = uncovered_grams(kb, question, terms)
    if len(lookup) >= 3:
        grams = loose  # the full two-character fallback is for questions the word index cannot read
    for g in loose:
        terms.setdefault(g, GRAM_WEIGHT)
    # Cues (a date, an amount …) are common; they only rescore candidates the words found.
    # A question asking whom to contact also draws the passages with a number to call, whatever its words.
    asked = ["qcontact"] if CONTACT_ASK.search(normalise(question)) else []
    hits = (kb.index.search(lookup, asked if lookup else [*cues, *asked], grams, limit=max(CANDIDATES, k))
            if (lookup or grams or asked) else [])
    hits = rerank(kb, question, [(pid, s) for pid, s in hits if pid in kb.passages], terms, cues)[:k]
    out = Ranked(hits=hits, terms=dict(terms))
    if hits:
        out.coverage = char_coverage(kb, question, hits[0][0])
    if len(hits) < k:
        # Too few matches: fill with the first passages so callers always get k to show as "nearest".
        seen = {pid for pid, _ in hits}
        out.hits += [(pid, 0.0) for pid in kb.passages if pid not in seen][: k - len(hits)]
    return out
