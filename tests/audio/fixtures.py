"""Shared test data for audio, front, API and radio tests (registered in tests/conftest.py)."""

import pytest


def spanish_home():
    """The Spanish home page; a transactional test starts from an emptied database, so the
    site's locales and home come back first when they are gone."""
    from cms.models import HomePage
    from cms.site_setup import ensure_home_page, ensure_locales

    home = HomePage.objects.filter(locale__language_code="es").first()
    if home is None:
        ensure_locales()
        home = ensure_home_page("Inicio")[0]
    return home


def publish_guide(slug, sections, title=None, summary="Una guía de prueba.", home=None):
    """Publish a Spanish guide under ``home`` (default: the Spanish home page).

    ``sections`` are StreamField section dicts, or their values (heading, body, ...)
    for sections that need no fixed id.
    """
    from cms.models import GuidePage

    home = home or spanish_home()
    blocks = [
        section if "type" in section else {"type": "section", "value": section}
        for section in sections
    ]
    guide = home.add_child(
        instance=GuidePage(
            title=title or f"Guía {slug}",
            slug=slug,
            place_name="Mixco",
            department="Guatemala",
            summary=summary,
            last_reviewed="2026-11-01",
            discreet_title="Notas",
            sections=blocks,
        )
    )
    guide.save_revision().publish()
    return guide


def section_value(heading, body, pictogram=""):
    return {"heading": heading, "body": body, "key_point": "", "pictogram": pictogram}


@pytest.fixture
def small_guide(db):
    """A short published Spanish guide: three sections, one of them empty."""
    return publish_guide(
        "guia-corta",
        [
            {
                "type": "section",
                "id": "11111111-1111-4111-8111-111111111111",
                "value": section_value(
                    "¿Dónde hay condones?",
                    "<p>En el centro de salud. Pregunte con confianza.</p>",
                    "health",
                ),
            },
            {
                "type": "section",
                "id": "22222222-2222-4222-8222-222222222222",
                "value": section_value("Vacía", "<p> </p>"),
            },
            {
                "type": "section",
                "id": "33333333-3333-4333-8333-333333333333",
                "value": section_value(
                    "¿Y la PrEP?", "<ul><li>Previene el VIH</li><li>Cuesta Q25</li></ul>", "health"
                ),
            },
        ],
        title="Guía corta",
    )


def borrow_audio(page, donor):
    """Give ``page`` live renditions that reuse ``donor``'s files (no synthesis).

    Section offsets are made up but in reading order: enough for the player,
    the page weight and accessibility, which do not depend on what is said.
    """
    from audio.models import Rendition
    from audio.text import speech_sections

    sections = [
        {"id": s.id, "heading": s.heading, "start": float(i * 10), "end": float(i * 10 + 9)}
        for i, s in enumerate(speech_sections(page))
    ]
    for rendition in Rendition.objects.filter(page=donor, state=Rendition.State.LIVE):
        rendition.pk = None
        rendition.page = page
        rendition.sections = sections
        rendition.save()


@pytest.fixture
def synth_calls(monkeypatch):
    """Counts real espeak synthesis calls (the engine still runs)."""
    from audio.engines.espeak import EspeakEngine

    calls = []
    original = EspeakEngine.synthesize

    def counting(self, text):
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(EspeakEngine, "synthesize", counting)
    return calls


def make_audio_file(seconds=2.0, container="wav", codec="pcm_s16le", rate=44100, frequency=330.0):
    """Bytes of a real audio file (a tone with a speech-like envelope)."""
    import numpy as np

    from audio.mastering import encode_samples

    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    samples = (0.3 * envelope * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    if codec == "pcm_s16le":
        samples = (samples * 32767).astype(np.int16)
    return encode_samples(samples, rate, codec=codec, container=container)


@pytest.fixture
def kaqchikel_guide(small_guide, django_capture_on_commit_callbacks):
    """The Kaqchikel translation of small_guide (submitted, text not translated)."""
    from cms.localization import submit_translation
    from cms.models import GuidePage

    # wagtail-localize publishes translated pages on commit.
    with django_capture_on_commit_callbacks(execute=True):
        submit_translation(small_guide, "cak")
    return GuidePage.objects.get(
        translation_key=small_guide.translation_key, locale__language_code="cak"
    )


def live(page):
    """A page's live renditions by variant."""
    from audio.models import Rendition

    return {r.variant: r for r in Rendition.objects.filter(page=page, state="live")}


def rendition_for(page, name, data):
    """A live rendition row of ``page`` whose audio is the stored file ``name`` (public if ``page``
    is)."""
    from audio.models import Rendition

    return Rendition.objects.create(
        page=page,
        variant="listen",
        engine="espeak",
        voice="es-419",
        audio=name,
        chapters=name,
        mime_type="audio/mpeg",
        duration=1.0,
        size_bytes=len(data),
        sha256="0" * 64,
        content_hash="0" * 64,
    )


def edit_section(page, index, body):
    """Publish `page` with section `index`'s body replaced."""
    raw = page.sections.get_prep_value()
    raw[index]["value"]["body"] = body
    page.sections = raw
    page.save_revision().publish()


@pytest.fixture
def task_backend():
    """The dummy task backend, emptied: it keeps results across tests, and page ids come round
    again."""
    from django_tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend


def audio_tasks_for(page):
    """The audio tasks the dummy backend holds for a page."""
    from django_tasks import default_task_backend

    return [
        r
        for r in default_task_backend.results
        if r.task.name == "generate_page_audio_task" and r.args == [page.pk]
    ]
