"""The editors' pronunciation lexicon: what it matches and what it says (``audio.text.lexicon``).

Pure functions, no database (editing entries in the admin: ``test_lexicon_edits.py``).
"""

from audio.text.lexicon import apply_lexicon, lexicon_matches
from audio.text.normalize import normalize_spanish


def test_lexicon_overrides_the_built_in_rules():
    lexicon = {
        "VIH": "virus de inmunodeficiencia humana",
        "Decreto 9-2009": "decreto nueve dos mil nueve",
    }
    assert normalize_spanish("El VIH y el Decreto 9-2009.", lexicon) == (
        "El virus de inmunodeficiencia humana y el decreto nueve dos mil nueve."
    )


def test_lexicon_output_is_left_alone_by_the_built_in_rules():
    # The spoken form contains things the rules would read ("ONG", "+").
    assert normalize_spanish("Visite Xela.", {"Xela": "Xela ONG+"}) == "Visite Xela ONG+."


def test_lexicon_is_case_insensitive_for_ordinary_words():
    lexicon = {"Xela": "Quetzaltenango"}
    assert (
        apply_lexicon("Xela, xela y XELA", lexicon)
        == "Quetzaltenango, Quetzaltenango y Quetzaltenango"
    )


def test_lexicon_acronyms_match_only_as_written():
    lexicon = {"PrEP": "profilaxis", "ASI": "a ese i"}
    assert (
        apply_lexicon("PrEP, prep, Prep; ASI, así, asi", lexicon)
        == "profilaxis, prep, Prep; a ese i, así, asi"
    )


def test_lexicon_matches_whole_words_only():
    assert apply_lexicon("Xela y Xelajú", {"Xela": "Quetzaltenango"}) == "Quetzaltenango y Xelajú"
    assert apply_lexicon("MPS y MP.", {"MP": "eme pe"}) == "MPS y eme pe."


def test_lexicon_prefers_the_longest_match():
    lexicon = {"VIH": "ve i hache", "VIH avanzado": "sida", "prueba de VIH": "prueba"}
    assert apply_lexicon("VIH avanzado y VIH", lexicon) == "sida y ve i hache"
    assert apply_lexicon("la prueba de VIH avanzado", lexicon) == "la prueba avanzado"


def test_lexicon_phrases_match_across_any_whitespace():
    assert apply_lexicon("Casa  de\u00a0la Mujer", {"Casa de la Mujer": "la casa"}) == "la casa"


def test_lexicon_entries_with_symbols():
    lexicon = {"LGBTIQ+": "comunidad diversa", "Dra.": "doctora"}
    assert (
        normalize_spanish("La Dra. Pérez y la LGBTIQ+.", lexicon)
        == "La doctora Pérez y la comunidad diversa."
    )


def test_empty_or_odd_lexicon():
    assert apply_lexicon("VIH", {}) == "VIH"
    assert normalize_spanish("VIH", {}) == "ve i hache"
    assert normalize_spanish("VIH", {"": "nada", "  ": "nada", "X": None}) == "ve i hache"


def test_lexicon_matches_reports_every_entry_that_occurs():
    lexicon = {"VIH": "a", "VIH avanzado": "b", "Xela": "c", "PrEP": "d", "ONG": "e"}
    text = "El VIH avanzado en XELA; la prep."
    # Generous on purpose: "VIH" counts even inside "VIH avanzado".
    assert lexicon_matches(text, lexicon) == {"VIH", "VIH avanzado", "Xela"}
    assert lexicon_matches("", lexicon) == set()
    assert lexicon_matches(text, {}) == set()


def test_lexicon_matches_agrees_with_apply_lexicon():
    lexicon = {"Xela": "Quetzaltenango", "PrEP": "prep", "Casa de la Mujer": "la casa"}
    for text in ["Xela", "xela", "PREP", "Casa de la  Mujer", "Xelajú"]:
        assert bool(lexicon_matches(text, lexicon)) == (apply_lexicon(text, lexicon) != text)
