import uuid

import pytest


@pytest.fixture(autouse=True)
def fresh_api_caches(settings):
    """Each test starts with empty API caches and no throttling.

    Tests run in rolled-back transactions: a document cached by an earlier
    test would describe data that no longer exists.
    """
    from django.core.cache import cache

    from cms.api import snapshot, state

    settings.ALTAVOZ_API_ANON_RATE = ""

    def reset():
        cache.clear()
        state.remember(None)
        snapshot.forget_local()

    reset()
    yield
    reset()


@pytest.fixture
def api(client, db):
    """An anonymous client; JSON bodies via response.json()."""
    return client


def section(
    heading,
    body="<p>Texto de la sección. Otra frase.</p>",
    key_point="",
    pictogram="health",
    section_id=None,
):
    return {
        "type": "section",
        "id": section_id or str(uuid.uuid4()),
        "value": {"heading": heading, "body": body, "key_point": key_point, "pictogram": pictogram},
    }


@pytest.fixture
def make_guide(db):
    """Build (and by default publish) a Spanish guide under the Spanish home."""
    from cms.models import GuidePage, HomePage

    def make(
        slug="guia-prueba",
        title="Guía de prueba",
        publish=True,
        sections=None,
        parent=None,
        **fields,
    ):
        home = parent or HomePage.objects.get(locale__language_code="es")
        values = {
            "title": title,
            "slug": slug,
            "place_name": "Mixco",
            "department": "Guatemala",
            "summary": "Una guía de prueba.",
            "last_reviewed": "2026-11-01",
            "discreet_title": "Notas",
            "sections": sections or [section("¿Dónde hay condones?"), section("¿Y la PrEP?")],
        }
        values.update(fields)
        guide = home.add_child(instance=GuidePage(live=False, **values))
        if publish:
            guide.save_revision().publish()
            guide.refresh_from_db()
        return guide

    return make


@pytest.fixture
def make_rendition(db):
    """A live Rendition row (no file written: the API only describes files)."""
    from audio.models import Rendition

    def make(page, variant="listen", content_hash="0" * 64, sections=None, **fields):
        base = f"audio/renditions/{page.pk}/{uuid.uuid4().hex[:16]}"
        values = {
            "engine": "espeak",
            "voice": "es-419",
            "audio": f"{base}-{variant}.mp3",
            "captions": f"{base}.vtt",
            "chapters": f"{base}.chapters.json",
            "mime_type": "audio/mpeg",
            "bitrate": 32000,
            "duration": 12.5,
            "size_bytes": 50000,
            "sha256": "ab" * 32,
            "sections": sections if sections is not None else [],
            "content_hash": content_hash,
        }
        values.update(fields)
        return Rendition.objects.create(page=page, variant=variant, **values)

    return make


def get_json(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response.json()


def guide_ids(listing):
    return [item["id"] for item in listing["items"]]
