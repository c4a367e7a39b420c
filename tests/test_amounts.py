"""Amounts as people type them, parsed exactly in 元; bare numbers are left for confirmation."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.eligibility.amounts import find_amounts, format_yuan, normalize, parse_amount
from handlers.eligibility.numerals import NumeralError, parse_number

YI, WAN = 10**8, 10**4


@pytest.mark.parametrize("text, yuan", [
    ("3亿", 3 * YI), ("3个亿", 3 * YI), ("三亿元", 3 * YI), ("1.2亿", 12000 * WAN), ("8000万", 8000 * WAN),
    ("八千万", 8000 * WAN), ("5千万", 5000 * WAN), ("50000万元", 5 * YI), ("2,000万元", 2000 * WAN),
    ("三千五百万", 3500 * WAN), ("一亿两千万", 12000 * WAN), ("300000000元", 3 * YI), ("投了3个亿", 3 * YI),
    ("合同额五千万左右", 5000 * WAN), ("两个亿", 2 * YI), ("一亿二", 12000 * WAN), ("三万五", 35000),
    ("十五万", 15 * WAN), ("一千零五元", 1005), ("壹亿贰仟万元", 12000 * WAN), ("１.５亿", 15000 * WAN),
    ("300,000,000元", 3 * YI), ("两个半亿", 25000 * WAN), ("1亿5千万", 15000 * WAN), ("0.99999999亿", 99999999),
    ("2000.5万", 20005000), ("9999万", 9999 * WAN), ("3000多万", 3000 * WAN), ("三个多亿", 3 * YI),
    ("3000余万元", 3000 * WAN), ("1个多亿", 1 * YI), ("总投资约3亿元人民币", 3 * YI), ("合同额：2000万", 2000 * WAN),
])
def test_written_amounts_parse_exactly(text, yuan):
    assert parse_amount(text) == Decimal(yuan)


@pytest.mark.parametrize("text", ["3", "五", "2000", "300000000"])
def test_a_number_without_unit_is_bare_not_guessed(text):
    found = find_amounts(normalize(text))
    assert len(found) == 1 and found[0].bare and found[0].yuan is None
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", [
    "第八条怎么说的", "近三年无事故", "2024年5月30日前", "年产30万吨乙烯", "千万别忘了", "附件2的名单", "3个班组",
])
def test_numbers_that_are_not_money_are_ignored(text):
    assert [a for a in find_amounts(normalize(text)) if not a.bare] == []


def test_approximate_words_are_kept_as_a_flag_without_changing_the_value():
    (a,) = find_amounts(normalize("合同额五千万左右"))
    assert a.approx and a.yuan == Decimal(5000 * WAN)
    (b,) = find_amounts(normalize("投资3亿多"))
    assert b.approx and b.yuan == Decimal(3 * YI)
    (c,) = find_amounts(normalize("合同3000多万"))
    assert c.approx and c.yuan == Decimal(3000 * WAN)


@pytest.mark.parametrize("bad", ["万", "亿", "二三", "", "千万x"])
def test_malformed_numerals_raise_a_typed_error(bad):
    with pytest.raises(NumeralError):
        parse_number(bad)


# An independent renderer of Chinese numerals, written from the textbook rules, to feed the parser.
_CN = "零一二三四五六七八九"


def _section(n: int) -> str:
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _CN[digit] + name
    return out


def to_chinese(n: int) -> str:
    if n == 0:
        return "零"
    parts, out, need_zero = [(n // YI, "亿"), (n // WAN % WAN, "万"), (n % WAN, "")], "", False
    for value, name in parts:
        if value == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or value < 1000):
            out += "零"
        out += _section(value) + name
        need_zero = False
    return out


def test_the_test_renderer_itself():
    assert to_chinese(120000000) == "一亿二千万"
    assert to_chinese(35000000) == "三千五百万"
    assert to_chinese(100050000) == "一亿零五万"
    assert to_chinese(1005) == "一千零五"


amounts = st.integers(min_value=1, max_value=9999 * YI + 9999_9999)  # up to 9999亿, far above any project


@settings(max_examples=300, deadline=None)
@given(amounts)
def test_arabic_and_thousands_separated_yuan_parse_back(n):
    assert parse_amount(f"{n}元") == n
    assert parse_amount(f"合同额{n:,}元") == n


@settings(max_examples=300, deadline=None)
@given(amounts)
def test_chinese_numerals_parse_back(n):
    assert parse_amount(to_chinese(n) + "元") == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_wan_forms_parse_back(w):
    assert parse_amount(f"{w}万") == w * WAN
    if w < WAN:  # 「三千五百万」; nobody writes 「一万万」
        assert parse_amount(f"投资{to_chinese(w)}万元") == w * WAN


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["", "个"]))
def test_decimal_yi_forms_parse_back_without_float_error(n, ge):
    text = format(Decimal(n) / YI, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    assert parse_amount(f"投了{text}{ge}亿") == n


@settings(max_examples=300, deadline=None)
@given(amounts)
def test_the_readable_form_parses_back(n):
    assert parse_amount(format_yuan(Decimal(n))) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=9999))
def test_yi_and_wan_together_parse_back(yi, wan):
    # 「1亿2000万」「一亿两千万」「3亿零500万」
    rest = f"{wan}万" if wan else ""
    assert parse_amount(f"{yi}亿{rest}元") == yi * YI + wan * WAN
    assert parse_amount(to_chinese(yi * YI + wan * WAN) + "元") == yi * YI + wan * WAN


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=9999))
def test_arabic_digits_with_chinese_units_parse_back(w):
    # 「3千5百万」: digits written in Arabic, units in Chinese.
    parts = [(w // 1000, "千"), (w // 100 % 10, "百"), (w // 10 % 10, "十"), (w % 10, "")]
    text = "".join(f"{d}{u}" for d, u in parts if d)
    assert parse_amount(f"{text}万") == w * WAN
