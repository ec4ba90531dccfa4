"""Every sentence the audio reads is marked in the page with its caption cue id.

The player lights up the sentence being read from the captions' cue ids
(``{section id}-{sentence index}``): a cue that does not exist in the page is a
sentence that never lights up, and a wrong index lights up the wrong one.
"""

import re
from html.parser import HTMLParser

import pytest

from audio.jobs import run_job
from audio.models import Rendition
from audio.text import speech_sections
from cms.models import GuidePage
from cms.reading import mark_rich_text, mark_text

from .conftest import EMPTY, FIRST, SECOND, THIRD

pytestmark = pytest.mark.django_db


class Marks(HTMLParser):
    """Cue ids in document order, and the text each sentence span holds."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.order, self.text, self.open = [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-cue"):
            self.order.append(attrs["data-cue"])
            self.text[attrs["data-cue"]] = ""
        for cue in (attrs.get("data-cues") or "").split():
            self.order.append(cue)
        self.open.append(attrs.get("data-cue"))

    def handle_endtag(self, tag):
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        for cue in self.open:
            if cue:
                self.text[cue] += data


def marks_in(html):
    parser = Marks()
    parser.feed(html)
    return parser


def vtt_cue_ids(text):
    lines = text.splitlines()
    return [lines[i - 1] for i, line in enumerate(lines) if "-->" in line]


def read_ids(page):
    return [f"{s.id}-{i}" for s in speech_sections(page) for i in range(len(s.sentences))]


def test_every_cue_of_the_generated_captions_is_in_the_page(client, test_guide):
    run_job(test_guide.pk)
    listen = Rendition.objects.get(page=test_guide, variant="listen", state="live")
    cues = vtt_cue_ids(listen.captions.read().decode())
    assert len(cues) == len(read_ids(test_guide))

    html = client.get(test_guide.url).content.decode()
    marks = marks_in(html)
    assert [c for c in cues if c not in marks.order] == []
    assert marks.order == cues  # and in the same order: one mark per sentence


def test_plain_sentences_have_their_own_span_and_inline_markup_marks_the_block(client, test_guide):
    html = client.get(test_guide.url).content.decode()
    marks = marks_in(html)
    assert marks.text["intro-0"] == "Guía de prueba"
    assert marks.text["intro-1"] == "Una guía corta para probar la página."
    assert marks.text[f"{FIRST}-0"] == "¿Qué hay aquí?"
    assert marks.text[f"{FIRST}-1"] == "Lo más importante va primero."
    # Bold inside: the paragraph carries both of its sentences, the bold stays.
    assert (
        f'<p data-cues="{FIRST}-2 {FIRST}-3">Esta es la <b>primera</b> parte. Tiene dos frases.</p>'
        in html
    )
    # List items: a plain one is a sentence span, one with a link marks the item.
    assert f'<li><span data-cue="{FIRST}-4">Un punto</span></li>' in html
    assert (
        f'<li data-cues="{FIRST}-5">Otro punto con '
        '<a href="https://example.org/">un enlace</a>.</li>' in html
    )
    assert marks.text[f"{SECOND}-1"] == "Vaya al centro de salud."
    assert marks.text[f"{SECOND}-3"] == "Lleve su documento."
    assert f'<p data-cues="{THIRD}-1 {THIRD}-2">' in html
    # A section with nothing to read has no audio and no marks.
    assert EMPTY not in " ".join(marks.order)


@pytest.mark.parametrize("language", ["es", "en", "cak"])
@pytest.mark.parametrize("slug", ["mixco", "patzun"])
def test_demo_guides_mark_every_sentence_they_read_in_reading_order(client, slug, language):
    page = GuidePage.objects.get(slug=slug, locale__language_code=language)
    shown = (
        page if language != "cak" else GuidePage.objects.get(slug=slug, locale__language_code="es")
    )
    html = client.get(page.url).content.decode()
    assert marks_in(html).order == read_ids(shown)


def test_marked_text_stays_escaped():
    html, after = mark_text("Use <script>alert(1)</script> & más. Fin.", "s", 3)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; más." in html
    assert after == 5
    body, index, _blocks = mark_rich_text("<p>Uno &lt;dos&gt;. Tres.</p>", "s", 0)
    assert (
        body
        == '<p><span data-cue="s-0">Uno &lt;dos&gt;.</span> <span data-cue="s-1">Tres.</span></p>'
    )
    assert index == 2


def test_a_hostile_block_id_stays_inside_its_attribute():
    """Block ids are posted by the edit form: one with quotes must not open a new attribute or
    tag."""
    hostile = 'x" onmouseover="alert(1)"><script>alert(2)</script>'

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tags, self.attributes, self.cues = set(), set(), []

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            self.attributes.update(name for name, _value in attrs)
            self.cues += [value for name, value in attrs if name in ("data-cue", "data-cues")]

    html, _after = mark_text("Uno. Dos.", hostile, 0)
    body, _index, _blocks = mark_rich_text("<p>Uno <b>dos</b>.</p>", hostile, 0)
    parsed = Tags()
    parsed.feed(html + body)
    assert parsed.tags <= {"span", "p", "b"}
    assert parsed.attributes <= {"data-cue", "data-cues"}
    assert f"{hostile}-0" in parsed.cues and f"{hostile}-1" in parsed.cues


def test_a_heading_of_two_sentences_shifts_the_rest():
    html, after = mark_text("¿Le detuvieron? Sepa esto", "s", 0)
    assert (
        html == '<span data-cue="s-0">¿Le detuvieron?</span> <span data-cue="s-1">Sepa esto</span>'
    )
    assert after == 2


def test_nested_lists_and_line_breaks_keep_their_markup():
    source = "<ul><li>Arriba<ul><li>Abajo uno. Abajo dos.</li></ul></li></ul><p>Línea<br/>otra</p>"
    body, index, blocks = mark_rich_text(source, "s", 0)
    assert blocks == ["Arriba", "Abajo uno. Abajo dos.", "Línea otra"]
    assert index == 4
    assert body == (
        '<ul><li><span data-cue="s-0">Arriba</span><ul><li><span data-cue="s-1">Abajo uno.</span> '
        '<span data-cue="s-2">Abajo dos.</span></li></ul></li></ul>'
        '<p data-cues="s-3">Línea<br/>otra</p>'
    )
    unmarked = re.sub(r' data-cues="[^"]*"|<span data-cue="[^"]*">|</span>', "", body)
    assert unmarked == source
