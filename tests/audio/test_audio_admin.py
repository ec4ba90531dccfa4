"""What editors see and do: status, players, regenerate, recordings."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audio.jobs import run_job
from audio.models import AudioJob, Rendition, SectionRecording
from audio.recordings import recording_statuses
from audio.voices import voices_for
from cms.localization import fill_translation, sync_translations, translation_for

from .fake_google import ScriptedAdapter, audio_reply, sine_mp3, use_fake_google
from .fixtures import make_audio_file

pytestmark = pytest.mark.django_db
FIRST = "11111111-1111-4111-8111-111111111111"
THIRD = "33333333-3333-4333-8333-333333333333"


def upload(client, page, section_id, content, name="grabacion.wav"):
    return client.post(
        reverse("altavoz_audio:recordings", args=[page.pk]),
        {"section_id": section_id, "audio": SimpleUploadedFile(name, content)},
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_page_editor_shows_status_voice_and_players(admin_client, small_guide):
    run_job(small_guide.pk)
    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[small_guide.pk])
    ).content.decode()
    assert 'data-audio-state="ready"' in html
    assert "espeak" in html and "es-419" in html
    for rendition in Rendition.objects.filter(page=small_guide, state="live"):
        assert f'src="{rendition.audio.url}"' in html
    assert reverse("altavoz_audio:regenerate", args=[small_guide.pk]) in html


def test_regenerate_queues_a_forced_job(admin_client, small_guide):
    run_job(small_guide.pk)
    response = admin_client.post(reverse("altavoz_audio:regenerate", args=[small_guide.pk]))
    assert response.status_code == 302
    job = AudioJob.objects.get(page=small_guide)
    assert job.state == "queued" and job.force


def test_report_lists_every_guide_and_locale(admin_client, small_guide):
    run_job(small_guide.pk)
    html = admin_client.get(reverse("altavoz_audio:report")).content.decode()
    assert "Guía corta" in html and "Mixco: salud, derechos y seguridad" in html
    assert 'data-audio-state="ready"' in html


def list_synthetic_voices_for_kaqchikel(settings):
    """Misconfigured (ALTAVOZ_VOICES_CAK=gtts,espeak,recorded), with a working fake Google:
    the policy, not the configuration, must keep both voices away from Kaqchikel."""
    google = ScriptedAdapter(audio_reply(sine_mp3()))
    use_fake_google(settings, google)
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "cak": ["gtts", "espeak", "recorded"]}
    return google


def test_a_synthetic_voice_listed_for_kaqchikel_never_reads_it(
    kaqchikel_guide, small_guide, settings, synth_calls, django_capture_on_commit_callbacks
):
    """On a fully translated page, Google or espeak would read Kaqchikel with a Spanish voice.
    They are skipped, and `manage.py check` says why."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    google = list_synthetic_voices_for_kaqchikel(settings)
    translation = translation_for(small_guide, "cak")
    with django_capture_on_commit_callbacks(execute=True):  # published, so the text is complete
        fill_translation(
            translation,
            {e.msgid: f"{e.msgid} (cak)" for e in translation.export_po() if not e.obsolete},
        )
    assert [v.engine_name for v in voices_for("cak")] == ["recorded"]

    run_job(kaqchikel_guide.pk)
    assert synth_calls == [] and google.sent == []
    assert not Rendition.objects.filter(page=kaqchikel_guide).exists()
    with pytest.raises(SystemCheckError, match="altavoz.W001"):
        call_command("check", fail_level="WARNING")


def test_spanish_can_be_read_by_human_recordings_too(
    admin_client, small_guide, settings, synth_calls
):
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": ["recorded", "espeak"]}
    for section_id in ["intro", FIRST, THIRD]:
        upload(admin_client, small_guide, section_id, make_audio_file(1.5))
    run_job(small_guide.pk)
    renditions = Rendition.objects.filter(page=small_guide, state="live")
    assert {(r.engine, r.voice) for r in renditions} == {("recorded", "human")}
    assert synth_calls == []  # one voice per file: no espeak filling in


def test_kaqchikel_audio_comes_only_from_recordings(
    admin_client, kaqchikel_guide, settings, synth_calls
):
    google = list_synthetic_voices_for_kaqchikel(settings)
    run_job(kaqchikel_guide.pk)
    assert not Rendition.objects.filter(page=kaqchikel_guide).exists()  # no synthetic Kaqchikel
    assert synth_calls == [] and google.sent == []

    for section_id in ["intro", FIRST, THIRD]:
        response = upload(admin_client, kaqchikel_guide, section_id, make_audio_file(1.5))
        assert any("Grabación guardada" in m for m in messages_of(response))
    assert AudioJob.objects.get(page=kaqchikel_guide).state == "queued"
    run_job(kaqchikel_guide.pk)
    renditions = Rendition.objects.filter(page=kaqchikel_guide, state="live")
    assert {r.engine for r in renditions} == {"recorded"}
    assert {r.variant for r in renditions} == {"listen", "lowdata"}
    assert [s["id"] for s in renditions[0].sections] == ["intro", FIRST, THIRD]
    assert synth_calls == [] and google.sent == []  # the sections with no recording stay silent


def test_recording_goes_stale_when_the_spanish_section_changes(
    admin_client, small_guide, kaqchikel_guide
):
    upload(admin_client, kaqchikel_guide, FIRST, make_audio_file(1.0))
    assert [s.stale for s in recording_statuses(kaqchikel_guide) if s.recording] == [False]

    raw = small_guide.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>Texto cambiado en español.</p>"
    small_guide.sections = raw
    small_guide.save_revision().publish()
    sync_translations(small_guide)

    html = admin_client.get(
        reverse("altavoz_audio:recordings", args=[kaqchikel_guide.pk])
    ).content.decode()
    assert 'data-recording-state="stale"' in html
    assert 'data-recording-state="missing"' in html


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("vacia.wav", b"", "vacío"),
        ("foto.mp3", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "No se puede leer como audio"),
        ("texto.txt", b"hola", "Suba un archivo de audio"),
        ("ruido.wav", bytes(range(256)) * 40, "No se puede leer como audio"),
    ],
)
def test_bad_recordings_are_refused_and_nothing_is_stored(
    admin_client, kaqchikel_guide, name, content, message
):
    response = upload(admin_client, kaqchikel_guide, FIRST, content, name=name)
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert not SectionRecording.objects.exists()


@pytest.mark.parametrize(
    "name, container, codec, actual",
    [("grabacion.ogg", "flac", "flac", "FLAC"), ("grabacion.mp3", "wav", "pcm_s16le", "WAV")],
)
def test_a_recording_whose_content_is_not_what_its_extension_says_is_refused(
    admin_client, kaqchikel_guide, name, container, codec, actual
):
    """The extension is checked against the container FFmpeg finds, not trusted."""
    mislabelled = make_audio_file(1.0, container=container, codec=codec)
    response = upload(admin_client, kaqchikel_guide, FIRST, mislabelled, name=name)
    assert any(
        "no corresponde a su extensión" in m and actual in m for m in messages_of(response)
    ), messages_of(response)
    assert not SectionRecording.objects.exists()


@pytest.mark.parametrize(
    "name, container, codec, rate",
    [
        ("a.wav", "wav", "pcm_s16le", 44100),
        ("a.mp3", "mp3", "libmp3lame", 44100),
        ("a.ogg", "ogg", "libopus", 48000),
        ("a.opus", "ogg", "libopus", 48000),
        ("a.m4a", "mp4", "aac", 44100),
        ("A.M4A", "ipod", "aac", 44100),
    ],
)
def test_recordings_of_every_accepted_kind_pass_the_check(name, container, codec, rate):
    from audio.uploads import check_recording

    data = make_audio_file(1.0, container=container, codec=codec, rate=rate)
    _data, info = check_recording(SimpleUploadedFile(name, data))
    assert round(info.duration_seconds) == 1


def test_too_long_and_too_large_recordings_are_refused(admin_client, kaqchikel_guide, settings):
    settings.ALTAVOZ_RECORDING_MAX_SECONDS = 1
    response = upload(admin_client, kaqchikel_guide, FIRST, make_audio_file(2.0))
    assert any("demasiado larga" in m for m in messages_of(response))
    settings.ALTAVOZ_RECORDING_MAX_SECONDS = 600
    settings.ALTAVOZ_RECORDING_MAX_BYTES = 1000
    response = upload(admin_client, kaqchikel_guide, FIRST, make_audio_file(2.0))
    assert any("pesa demasiado" in m for m in messages_of(response))
    assert not SectionRecording.objects.exists()


def test_replacing_a_recording_keeps_one_per_section(admin_client, kaqchikel_guide):
    upload(admin_client, kaqchikel_guide, FIRST, make_audio_file(1.0))
    first = SectionRecording.objects.get()
    mp3 = make_audio_file(2.0, container="mp3", codec="libmp3lame")
    upload(admin_client, kaqchikel_guide, FIRST, mp3, name="grabacion.mp3")
    second = SectionRecording.objects.get()
    assert second.pk != first.pk and round(second.duration) == 2
    assert not first.audio.storage.exists(first.audio.name)
