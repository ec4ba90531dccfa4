"""The audio tab speaks to editors: what happened, what the listener gets, what happens next.

Each class of failure is made for real (a scripted Google, a broken offline voice, a full
disk, a lost recording, a failing encoder, a silent worker) and the tab is read in Spanish and
in English: plain sentences in the editor's language, the engine's own message only inside
the folded-away technical detail.
"""

import html
import re
from datetime import timedelta

import pytest
import requests
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from audio.admin.wording import format_duration
from audio.jobs import run_job
from audio.models import AudioJob, SectionRecording

from .fake_google import ScriptedAdapter, make_response, status_reply, use_fake_google
from .fixtures import edit_section, make_audio_file
from .test_audio_admin import FIRST, upload

pytestmark = pytest.mark.django_db

UNREACHABLE = requests.exceptions.ConnectionError(
    "HTTPSConnectionPool(host='translate.google.com.mx', port=443): NameResolutionError"
)


def garbage(request):
    return make_response(request, 200, b"<html>garbage</html>")


def tab(client, user, page, language):
    """The page editor's HTML with the admin in ``language`` (the account's preference)."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    if page is None:
        return ""
    return client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()


def report(client, user, language):
    tab(client, user, None, language)
    return client.get(reverse("altavoz_audio:report")).content.decode()


def outside_details(page):
    """The panel's text without the folded technical detail."""
    return re.sub(r"<details>.*?</details>", "", page, flags=re.S)


def notice_text(page):
    found = re.findall(r"<div [^>]*data-audio-notice>(.*?)</div>", page, flags=re.S)
    assert found, "the tab shows no notice"
    return html.unescape(" ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", n)) for n in found))


@pytest.mark.parametrize(
    "failure, spanish, english",
    [
        (UNREACHABLE, "Google no respondió", "Google did not answer"),
        (
            status_reply(429),
            "Google rechazó los pedidos: eran demasiados (límite de uso)",
            "Google turned the requests away: there were too many (usage limit)",
        ),
        (
            status_reply(503),
            "Google estaba sobrecargado y no atendió",
            "Google was overloaded and did not serve the requests",
        ),
        (
            garbage,
            "Google respondió, pero sin un audio válido",
            "Google answered, but with no usable audio",
        ),
    ],
    ids=["unreachable", "429", "503", "garbage"],
)
def test_google_failing_is_told_with_the_voice_used_and_when_it_is_tried_again(
    admin_client, editor, small_guide, settings, failure, spanish, english
):
    settings.ALTAVOZ_VOICE_RETRY_AFTER_SECONDS = 1200  # from the setting, not a fixed "10"
    use_fake_google(settings, ScriptedAdapter(failure))
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).state == "ready"

    html = tab(admin_client, editor, small_guide, "es")
    words = notice_text(html)
    assert f"{spanish}; se usó la voz sin conexión." in words
    assert "Quien escucha oye la guía con la voz sin conexión." in words
    if failure is garbage:  # a wrong answer is not a passing trouble: no timed retry
        assert "La próxima generación del audio volverá a probar las voces en orden." in words
    else:
        assert "Se volverá a intentar con Google en 20 minutos" in words
    assert "gave up" not in outside_details(html) and "gave up" in html  # folded away

    words = notice_text(tab(admin_client, editor, small_guide, "en"))
    assert f"{english}; the offline voice was used." in words
    assert "Listeners hear the guide in the offline voice." in words
    if failure is not garbage:
        assert "Google will be tried again in 20 minutes" in words


def test_when_every_voice_fails_the_editor_is_told_the_old_audio_stays(
    admin_client, editor, small_guide, settings, monkeypatch
):
    from audio.engines import EngineUnavailable
    from audio.engines.espeak import EspeakEngine

    run_job(small_guide.pk)
    edit_section(small_guide, 0, "<p>Otra versión del texto.</p>")
    use_fake_google(settings, ScriptedAdapter(UNREACHABLE))

    def broken(self, text):
        raise EngineUnavailable("espeak-ng is not available: libespeak-ng.so.1: cannot open")

    monkeypatch.setattr(EspeakEngine, "synthesize", broken)
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).state == "failed"

    html = tab(admin_client, editor, small_guide, "es")
    words = notice_text(html)
    assert (
        "Ninguna voz pudo leer la guía: Google no respondió; "
        "la voz sin conexión no funciona en el servidor." in words
    )
    assert "Quien escucha sigue oyendo el audio anterior de esta guía." in words
    assert "Se volverá a intentar con Google en 10 minutos" in words
    assert "libespeak" not in outside_details(html) and "libespeak" in html

    words = notice_text(tab(admin_client, editor, small_guide, "en"))
    assert (
        "No voice could read the guide: Google did not answer; "
        "the offline voice does not work on the server." in words
    )
    assert "Listeners still hear this guide's previous audio." in words


def test_an_incomplete_translation_is_told_it_waits_for_the_translation(
    admin_client, editor, small_guide, django_capture_on_commit_callbacks
):
    from cms.localization import submit_translation
    from cms.models import GuidePage

    with django_capture_on_commit_callbacks(execute=True):
        submit_translation(small_guide, "en")
    english = GuidePage.objects.get(
        translation_key=small_guide.translation_key, locale__language_code="en"
    )
    run_job(english.pk)
    assert AudioJob.objects.get(page=english).state == "failed"
    words = notice_text(report(admin_client, editor, "es"))
    assert (
        "Ninguna voz pudo leer la guía: la voz sin conexión espera a que la traducción esté "
        "completa (no lee el texto en español)." in words
    )
    assert "El audio se hará solo cuando se publique la traducción completa." in words
    words = notice_text(report(admin_client, editor, "en"))
    assert "No voice could read the guide: the offline voice waits for the translation" in words
    assert "The audio will be made by itself once the complete translation is published." in words


def test_a_full_disk_is_told_as_storage_with_no_automatic_retry(
    admin_client, editor, small_guide, monkeypatch
):
    from audio import publishing

    def disk_full(storage, name, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publishing, "save_once", disk_full)
    run_job(small_guide.pk)
    html = tab(admin_client, editor, small_guide, "es")
    words = notice_text(html)
    assert "No se pudieron guardar los archivos de audio" in words
    assert "Quien escucha todavía no tiene audio de esta guía (solo el texto)." in words
    assert "No se volverá a intentar solo" in words
    assert "No space left" not in outside_details(html)

    words = notice_text(tab(admin_client, editor, small_guide, "en"))
    assert "The audio files could not be saved" in words
    assert "Listeners have no audio for this guide yet (only the text)." in words
    assert "It will not be tried again by itself" in words


def test_a_failing_encoder_is_told_as_a_mastering_failure(
    admin_client, editor, small_guide, monkeypatch
):
    from audio.mastering import encode

    def broken_encoder(*args, **kwargs):
        raise RuntimeError("avcodec_open2(libmp3lame): Invalid argument")

    monkeypatch.setattr(encode, "encode_variant", broken_encoder)
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).state == "failed"
    words = notice_text(tab(admin_client, editor, small_guide, "es"))
    assert "Falló el procesamiento del sonido" in words
    words = notice_text(tab(admin_client, editor, small_guide, "en"))
    assert "Processing the sound failed" in words


def test_a_recording_whose_file_is_gone_is_told_as_missing(admin_client, editor, kaqchikel_guide):
    upload(admin_client, kaqchikel_guide, FIRST, make_audio_file(1.0))
    recording = SectionRecording.objects.get(page=kaqchikel_guide)
    default_storage.delete(recording.audio.name)
    run_job(kaqchikel_guide.pk)
    assert AudioJob.objects.get(page=kaqchikel_guide).state == "failed"
    # A translation is edited in wagtail-localize's editor: the audio report tells it.
    words = notice_text(report(admin_client, editor, "es"))
    assert "Falta el archivo de una grabación de esta guía, o no se puede leer." in words
    words = notice_text(report(admin_client, editor, "en"))
    assert "A recording's file for this guide is missing or cannot be read." in words


def test_a_worker_that_stopped_mid_job_is_told_with_its_takeover(
    admin_client, editor, small_guide, settings
):
    settings.ALTAVOZ_AUDIO_STALL_SECONDS = 900
    run_job(small_guide.pk)
    AudioJob.objects.filter(page=small_guide).update(
        state="running", worker="host:123", heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    words = notice_text(tab(admin_client, editor, small_guide, "es"))
    assert "El proceso que generaba el audio dejó de responder." in words
    assert "Se volverá a poner en cola en 5 minutos" in words
    words = notice_text(tab(admin_client, editor, small_guide, "en"))
    assert "The process making the audio stopped answering." in words
    assert "queued again in 5 minutes" in words


def test_variants_states_and_durations_are_in_the_editors_words(admin_client, editor, small_guide):
    run_job(small_guide.pk)
    html = tab(admin_client, editor, small_guide, "es")
    assert "Normal (MP3)" in html and "Ahorro de datos (WebM)" in html
    assert re.search(r'data-audio-state="ready">\s*listo<', html)
    assert re.search(r"<td>0:\d\d</td>", html)  # a few seconds, as m:ss
    assert not re.search(r"\d s</td>", html)
    html = tab(admin_client, editor, small_guide, "en")
    assert "Normal (MP3)" in html and "Low data (WebM)" in html
    assert re.search(r'data-audio-state="ready">\s*ready<', html)

    assert re.search(r"Low data \(WebM\): ready \(0:\d\d\)", report(admin_client, editor, "en"))


def test_durations_read_as_minutes_and_seconds_and_hours_when_long():
    assert format_duration(860) == "14:20"
    assert format_duration(59.6) == "1:00"
    assert format_duration(5) == "0:05"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(36000) == "10:00:00"
