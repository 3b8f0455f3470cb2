"""Variant numbers in words, printed on sheets and booklets so a misprinted digit is caught."""

from __future__ import annotations

from common.i18n import tr

_RU = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
    "двадцать",
]
_EN = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


def variant_in_words(number: int, language: str) -> str:
    """``3, "ru"`` -> ``"три"``; numbers 0..99 are supported."""
    if not 0 <= number <= 99:
        raise ValueError(tr("variant number out of range: {number}", number=number))
    words = _RU if language == "ru" else _EN
    if number <= 20:
        return words[number]
    tens_ru = {
        2: "двадцать",
        3: "тридцать",
        4: "сорок",
        5: "пятьдесят",
        6: "шестьдесят",
        7: "семьдесят",
        8: "восемьдесят",
        9: "девяносто",
    }
    tens_en = {
        2: "twenty",
        3: "thirty",
        4: "forty",
        5: "fifty",
        6: "sixty",
        7: "seventy",
        8: "eighty",
        9: "ninety",
    }
    tens, ones = divmod(number, 10)
    head = (tens_ru if language == "ru" else tens_en)[tens]
    if ones == 0:
        return head
    return f"{head} {words[ones]}" if language == "ru" else f"{head}-{words[ones]}"
