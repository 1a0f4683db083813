"""Chinese numerals as the plans write them: 一 … 十, 十一 … 九十九."""

DIGITS = "零一二三四五六七八九"


def to_chinese(number):
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return DIGITS[ones]
    prefix = "" if tens == 1 else DIGITS[tens]
    return prefix + "十" + (DIGITS[ones] if ones else "")


def typed_number(text):
    """A whole number as typed into a search box (12, or full-width １２), or None.

    isdigit() also holds for ² and ①, which int() refuses; isdecimal() holds only for digits
    int() reads. More than nine digits is no task number, and would overflow a database integer."""
    text = text.strip()
    if text.isdecimal() and len(text) <= 9:
        return int(text)
    return None


def from_chinese(text):
    """Parse 一…九十九, 两 or ASCII digits; None when the text is not a number."""
    text = text.strip().replace("两", "二")
    if text.isdecimal():
        return typed_number(text)
    if not text or any(ch not in DIGITS + "十" for ch in text):
        return None
    if "十" not in text:
        return DIGITS.index(text) if len(text) == 1 else None
    tens_part, _, ones_part = text.partition("十")
    if len(tens_part) > 1 or len(ones_part) > 1:
        return None
    tens = DIGITS.index(tens_part) if tens_part else 1
    ones = DIGITS.index(ones_part) if ones_part else 0
    return tens * 10 + ones
