"""Phone and service numbers: two digits at a time, or digit by digit ("uno, uno, cero").

A wrong number in a safety guide can hurt someone: these rules run before any
rule that would read the digits as a quantity or a range.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..matching import _pad
from .agreement import _agreement, _next_word
from .spelling import _is_year, _spell_digits, spell_integer

# Short public service numbers, read digit by digit ("uno, uno, cero") even
# without a word like "llame" before them, unless a noun follows ("110
# personas" stays a quantity): police (110), firefighters (122, 123), the
# Ministerio Público's line (1572), and 911 for Mexico and the United States.
SERVICE_NUMBERS = frozenset({"110", "122", "123", "1572", "911"})


# Guatemalan numbers have 8 digits, written "2230-1234", "2230 1234" or
# "22301234", maybe after "+502" or "(502)". Landlines and mobiles start with
# 2 to 7; with the country code any first digit is accepted.
_PHONE = re.compile(
    r"(?<![\w.,/:+-])(?:(?P<country>\+\s?502|\(\+?502\))[ -]?)?"
    r"(?P<a>\d{4})(?P<sep>[ -]?)(?P<b>\d{4})(?![\w]|[.,:/-]\d)"
)


def _read_phone_numbers(text: str, say: Callable[[str, str], str] | None = None) -> str:
    """Phone numbers: "2230-1234" -> "veintidós, treinta, doce, treinta y cuatro".

    Read two digits at a time, as Guatemalans say them; "+502" is "más cinco
    cero dos". A pair of years ("2020-2025") is left for the range rule.
    ``say(country, digits)`` reads them in another language.
    """
    say = say or _say_phone_number

    def read(match: re.Match[str]) -> str:
        first, second = match.group("a"), match.group("b")
        country = match.group("country")
        if not country:
            if first[0] not in "234567":
                return match.group()
            if match.group("sep") and _is_year(first) and _is_year(second) and first < second:
                return match.group()
        return _pad(match, say(country or "", first + second))

    return _PHONE.sub(read, text)


def _say_phone_number(country: str, digits: str) -> str:
    spoken = _say_digit_pairs(digits)
    if country:
        prefix = "más " if "+" in country else ""
        spoken = f"{prefix}{_spell_digits('502', ' ')}, {spoken}"
    return spoken


# A short number is a phone number when a word like "llame" or "línea" comes
# shortly before it in the same sentence, or when it follows one ("al 1572 o
# al 110").
_PHONE_CONTEXT = re.compile(
    r"(?<!\w)(?:llam\w*|marqu\w*|marc(?:ar|ando|a\s+al)|comuní\w*|comuni\w*|contact\w*"
    r"|denunci\w*|l[ií]neas?|n[uú]meros?|tel[eé]fonos?|tel\.?|cel(?:ular(?:es)?)?\.?"
    r"|m[oó]vil|whats\s?app|pbx|sms|emergencias?)"
    r"(?P<gap>(?:(?![.;!?])[^\d$€]){0,60}?)"
    r"(?<![\w$€])(?P<numbers>\d{3,4}(?:(?:\s*,\s*|\s+[oyuóe]\s+)(?:(?:al|el|a\s+la|la)\s+)?\d{3,4})*)"
    r"(?![\w%°:]|[.,]\d)",
    re.I,
)
_SERVICE_NUMBER = re.compile(r"(?<![\w$€.,:/-])(?P<number>\d{3,4})(?![\w%°:/-]|[.,]\d)")


def _read_service_numbers(text: str) -> str:
    """Service numbers: "Llame al 110" -> "llame al uno, uno, cero".

    Short numbers are read digit by digit.
    """

    def read_in_context(match: re.Match[str]) -> str:
        numbers = re.sub(r"\d+", lambda m: _spell_digits(m.group(), ", "), match.group("numbers"))
        return match.group()[: match.start("numbers") - match.start()] + numbers

    text = _PHONE_CONTEXT.sub(read_in_context, text)

    def read_known(match: re.Match[str]) -> str:
        number = match.group("number")
        if number not in SERVICE_NUMBERS or _agreement(_next_word(match)) is not None:
            return number
        return _spell_digits(number, ", ")

    return _SERVICE_NUMBER.sub(read_known, text)


def _say_digit_pairs(digits: str) -> str:
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    return ", ".join(
        _spell_digits(p, " ") if p.startswith("0") else spell_integer(int(p)) for p in pairs
    )
