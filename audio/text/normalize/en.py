"""English: only what English voices misread in these guides is written out.

English voices read quantities, years and times well on their own; this
rewrites phone and service numbers digit by digit, web and e-mail addresses,
quetzales, and the acronyms the translations keep (HIV, STIs, MP, SVET...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from num2words import num2words

from ..lexicon import _compile_lexicon, _lexicon_items, _Matcher
from ..matching import _pad
from .acronyms import _expand_acronyms, _spell_unpronounceable_capitals
from .agreement import _next_word
from .phones import _SERVICE_NUMBER, SERVICE_NUMBERS, _read_phone_numbers
from .runner import _normalize
from .spelling import _spell_digits
from .urls import _AddressWords, _read_emails, _read_urls

# Spoken as an English voice should say them. Letters are spaced capitals
# ("H I V"), which English voices name one by one; the Spanish names of
# Guatemalan bodies stay as the translations write them.
ENGLISH_ACRONYMS: Mapping[str, str] = MappingProxyType(
    {
        "HIV": "H I V",
        "HIV+": "H I V positive",
        "HIV/AIDS": "H I V and aids",
        "AIDS": "aids",
        "STI": "S T I",
        "STIs": "S T I's",
        "STD": "S T D",
        "STDs": "S T D's",
        "HPV": "H P V",
        "PrEP": "prep",
        "PREP": "prep",
        "PEP": "pep",
        "NGO": "N G O",
        "NGOs": "N G O's",
        "LGBT": "L G B T",
        "LGBTI": "L G B T I",
        "LGBTQ": "L G B T Q",
        "LGBTQ+": "L G B T Q plus",
        "LGBTIQ+": "L G B T I Q plus",
        "MP": "M P",
        "PDH": "P D H",
        "PNC": "P N C",
        "PGN": "P G N",
        "SVET": "S vet",
        "INTECAP": "intecap",
        "MSPAS": "M S P A S",
        "RENAP": "renap",
        "DPI": "D P I",
        "OMM": "O M M",
        "ASI": "A S I",
        "OTRANS": "otrans",
        "PASMO": "pasmo",
        "UNFPA": "U N F P A",
        "UNAMG": "U N A M G",
        "FUNDAP": "fundap",
        "Dr.": "doctor",
        "Tel.": "phone",
        "ext.": "extension",
        "approx.": "approximately",
        "e.g.": "for example",
        "i.e.": "that is",
    }
)

_ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ENGLISH_ADDRESS = _AddressWords(
    "at",
    {".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus "},
    lambda label: _spell_in_english(label),
)

# "call 110", "the 1572 line", "text 1546 on WhatsApp": a short number near
# such a word is a number to dial, read digit by digit.
_ENGLISH_PHONE_CONTEXT = re.compile(
    r"(?<!\w)(?:call\w*|dial\w*|phon\w*|telephon\w*|numbers?|lines?|hotlines?|helplines?|text\w*"
    r"|whats\s?app|sms|emergenc\w*|report\w*|contact\w*)"
    r"(?P<gap>(?:(?![.;!?])[^\d$€]){0,40}?)"
    r"(?<![\w$€])(?P<numbers>\d{3,4}(?:(?:\s*,\s*|\s+(?:or|and)\s+)\d{3,4})*)"
    r"(?![\w%°:]|[.,]\d)",
    re.I,
)
# Words after a number that do not make it a quantity ("call 110 or 122",
# "the 1572 line").
_ENGLISH_JOINING_WORDS = frozenset(
    "or and for to if in on at is are from any anytime line lines hotline helpline number".split()
)
_QUETZALES = re.compile(
    r"(?<![\w.])Q\s?(?P<units>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{2}))?(?![\w]|[.,]\d)"
)


def normalize_english(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Return ``text`` with what English voices misread written out; the rest is left to them.

    Same contract as ``normalize_spanish`` (lexicon first and protected,
    never raises), but digits the rules do not claim stay digits: English
    voices read quantities, years and times correctly.
    """
    return _normalize(text, lexicon, _english_rules())


def _english_rules() -> tuple[Callable[[str], str], ...]:
    return (
        _read_emails_in_english,
        _read_urls_in_english,
        _read_phone_numbers_in_english,  # "2230-1234" is not a subtraction
        _read_service_numbers_in_english,  # "call 110": "one one zero"
        _read_quetzales_in_english,  # "Q25.50"
        _expand_english_acronyms,
        _spell_unknown_capitals_in_english,  # "TV" -> "T V"
    )


def _read_emails_in_english(text: str) -> str:
    return _read_emails(text, _ENGLISH_ADDRESS)


def _read_urls_in_english(text: str) -> str:
    return _read_urls(text, _ENGLISH_ADDRESS)


def _spell_digits_in_english(digits: str) -> str:
    return _spell_digits(digits, " ", _ENGLISH_DIGITS)


def _spell_in_english(letters: str) -> str:
    """Letters: "gt" -> "G T": English voices name spaced capitals one by one."""
    return " ".join(letters.upper())


def _read_phone_numbers_in_english(text: str) -> str:
    """Phone numbers, digit by digit.

    "+502 2230-1234" -> "plus five zero two, two two three zero, one two three four".
    """

    def say(country: str, digits: str) -> str:
        spoken = f"{_spell_digits_in_english(digits[:4])}, {_spell_digits_in_english(digits[4:])}"
        if country:
            spoken = (
                f"{'plus ' if '+' in country else ''}{_spell_digits_in_english('502')}, {spoken}"
            )
        return spoken

    return _read_phone_numbers(text, say)


def _read_service_numbers_in_english(text: str) -> str:
    def read_in_context(match: re.Match[str]) -> str:
        numbers = re.sub(
            r"\d+", lambda m: _spell_digits_in_english(m.group()), match.group("numbers")
        )
        return match.group()[: match.start("numbers") - match.start()] + numbers

    text = _ENGLISH_PHONE_CONTEXT.sub(read_in_context, text)

    def read_known(match: re.Match[str]) -> str:
        number, following = match.group("number"), _next_word(match)
        counts_something = (
            following and following.isalpha() and following.lower() not in _ENGLISH_JOINING_WORDS
        )
        if number not in SERVICE_NUMBERS or counts_something:  # "110 people" is a quantity
            return number
        return _spell_digits_in_english(number)

    return _SERVICE_NUMBER.sub(read_known, text)


def _read_quetzales_in_english(text: str) -> str:
    """Quetzales: "Q25.50" -> "twenty-five quetzales and fifty centavos"; "Q1" -> "one quetzal"."""

    def read(match: re.Match[str]) -> str:
        units = int(match.group("units").replace(",", ""))
        cents = int(match.group("cents") or 0)
        spoken = f"{num2words(units, lang='en')} {'quetzal' if units == 1 else 'quetzales'}"
        if cents:
            spoken += (
                f" and {num2words(cents, lang='en')} {'centavo' if cents == 1 else 'centavos'}"
            )
        return _pad(match, spoken)

    return _QUETZALES.sub(read, text)


@functools.cache
def _english_acronym_matcher() -> _Matcher:
    return _compile_lexicon(_lexicon_items(ENGLISH_ACRONYMS))


def _expand_english_acronyms(text: str) -> str:
    return _expand_acronyms(text, _english_acronym_matcher())


def _spell_unknown_capitals_in_english(text: str) -> str:
    return _spell_unpronounceable_capitals(text, _spell_in_english)
