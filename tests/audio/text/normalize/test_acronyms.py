"""Acronyms and abbreviations (``normalize.acronyms``)."""

import re

from audio.text.normalize import ACRONYMS, normalize_spanish

from .cases import cases


@cases(
    ("La PrEP previene el VIH.", "La prep previene el ve i hache."),
    ("personas VIH+", "personas ve i hache positivo"),
    ("VIH/SIDA", "ve i hache sida"),
    ("prevención de ITS/VIH", "prevención de i te ese y ve i hache"),
    ("ITS", "i te ese"),
    ("ONG", "o ene ge"),
    ("ONGs y ONG", "o ene ges y o ene ge"),
    ("el MP y la PDH", "el eme pe y la pe de hache"),
    ("la SVET", "la ese vet"),
    ("el INTECAP", "el intecap"),
    ("OMM, ASI, OTRANS y PASMO", "o eme eme, a ese i, otrans y pasmo"),
    ("UNFPA", "u ene efe pe a"),
    ("OPS/PAHO", "o pe ese"),
    ("UNAMG y FUNDAP", "u ene a eme ge y fundap"),
    ("LGBTQ+", "ele ge be te cu más"),
    ("LGBTIQ+", "ele ge be te i cu más"),
    ("SIDA", "sida"),
    ("EE. UU.", "Estados Unidos."),
    ("EE.UU. y EEUU", "Estados Unidos y Estados Unidos"),
    ("Viajó a EE. UU. Luego volvió.", "Viajó a Estados Unidos. Luego volvió."),
    ("Dr. Pérez", "doctor Pérez"),
    ("ext. 105", "extensión ciento cinco"),
    ("la Dra. López", "la doctora López"),
    ("condones, lubricante, etc.", "condones, lubricante, etcétera."),
    ("p. ej. el VIH", "por ejemplo el ve i hache"),
    ("COVID-19 y Covid-19", "covid diecinueve y covid diecinueve"),
    ("CD4", "ce de cuatro"),
    ("TV y SMS", "te ve y ese eme ese"),  # unknown, no vowel: spelled
    ("siglo XX", "siglo XX"),  # Roman numerals are left to the engine
    ("its", "its"),  # acronyms match only as written
    ("Vih", "Vih"),
)
def test_acronyms_and_abbreviations(written, expected):
    assert normalize_spanish(written) == expected


def test_acronym_table_has_no_digits_or_capitals_in_spoken_forms():
    # Spoken forms must themselves be final, or normalizing twice would differ.
    for written, spoken in ACRONYMS.items():
        assert not re.search(r"[0-9]", spoken), written
        assert normalize_spanish(spoken) == spoken, written
