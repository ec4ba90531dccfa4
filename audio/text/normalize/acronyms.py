"""Acronyms and abbreviations: the built-in table, and spelling unknown ones."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ..lexicon import _compile_lexicon, _lexicon_items, _Matcher
from ..matching import _pad
from .spelling import _spell_letters

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


@functools.cache
def _acronym_matcher() -> _Matcher:
    # Compiled once: the table is fixed, and rules run on every sentence.
    return _compile_lexicon(_lexicon_items(ACRONYMS))


def _expand_acronyms(text: str, matcher: _Matcher | None = None) -> str:
    """Built-in acronyms and abbreviations: "VIH" -> "ve i hache".

    ``matcher`` reads another table instead (English, ``en``).
    """
    matcher = matcher or _acronym_matcher()
    return matcher.pattern.sub(lambda m: _pad(m, matcher.spoken_for(m)), text)


_CAPITAL_CONSONANTS = re.compile(r"(?<!\w)[B-DF-HJ-NP-TV-XZÑ]{2,6}(?!\w)")
_ROMAN_NUMERAL = re.compile(r"[IVXLCDM]+")


def _spell_unpronounceable_capitals(
    text: str, spell_letters: Callable[[str], str] | None = None
) -> str:
    """An unknown all-consonant acronym ("TV", "SMS") can only be spelled.

    Roman numerals ("XX") are left alone: they are not acronyms.
    """

    def spell(match: re.Match[str]) -> str:
        if _ROMAN_NUMERAL.fullmatch(match.group()):
            return match.group()
        return (spell_letters or _spell_letters)(match.group())

    return _CAPITAL_CONSONANTS.sub(spell, text)
