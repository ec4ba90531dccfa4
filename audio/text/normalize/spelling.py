"""Saying numbers, digits and letters in Spanish: the words every rule writes.

``spell_integer`` makes the number agree with the noun after it; ``_say_number``
reads a number as written ("1,500", "2,5", "05"); letters are named as in
Guatemala.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from num2words import num2words

# Letter names used to spell acronyms: "ve" (not "uve"), "doble ve", and
# "i griega", which is still what most Guatemalans say for "y".
LETTER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "a": "a",
        "b": "be",
        "c": "ce",
        "d": "de",
        "e": "e",
        "f": "efe",
        "g": "ge",
        "h": "hache",
        "i": "i",
        "j": "jota",
        "k": "ka",
        "l": "ele",
        "m": "eme",
        "n": "ene",
        "ñ": "eñe",
        "o": "o",
        "p": "pe",
        "q": "cu",
        "r": "erre",
        "s": "ese",
        "t": "te",
        "u": "u",
        "v": "ve",
        "w": "doble ve",
        "x": "equis",
        "y": "i griega",
        "z": "zeta",
    }
)


_DIGIT_WORDS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")


# A number as written: "25", "1,500", "1.500.000", "2,5", "1,500.00".
_NUMBER = r"\d+(?:[.,]\d+)*"


_ORDINAL_UNITS = (
    "",
    "primero",
    "segundo",
    "tercero",
    "cuarto",
    "quinto",
    "sexto",
    "séptimo",
    "octavo",
    "noveno",
)
_ORDINAL_TENS = (
    "",
    "décimo",
    "vigésimo",
    "trigésimo",
    "cuadragésimo",
    "quincuagésimo",
    "sexagésimo",
    "septuagésimo",
    "octogésimo",
    "nonagésimo",
)


_MAX_SPOKEN = 10**15  # above this a number is an identifier: read digit by digit
_MAX_PLAIN_DIGITS = 9  # an unformatted run of more digits is an identifier too
_SCALE = r"(?:mil|millón|millones|billón|billones|trillón|trillones)"
_BIG_SCALE = re.compile(r".*\b(?:millón|millones|billón|billones|trillón|trillones)\b")


def spell_integer(number: int, agree_with: str | None = None) -> str:
    """Spell an integer in Spanish.

    ``agree_with`` is the gender of the noun that follows: ``None`` when the
    number stands alone ("uno", "veintiuno"), ``"m"`` before a masculine noun
    ("un", "veintiún"), ``"f"`` before a feminine one ("una", "doscientas").
    """
    if number < 0:
        return "menos " + spell_integer(-number, agree_with)
    if number >= _MAX_SPOKEN:
        return _spell_digits(str(number), " ")
    words = num2words(number, lang="es")
    # num2words 0.5.14 writes "veintiuno mil": "uno" loses its "o" before a scale.
    words = re.sub(
        rf"\b(veinti)?uno(?= {_SCALE}\b)", lambda m: "veintiún" if m.group(1) else "un", words
    )
    if agree_with == "m":
        words = re.sub(r"\b(veinti)?uno$", lambda m: "veintiún" if m.group(1) else "un", words)
    elif agree_with == "f":
        # Only the part after the last "millón(es)" agrees: "doscientas mil
        # personas", but "doscientos millones de personas".
        head = _BIG_SCALE.match(words)
        cut = head.end() if head else 0
        tail = re.sub(r"ientos\b", "ientas", words[cut:])
        tail = re.sub(r"\b(veinti)?uno$", lambda m: "veintiuna" if m.group(1) else "una", tail)
        words = words[:cut] + tail
    return words


def spell_ordinal(number: int) -> str | None:
    """Masculine ordinal from 1 to 100 ("vigésimo primero"), else None."""
    if number == 100:
        return "centésimo"
    if not 1 <= number <= 99:
        return None
    if number == 11:
        return "undécimo"
    if number == 12:
        return "duodécimo"
    tens, units = divmod(number, 10)
    if tens == 1 and units:
        return "decimo" + _ORDINAL_UNITS[units]  # "decimotercero", one word
    return " ".join(word for word in (_ORDINAL_TENS[tens], _ORDINAL_UNITS[units]) if word)


def _parse_number(written: str) -> tuple[str, str | None, str | None] | None:
    """Split a written number into (integer digits, decimal digits, decimal word).

    Guatemala groups thousands with commas and writes decimals with a period
    ("1,500.50"), but editors also write "1.500" and "2,5". A single
    separator followed by exactly three digits groups thousands; otherwise it
    is the decimal mark, read "punto" or "coma" as written. Returns None for
    shapes that are not numbers ("1.2.3").
    """
    separators = re.findall(r"[.,]", written)
    groups = re.split(r"[.,]", written)
    if not separators:
        return written, None, None
    if len(set(separators)) == 2:
        decimal_mark = separators[-1]
        if separators.count(decimal_mark) != 1 or not _are_thousands(groups[:-1]):
            return None
        return "".join(groups[:-1]), groups[-1], _DECIMAL_WORDS[decimal_mark]
    if len(separators) > 1:
        return ("".join(groups), None, None) if _are_thousands(groups) else None
    whole, fraction = groups
    if len(fraction) == 3 and _are_thousands(groups) and whole != "0":
        return whole + fraction, None, None
    return whole, fraction, _DECIMAL_WORDS[separators[0]]


_DECIMAL_WORDS = {".": "punto", ",": "coma"}


def _are_thousands(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])


def _say_number(written: str, agree_with: str | None = None) -> str:
    """Spell a number as written in the text (separators, decimals, leading zeros)."""
    parsed = _parse_number(written)
    if parsed is None:  # "1.2.3": read each group
        return (
            re.sub(r"\d+", lambda m: _say_number(m.group()), written)
            .replace(".", " punto ")
            .replace(",", " coma ")
        )
    whole, fraction, decimal_word = parsed
    if fraction is None:
        if len(whole) > 1 and whole.startswith("0"):
            return _spell_digits(whole, " ")  # "05" is a code: "cero cinco"
        if len(written) > _MAX_PLAIN_DIGITS and written.isdigit():
            return _spell_digits(whole, " ")
        return spell_integer(int(whole), agree_with)
    return f"{spell_integer(int(whole))} {decimal_word} {_say_decimals(fraction)}"


def _say_decimals(digits: str) -> str:
    """Decimals: "5" -> "cinco", "05" -> "cero cinco", "75" -> "setenta y cinco".

    Longer ones ("14159") digit by digit.
    """
    zeros = len(digits) - len(digits.lstrip("0"))
    rest = digits[zeros:]
    words = ["cero"] * zeros
    if rest:
        words.append(spell_integer(int(rest)) if len(rest) <= 2 else _spell_digits(rest, " "))
    return " ".join(words)


def _numeric_value(written: str) -> float | None:
    parsed = _parse_number(written)
    if parsed is None:
        return None
    whole, fraction, _ = parsed
    return float(f"{whole}.{fraction or 0}")


def _is_one(written: str) -> bool:
    parsed = _parse_number(written)
    return parsed is not None and parsed[1] is None and parsed[0] == "1"


def _is_year(digits: str) -> bool:
    return 1900 <= int(digits) <= 2099


def _spell_digits(digits: str, separator: str, digit_words: tuple[str, ...] = _DIGIT_WORDS) -> str:
    return separator.join(digit_words[int(d)] for d in digits if d.isdigit())


def _spell_letters(word: str) -> str:
    return " ".join(LETTER_NAMES.get(char, char) for char in word.lower())
