"""What an English voice is given to read: only what it would misread is rewritten.

A phone number read as a quantity ("two thousand two hundred thirty minus...")
is a wrong number in a safety guide; the rest (quantities, years, times) English
voices read well, so it is left as written.
"""

import re

import pytest

from audio.text import normalize_english, spoken_form


def cases(*rows):
    return pytest.mark.parametrize(("written", "expected"), rows, ids=[row[0] for row in rows])


@cases(
    ("Phone: 2230-1234.", "Phone: two two three zero, one two three four."),
    ("Phone: 2230 1234.", "Phone: two two three zero, one two three four."),
    (
        "WhatsApp +502 5555-1234 any time.",
        "WhatsApp plus five zero two, five five five five, one two three four any time.",
    ),
    (
        "Call 110 or 1572 if you are in danger.",
        "Call one one zero or one five seven two if you are in danger.",
    ),
    ("Dial 1546.", "Dial one five four six."),
    ("the 1572 line", "the one five seven two line"),
    (
        "Police: 110. Firefighters: 122 or 123.",
        "Police: one one zero. Firefighters: one two two or one two three.",
    ),
    ("The police (110) can help.", "The police (one one zero) can help."),
)
def test_numbers_to_dial_are_read_digit_by_digit(written, expected):
    assert normalize_english(written) == expected


@cases(
    ("From 2020-2025 the law changed.", "From 2020-2025 the law changed."),
    ("In 2024, 110 people came.", "In 2024, 110 people came."),
    ("About 30 to 45 minutes away by bus.", "About 30 to 45 minutes away by bus."),
    ("Open at 8:30.", "Open at 8:30."),
    ("Who can help?", "Who can help?"),
)
def test_what_english_voices_read_well_is_left_alone(written, expected):
    assert normalize_english(written) == expected


@cases(
    ("Write to info@example.org.", "Write to info at example dot org."),
    ("Visit https://www.example.org.gt/help?x=1 today.", "Visit example dot org dot G T today."),
    ("See example.org.", "See example dot org."),
    ("first.last@mail-box.com", "first dot last at mail dash box dot com"),
)
def test_addresses_are_read_as_people_say_them(written, expected):
    assert normalize_english(written) == expected


@cases(
    ("It costs Q25.", "It costs twenty-five quetzales."),
    ("Q25.50", "twenty-five quetzales and fifty centavos"),
    ("Q1", "one quetzal"),
    ("Q 1,500", "one thousand, five hundred quetzales"),
)
def test_quetzales(written, expected):
    assert normalize_english(written) == expected


@cases(
    ("HIV and STIs are treated free; PrEP too.", "H I V and S T I's are treated free; prep too."),
    ("The MP and the PDH take reports.", "The M P and the P D H take reports."),
    ("SVET, INTECAP, OMM and NGOs help.", "S vet, intecap, O M M and N G O's help."),
    ("Watch it on TV, chapter XX.", "Watch it on T V, chapter XX."),
)
def test_acronyms(written, expected):
    assert normalize_english(written) == expected


def test_the_editors_lexicon_comes_first():
    assert normalize_english("HIV clinic", {"HIV": "the virus"}) == "the virus clinic"
    assert normalize_english("Call Xela", {"Xela": "shay-la"}) == "Call shay-la"


def test_odd_text_never_raises():
    assert normalize_english("") == ""
    assert normalize_english("  \n ") == ""
    assert "\n" not in normalize_english("Line\nbreak")


def test_english_audio_is_made_from_the_english_reading(db):
    """Every sentence of the English demo guides reaches the voice normalized."""
    from audio.text import speech_sections
    from cms.models import GuidePage

    spoken = [
        spoken_form(sentence, "en", {})
        for guide in GuidePage.objects.filter(locale__language_code="en")
        for section in speech_sections(guide)
        for sentence in section.sentences
    ]
    assert spoken
    said = " ".join(spoken)
    assert "H I V" in said
    assert not re.search(r"\b(HIV|STIs?|NGOs?|PrEP)\b", said)
