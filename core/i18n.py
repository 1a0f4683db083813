"""Pick the Chinese or English form of a bilingual value for the active language."""

import re

from django.utils.translation import get_language


def english_active():
    return (get_language() or "").startswith("en")


def localized(chinese, english):
    """English where the UI is English and a translation exists; the plan's Chinese otherwise."""
    if english_active() and english:
        return english
    return chinese


# Period names as create_periods and people write them: 2026年第四季度, 2026年上半年, 2026年度.
QUARTER_NAME = re.compile(r"(\d{4})\s*年\s*第\s*([一二三四1-4])\s*季度")
HALF_NAME = re.compile(r"(\d{4})\s*年\s*([上下])半年")
YEAR_NAME = re.compile(r"(\d{4})\s*年度?")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


def english_period_name(name):
    """The English label of a period named in the plans' way ("Q4 2026" for 2026年第四季度), or ""
    for a name written some other way, which then shows as written in both languages."""
    if match := QUARTER_NAME.fullmatch(name.strip()):
        year, quarter = match.groups()
        return f"Q{CHINESE_DIGITS.get(quarter, quarter)} {year}"
    if match := HALF_NAME.fullmatch(name.strip()):
        year, half = match.groups()
        return f"H{1 if half == '上' else 2} {year}"
    if match := YEAR_NAME.fullmatch(name.strip()):
        return match.group(1)
    return ""


def period_name(name):
    """A period's name in the active language, generated from the Chinese one (which is kept)."""
    return localized(name, english_period_name(name))


# Units as the plans write them, in English; another unit shows as written.
ENGLISH_UNITS = {
    "项": "items",
    "个": "items",
    "家": "firms",
    "亿美元": "× USD 100 million",
    "亿元": "× CNY 100 million",
    "万元": "× CNY 10,000",
    "平方公里": "km²",
}


def unit_name(unit):
    return localized(unit, ENGLISH_UNITS.get(unit, ""))


# Chinese letters, and the full-width punctuation set against them without spaces.
_CJK_LETTER = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = f"{_CJK_LETTER}\u3000-\u303f\uff00-\uffef"
_SPACES_BY_CJK = re.compile(f"(?<=[{_CJK}]) +| +(?=[{_CJK}])")
_LATIN_AFTER_CJK = re.compile(f"(?<=[{_CJK_LETTER}])(?=[A-Za-z0-9])")
_CJK_AFTER_LATIN = re.compile(f"(?<=[A-Za-z0-9])(?=[{_CJK_LETTER}])")


def cjk_spacing(text):
    """A sentence with names and dates put into it, spaced one way in Chinese: nothing between
    Chinese characters (张三于, 代张三), one space between Chinese and Latin letters or digits
    (于 2026-04-05 10:00 报送, manager 于). Other languages are left as written."""
    if english_active() or not text:
        return text
    text = _SPACES_BY_CJK.sub("", str(text))
    return _CJK_AFTER_LATIN.sub(" ", _LATIN_AFTER_CJK.sub(" ", text))
