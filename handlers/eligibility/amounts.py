"""Money amounts as people type them (「投了3个亿」「合同额五千万左右」「2,000万元」), exact in 元."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from handlers.eligibility.numerals import NUMBER_CHARS, NumeralError, parse_number

YI = Decimal(10**8)
WAN = Decimal(10**4)

_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_MORE_BEFORE_UNIT = re.compile(r"([\d零〇一二两三四五六七八九十百千个])(多|余|来)([万萬亿億])")
_START = "0-9零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾半"
_AMOUNT = re.compile(
    rf"(?P<pre>大约|大概|约|将近|近|差不多)?"
    rf"(?P<num>[{_START}][0-9.{re.escape(NUMBER_CHARS)}]*)"
    rf"(?P<more>多|余|来)?(?P<unit>元|块钱|块)?(?P<approx>左右|上下|出头)?"
)
# A number followed by one of these counts something other than money (「年产30万吨」「近三年」「第八条」).
_NOT_MONEY = re.compile(
    r"\s*(吨|t\b|平|㎡|立方|方米|千瓦|瓦|kW|kw|兆瓦|MW|千伏|kV|米|m\b|公里|km|套|台|人|户|辆|座|次|年|天|月|日|号|"
    r"条|款|项|家|名|位|件|张|页|%|％|倍|层|栋|标段|期|批|级|分|小时|周|星期|岁|章|节|个月)"
)


@dataclass(frozen=True)
class Amount:
    """One number found in a message; ``yuan`` is None when no unit was given (「3」 alone)."""

    number: Decimal
    yuan: Decimal | None
    raw: str
    start: int
    end: int
    approx: bool = False

    @property
    def bare(self) -> bool:
        """True when the writer gave no unit, so 元, 万元 or 亿元 must be confirmed."""
        return self.yuan is None


def normalize(text: str) -> str:
    """Fullwidth digits to ASCII, thousands separators removed, 「3000多万」 turned into 「3000万多」."""
    text = _THOUSANDS.sub("", text.translate(_FULLWIDTH))
    return _MORE_BEFORE_UNIT.sub(r"\1\3\2", text)


def find_amounts(text: str) -> list[Amount]:
    """Every number in an already normalized text that could be money, in order of appearance."""
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        num = m.group("num").rstrip(".")
        while num.endswith("个"):
            num = num[:-1]
        unit = m.group("unit")
        if not unit and _NOT_MONEY.match(text, m.end()):
            continue
        try:
            value = parse_number(num)
        except NumeralError:
            continue
        has_big_unit = any(c in num for c in "万萬亿億")
        yuan = value if (unit or has_big_unit) else None
        approx = bool(m.group("pre") or m.group("more") or m.group("approx"))
        found.append(Amount(value, yuan, m.group().strip(), m.start(), m.end(), approx))
    return found


def parse_amount(text: str) -> Decimal | None:
    """The single amount in a short text, in 元; None when there is none or it has no unit."""
    amounts = [a for a in find_amounts(normalize(text)) if not a.bare]
    return amounts[0].yuan if len(amounts) == 1 else None


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_yuan(yuan: Decimal) -> str:
    """Readable Chinese form: 300000000 → 「3亿元」, 80000000 → 「8000万元」, 1234 → 「1234元」."""
    if yuan >= YI:
        return f"{_plain(yuan / YI)}亿元"
    if yuan >= WAN:
        return f"{_plain(yuan / WAN)}万元"
    return f"{_plain(yuan)}元"


def unit_choices(number: Decimal) -> list[tuple[str, Decimal]]:
    """The readings offered for a bare number: small numbers are 亿 or 万, large ones 元 or 万."""
    if number < WAN:
        return [("亿元", number * YI), ("万元", number * WAN)]
    return [("元", number), ("万元", number * WAN)]
