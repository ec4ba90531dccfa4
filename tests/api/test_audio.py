"""Audio in the API: what a client needs to download, verify and seek in each file."""

import hashlib

from django.core.files.storage import default_storage

from audio.models import AudioJob, SectionRecording
from audio.status import current_content_hash, page_audio_status
from audio.text import speech_sections
from cms.models import GuidePage

from .conftest import get_json


def current_hash(page):
    return current_content_hash(page, "espeak", "es-419")


def test_rendition_has_everything_to_download_and_verify_it(api, make_guide, make_rendition):
    guide = make_guide()
    rendition = make_rendition(guide, content_hash=current_hash(guide))
    audio = get_json(api, f"/api/v2/guides/{guide.pk}/")["audio"]
    assert audio["language"] == "es" and audio["fallback"] is False
    (returned,) = audio["renditions"]
    assert returned == {
        "id": rendition.pk,
        "variant": "listen",
        "language": "es",
        "url": f"http://127.0.0.1:8000/media/{rendition.audio.name}",
        "mime_type": "audio/mpeg",
        "bitrate": 32000,
        "duration": 12.5,
        "bytes": 50000,
        "sha256": "ab" * 32,
        "engine": "espeak",
        "voice": "es-419",
        "generated_at": rendition.generated_at.isoformat().replace("+00:00", "Z"),
        "status": "ready",
        "chapters_url": f"http://127.0.0.1:8000/media/{rendition.chapters.name}",
        "captions_url": f"http://127.0.0.1:8000/media/{rendition.captions.name}",
        "loudness_lufs": None,
        "true_peak_dbtp": None,
    }


def test_status_is_stale_when_the_text_changed_and_nothing_is_being_made(
    api, make_guide, make_rendition
):
    guide = make_guide()
    AudioJob.objects.filter(page=guide).update(state=AudioJob.State.FAILED)
    make_rendition(guide, content_hash="f" * 64)
    audio = get_json(api, f"/api/v2/guides/{guide.pk}/")["audio"]
    assert audio["status"] == audio["renditions"][0]["status"] == "stale"
    assert [v.state for v in page_audio_status(guide).variants if v.rendition] == ["stale"]


def test_status_is_pending_while_new_audio_is_queued(api, make_guide, make_rendition):
    guide = make_guide()  # publishing queued a job
    make_rendition(guide, content_hash="f" * 64)
    assert AudioJob.objects.get(page=guide).state == AudioJob.State.QUEUED
    audio = get_json(api, f"/api/v2/guides/{guide.pk}/")["audio"]
    assert audio["generating"] is True
    assert audio["renditions"][0]["status"] == "pending"


def test_ready_status_agrees_with_the_admin_status(api, make_guide, make_rendition):
    guide = make_guide()
    AudioJob.objects.filter(page=guide).update(state=AudioJob.State.READY)
    make_rendition(guide, content_hash=current_hash(guide))
    make_rendition(
        guide,
        variant="lowdata",
        content_hash=current_hash(guide),
        mime_type='audio/webm; codecs="opus"',
    )
    audio = get_json(api, f"/api/v2/guides/{guide.pk}/")["audio"]
    assert [(r["variant"], r["status"]) for r in audio["renditions"]] == [
        ("listen", "ready"),
        ("lowdata", "ready"),
    ]
    assert {v.variant: v.state for v in page_audio_status(guide).variants} == {
        "listen": "ready",
        "lowdata": "ready",
    }


def test_sections_give_their_offsets_in_each_rendition(api, make_guide, make_rendition):
    guide = make_guide()
    first, second = [s.id for s in speech_sections(guide)][1:]
    listen = make_rendition(
        guide,
        sections=[
            {"id": "intro", "heading": "x", "start": 0.0, "end": 2.0},
            {"id": first, "heading": "x", "start": 3.0, "end": 6.5},
            {"id": second, "heading": "x", "start": 7.5, "end": 12.5},
        ],
    )
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    assert data["intro"]["audio"] == [
        {"rendition": listen.pk, "variant": "listen", "start": 0.0, "end": 2.0}
    ]
    assert [s["audio"] for s in data["sections"]] == [
        [{"rendition": listen.pk, "variant": "listen", "start": 3.0, "end": 6.5}],
        [{"rendition": listen.pk, "variant": "listen", "start": 7.5, "end": 12.5}],
    ]


def test_kaqchikel_guide_offers_spanish_audio_labelled_spanish(api, make_rendition):
    source = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    make_rendition(source)
    data = get_json(api, "/api/v2/guides/cak/mixco/")
    assert data["audio"]["language"] == "es" and data["audio"]["fallback"] is True
    assert {r["language"] for r in data["audio"]["renditions"]} == {"es"}


def test_kaqchikel_sections_say_whether_their_recording_is_current(api):
    source = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    cak = GuidePage.objects.get(locale__language_code="cak", slug="mixco")
    sections = speech_sections(source)
    current, stale = sections[1], sections[2]
    SectionRecording.objects.create(
        page=cak,
        section_id=current.id,
        audio="audio/recordings/a.wav",
        duration=3,
        source_text_hash=current.text_hash,
    )
    SectionRecording.objects.create(
        page=cak,
        section_id=stale.id,
        audio="audio/recordings/b.wav",
        duration=3,
        source_text_hash="0" * 64,
    )
    data = get_json(api, "/api/v2/guides/cak/mixco/")
    states = {s["id"]: s["recording"] for s in data["sections"]}
    assert states[current.id] == "current" and states[stale.id] == "stale"
    assert data["audio"]["recordings"]["current"] == 1 and data["audio"]["recordings"]["stale"] == 1
    assert {s["recording"] for s in get_json(api, "/api/v2/guides/es/mixco/")["sections"]} == {None}


def test_real_audio_can_be_verified_and_seeked(api, make_guide):
    """Generate a real rendition (espeak) and check what the API says against the file."""
    from audio.jobs import run_job

    guide = make_guide(title="Corta", summary="Breve.")
    run_job(guide.pk)
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    assert {r["variant"] for r in data["audio"]["renditions"]} == {"listen", "lowdata"}
    for rendition in data["audio"]["renditions"]:
        assert rendition["status"] == "ready"
        name = rendition["url"].split("/media/", 1)[1]
        with default_storage.open(name, "rb") as file:
            content = file.read()
        assert len(content) == rendition["bytes"]
        assert hashlib.sha256(content).hexdigest() == rendition["sha256"]
    for section in data["sections"]:
        offsets = {o["variant"]: (o["start"], o["end"]) for o in section["audio"]}
        assert set(offsets) == {"listen", "lowdata"}
        assert 0 <= offsets["listen"][0] < offsets["listen"][1] <= data["audio"]["duration"] + 0.5
