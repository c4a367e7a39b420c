"""Numbers written in Chinese, Arabic or mixed form (「三千五百万」「1.2亿」「3个亿」) as exact Decimals."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
# Characters that may appear inside one written number.
NUMBER_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "半个"

_TOKEN = re.compile(r"\d+(?:\.\d+)?|\.\d+|[%s]" % re.escape(NUMBER_CHARS))


class NumeralError(ValueError):
    """The text is not a number we can read."""


def _tokens(expr: str) -> list[tuple[str, Decimal]]:
    """Split into ("num", value), ("small", unit), ("big", unit), ("half", 0.5) and ("zero", 0) tokens."""
    out: list[tuple[str, Decimal]] = []
    pos = 0
    for m in _TOKEN.finditer(expr):
        if m.start() != pos:
            raise NumeralError(expr)
        pos = m.end()
        tok = m.group()
        if tok == "个":
            continue  # 「3个亿」: a measure word, not a value
        if tok[0].isdigit() or tok[0] == ".":
            try:
                out.append(("num", Decimal(tok)))
            except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
                raise NumeralError(expr) from exc
        elif tok in ("零", "〇"):
            out.append(("zero", Decimal(0)))
        elif tok in DIGITS:
            out.append(("num", Decimal(DIGITS[tok])))
        elif tok in SMALL_UNITS:
            out.append(("small", Decimal(SMALL_UNITS[tok])))
        elif tok in BIG_UNITS:
            out.append(("big", Decimal(BIG_UNITS[tok])))
        else:
            out.append(("half", Decimal("0.5")))
    if pos != len(expr) or not any(k in ("num", "half", "zero", "small") for k, _ in out):
        raise NumeralError(expr)
    return out


def parse_number(expr: str) -> Decimal:
    """Read one written number exactly: 「一亿两千万」→120000000, 「3个亿」→300000000, 「一亿二」→120000000."""
    tokens = _tokens(expr.replace(",", ""))
    yi = wan = section = Decimal(0)
    number: Decimal | None = None
    saw_zero = False
    for kind, val in tokens:
        if kind == "zero":
            saw_zero = True
            if number is not None:
                raise NumeralError(expr)
        elif kind == "num":
            if number is not None:
                raise NumeralError(expr)  # 「二三」 is a digit string, not an amount
            number = val
        elif kind == "half":
            number = (number or Decimal(0)) + val
        elif kind == "small":
            section += (Decimal(1) if number is None else number) * val
            number = None
        elif val == BIG_UNITS["万"]:
            if number is None and section == 0:
                raise NumeralError(expr)
            wan += (section + (number or 0)) * val
            section, number = Decimal(0), None
        else:
            if number is None and section == 0 and wan == 0:
                raise NumeralError(expr)
            yi = (yi + wan + section + (number or 0)) * val
            wan, section, number = Decimal(0), Decimal(0), None
    if (number is not None and len(tokens) >= 2 and tokens[-1][0] == "num" and tokens[-2][0] in ("small", "big")
            and not saw_zero and number < 10 and number == number.to_integral()):
        # 「一亿二」「三万五」: a trailing digit counts in the next lower unit, as people say it.
        number = number * tokens[-2][1] / 10
    total = yi + wan + section + (number or 0)
    return Decimal(int(total)) if total == total.to_integral_value() else total.normalize()
