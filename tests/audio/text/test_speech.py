"""What is read aloud: all the text, in order, with no markup or URLs."""

import pytest

from audio.text.speech import INTRO_ID, rich_text_blocks, speech_sections, split_sentences
from cms.models import GuidePage


def test_rich_text_reads_list_items_and_link_text_without_urls():
    html = (
        '<p>Vaya al <a href="https://example.org/x">centro de salud</a>.</p>'
        "<ul><li>Use condón</li><li><b>Siempre</b> en pareja</li></ul>"
    )
    assert rich_text_blocks(html) == ["Vaya al centro de salud.", "Use condón", "Siempre en pareja"]


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("Hola. ¿Cómo está? Bien.", ["Hola.", "¿Cómo está?", "Bien."]),
        ("La Dra. López atiende. Gracias.", ["La Dra. López atiende.", "Gracias."]),
        ("Viajó a EE. UU. Volvió.", ["Viajó a EE. UU. Volvió."]),
        ("Son 30 min. Después sigue.", ["Son 30 min.", "Después sigue."]),
    ],
)
def test_split_sentences(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.django_db
def test_guide_reads_intro_then_every_section_in_order():
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    sections = speech_sections(guide)
    assert sections[0].id == INTRO_ID
    assert sections[0].sentences[0] == guide.title + "."
    assert [s.id for s in sections[1:]] == [str(b.id) for b in guide.sections]
    first = guide.sections[0].value
    assert sections[1].sentences[0].startswith(first["heading"])
    for section in sections:
        assert "<" not in section.text and "http" not in section.text


@pytest.mark.django_db
def test_empty_sections_are_skipped():
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    raw = guide.sections.get_prep_value()
    raw.append(
        {
            "type": "section",
            "id": "00000000-0000-4000-8000-000000000000",
            "value": {"heading": "Vacía", "body": "<p></p>", "key_point": "", "pictogram": ""},
        }
    )
    guide.sections = raw
    ids = [s.id for s in speech_sections(guide)]
    assert "00000000-0000-4000-8000-000000000000" not in ids
    assert len(ids) == len(guide.sections)  # intro + all others


def test_a_remembered_reading_is_the_reading_and_the_memo_stays_bounded(monkeypatch):
    """Readings are kept under a digest of their strings (memory, #13): a changed string is a
    new reading, and the oldest is forgotten once READINGS_KEPT are held."""
    from audio.text import speech

    monkeypatch.setattr(speech, "READINGS_KEPT", 2)
    monkeypatch.setattr(speech, "_readings", type(speech._readings)())
    value = {"heading": "Salud", "key_point": "", "body": "<p>Una frase. Otra frase.</p>"}
    first = speech.block_section("a", value)
    assert speech.block_section("a", dict(value)) is first
    changed = speech.block_section("a", {**value, "body": "<p>Una frase. Otra distinta.</p>"})
    assert changed.sentences == ("Salud.", "Una frase.", "Otra distinta.")
    speech.block_section("b", value)
    assert len(speech._readings) == 2
    assert speech.block_section("a", value) is not first  # forgotten, read again
    assert speech.block_section("a", value) == first
