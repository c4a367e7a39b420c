"""The 65 recommending units of the 2024 trusted-team notice (附件2), read from the bundled corpus, matched loosely."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CORPUS_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "corpus" / "cacem-trusted-team-2024.txt"

_ROW = re.compile(r"^\s*(\d{1,3})\s+(\S.*?)\s*$")
_PLACE = re.compile(r"^(?P<place>[\u4e00-\u9fa5]{2,3}?)(?:维吾尔自治区|壮族自治区|回族自治区|自治区|省|市)(?P<rest>.+)$")
_COMPANY_TAIL = re.compile(r"(集团)?(股份)?有限(责任)?公司$|集团公司$|公司$")
_NOISE = re.compile(r"[\s（）()「」“”\"'《》、，,。.·]")
# Short names people use for the central enterprises on the list.
_ABBREVIATIONS = {
    "中建": "中国建筑股份有限公司",
    "中建集团": "中国建筑股份有限公司",
    "中铁": "中国中铁股份有限公司",
    "中铁建": "中国铁建股份有限公司",
    "中交": "中国交通建设集团有限公司",
    "中国交建": "中国交通建设集团有限公司",
    "中交集团": "中国交通建设集团有限公司",
    "航天科工": "中国航天科工集团有限公司",
    "中国通号": "中国铁路通信信号集团公司工程建设协会",
}


@dataclass(frozen=True)
class UnitMatch:
    """The outcome of looking a name up: the listed name when found, else the nearest listed names."""

    name: str
    match: str | None
    nearest: tuple[str, ...] = ()


class UnitListError(RuntimeError):
    """The bundled notice no longer holds the 附件2 list as expected."""


@lru_cache(maxsize=1)
def recommending_units() -> tuple[str, ...]:
    """The names listed in 附件2 《各推荐单位名单》, in their order."""
    text = CORPUS_FILE.read_text(encoding="utf-8")
    start = text.find("各推荐单位名单")
    end = text.find("附件 3", start)
    if start < 0 or end < 0:
        raise UnitListError(f"附件2 not found in {CORPUS_FILE.name}")
    rows = {}
    for line in text[start:end].splitlines():
        m = _ROW.match(line)
        if m:
            rows[int(m.group(1))] = m.group(2)
    if sorted(rows) != list(range(1, len(rows) + 1)) or not rows:
        raise UnitListError("附件2 rows are not numbered 1..n")
    return tuple(rows[i] for i in sorted(rows))


def _clean(name: str) -> str:
    return _NOISE.sub("", name)


def aliases(name: str) -> set[str]:
    """Spellings that mean the same unit: without 省/市/自治区 after the place, without a company suffix."""
    base = _clean(name)
    out = {base}
    m = _PLACE.match(base)
    if m:
        out.add(m.group("place") + m.group("rest"))
    for a in list(out):
        stripped = _COMPANY_TAIL.sub("", a)
        if len(stripped) >= 4:
            out.add(stripped)
    return out


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index = {}
    for unit in recommending_units():
        for a in aliases(unit):
            index.setdefault(a, unit)
    for short, unit in _ABBREVIATIONS.items():
        index.setdefault(short, unit)
    return index


def _place(name: str) -> str:
    return _clean(name)[:2]


def nearest_units(name: str, n: int = 3) -> tuple[str, ...]:
    """The listed names most like ``name``; names of the same place rank first."""
    key = next(iter(sorted(aliases(name), key=len)))
    scored = []
    for unit in recommending_units():
        ratio = max(difflib.SequenceMatcher(None, key, a).ratio() for a in aliases(unit))
        contains = any(key in a or a in key for a in aliases(unit) if len(a) >= 4)
        scored.append((ratio + (0.5 if _place(unit) == _place(name) else 0) + (0.5 if contains else 0), unit))
    scored.sort(key=lambda s: -s[0])
    return tuple(unit for score, unit in scored[:n] if score >= 0.4)


def match_unit(name: str) -> UnitMatch:
    """Look a recommending unit up: 「广东建筑业协会」 finds 「广东省建筑业协会」; others get the nearest names."""
    index = _alias_index()
    for a in aliases(name):
        if a in index:
            return UnitMatch(name, index[a])
    # A near spelling counts only within the same place: 「湖北省建筑业协会」 must not become 河北's.
    best, best_ratio = None, 0.0
    for unit in recommending_units():
        if _place(unit) != _place(name):
            continue
        ratio = max(difflib.SequenceMatcher(None, a, b).ratio() for a in aliases(name) for b in aliases(unit))
        if ratio > best_ratio:
            best, best_ratio = unit, ratio
    if best and best_ratio >= 0.85:
        return UnitMatch(name, best)
    return UnitMatch(name, None, nearest_units(name))


@lru_cache(maxsize=1)
def _scan_aliases() -> tuple[tuple[str, str], ...]:
    # Only full names and place-stripped names: 「中国建筑」 alone would also hit 「中国建筑业协会…」.
    pairs = set()
    for unit in recommending_units():
        base = _clean(unit)
        pairs.add((base, unit))
        m = _PLACE.match(base)
        if m:
            pairs.add((m.group("place") + m.group("rest"), unit))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def find_unit_in(text: str) -> str | None:
    """A listed unit named in full anywhere in a sentence (longest name first), or None."""
    cleaned = _clean(text)
    for alias, unit in _scan_aliases():
        if alias in cleaned:
            return unit
    return None
