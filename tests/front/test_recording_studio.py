"""The recording studio in a real browser (headless Chromium, issue #14 part 5): a Kaqchikel
translator records a section with the microphone, listens back, keeps the take, and after the
worker's job the Kaqchikel rendition plays it.

Chromium's fake microphone plays a WAV this test makes (tones with pauses, like speech with
breaths): ``--use-fake-device-for-media-stream`` and ``--use-file-for-fake-audio-capture``;
``--use-fake-ui-for-media-stream`` answers the permission prompt.
"""

import wave

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Collection
from wagtail.users.models import UserProfile

from . import conftest
from .conftest import FIRST, PHONE, add_test_guide
from .test_draft_listening import signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RATE = 48000


def write_voice_like_wav(path, bursts=4):
    """Tones of 0.45 s with 0.25 s pauses, 16-bit mono: loud enough to pass the silence check."""
    t = np.arange(int(0.45 * RATE)) / RATE
    tone = 0.35 * np.sin(2 * np.pi * 220 * t) * np.hanning(len(t))
    pause = np.zeros(int(0.25 * RATE))
    pcm = np.concatenate([np.concatenate([tone, pause]) for _ in range(bursts)])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((pcm * 32767).astype(np.int16).tobytes())
    return path


@pytest.fixture
def fake_microphone(tmp_path, monkeypatch):
    """Chromium, for this test, with a microphone that plays our WAV."""
    wav = write_voice_like_wav(tmp_path / "voz.wav")
    monkeypatch.setattr(
        conftest,
        "CHROMIUM_ARGS",
        [
            *conftest.CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
        ],
    )
    return wav


@pytest.fixture
def kaqchikel_translation(live_server):
    """TEST_GUIDE in Spanish and its Kaqchikel translation (not translated yet), and an account
    in the Kaqchikel translators' group."""
    from cms.accounts.groups import setup_groups
    from cms.localization import submit_translation
    from cms.models import GuidePage
    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home, _ = ensure_home_page("Guías para escuchar")
    guide = add_test_guide(home)
    submit_translation(guide, "cak")
    cak = GuidePage.objects.get(translation_key=guide.translation_key, locale__language_code="cak")
    # Emptying the database after an earlier browser test removed what migrations made
    # (post_migrate brings back only the models' own permissions): the root collection and
    # wagtail-localize's permission, which setup_groups gives out.
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    translation_type, _ = ContentType.objects.get_or_create(
        app_label="wagtail_localize", model="translation"
    )
    Permission.objects.get_or_create(
        content_type=translation_type,
        codename="submit_translation",
        defaults={"name": "Can submit translations"},
    )
    setup_groups()
    translator = get_user_model().objects.create_user("traductora-cak-estudio")
    translator.groups.add(Group.objects.get(name="Traductores (cak)"))
    profile = UserProfile.get_for_user(translator)
    profile.preferred_language = "es"  # the admin in Spanish, whatever the browser's language
    profile.save()
    return cak, translator


def test_a_translator_records_a_section_keeps_it_and_the_kaqchikel_audio_plays_it(
    fake_microphone, browser, live_server, kaqchikel_translation
):
    from audio.clips import recording_clip_key
    from audio.jobs import run_job
    from audio.models import Rendition, SectionRecording
    from audio.recordings import recording_statuses

    cak, translator = kaqchikel_translation
    total = len(recording_statuses(cak))
    context = signed_in_context(browser, live_server, translator)
    page = context.new_page()
    page.set_viewport_size(PHONE["viewport"])  # a translator's phone
    page.goto(f"{live_server.url}/admin/audio/studio/{cak.pk}/")
    assert f"0 de {total} secciones grabadas" in page.locator("[data-studio-progress]").inner_text()
    page.locator(f'[data-studio-section="{FIRST}"]').click()

    assert "Lo más importante va primero." in page.locator(".altavoz-studio-text").inner_text()
    page.locator("[data-studio-record]").click()
    page.locator("[data-studio-stop]").wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(2_500)  # "reading aloud"
    page.locator("[data-studio-stop]").click()
    page.locator("[data-studio-take-box]").wait_for(state="visible", timeout=10_000)
    page.locator("[data-studio-keep]").click()

    status = page.locator('[data-studio-status][data-kind="done"]')
    status.wait_for(timeout=30_000)
    assert "Grabación guardada" in status.inner_text()
    progress = page.locator("[data-studio-progress]").first.inner_text()
    assert f"1 de {total} secciones grabadas" in progress
    assert page.locator("[data-studio-current-audio]").get_attribute("src")
    assert page.locator("[data-studio-record]").is_visible()  # ready for the next take
    assert page.locator("[data-recording-state]").first.inner_text() == "Al día"
    context.close()

    recording = SectionRecording.objects.get(page=cak, section_id=FIRST)
    assert recording.audio.name.endswith(".webm") and recording.duration > 1.5
    assert recording.uploaded_by == translator
    run_job(cak.pk)  # what the worker does with the job the take queued
    renditions = Rendition.objects.filter(page=cak, state="live")
    assert {r.variant for r in renditions} == {"listen", "lowdata"}
    for rendition in renditions:
        assert rendition.engine == "recorded"
        assert [s["id"] for s in rendition.sections] == [FIRST]
        assert recording_clip_key(recording) in rendition.clip_keys
        assert rendition.duration > 1.0
