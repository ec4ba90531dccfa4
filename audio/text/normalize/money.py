"""Amounts of money: quetzales, dollars, euros, with cents and ranges."""

from __future__ import annotations

import re

from ..matching import _pad
from .numbers import _range_words
from .spelling import _NUMBER, _parse_number, _say_number, spell_integer

_CURRENCY = r"(?:US\s?\$|USD|\$|€|Q\.?)\s?"
_CURRENCY_WORDS = {"q": ("quetzal", "quetzales"), "$": ("dólar", "dólares"), "€": ("euro", "euros")}
_MONEY = re.compile(
    rf"(?<![\w$€])(?P<cur>{_CURRENCY})(?P<a>{_NUMBER})"
    rf"(?:\s*[-–]\s*(?:{_CURRENCY})?(?P<b>{_NUMBER}))?"
    r"(?:\s+(?P<scale>mil|millones|millón|millon)(?!\w))?"
)
_MONEY_AFTER = re.compile(rf"(?<![\w.,])(?P<a>{_NUMBER})\s?(?P<cur>USD|GTQ)(?!\w)")


def _read_money(text: str) -> str:
    """Money: "Q25.50" -> "veinticinco quetzales con cincuenta centavos"; "$100" -> "cien dólares".

    In Guatemala amounts are written "Q1,500.00": the comma groups
    thousands, the period introduces the cents.
    """

    def read(match: re.Match[str]) -> str:
        cur = match.group("cur").strip().lower()
        singular, plural = _CURRENCY_WORDS[
            "q" if cur.startswith(("q", "gtq")) else "€" if cur == "€" else "$"
        ]
        first, last = match.group("a"), match.groupdict().get("b")
        scale = (match.groupdict().get("scale") or "").lower()
        scale = "millón" if scale == "millon" else scale
        if scale:
            spoken = _say_scaled_amount(first, scale, plural)
            if last:
                opening, joiner = _range_words(
                    match.string[max(0, match.start() - 40) : match.start()]
                )
                high_words = _say_scaled_amount(last, scale, plural)
                spoken = f"{opening}{_say_number(first)} {joiner} {high_words}"
        elif last:
            low, high = _parse_amount(first), _parse_amount(last)
            opening, joiner = _range_words(match.string[max(0, match.start() - 40) : match.start()])
            if low[1] or high[1]:
                low_words = _say_amount(*low, singular, plural)
            else:
                low_words = spell_integer(low[0])
            spoken = f"{opening}{low_words} {joiner} {_say_amount(*high, singular, plural)}"
        else:
            spoken = _say_amount(*_parse_amount(first), singular, plural)
        return _pad(match, spoken)

    text = _MONEY.sub(read, text)
    return _MONEY_AFTER.sub(read, text)


def _parse_amount(written: str) -> tuple[int, int]:
    """Units and cents: "1,500.00" -> (1500, 0); "25.5" -> (25, 50): units and cents."""
    parsed = _parse_number(written)
    if parsed is None:
        return int(re.sub(r"\D", "", written) or 0), 0
    whole, fraction, _ = parsed
    cents = int((fraction or "0")[:2].ljust(2, "0"))
    return int(whole), cents


def _say_amount(units: int, cents: int, singular: str, plural: str) -> str:
    parts = []
    if units or not cents:
        words = spell_integer(units, agree_with="m")
        if words.endswith(("millón", "millones")):
            words += " de"  # "un millón de quetzales"
        parts.append(f"{words} {singular if units == 1 else plural}")
    if cents:
        parts.append(
            f"{spell_integer(cents, agree_with='m')} {'centavo' if cents == 1 else 'centavos'}"
        )
    return " con ".join(parts)


def _say_scaled_amount(written: str, scale: str, plural: str) -> str:
    """Round amounts: "Q2 millones" -> "dos millones de quetzales".

    "Q5 mil" -> "cinco mil quetzales".
    """
    number = "" if scale == "mil" and written == "1" else _say_number(written, agree_with="m") + " "
    return f"{number}{scale} de {plural}" if scale != "mil" else f"{number}mil {plural}"
