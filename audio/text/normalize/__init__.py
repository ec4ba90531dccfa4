"""Spanish (Guatemala) text normalization for text-to-speech, and a little English.

TTS engines -- espeak-ng ``es-419`` above all -- misread what editors write in
the guides: "911", "8:00", "VIH" (read "bi"), "72 h", "$100", "12/05/2025".
This package rewrites plain text (HTML already stripped) into the words a
Guatemalan reader would say, so every engine reads it the same way. One module
per kind of thing read; this one only puts them in order.

How a text travels through ``normalize_spanish`` (``runner._normalize``):

1. clean it (``cleaning``): Unicode form, emoji, odd spaces, line breaks;
2. apply the editors' lexicon first (``audio.text.lexicon``), and shield what
   it produced from the built-in rules, so an editor can always override them;
3. run the built-in rules (``SPANISH_RULES``), most specific first: URLs,
   phone numbers, acronyms, dates, times, money, ranges, units... and plain
   numbers last, so that nothing is read as a bare number by mistake;
4. put the lexicon's spoken forms back and tidy the spacing.

English voices read numbers, dates and times well on their own;
``normalize_english`` (``en``) only rewrites what they get wrong in these
guides, with the same lexicon and safety net.

Everything here is a pure function of its input: no Django, no I/O. Bump
``NORMALIZER_VERSION`` whenever the output for some input changes: it is part
of the audio cache key, so a bump re-renders every clip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..lexicon import apply_lexicon
from .acronyms import ACRONYMS, _expand_acronyms, _spell_unpronounceable_capitals
from .dates import _read_dates, _read_first_of_month
from .en import ENGLISH_ACRONYMS, normalize_english
from .money import _read_money
from .numbers import (
    _read_cardinals,
    _read_fractions,
    _read_number_signs,
    _read_ordinals,
    _read_percentages,
    _read_ranges,
    _spell_leftover_digits,
)
from .phones import SERVICE_NUMBERS, _read_phone_numbers, _read_service_numbers
from .runner import _normalize
from .spelling import LETTER_NAMES, spell_integer, spell_ordinal
from .symbols import _read_inclusive_forms, _read_symbols
from .times import _read_hours_after_article, _read_time_ranges, _read_times
from .units import UNITS, _read_units
from .urls import _read_emails, _read_urls

__all__ = [
    "ACRONYMS",
    "ENGLISH_ACRONYMS",
    "LETTER_NAMES",
    "NORMALIZER_VERSION",
    "SERVICE_NUMBERS",
    "SPANISH_RULES",
    "UNITS",
    "normalize_english",
    "normalize_spanish",
    "spell_integer",
    "spell_ordinal",
    "spoken_form",
]

NORMALIZER_VERSION = "1"

# Each rule turns one kind of written token into words. The order matters: a
# rule only sees what earlier rules left, so the most specific readings go
# first and plain numbers go last.
SPANISH_RULES: tuple[Callable[[str], str], ...] = (
    _read_emails,  # before anything that reads dots, digits or "@"
    _read_urls,  # a domain, not a path full of digits and slashes
    _read_number_signs,  # "Nº 5", "#5", "24/7", "2x1": before digits are read
    _read_phone_numbers,  # "2230-1234" would otherwise be a range
    _read_service_numbers,  # "llame al 110": digit by digit, not "ciento diez"
    _expand_acronyms,  # "VIH+", "LGBTQ+", "OPS/PAHO" before "+" and "/"
    _spell_unpronounceable_capitals,  # "TV", "SMS": no vowel, spell it
    _read_dates,  # "12/05/2025" before fractions and ranges
    _read_first_of_month,  # "1 de enero" -> "primero de enero"
    _read_time_ranges,  # "de 8:00 a 16:00" -> one "horas" at the end
    _read_times,  # "8:30", "8 a. m."
    _read_hours_after_article,  # "a la 1" -> "a la una"
    _read_money,  # "Q25.50": the cents are not a decimal
    _read_ranges,  # "30-45 minutos" before units see "45 minutos"
    _read_percentages,  # "30%"
    _read_units,  # "72 h", "5 km", "38 °C"
    _read_ordinals,  # "1º", "2ª", "3er" (after "°C" is taken)
    _read_fractions,  # "1/2", "3/4"
    _read_cardinals,  # every number left: "1.500", "2,5", "05"
    _read_inclusive_forms,  # "compañeros/as" before "/" becomes "o"
    _read_symbols,  # "&", "+", "/" between words, "@"
    _spell_leftover_digits,  # safety net: no digit ever reaches the engine
)


def normalize_spanish(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Return ``text`` rewritten as words a Spanish TTS engine reads correctly.

    ``lexicon`` maps written forms to spoken forms (see ``apply_lexicon``); it
    is applied before the built-in rules, and what it produces is left alone
    by them. The output keeps sentence punctuation (engines pause on it),
    holds no line breaks and, for any text the rules understand, no digits.
    Never raises: a rule that fails is skipped and logged.
    """
    return _normalize(text, lexicon, SPANISH_RULES)


def spoken_form(sentence: str, language_code: str, lexicon: Mapping[str, str]) -> str:
    """What the engine is asked to say for one displayed sentence."""
    if language_code == "es":
        return normalize_spanish(sentence, lexicon)
    if language_code == "en":
        return normalize_english(sentence, lexicon)
    # Other languages (Kaqchikel) are only ever recorded: the lexicon alone.
    return re.sub(r"\s+", " ", apply_lexicon(sentence, lexicon)).strip()
