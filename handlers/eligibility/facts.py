"""Facts from free text: every fact one message gives, plus the answer to the question being asked."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers.eligibility import detectors as d
from handlers.eligibility.amounts import Amount, find_amounts, normalize
from handlers.eligibility.programs import MENU, PROGRAMS, UNDECLARED
from handlers.eligibility.rules import DECLINED, NONE
from handlers.eligibility.units import find_unit_in, match_unit

AMOUNT_SLOTS = ("investment", "contract")
BOOL_SLOTS = ("member", "approved", "independent", "chemical", "plan", "accident")
_ALIASES = sorted(((a, p.id) for p in PROGRAMS.values() for a in p.aliases), key=lambda x: -len(x[0]))
# Names that contain fact words (「化工」「班组」) without stating a fact about the project.
_NAMES = re.compile("|".join(re.escape(a) for a, _ in _ALIASES) + r"|中国化工施工企业协会|化工施工企业协会|化工协会")
# 「我们是改扩建，算扩建吗」: the asked-about 「扩建」 is hypothetical, not a fact.
_HYPOTHETICAL = re.compile(r"(算不算|能不能算|可不可以算|(?<![打预计估核结清总概决运换])算|属于|是不是)[^，。,;；]{0,10}?(吗|呢|[?？])")
_FILLER = re.compile(r"^(嗯+|哦+|好的?|那个|我们的?|我司|咱们|这个|项目|就是)+[，,、\s]*")
_RECOMMENDER = [
    re.compile(r"(?:由|经|通过|找|请)(?P<name>[\u4e00-\u9fa5]{2,24}?(?:协会|联合会|委员会|分会|公司|集团))"),
    re.compile(r"推荐单位(?:是|为|：|:)?\s*(?P<name>[\u4e00-\u9fa5（）()]{2,30})"),
    re.compile(r"(?P<name>[\u4e00-\u9fa5]{2,24}?(?:协会|联合会|委员会|分会|公司|集团))(?:来|负责|给我们|帮我们)?推荐"),
]


@dataclass
class Extraction:
    """What one message says: a program, fact updates, and a number whose unit must be confirmed."""

    program: str | None = None
    undeclared: str | None = None
    updates: dict[str, Any] = field(default_factory=dict)
    bare: dict[str, str] | None = None  # {"slot", "number", "raw"}


def detect_program(text: str) -> str | None:
    """The program a text names (longest name first: 「优质精品」 before 「优质」)."""
    for alias, pid in _ALIASES:
        if alias in text:
            return pid
    return None


def _amount_kind(text: str, a: Amount) -> str | None:
    before = re.split(r"[，。,;；！!？?\n]", text[max(0, a.start - 12):a.start])[-1]
    inv = [m.end() for m in d.INVEST_WORDS.finditer(before)]
    con = [m.end() for m in d.CONTRACT_WORDS.finditer(before)]
    if inv or con:
        return "investment" if max(inv or [-1]) > max(con or [-1]) else "contract"
    after = text[a.end:a.end + 5]
    if re.match(r"的?(总投资|投资)", after):
        return "investment"
    if re.match(r"的?(合同|合同额)", after):
        return "contract"
    return None


def _amounts(text: str, asking: str | None, out: Extraction) -> None:
    for a in find_amounts(text):
        kind = _amount_kind(text, a)
        if a.bare:
            alone = re.fullmatch(r"(大约|大概|约|差不多)?\s*" + re.escape(a.raw) + r"\s*(吧|左右|的样子)?[。.]?", text)
            slot = kind or (asking if asking in AMOUNT_SLOTS and alone else None)
            if slot:
                out.bare = {"slot": slot, "number": str(a.number), "raw": a.raw}
            continue
        slot = kind or (asking if asking in AMOUNT_SLOTS else "amount_any")
        out.updates[slot] = {"yuan": str(a.yuan), "raw": a.raw, "approx": a.approx}


def _build_type(text: str) -> str | None:
    best = None
    for pattern, value in d.BUILD_TYPE:
        for m in pattern.finditer(text):
            if d.BUILD_NEGATION.search(text[max(0, m.start() - 3):m.start()]):
                continue
            rank = (m.end(), m.end() - m.start())
            if best is None or rank > best[0]:
                best = (rank, value)
    return best and best[1]


def _chemical(text: str) -> bool | None:
    if d.CHEMICAL_NO.search(text):
        return False
    if d.CHEMICAL_YES.search(text):
        return True
    return False if d.NOT_CHEMICAL_KINDS.search(text) else None


def _team_unit(text: str, asking: str | None) -> str | None:
    found = d.last_match(text, d.TEAM_BASIC) or d.last_match(text, d.TEAM_NOT_BASIC)
    if found is None and asking == "team_unit":
        found = d.last_match(text, d.TEAM_COMPANY)
    return found


def _recommender(text: str, asking: str | None) -> dict | None:
    if asking != "recommender" and "推荐" not in text:
        return None
    listed = find_unit_in(text)
    if listed:
        return {"name": listed, "match": listed, "nearest": []}
    name = None
    for pattern in _RECOMMENDER:
        m = pattern.search(text)
        if m:
            name = m.group("name")
            break
    if name is None and asking == "recommender":
        if d.DONT_KNOW.search(text) or d.NO.match(text.strip()):
            return None
        name = re.sub(r"^(是|由|我们?|推荐单位|打算|准备|找|请|让)+|(来推荐|推荐|吧|的|。)+$", "", text.strip())
        if not re.fullmatch(r"[\u4e00-\u9fa5（）()A-Za-z]{2,30}", name):
            return None
    if not name:
        return None
    found = match_unit(name)
    return {"name": name, "match": found.match, "nearest": list(found.nearest)}


def _answer(text: str, asking: str) -> Any:
    """The reply to the pending question when the message states no fact outright (「是的」「不知道」)."""
    short = _FILLER.sub("", text.strip())
    if asking == "amount_kind":
        if d.INVEST_WORDS.search(short):
            return "investment"
        if d.CONTRACT_WORDS.search(short):
            return "contract"
        return DECLINED if d.DONT_KNOW.search(short) else None
    if asking == "program":
        m = re.fullmatch(r"\s*(?:选|选择)?第?\s*([1-9一二三四五六七八九])\s*(?:个|项|条)?\s*[.、。]?\s*", short)
        n = "123456789一二三四五六七八九".index(m.group(1)) % 9 if m else -1
        return MENU[n] if 0 <= n < len(MENU) else None
    if asking in AMOUNT_SLOTS and d.NOTHING.match(short):
        return NONE
    if d.DONT_KNOW.search(short) or (asking == "recommender" and d.NO.match(short)):
        return DECLINED
    if asking in BOOL_SLOTS:
        if d.NO.match(short):
            return False
        if d.YES.match(short):
            return True
    return None


def extract(text: str, asking: str | None = None, program: str | None = None) -> Extraction:
    """Every fact the message gives; ``asking`` is the pending question, which bare answers fill."""
    text = normalize(text)
    out = Extraction(program=detect_program(text))
    for words, message in UNDECLARED.items():
        if any(w in text for w in words):
            out.undeclared = message
    body = _HYPOTHETICAL.sub("，", _NAMES.sub("，", text))
    _amounts(body, asking, out)
    found = {
        "member": d.last_match(body, d.MEMBER),
        "approved": d.last_match(body, d.APPROVED),
        "independent": d.last_match(body, d.INDEPENDENT),
        "build_type": _build_type(body),
        "stage": d.last_match(body, d.STAGE),
        "chemical": _chemical(body),
        "team_unit": _team_unit(body, asking),
        "plan": d.last_match(body, d.PLAN),
        "accident": d.last_match(body, d.ACCIDENT),
        "recommender": _recommender(text, asking),  # unit names may contain 「化工」, so read the full text
    }
    out.updates.update({k: v for k, v in found.items() if v is not None})
    if asking and not out.updates and not out.bare:
        value = _answer(body, asking)
        if value is not None:
            if asking == "program":
                out.program = value
            else:
                out.updates[asking] = value
    return out
