"""Spanish (Guatemala) text normalization for text-to-speech, and a little English.

TTS engines -- espeak-ng ``es-419`` above all -- misread what editors write in
the guides: "911", "8:00", "VIH" (read "bi"), "72 h", "$100", "12/05/2025".
This module rewrites plain text (HTML already stripped) into the words a
Guatemalan reader would say, so every engine reads it the same way.

How a text travels through ``normalize_spanish``:

1. clean it: Unicode form, emoji, odd spaces, line breaks;
2. apply the editors' lexicon first, and shield what it produced from the
   built-in rules, so an editor can always override them;
3. run the built-in rules (``_built_in_rules``), most specific first: URLs,
   phone numbers, acronyms, dates, times, money, ranges, units... and plain
   numbers last, so that nothing is read as a bare number by mistake;
4. put the lexicon's spoken forms back and tidy the spacing.

English voices read numbers, dates and times well on their own;
``normalize_english`` only rewrites what they get wrong in these guides
(phone numbers, web addresses, quetzales, the Guatemalan acronyms the
translations keep), with the same lexicon and safety net (see the end).

Everything here is a pure function of its input: no Django, no I/O. Bump
``NORMALIZER_VERSION`` whenever the output for some input changes: it is part
of the audio cache key, so a bump re-renders every clip.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from num2words import num2words

logger = logging.getLogger(__name__)

NORMALIZER_VERSION = "1"

# Spoken forms of acronyms and abbreviations, matched as whole words. Same
# case rule as the editors' lexicon: entries with an uppercase letter after the
# first one ("VIH", "PrEP") match only as written, the others ("Dr.") in any
# case. Letters are named as in Guatemala ("ve", "doble ve"). Acronyms that
# people pronounce as a word are given as that word ("intecap", "pasmo").
ACRONYMS: Mapping[str, str] = MappingProxyType(
    {
        # Health
        "VIH": "ve i hache",
        "VIH+": "ve i hache positivo",
        "VIH/SIDA": "ve i hache sida",  # one condition named twice, not "o"
        "VIH/sida": "ve i hache sida",
        "ITS/VIH": "i te ese y ve i hache",
        "VIH/ITS": "ve i hache e i te ese",
        "SIDA": "sida",
        "ITS": "i te ese",
        "ETS": "e te ese",
        "VPH": "ve pe hache",
        "PrEP": "prep",
        "PREP": "prep",
        "PEP": "pep",
        "CD4": "ce de cuatro",
        "Covid-19": "covid diecinueve",
        "Covid": "covid",
        # Identity
        "LGBT": "ele ge be te",
        "LGBTI": "ele ge be te i",
        "LGBTQ": "ele ge be te cu",
        "LGBTIQ": "ele ge be te i cu",
        "LGBTQ+": "ele ge be te cu más",
        "LGBTIQ+": "ele ge be te i cu más",
        "LGBTIQA+": "ele ge be te i cu a más",
        "LGBTQIA+": "ele ge be te cu i a más",
        # Institutions and organisations (Guatemala)
        "ONG": "o ene ge",
        "ONGs": "o ene ges",
        "MP": "eme pe",  # Ministerio Público, always spelled out
        "PDH": "pe de hache",
        "PNC": "pe ene ce",
        "PGN": "pe ge ene",
        "OJ": "o jota",
        "SVET": "ese vet",  # said "ese" + "vet", not letter by letter
        "INTECAP": "intecap",
        "MSPAS": "eme ese pe a ese",
        "RENAP": "renap",
        "DPI": "de pe i",
        "NIT": "nit",
        "OMM": "o eme eme",
        "ASI": "a ese i",
        "OTRANS": "otrans",
        "PASMO": "pasmo",
        "UNFPA": "u ene efe pe a",
        "UNAMG": "u ene a eme ge",  # unpronounceable as a word, so spelled
        "FUNDAP": "fundap",
        "ONU": "onu",
        "ONUSIDA": "onusida",
        "OMS": "o eme ese",
        "OPS": "o pe ese",
        "PAHO": "pe a hache o",
        # "OPS/PAHO" is one body named twice (Spanish/English): say it once.
        "OPS/PAHO": "o pe ese",
        "EE. UU.": "Estados Unidos",
        "EEUU": "Estados Unidos",
        # Titles and everyday abbreviations
        "Dr.": "doctor",
        "Dra.": "doctora",
        "Lic.": "licenciado",
        "Licda.": "licenciada",
        "Ing.": "ingeniero",
        "Sr.": "señor",
        "Sra.": "señora",
        "Srta.": "señorita",
        "Ud.": "usted",
        "Uds.": "ustedes",
        "Av.": "avenida",
        "Ave.": "avenida",
        "Tel.": "teléfono",
        "Cel.": "celular",
        "ext.": "extensión",
        "aprox.": "aproximadamente",
        "p. ej.": "por ejemplo",
        "etc.": "etcétera",
    }
)

# Abbreviations that always come before something (a name, a street): their
# final period never ends a sentence, even before a capital letter.
PREFIX_ABBREVIATIONS = frozenset(
    {"dr.", "dra.", "lic.", "licda.", "ing.", "sr.", "sra.", "srta.", "av.", "ave.", "tel.", "cel.", "ext."}
)

# Units read only after a number: symbol -> (singular, plural, gender).
# The gender makes the number agree: "1 h" -> "una hora", "21 km" -> "veintiún
# kilómetros". Single-letter symbols match lowercase only ("M" is not metres).
UNITS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "km/h": ("kilómetro por hora", "kilómetros por hora", "m"),
        "h": ("hora", "horas", "f"),
        "hr": ("hora", "horas", "f"),
        "hrs": ("hora", "horas", "f"),
        "hs": ("hora", "horas", "f"),
        "min": ("minuto", "minutos", "m"),
        "mins": ("minuto", "minutos", "m"),
        "seg": ("segundo", "segundos", "m"),
        "km": ("kilómetro", "kilómetros", "m"),
        "kms": ("kilómetro", "kilómetros", "m"),
        "m": ("metro", "metros", "m"),
        "mts": ("metro", "metros", "m"),
        "cm": ("centímetro", "centímetros", "m"),
        "mm": ("milímetro", "milímetros", "m"),
        "kg": ("kilogramo", "kilogramos", "m"),
        "g": ("gramo", "gramos", "m"),
        "gr": ("gramo", "gramos", "m"),
        "mg": ("miligramo", "miligramos", "m"),
        "ml": ("mililitro", "mililitros", "m"),
        "lb": ("libra", "libras", "f"),
        "lbs": ("libra", "libras", "f"),
        "oz": ("onza", "onzas", "f"),
        # "centígrados" is what Guatemalans say; "Celsius" sounds technical.
        "°C": ("grado centígrado", "grados centígrados", "m"),
        "°F": ("grado Fahrenheit", "grados Fahrenheit", "m"),
    }
)

# Short public service numbers, read digit by digit ("uno, uno, cero") even
# without a word like "llame" before them, unless a noun follows ("110
# personas" stays a quantity): police (110), firefighters (122, 123), the
# Ministerio Público's line (1572), and 911 for Mexico and the United States.
SERVICE_NUMBERS = frozenset({"110", "122", "123", "1572", "911"})

# Letter names used to spell acronyms: "ve" (not "uve"), "doble ve", and
# "i griega", which is still what most Guatemalans say for "y".
LETTER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "a": "a", "b": "be", "c": "ce", "d": "de", "e": "e", "f": "efe",
        "g": "ge", "h": "hache", "i": "i", "j": "jota", "k": "ka",
        "l": "ele", "m": "eme", "n": "ene", "ñ": "eñe", "o": "o", "p": "pe",
        "q": "cu", "r": "erre", "s": "ese", "t": "te", "u": "u", "v": "ve",
        "w": "doble ve", "x": "equis", "y": "i griega", "z": "zeta",
    }
)

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
    "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def normalize_spanish(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Return ``text`` rewritten as words a Spanish TTS engine reads correctly.

    ``lexicon`` maps written forms to spoken forms (see ``apply_lexicon``); it
    is applied before the built-in rules, and what it produces is left alone
    by them. The output keeps sentence punctuation (engines pause on it),
    holds no line breaks and, for any text the rules understand, no digits.
    Never raises: a rule that fails is skipped and logged.
    """
    return _normalize(text, lexicon, _built_in_rules())


def _normalize(text: str, lexicon: Mapping[str, str] | None, rules: tuple[Callable[[str], str], ...]) -> str:
    """Clean, protect the lexicon's matches, run ``rules`` in order, restore, tidy."""
    try:
        text = _clean(text)
    except Exception:  # noqa: BLE001 - e.g. an object whose str() fails
        logger.exception("Could not read the text to normalize")
        return ""
    if not text:
        return ""
    spoken_forms: list[str] = []
    if lexicon:

        def apply_editors_lexicon(text: str) -> str:
            matcher = _compile_lexicon(_lexicon_items(lexicon))
            return _protect_lexicon_matches(text, matcher, spoken_forms)

        text = _run_safely(apply_editors_lexicon, text)
    for rule in rules:
        text = _run_safely(rule, text)
    text = _run_safely(lambda text: _restore_protected(text, spoken_forms), text)
    return _tidy_spacing(text)


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Replace each lexicon entry found in ``text`` by its spoken form.

    Entries match as whole words or phrases (spaces in an entry match any
    whitespace), the longest entry first. Matching ignores case unless the
    written form has an uppercase letter after its first character: "Xela"
    also matches "XELA", "VIH" matches only "VIH".
    """
    text = unicodedata.normalize("NFC", str(text or ""))
    matcher = _compile_lexicon(_lexicon_items(lexicon or {}))
    if matcher is None:
        return text
    return matcher.pattern.sub(lambda m: matcher.spoken_for(m), text)


def lexicon_matches(text: str, lexicon: Mapping[str, str]) -> set[str]:
    """Return the written forms of the ``lexicon`` entries that occur in ``text``.

    Used to re-render only the sections an edit of the lexicon affects. It is
    deliberately generous: an entry counts even where a longer entry covers it
    ("VIH" inside "VIH avanzado"), because missing a section leaves stale
    audio while an extra one only costs a re-render.
    """
    text = unicodedata.normalize("NFC", str(text or ""))
    return {
        written
        for written in (lexicon or {})
        if isinstance(written, str)
        and (key := _lexicon_key(written))
        and _entry_regex(key).search(text)
    }


# --------------------------------------------------------------------------
# The rules, in the order they run
# --------------------------------------------------------------------------


def _built_in_rules() -> tuple[Callable[[str], str], ...]:
    """Each rule turns one kind of written token into words.

    The order matters: a rule only sees what earlier rules left, so the most
    specific readings go first and plain numbers go last.
    """
    return (
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


def _run_safely(rule: Callable[[str], str], text: str) -> str:
    """Run one rule; a bug in it must not stop the audio of a whole guide."""
    try:
        return rule(text)
    except Exception:  # noqa: BLE001 - robustness is the contract here
        logger.exception("Normalization rule %s failed; skipped", getattr(rule, "__name__", rule))
        return text


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

# Symbol and format characters dropped outright: emoji and pictographs,
# skin-tone and variation selectors, zero-width joiners, soft hyphens. espeak
# would read some emoji by name and choke on others. The degree sign stays.
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf", "Me"})
_KEPT_SYMBOLS = frozenset({"°"})
_BULLET = re.compile(r"^(?:(?:[•◦▪‣⁃∙·*]|-(?=\s|$))\s*)+")


def _clean(text: object) -> str:
    """Normalize Unicode, drop emoji and control characters, join the lines.

    A line that ends without punctuation (a heading, a list item) gets a
    period, so the engine pauses there instead of running two lines together.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("№", "Nº ")
    text = "".join(_clean_char(char) for char in text)
    lines = []
    for line in text.splitlines():
        line = _BULLET.sub("", re.sub(r"\s+", " ", line).strip())
        if not line:
            continue
        if lines and lines[-1][-1].isalnum():
            lines[-1] += "."
        lines.append(line)
    return " ".join(lines)


def _clean_char(char: str) -> str:
    if char in _KEPT_SYMBOLS or char in "\n\t":
        return char
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if category == "Cc":
        return "\n" if char in "\r\v\f\x1c\x1d\x1e\x85" else ""
    if category in _DROPPED_CATEGORIES or 0xFE00 <= ord(char) <= 0xFE0F:
        return ""
    if char in "‐‑":  # typographic hyphens
        return "-"
    return char


def _tidy_spacing(text: str) -> str:
    """Collapse runs of spaces and glue punctuation to the word before it.

    A dash that a removed symbol left at the start would read as a bullet.
    """
    text = _BULLET.sub("", re.sub(r"\s+", " ", text).strip())
    return re.sub(r" ([,.;:!?])", r"\1", text)


# --------------------------------------------------------------------------
# Lexicon (editors') and acronym table (built-in) share one matcher
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Matcher:
    """One regex for a whole table of written forms, longest first."""

    pattern: re.Pattern[str]
    exact: Mapping[str, str]  # case-sensitive entries, by written form
    folded: Mapping[str, str]  # case-insensitive entries, by lowercased form

    def spoken_for(self, match: re.Match[str]) -> str:
        """The spoken form for a match, plus the period it may have swallowed."""
        written = match.group()
        spoken = self.exact.get(_compact(written))
        if spoken is None:
            spoken = self.folded.get(_compact(written).lower(), "")
        if written.endswith(".") and not spoken.endswith("."):
            capital_ends_sentence = written.lower() not in PREFIX_ABBREVIATIONS
            if _ends_sentence(match.string, match.end(), capital_ends_sentence):
                spoken += "."
        return spoken


def _lexicon_items(lexicon: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A hashable, cleaned copy of a lexicon (so compiled matchers can be cached)."""
    items = {}
    for written, spoken in lexicon.items():
        if not isinstance(written, str) or spoken is None:
            continue
        key = _lexicon_key(written)
        if key:
            items[key] = unicodedata.normalize("NFC", str(spoken))
    return tuple(sorted(items.items()))


def _lexicon_key(written: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", written)).strip()


def _is_case_sensitive(written: str) -> bool:
    """Acronym-like entries ("VIH", "PrEP") match only as written."""
    return any(char.isupper() for char in written[1:])


def _entry_body(written: str) -> str:
    """Regex for one written form: whole words, flexible spaces, its case rule."""
    pieces = written.split(" ")
    body = re.escape(pieces[0])
    for previous, piece in zip(pieces, pieces[1:]):
        # "EE. UU." also matches "EE.UU.": after a period the space is optional.
        body += (r"\s*" if previous.endswith(".") else r"\s+") + re.escape(piece)
    if re.match(r"\w", written[0]):
        body = r"(?<!\w)" + body
    if re.match(r"\w", written[-1]):
        body += r"(?!\w)"
    return f"(?:{body})" if _is_case_sensitive(written) else f"(?i:{body})"


@functools.lru_cache(maxsize=1024)
def _entry_regex(written: str) -> re.Pattern[str]:
    return re.compile(_entry_body(written))


@functools.lru_cache(maxsize=32)
def _compile_lexicon(items: tuple[tuple[str, str], ...]) -> _Matcher | None:
    if not items:
        return None
    # Longest first, so "VIH avanzado" wins over "VIH"; on a tie the
    # case-sensitive (exact) entry is tried first.
    ordered = sorted(items, key=lambda item: (-len(item[0]), not _is_case_sensitive(item[0]), item[0]))
    pattern = re.compile("|".join(_entry_body(written) for written, _ in ordered))
    exact = {_compact(w): s for w, s in items if _is_case_sensitive(w)}
    folded = {}
    for written, spoken in ordered:
        if not _is_case_sensitive(written):
            folded.setdefault(_compact(written).lower(), spoken)
    return _Matcher(pattern, exact, folded)


def _compact(written: str) -> str:
    """Lookup key of a match: spaces in entries match flexibly, so ignore them."""
    return re.sub(r"\s+", "", written)


@functools.cache
def _acronym_matcher(language: str = "es") -> _Matcher:
    return _compile_lexicon(_lexicon_items(ACRONYMS if language == "es" else ENGLISH_ACRONYMS))


# Lexicon output is swapped for a placeholder while the built-in rules run:
# private-use characters that no rule reads (the cleaning step removed any
# such character from the input, so they cannot clash). The index of the
# spoken form is written in base 4096 with the characters U+E100-U+F0FF.
_PLACEHOLDER_OPEN, _PLACEHOLDER_CLOSE = "\ue000", "\ue001"
_PLACEHOLDER_DIGIT_BASE, _PLACEHOLDER_RADIX = 0xE100, 0x1000
_PLACEHOLDER = re.compile("\ue000([\ue100-\uf0ff]+)\ue001")


def _protect_lexicon_matches(text: str, matcher: _Matcher | None, spoken_forms: list[str]) -> str:
    if matcher is None:
        return text

    def protect(match: re.Match[str]) -> str:
        spoken_forms.append(matcher.spoken_for(match))
        index, digits = len(spoken_forms) - 1, ""
        while True:
            index, digit = divmod(index, _PLACEHOLDER_RADIX)
            digits = chr(_PLACEHOLDER_DIGIT_BASE + digit) + digits
            if not index:
                break
        return _pad(match, _PLACEHOLDER_OPEN + digits + _PLACEHOLDER_CLOSE)

    return matcher.pattern.sub(protect, text)


def _restore_protected(text: str, spoken_forms: list[str]) -> str:
    if not spoken_forms:
        return text

    def restore(match: re.Match[str]) -> str:
        index = 0
        for digit in match.group(1):
            index = index * _PLACEHOLDER_RADIX + ord(digit) - _PLACEHOLDER_DIGIT_BASE
        return spoken_forms[index]

    return _PLACEHOLDER.sub(restore, text)


def _expand_acronyms(text: str, language: str = "es") -> str:
    """Built-in acronyms and abbreviations: "VIH" -> "ve i hache"."""
    matcher = _acronym_matcher(language)
    return matcher.pattern.sub(lambda m: _pad(m, matcher.spoken_for(m)), text)


_CAPITAL_CONSONANTS = re.compile(r"(?<!\w)[B-DF-HJ-NP-TV-XZÑ]{2,6}(?!\w)")
_ROMAN_NUMERAL = re.compile(r"[IVXLCDM]+")


def _spell_unpronounceable_capitals(text: str, spell_letters: Callable[[str], str] | None = None) -> str:
    """An unknown all-consonant acronym ("TV", "SMS") can only be spelled.

    Roman numerals ("XX") are left alone: they are not acronyms.
    """

    def spell(match: re.Match[str]) -> str:
        if _ROMAN_NUMERAL.fullmatch(match.group()):
            return match.group()
        return (spell_letters or _spell_letters)(match.group())

    return _CAPITAL_CONSONANTS.sub(spell, text)


# --------------------------------------------------------------------------
# URLs and e-mail addresses
# --------------------------------------------------------------------------

_KNOWN_TLDS = frozenset(
    {"com", "org", "net", "edu", "gob", "gov", "info", "int", "ong", "lat", "app",
     "gt", "mx", "sv", "hn", "ni", "cr", "pa", "co", "us", "io"}
)
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
_EMAIL = re.compile(rf"(?<![\w.+-])(?P<user>[\w.+-]+)@(?P<domain>{_DOMAIN})(?![\w-])", re.I)
_URL = re.compile(
    rf"(?<![\w@.-])(?P<prefix>https?://(?:www\.)?|www\.)?(?P<domain>{_DOMAIN})"
    r"(?::\d+)?(?:[/?#]\S*?)?(?=[.,;:!?)\]»”\"']*(?:\s|$))",
    re.I,
)


@dataclass(frozen=True)
class _AddressWords:
    """How one language says the parts of web and e-mail addresses."""

    at: str
    symbols: Mapping[str, str]  # ".", "_", "-", "+" between spaces
    spell: Callable[[str], str]  # a label said letter by letter


_URL_SYMBOLS = {".": " punto ", "_": " guion bajo ", "-": " guion ", "+": " más "}
_SPANISH_ADDRESS = _AddressWords("arroba", _URL_SYMBOLS, lambda label: _spell_letters(label))


def _read_emails(text: str, words: _AddressWords = _SPANISH_ADDRESS) -> str:
    """"info@ejemplo.org" -> "info arroba ejemplo punto org"."""

    def read(match: re.Match[str]) -> str:
        user = re.sub(r"[._+-]", lambda m: words.symbols[m.group()], match.group("user"))
        return _pad(match, f"{user} {words.at} {_say_domain(match.group('domain'), words)}")

    return _EMAIL.sub(read, text)


def _read_urls(text: str, words: _AddressWords = _SPANISH_ADDRESS) -> str:
    """Read only the domain: "https://www.ejemplo.org/x?y=1" -> "ejemplo punto org".

    Without "http" or "www" a dotted word is taken as a domain only when its
    ending is a known TLD and it is all lowercase, so that "salud.Es" (a
    missing space) is not read as a web address.
    """

    def read(match: re.Match[str]) -> str:
        domain = match.group("domain")
        if not match.group("prefix"):
            tld = domain.rsplit(".", 1)[-1]
            if tld not in _KNOWN_TLDS or domain != domain.lower() or tld == "es":
                return match.group()
        return _pad(match, _say_domain(domain, words))

    return _URL.sub(read, text)


def _say_domain(domain: str, words: _AddressWords) -> str:
    labels = domain.lower().split(".")
    if labels[0] == "www":
        labels = labels[1:]
    spoken = []
    for label in labels:
        # Country codes and vowel-less labels ("gt", "mp") are spelled.
        if len(label) <= 2 or not re.search(r"[aeiou]", label):
            label = words.spell(label)
        spoken.append(label.replace("-", words.symbols["-"]))
    return words.symbols["."].join(spoken)


# --------------------------------------------------------------------------
# Signs that introduce or join numbers
# --------------------------------------------------------------------------

_NUMBER_SIGN = re.compile(r"(?<!\w)(?:N\.?\s?[º°]\.?|No\.|Núm\.|núm\.|#)\s*(?=\d)")
_TWENTY_FOUR_SEVEN = re.compile(r"(?<![\d/.,])24\s*[/x×]\s*7(?![\d/])")
_TIMES_SIGN = re.compile(r"(?<=\d)\s*[x×]\s*(?=\d)")
_ABOUT_SIGN = re.compile(r"~\s*(?=\d)")


def _read_number_signs(text: str) -> str:
    """"Nº 5"/"#5" -> "número 5", "24/7", "2x1" -> "2 por 1", "~30" -> "aproximadamente 30"."""
    text = _NUMBER_SIGN.sub("número ", text)
    text = _TWENTY_FOUR_SEVEN.sub(lambda m: _pad(m, "las veinticuatro horas, todos los días"), text)
    text = _TIMES_SIGN.sub(" por ", text)
    return _ABOUT_SIGN.sub("aproximadamente ", text)


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------

_DIGIT_WORDS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")

# Guatemalan numbers have 8 digits, written "2230-1234", "2230 1234" or
# "22301234", maybe after "+502" or "(502)". Landlines and mobiles start with
# 2 to 7; with the country code any first digit is accepted.
_PHONE = re.compile(
    r"(?<![\w.,/:+-])(?:(?P<country>\+\s?502|\(\+?502\))[ -]?)?"
    r"(?P<a>\d{4})(?P<sep>[ -]?)(?P<b>\d{4})(?![\w]|[.,:/-]\d)"
)


def _read_phone_numbers(text: str, say: Callable[[str, str], str] | None = None) -> str:
    """"2230-1234" -> "veintidós, treinta, doce, treinta y cuatro".

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
    """"Llame al 110" -> "llame al uno, uno, cero": short numbers digit by digit."""

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
    return ", ".join(_spell_digits(p, " ") if p.startswith("0") else spell_integer(int(p)) for p in pairs)


# --------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------

_DATE = re.compile(
    r"(?<![\d/.,-])(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?![\d/]|[.-]\d)"
)
_MONTH_NAMES = "|".join(MONTHS) + "|setiembre"
_FIRST_OF_MONTH = re.compile(rf"(?<![\w.,])1(?=\s+de\s+(?:{_MONTH_NAMES})\b)", re.I)


def _read_dates(text: str) -> str:
    """"12/05/2025" -> "doce de mayo de dos mil veinticinco" (day first, as in Guatemala)."""

    def read(match: re.Match[str]) -> str:
        day, month, year = int(match.group("day")), int(match.group("month")), match.group("year")
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return match.group()
        full_year = int(year) if len(year) == 4 else int(year) + (2000 if int(year) < 70 else 1900)
        return _pad(match, f"{_say_day(day)} de {MONTHS[month - 1]} de {spell_integer(full_year)}")

    return _DATE.sub(read, text)


def _read_first_of_month(text: str) -> str:
    """The first day of a month is an ordinal: "1 de enero" -> "primero de enero"."""
    return _FIRST_OF_MONTH.sub("primero", text)


def _say_day(day: int) -> str:
    return "primero" if day == 1 else spell_integer(day)


# "a. m.", "a.m.", "am", "AM", "p. m.", "pm"...
_MERIDIEM = r"(?P<mer{n}>[aApP])\.?\s?[mM]\.?(?!\w)"
_HOUR_SUFFIX = r"(?P<suf{n}>h|hrs?|hs|horas)\.?(?!\w)"


def _time_pattern(n: int) -> str:
    return (
        rf"(?P<h{n}>\d{{1,2}})(?:(?P<sep{n}>[:.])(?P<m{n}>\d{{2}}))?"
        rf"(?:\s?{_MERIDIEM.format(n=n)}|\s?{_HOUR_SUFFIX.format(n=n)})?"
    )


_TIME_RANGE = re.compile(
    rf"(?P<pre>(?<!\w)(?:de|desde|entre)\s+)?(?<![\w.,:/-]){_time_pattern(1)}"
    rf"(?P<sep>\s*[-–]\s*|\s+(?:a|hasta|y)\s+){_time_pattern(2)}(?![\d:])",
    re.I,
)
_TIME = re.compile(rf"(?P<art>(?<!\w)(?:las|la)\s+)?(?<![\w.,:/-]){_time_pattern(1)}(?![\d:])", re.I)
_HOUR_AFTER_ARTICLE = re.compile(r"(?<!\w)(?P<art>las?\s+)(?P<h>\d{1,2})(?![\w°ºª%/-]|[.,:]\d)", re.I)


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int | None  # None when written without minutes ("8 am")
    meridiem: str | None  # "a" or "p"
    suffix: bool  # written with "h"/"hrs"/"horas" after it

    @classmethod
    def from_match(cls, match: re.Match[str], n: int) -> _Time | None:
        hour = int(match.group(f"h{n}"))
        minute = match.group(f"m{n}")
        meridiem = match.group(f"mer{n}")
        time = cls(hour, None if minute is None else int(minute),
                   meridiem.lower() if meridiem else None, bool(match.group(f"suf{n}")))
        if time.hour > 24 or (time.minute is not None and time.minute > 59):
            return None
        if match.group(f"sep{n}") == "." and not meridiem:
            return None  # "8.30" alone is a decimal; "8.30 p. m." is a time
        return time

    @property
    def is_clock_time(self) -> bool:
        """Minutes or a.m./p.m. make it a time; "8 h" alone is a duration."""
        return self.minute is not None or self.meridiem is not None

    @property
    def is_full_hour(self) -> bool:
        return not self.minute and self.meridiem is None

    def say(self, *, alone: bool) -> str:
        """The spoken time; ``alone`` = no article before it and not in a range."""
        hour = self.hour
        if self.meridiem:
            hour = hour - 12 if hour > 12 else (12 if hour == 0 else hour)
        words = spell_integer(hour, agree_with="f")  # "la una", "las veintiuna"
        if self.minute:
            words += " y " + spell_integer(self.minute)
        if self.meridiem:
            return f"{words} {_day_period(self.hour, self.meridiem)}"
        if alone and not self.minute:
            # Spanish never drops the article before "una"; other hours read
            # best as "ocho horas" when no "las" precedes them.
            return "la una" if hour == 1 else f"{words} horas"
        return words


def _day_period(hour: int, meridiem: str) -> str:
    """Guatemalan day periods: madrugada until 6, tarde until 7 p. m."""
    hour12 = hour % 12
    if meridiem == "a":
        if hour12 == 0:
            return "de la noche"
        return "de la madrugada" if hour12 < 6 else "de la mañana"
    if hour12 == 0:
        return "del mediodía"
    return "de la tarde" if hour12 < 7 else "de la noche"


def _read_time_ranges(text: str) -> str:
    """"de 8:00 a 16:00" -> "de ocho a dieciséis horas"; "8-10 a. m." -> "de ocho a diez de la mañana".

    "entre 7:30 y 8:00" takes articles: "entre siete y treinta y ocho" would
    sound like 7:38, "entre las siete y treinta y las ocho" cannot.
    """

    def read(match: re.Match[str]) -> str:
        start, end = _Time.from_match(match, 1), _Time.from_match(match, 2)
        if start is None or end is None or not end.is_clock_time:
            return match.group()
        pre = match.group("pre") or ""
        sep = match.group("sep").strip().lower()
        dash = sep in ("-", "–")
        between = pre.strip().lower() == "entre"
        if sep == "y" and not between:
            return match.group()  # "7:30 y 8:00" is two times, not a range
        if not start.is_clock_time and not (end.meridiem and (dash or pre)):
            return match.group()
        joiner = "y" if between else "a" if dash else sep
        opening = pre if pre else ("de " if dash else "")
        first, last = start.say(alone=False), end.say(alone=False)
        if between:
            first, last = _with_article(start, first), _with_article(end, last)
        spoken = f"{opening}{first} {joiner} {last}"
        if start.is_full_hour and end.is_full_hour and not between:
            spoken += " horas"
        return _pad(match, _keep_period(match, spoken))

    return _TIME_RANGE.sub(read, text)


def _with_article(time: _Time, spoken: str) -> str:
    hour = time.hour % 12 if time.meridiem else time.hour
    return ("la " if hour == 1 else "las ") + spoken


def _read_times(text: str) -> str:
    """"a las 8:00" -> "a las ocho"; "8:00" -> "ocho horas"; "8:30 p. m." -> "ocho y treinta de la noche"."""

    def read(match: re.Match[str]) -> str:
        time = _Time.from_match(match, 1)
        if time is None or not time.is_clock_time:
            return match.group()
        article = match.group("art") or ""
        spoken = time.say(alone=not article)
        if time.suffix and time.is_full_hour and article:
            spoken += " horas"
        return _pad(match, _keep_period(match, article + spoken))

    return _TIME.sub(read, text)


def _read_hours_after_article(text: str) -> str:
    """"a la 1" -> "a la una", "las 21" -> "las veintiuna": hours are feminine."""

    def read(match: re.Match[str]) -> str:
        hour = int(match.group("h"))
        if hour > 24:
            return match.group()
        return match.group("art") + spell_integer(hour, agree_with="f")

    return _HOUR_AFTER_ARTICLE.sub(read, text)


# --------------------------------------------------------------------------
# Money, ranges, percentages, units
# --------------------------------------------------------------------------

# A number as written: "25", "1,500", "1.500.000", "2,5", "1,500.00".
_NUMBER = r"\d+(?:[.,]\d+)*"
_CURRENCY = r"(?:US\s?\$|USD|\$|€|Q\.?)\s?"
_CURRENCY_WORDS = {"q": ("quetzal", "quetzales"), "$": ("dólar", "dólares"), "€": ("euro", "euros")}
_MONEY = re.compile(
    rf"(?<![\w$€])(?P<cur>{_CURRENCY})(?P<a>{_NUMBER})"
    rf"(?:\s*[-–]\s*(?:{_CURRENCY})?(?P<b>{_NUMBER}))?"
    r"(?:\s+(?P<scale>mil|millones|millón|millon)(?!\w))?"
)
_MONEY_AFTER = re.compile(rf"(?<![\w.,])(?P<a>{_NUMBER})\s?(?P<cur>USD|GTQ)(?!\w)")


def _read_money(text: str) -> str:
    """"Q25.50" -> "veinticinco quetzales con cincuenta centavos"; "$100" -> "cien dólares".

    In Guatemala amounts are written "Q1,500.00": the comma groups
    thousands, the period introduces the cents.
    """

    def read(match: re.Match[str]) -> str:
        cur = match.group("cur").strip().lower()
        singular, plural = _CURRENCY_WORDS["q" if cur.startswith(("q", "gtq")) else "€" if cur == "€" else "$"]
        first, last = match.group("a"), match.groupdict().get("b")
        scale = (match.groupdict().get("scale") or "").lower()
        scale = "millón" if scale == "millon" else scale
        if scale:
            spoken = _say_scaled_amount(first, scale, plural)
            if last:
                opening, joiner = _range_words(match.string[max(0, match.start() - 40) : match.start()])
                spoken = f"{opening}{_say_number(first)} {joiner} {_say_scaled_amount(last, scale, plural)}"
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
    """"1,500.00" -> (1500, 0); "25.5" -> (25, 50): units and cents."""
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
        parts.append(f"{spell_integer(cents, agree_with='m')} {'centavo' if cents == 1 else 'centavos'}")
    return " con ".join(parts)


def _say_scaled_amount(written: str, scale: str, plural: str) -> str:
    """"Q2 millones" -> "dos millones de quetzales"; "Q5 mil" -> "cinco mil quetzales"."""
    number = "" if scale == "mil" and written == "1" else _say_number(written, agree_with="m") + " "
    return f"{number}{scale} de {plural}" if scale != "mil" else f"{number}mil {plural}"


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
    """"30-45 minutos" -> "de treinta a cuarenta y cinco minutos".

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
    """"entre 2-3" -> "entre dos y tres"; "de 2-3" -> "de dos a tres"; "2-3" -> "de dos a tres"."""
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
    """"30%" -> "treinta por ciento"; "1%" -> "uno por ciento" (not "un")."""

    def read(match: re.Match[str]) -> str:
        sign = "menos " if match.group("sign") else ""
        return _pad(match, f"{sign}{_say_number(match.group('n'))} por ciento")

    return _PERCENT.sub(read, text)


def _unit_alternatives() -> str:
    multi = sorted((u for u in UNITS if len(u) > 1 and not u.startswith("°")), key=len, reverse=True)
    single = [u for u in UNITS if len(u) == 1]
    return "|".join(
        [r"[°º]\s?[CF]"] + [f"(?i:{re.escape(u)})" for u in multi] + [re.escape(u) for u in single]
    )


_UNIT = re.compile(rf"(?P<n>{_NUMBER})\s?(?P<unit>{_unit_alternatives()})(?P<dot>\.(?=\s+[a-záéíóúñ]))?(?![^\W_])")
_NUMBERED_UNIT = re.compile(rf"(?<![\w.,])(?P<sign>[-−])?{_UNIT.pattern}")
_KILOMETRE_MARKER = re.compile(r"(?<!\w)[Kk]m\.?\s?(?=\d)")


def _unit_key(written: str) -> str:
    written = written.replace("º", "°").replace(" ", "")
    return written if written in UNITS else written.lower()


def _read_units(text: str) -> str:
    """"72 h" -> "setenta y dos horas", "1 km" -> "un kilómetro", "38 °C" -> "treinta y ocho grados centígrados".

    A kilometre before a number is a marker on a road, in the singular:
    "Km. 15 carretera a El Salvador" -> "kilómetro 15...".
    """

    def read(match: re.Match[str]) -> str:
        singular, plural, gender = UNITS[_unit_key(match.group("unit"))]
        number = match.group("n")
        sign = "menos " if match.group("sign") else ""
        noun = singular if _is_one(number) else plural
        return _pad(match, f"{sign}{_say_number(number, agree_with=gender)} {noun}")

    text = _NUMBERED_UNIT.sub(read, text)
    return _KILOMETRE_MARKER.sub("kilómetro ", text)


# --------------------------------------------------------------------------
# Ordinals and fractions
# --------------------------------------------------------------------------

_ORDINAL = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3})(?:\.?(?P<mark>[ºª°])|\.?(?P<suffix>era|ero|er|ra|ro|do|da|to|ta|mo|ma|vo|va|no|na|a|o)"
    r"(?![^\W\d_]))(?P<dot>\.(?=\s+(?:[a-záéíóúñ]|(?:Avenida|Calle|Calzada|Diagonal|Zona)\b)))?"
)
_ORDINAL_UNITS = ("", "primero", "segundo", "tercero", "cuarto", "quinto", "sexto", "séptimo", "octavo", "noveno")
_ORDINAL_TENS = ("", "décimo", "vigésimo", "trigésimo", "cuadragésimo", "quincuagésimo",
                 "sexagésimo", "septuagésimo", "octogésimo", "nonagésimo")


def _read_ordinals(text: str) -> str:
    """"1º" -> "primero", "2ª" -> "segunda", "3er piso" -> "tercer piso", "6a. Avenida" -> "sexta Avenida".

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
        elif suffix == "er" or (_agreement(_next_word(match)) and masculine.endswith(("primero", "tercero"))):
            spoken = masculine[:-1]  # "primer piso", "tercer lugar"
        else:
            spoken = masculine
        return _pad(match, spoken)

    return _ORDINAL.sub(read, text)


def _ordinal_suffix_fits(masculine: str, suffix: str) -> bool:
    """"2do" is an ordinal, "2no" is not: the suffix repeats the word's ending."""
    if suffix in ("a", "o"):
        return True
    if suffix in ("er", "ero", "era"):
        return masculine.endswith(("primero", "tercero"))
    return masculine.endswith(suffix[0] + "o")


_FRACTION = re.compile(r"(?<![\w.,/])(?P<a>\d+)\s?/\s?(?P<b>\d+)(?![\w/]|[.,]\d)")
_FRACTION_NAMES = {2: ("medio", "medios"), 3: ("tercio", "tercios"), 4: ("cuarto", "cuartos"),
                   5: ("quinto", "quintos"), 6: ("sexto", "sextos"), 7: ("séptimo", "séptimos"),
                   8: ("octavo", "octavos"), 9: ("noveno", "novenos"), 10: ("décimo", "décimos")}
_DATE_ARTICLE_BEFORE = re.compile(r"(?<!\w)(?:el|del|al)\s+$", re.I)


def _read_fractions(text: str) -> str:
    """"1/2 hora" -> "media hora", "3/4" -> "tres cuartos"; "el 12/05" is a date.

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
        return _pad(match, f"{spell_integer(num, agree_with='m')} {names[0] if num == 1 else names[1]}")

    return _FRACTION.sub(read, text)


# --------------------------------------------------------------------------
# Plain numbers
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Inclusive forms and symbols
# --------------------------------------------------------------------------

# "compañeros/as", "compañeras/os", "compañer@s", "usuario/a".
_INCLUSIVE_SLASH = re.compile(r"(?<!\w)(?P<stem>[^\W\d_]+?)(?P<first>os|as|o|a)/(?P<second>os|as|o|a)(?!\w)")
_INCLUSIVE_AT = re.compile(r"(?<!\w)(?P<stem>[^\W\d_]+)@(?P<plural>s?)(?!\w)")


def _read_inclusive_forms(text: str) -> str:
    """Say both forms: "compañeros/as" -> "compañeros y compañeras", "usuario/a" -> "usuario o usuaria"."""

    def read_slash(match: re.Match[str]) -> str:
        stem, first, second = match.group("stem"), match.group("first"), match.group("second")
        if first[0] == second[0] or len(first) != len(second):
            return match.group()
        joiner = "y" if first.endswith("s") else "o"
        return f"{stem}{first} {joiner} {stem}{second}"

    def read_at(match: re.Match[str]) -> str:
        stem, plural = match.group("stem"), match.group("plural")
        joiner = "y" if plural else "o"
        return f"{stem}o{plural} {joiner} {stem}a{plural}"

    text = _INCLUSIVE_SLASH.sub(read_slash, text)
    return _INCLUSIVE_AT.sub(read_at, text)


_SYMBOLS = (
    (re.compile(r"(?<!\w)y\s*/\s*o(?!\w)", re.I), "y o"),  # "y/o", not "y o o"
    (re.compile(r"\s*&\s*"), " y "),
    (re.compile(r"\s*\+\s*"), " más "),
    (re.compile(r"\s*@\s*"), " arroba "),
    (re.compile(r"\s*%"), " por ciento"),
    (re.compile(r"\s*=\s*"), " igual a "),
    (re.compile(r"\s*\|\s*"), ", "),
    (re.compile(r"#(?=\w)|[*_~]"), " "),
    # Last, so the words other symbols became count: "él/ella" -> "él o ella".
    (re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])"), " o "),
)


def _read_symbols(text: str) -> str:
    """Symbols an engine would name or skip: "&" -> "y", "+" -> "más", "/" between words -> "o"."""
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text


# --------------------------------------------------------------------------
# Spelling numbers
# --------------------------------------------------------------------------

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
    words = re.sub(rf"\b(veinti)?uno(?= {_SCALE}\b)", lambda m: "veintiún" if m.group(1) else "un", words)
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
        return re.sub(r"\d+", lambda m: _say_number(m.group()), written).replace(".", " punto ").replace(",", " coma ")
    whole, fraction, decimal_word = parsed
    if fraction is None:
        if len(whole) > 1 and whole.startswith("0"):
            return _spell_digits(whole, " ")  # "05" is a code: "cero cinco"
        if len(written) > _MAX_PLAIN_DIGITS and written.isdigit():
            return _spell_digits(whole, " ")
        return spell_integer(int(whole), agree_with)
    return f"{spell_integer(int(whole))} {decimal_word} {_say_decimals(fraction)}"


def _say_decimals(digits: str) -> str:
    """"5" -> "cinco", "05" -> "cero cinco", "75" -> "setenta y cinco", "14159" digit by digit."""
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


# --------------------------------------------------------------------------
# Grammatical agreement
# --------------------------------------------------------------------------

# Words that follow a number without being the thing counted ("1 de cada 3",
# "de 1 a 3"): the number keeps its full form, "uno".
_NOT_NOUNS = frozenset(
    "y e o u ó ni a al de del en con sin por para que es son fue era será está están entre "
    "hasta desde sobre según más menos x como si no se lo la las los el le les mi tu su sus cada vs "
    "punto coma guion".split()
)
_FEMININE_NOUNS = frozenset(
    "mujer mujeres vez veces noche noches tarde tardes clase clases calle calles parte partes "
    "dosis crisis red redes ley leyes mano manos foto fotos moto motos imagen imágenes madre madres "
    "base bases fuente fuentes clave claves serie series especie especies muerte muertes "
    "llave llaves frase frases sede sedes piel cárcel cárceles flor flores sal leche fiebre "
    "suerte nube nubes torre torres gente".split()
)
# Masculine nouns that end in -a.
_MASCULINE_IN_A = frozenset(
    "día días mapa mapas problema problemas programa programas sistema sistemas tema temas "
    "síntoma síntomas idioma idiomas clima climas planeta planetas poema poemas dilema dilemas "
    "esquema esquemas diagrama diagramas trauma traumas drama dramas fantasma fantasmas "
    "sofá sofás papá papás cometa cometas diploma diplomas telegrama telegramas".split()
)
_FEMININE_ENDING = re.compile(r"(?:ción|sión|ciones|siones|dad|dades|tad|tades|tud|tudes|umbre|umbres)$")
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")


def _next_word(match: re.Match[str]) -> str | None:
    following = _NEXT_WORD.match(match.string, match.end())
    return following.group(1) if following else None


def _agreement(word: str | None) -> str | None:
    """Gender of the noun a number counts, or None when no noun follows.

    A cheap guess: known nouns, then endings (-ción, -dad: feminine; -a:
    feminine unless listed; -ista and the rest: masculine, the generic form).
    """
    if not word:
        return None
    word = word.lower()
    if word in _NOT_NOUNS:
        return None
    if word in _FEMININE_NOUNS or _FEMININE_ENDING.search(word):
        return "f"
    if word in _MASCULINE_IN_A or word.endswith(("ista", "istas")):
        return "m"
    return "f" if word.endswith(("a", "as")) else "m"


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _pad(match: re.Match[str], spoken: str) -> str:
    """Keep spoken words apart from letters or digits glued to the match ("48h")."""
    string = match.string
    if match.start() > 0 and string[match.start() - 1].isalnum():
        spoken = " " + spoken
    if match.end() < len(string) and string[match.end()].isalnum():
        spoken += " "
    return spoken


def _ends_sentence(string: str, end: int, capital_ends_sentence: bool = True) -> bool:
    """Whether the text after ``end`` starts a new sentence (or is empty)."""
    if _ONLY_SPACE_LEFT.match(string, end):
        return True
    return capital_ends_sentence and _SENTENCE_START.match(string, end) is not None


_ONLY_SPACE_LEFT = re.compile(r"\s*$")
_SENTENCE_START = re.compile(r"\s+[¿¡«\"'(]*[A-ZÁÉÍÓÚÑÜ]")


def _keep_period(match: re.Match[str], spoken: str) -> str:
    """A match ending in "p. m." may have swallowed the sentence's final period."""
    if match.group().endswith(".") and _ends_sentence(match.string, match.end()):
        return spoken + "."
    return spoken


# --------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------

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
    "at", {".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus "}, lambda label: _spell_in_english(label)
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
_QUETZALES = re.compile(r"(?<![\w.])Q\s?(?P<units>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{2}))?(?![\w]|[.,]\d)")


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
    """"gt" -> "G T": English voices name spaced capitals one by one."""
    return " ".join(letters.upper())


def _read_phone_numbers_in_english(text: str) -> str:
    """"+502 2230-1234" -> "plus five zero two, two two three zero, one two three four"."""

    def say(country: str, digits: str) -> str:
        spoken = f"{_spell_digits_in_english(digits[:4])}, {_spell_digits_in_english(digits[4:])}"
        if country:
            spoken = f"{'plus ' if '+' in country else ''}{_spell_digits_in_english('502')}, {spoken}"
        return spoken

    return _read_phone_numbers(text, say)


def _read_service_numbers_in_english(text: str) -> str:
    def read_in_context(match: re.Match[str]) -> str:
        numbers = re.sub(r"\d+", lambda m: _spell_digits_in_english(m.group()), match.group("numbers"))
        return match.group()[: match.start("numbers") - match.start()] + numbers

    text = _ENGLISH_PHONE_CONTEXT.sub(read_in_context, text)

    def read_known(match: re.Match[str]) -> str:
        number, following = match.group("number"), _next_word(match)
        counts_something = following and following.isalpha() and following.lower() not in _ENGLISH_JOINING_WORDS
        if number not in SERVICE_NUMBERS or counts_something:  # "110 people" is a quantity
            return number
        return _spell_digits_in_english(number)

    return _SERVICE_NUMBER.sub(read_known, text)


def _read_quetzales_in_english(text: str) -> str:
    """"Q25.50" -> "twenty-five quetzales and fifty centavos"; "Q1" -> "one quetzal"."""

    def read(match: re.Match[str]) -> str:
        units = int(match.group("units").replace(",", ""))
        cents = int(match.group("cents") or 0)
        spoken = f"{num2words(units, lang='en')} {'quetzal' if units == 1 else 'quetzales'}"
        if cents:
            spoken += f" and {num2words(cents, lang='en')} {'centavo' if cents == 1 else 'centavos'}"
        return _pad(match, spoken)

    return _QUETZALES.sub(read, text)


def _expand_english_acronyms(text: str) -> str:
    return _expand_acronyms(text, "en")


def _spell_unknown_capitals_in_english(text: str) -> str:
    return _spell_unpronounceable_capitals(text, _spell_in_english)
