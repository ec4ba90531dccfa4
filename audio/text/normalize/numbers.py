"""Numbers that are not money, phones, dates or units: signs, ranges, percentages,
ordinals, fractions, and every plain number left at the end."""

from __future__ import annotations

import re

from ..matching import _pad
from .agreement import _agreement, _next_word
from .dates import MONTHS, WEEKDAYS, _say_day
from .spelling import (
    _NUMBER,
    _numeric_value,
    _say_number,
    _spell_digits,
    spell_integer,
    spell_ordinal,
)
from .units import _UNIT, UNITS, _unit_key

_NUMBER_SIGN = re.compile(r"(?<!\w)(?:N\.?\s?[º°]\.?|No\.|Núm\.|núm\.|#)\s*(?=\d)")
_TWENTY_FOUR_SEVEN = re.compile(r"(?<![\d/.,])24\s*[/x×]\s*7(?![\d/])")
_TIMES_SIGN = re.compile(r"(?<=\d)\s*[x×]\s*(?=\d)")
_ABOUT_SIGN = re.compile(r"~\s*(?=\d)")


def _read_number_signs(text: str) -> str:
    """Signs: "Nº 5"/"#5" -> "número 5", "24/7", "2x1" -> "2 por 1".

    "~30" -> "aproximadamente 30".
    """
    text = _NUMBER_SIGN.sub("número ", text)
    text = _TWENTY_FOUR_SEVEN.sub(lambda m: _pad(m, "las veinticuatro horas, todos los días"), text)
    text = _TIMES_SIGN.sub(" por ", text)
    return _ABOUT_SIGN.sub("aproximadamente ", text)


_RANGE = re.compile(rf"(?<![\w.,/:-])(?P<a>{_NUMBER})\s*[-–—]\s*(?P<b>{_NUMBER})(?![.,/:-]\d)")
_WEEKDAY_RANGE = re.compile(
    rf"(?P<pre>(?<!\w)de\s+)?(?<!\w)(?P<a>{'|'.join(WEEKDAYS)})\s*[-–]\s*(?P<b>{'|'.join(WEEKDAYS)})(?!\w)",
    re.I,
)
# Numbers joined by a hyphen that are not ranges: laws ("Decreto 9-2009") and
# Guatemalan street addresses ("6a. Avenida 10-20, zona 1"), read "guion".
_CODE_BEFORE = re.compile(
    r"(?:decretos?|acuerdos?|ley|expediente|oficio|resoluci[oó]n|caso|avenida|av\.?|ave\.?|calle"
    r"|calzada|diagonal|callej[oó]n|bulevar|boulevard|blvd\.?|casa|lote|manzana)"
    r"\s+(?:(?:gubernativo|ministerial|no\.|n[uú]mero)\s*)*$",
    re.I,
)
_CODE_AFTER = re.compile(r",?\s+zona\b", re.I)


def _read_ranges(text: str) -> str:
    """Ranges: "30-45 minutos" -> "de treinta a cuarenta y cinco minutos".

    The second number is left as digits so the rules after this one read it
    with its unit ("45 min", "45%"); the first is spelled here, agreeing with
    the noun after the second ("1-2 horas" -> "de una a dos horas").
    """

    def read(match: re.Match[str]) -> str:
        first, last = match.group("a"), match.group("b")
        before = match.string[max(0, match.start() - 40) : match.start()]
        low, high = _numeric_value(first), _numeric_value(last)
        if (
            _CODE_BEFORE.search(before)
            or _CODE_AFTER.match(match.string, match.end())
            or low is None
            or high is None
            or low >= high
        ):
            return _pad(match, f"{first} guion {last}")
        opening, joiner = _range_words(before)
        first_words = _say_number(first, agree_with="f" if _noun_after_is_feminine(match) else None)
        return _pad(match, f"{opening}{first_words} {joiner} {last}")

    text = _RANGE.sub(read, text)

    def read_weekdays(match: re.Match[str]) -> str:
        return f"{match.group('pre') or 'de '}{match.group('a')} a {match.group('b')}"

    return _WEEKDAY_RANGE.sub(read_weekdays, text)


def _range_words(before: str) -> tuple[str, str]:
    """How a range opens and joins: "entre 2-3" -> "entre dos y tres".

    "de 2-3" -> "de dos a tres"; "2-3" -> "de dos a tres".
    """
    if re.search(r"(?<!\w)entre\s*$", before, re.I):
        return "", "y"
    if re.search(r"(?<!\w)(?:de|desde)\s*$", before, re.I):
        return "", "a"
    return "de ", "a"


def _noun_after_is_feminine(match: re.Match[str]) -> bool:
    unit = _UNIT.match(match.string, match.end() - len(match.group("b")))
    if unit:
        return UNITS[_unit_key(unit.group("unit"))][2] == "f"
    return _agreement(_next_word(match)) == "f"


_PERCENT = re.compile(rf"(?<![\w.,])(?P<sign>[-−])?(?P<n>{_NUMBER})\s?%")


def _read_percentages(text: str) -> str:
    """Percentages: "30%" -> "treinta por ciento"; "1%" -> "uno por ciento" (not "un")."""

    def read(match: re.Match[str]) -> str:
        sign = "menos " if match.group("sign") else ""
        return _pad(match, f"{sign}{_say_number(match.group('n'))} por ciento")

    return _PERCENT.sub(read, text)


_ORDINAL = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3})(?:\.?(?P<mark>[ºª°])|\.?(?P<suffix>era|ero|er|ra|ro|do|da|to|ta|mo|ma|vo|va|no|na|a|o)"
    r"(?![^\W\d_]))(?P<dot>\.(?=\s+(?:[a-záéíóúñ]|(?:Avenida|Calle|Calzada|Diagonal|Zona)\b)))?"
)


def _read_ordinals(text: str) -> str:
    """Ordinals: "1º" -> "primero", "2ª" -> "segunda", "3er piso" -> "tercer piso".

    "6a. Avenida" -> "sexta Avenida".

    A degree sign used for "º" is an ordinal up to 10 ("1° de mayo") and a
    temperature above ("39°").
    """

    def read(match: re.Match[str]) -> str:
        number = int(match.group("n"))
        mark, suffix = match.group("mark"), match.group("suffix")
        if mark == "°" and number > 10:
            return _pad(match, f"{spell_integer(number)} grados")
        masculine = spell_ordinal(number)
        if masculine is None:
            return match.group()
        feminine = mark == "ª" or (suffix is not None and suffix.endswith("a"))
        if suffix and not _ordinal_suffix_fits(masculine, suffix):
            return match.group()
        if feminine:
            spoken = re.sub(r"o\b", "a", masculine)
        elif suffix == "er" or (
            _agreement(_next_word(match)) and masculine.endswith(("primero", "tercero"))
        ):
            spoken = masculine[:-1]  # "primer piso", "tercer lugar"
        else:
            spoken = masculine
        return _pad(match, spoken)

    return _ORDINAL.sub(read, text)


def _ordinal_suffix_fits(masculine: str, suffix: str) -> bool:
    """Whether a suffix fits: "2do" is an ordinal, "2no" is not.

    The suffix repeats the word's ending.
    """
    if suffix in ("a", "o"):
        return True
    if suffix in ("er", "ero", "era"):
        return masculine.endswith(("primero", "tercero"))
    return masculine.endswith(suffix[0] + "o")


_FRACTION = re.compile(r"(?<![\w.,/])(?P<a>\d+)\s?/\s?(?P<b>\d+)(?![\w/]|[.,]\d)")
_FRACTION_NAMES = {
    2: ("medio", "medios"),
    3: ("tercio", "tercios"),
    4: ("cuarto", "cuartos"),
    5: ("quinto", "quintos"),
    6: ("sexto", "sextos"),
    7: ("séptimo", "séptimos"),
    8: ("octavo", "octavos"),
    9: ("noveno", "novenos"),
    10: ("décimo", "décimos"),
}
_DATE_ARTICLE_BEFORE = re.compile(r"(?<!\w)(?:el|del|al)\s+$", re.I)


def _read_fractions(text: str) -> str:
    """Fractions: "1/2 hora" -> "media hora", "3/4" -> "tres cuartos"; "el 12/05" is a date.

    Other slashes between numbers are read "sobre" ("15/20" -> "15 sobre 20").
    """

    def read(match: re.Match[str]) -> str:
        num, den = int(match.group("a")), int(match.group("b"))
        before = match.string[max(0, match.start() - 10) : match.start()]
        if _DATE_ARTICLE_BEFORE.search(before) and 1 <= num <= 31 and 1 <= den <= 12:
            return _pad(match, f"{_say_day(num)} de {MONTHS[den - 1]}")
        names = _FRACTION_NAMES.get(den)
        if names is None or not 0 < num < den or match.group("b").startswith("0"):
            return _pad(match, f"{match.group('a')} sobre {match.group('b')}")
        if (num, den) == (1, 2):
            gender = _agreement(_next_word(match))
            return _pad(match, {"f": "media", "m": "medio"}.get(gender, "un medio"))
        return _pad(
            match, f"{spell_integer(num, agree_with='m')} {names[0] if num == 1 else names[1]}"
        )

    return _FRACTION.sub(read, text)


_CARDINAL = re.compile(rf"(?P<sign>(?<![\w)\]])[-−](?=\d))?(?P<n>{_NUMBER})")


def _read_cardinals(text: str) -> str:
    """Every number left: "25" -> "veinticinco", "1.500" -> "mil quinientos".

    The number agrees with the noun after it: "1 persona" -> "una persona",
    "21 días" -> "veintiún días", "200 mujeres" -> "doscientas mujeres".
    """

    def read(match: re.Match[str]) -> str:
        sign = "menos " if match.group("sign") else ""
        agree_with = _agreement(_next_word(match))
        words = _say_number(match.group("n"), agree_with=agree_with)
        if agree_with and words.endswith(("millón", "millones")):
            words += " de"  # "un millón de personas"
        return _pad(match, sign + words)

    return _CARDINAL.sub(read, text)


def _spell_leftover_digits(text: str) -> str:
    """Safety net: any digit that no rule read is spelled one by one."""
    return re.sub(r"\d+", lambda m: _pad(m, _spell_digits(m.group(), " ")), text)
