"""Publishing a guide gives it complete, consistent audio — and never loses the old one."""

import hashlib
import io
import json
import re

import av
import pytest
import requests
from django.core.files.storage import default_storage

from audio.jobs import request_audio, run_job
from audio.models import AudioJob, MasteredSegment, Rendition, SectionClip
from audio.status import page_audio_status
from audio.text import speech_sections

from .fake_google import ScriptedAdapter, audio_reply, sine_mp3, status_reply, use_fake_google
from .fixtures import edit_section, live

pytestmark = pytest.mark.django_db


def test_generation_publishes_every_variant_with_captions_and_chapters(small_guide):
    run_job(small_guide.pk)
    renditions = live(small_guide)
    assert set(renditions) == {"listen", "lowdata"}
    sections = speech_sections(small_guide)
    # The empty section is skipped; intro + two sections remain.
    assert [s.id for s in sections] == [
        "intro",
        "11111111-1111-4111-8111-111111111111",
        "33333333-3333-4333-8333-333333333333",
    ]

    for rendition in renditions.values():
        data = default_storage.open(rendition.audio.name).read()
        assert hashlib.sha256(data).hexdigest() == rendition.sha256
        assert len(data) == rendition.size_bytes
        assert rendition.engine == "espeak" and rendition.voice.startswith("es-419")
        assert [s["id"] for s in rendition.sections] == [s.id for s in sections]
        starts = [s["start"] for s in rendition.sections]
        assert (
            starts == sorted(starts) and rendition.sections[-1]["end"] <= rendition.duration + 0.1
        )

    listen = renditions["listen"]
    vtt = default_storage.open(listen.captions.name).read().decode()
    assert vtt.startswith("WEBVTT")
    cue_texts = re.findall(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n(.+)", vtt)
    assert cue_texts == [sentence for s in sections for sentence in s.sentences]
    chapters = json.loads(default_storage.open(listen.chapters.name).read())
    assert [c["title"] for c in chapters["chapters"]] == [s.heading for s in sections]
    assert AudioJob.objects.get(page=small_guide).state == "ready"


def test_listener_files_do_not_reveal_the_topic_in_their_tags(small_guide):
    """A file kept on a phone or shared on WhatsApp shows its tags without playing."""
    from mutagen import File as AudioFile

    run_job(small_guide.pk)
    for rendition in live(small_guide).values():
        data = default_storage.open(rendition.audio.name).read()
        for revealing in ("Guía corta", "condones", "PrEP", "guia-corta"):
            assert revealing.encode() not in data, (rendition.variant, revealing)
        if rendition.variant == "listen":
            tags = AudioFile(io.BytesIO(data))
            assert str(tags.tags["TIT2"]) == "Notas"
            chapter_titles = [str(c.sub_frames["TIT2"]) for c in tags.tags.getall("CHAP")]
            assert chapter_titles == ["Parte 1", "Parte 2", "Parte 3"]
        else:  # WebM: mutagen does not read Matroska tags; FFmpeg (PyAV) does
            with av.open(io.BytesIO(data)) as container:
                metadata = {key.lower(): value for key, value in container.metadata.items()}
                chapter_titles = [
                    chapter["metadata"].get("title") for chapter in container.chapters()
                ]
            assert metadata["title"] == "Notas"
            assert chapter_titles == ["Parte 1", "Parte 2", "Parte 3"]


def test_listener_files_carry_no_section_id(small_guide):
    """Section ids are in the API: a file kept on a phone must not be matched to its guide by them.

    MP3 chapters are numbered instead (ch1, ch2, ...), in the order they play.
    """
    from mutagen.id3 import ID3

    run_job(small_guide.pk)
    section_ids = [block.id for block in small_guide.sections]
    for rendition in live(small_guide).values():
        data = default_storage.open(rendition.audio.name).read()
        for section_id in section_ids:
            for form in (section_id, section_id.replace("-", "")):
                assert form.encode() not in data, (rendition.variant, form)
    tags = ID3(io.BytesIO(default_storage.open(live(small_guide)["listen"].audio.name).read()))
    assert [c.element_id for c in tags.getall("CHAP")] == ["ch1", "ch2", "ch3"]
    assert tags.getall("CTOC")[0].child_element_ids == ["ch1", "ch2", "ch3"]


def test_unchanged_republish_makes_no_engine_call(small_guide, synth_calls):
    run_job(small_guide.pk)
    first = synth_calls[:]
    assert first
    before = {r.pk for r in live(small_guide).values()}

    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    assert synth_calls == first
    assert {r.pk for r in live(small_guide).values()} == before  # nothing re-mastered


def test_editing_one_section_synthesizes_only_that_section(small_guide, synth_calls):
    run_job(small_guide.pk)
    synth_calls.clear()
    edit_section(
        small_guide, 2, "<ul><li>Previene el VIH</li><li>Pregunte en el centro de salud</li></ul>"
    )
    run_job(small_guide.pk)
    summary = AudioJob.objects.get(page=small_guide).summary
    assert (summary["synthesized"], summary["cached"]) == (1, 2)
    # Sentences of a section are synthesized side by side: compare as sets.
    assert sorted(synth_calls) == sorted(
        ["¿Y la prep?", "Previene el ve i hache.", "Pregunte en el centro de salud."]
    )
    assert Rendition.objects.filter(page=small_guide, state="retired").count() == 2


def test_another_voice_or_normalizer_version_never_reuses_the_clips(
    small_guide, synth_calls, settings, monkeypatch
):
    """The clip cache is keyed by voice and normalizer too: a cached clip is never another
    voice's."""
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).summary["synthesized"] == 3

    espeak = settings.ALTAVOZ_ENGINE_OPTIONS["espeak"]
    settings.ALTAVOZ_ENGINE_OPTIONS = {
        **settings.ALTAVOZ_ENGINE_OPTIONS,
        "espeak": {**espeak, "es": {"voice": "es"}},
    }
    request_audio(small_guide, force=True)
    run_job(small_guide.pk)
    summary = AudioJob.objects.get(page=small_guide).summary
    assert summary["voice"].startswith("es@")  # Spain's voice now, not es-419
    assert (summary["synthesized"], summary["cached"]) == (3, 0)

    monkeypatch.setattr("audio.clips.NORMALIZER_VERSION", "a later one")
    request_audio(small_guide, force=True)
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).summary["synthesized"] == 3

    request_audio(small_guide, force=True)  # and with nothing changed, all cached again
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).summary["cached"] == 3


def test_audio_is_queued_only_when_the_publish_commits(
    small_guide, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    def audio_tasks():
        return [
            r for r in default_task_backend.results if r.task.name == "generate_page_audio_task"
        ]

    run_job(small_guide.pk)
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=False) as on_commit:
        small_guide.save_revision().publish()
    assert audio_tasks() == []  # a worker must not look for a page the transaction may roll back
    for callback in on_commit:
        callback()
    assert [task.args for task in audio_tasks()] == [[small_guide.pk]]


def test_replaced_audio_stays_downloadable_through_the_grace_period(small_guide, settings, client):
    """A listener who started downloading the old file finishes it; after the grace period it
    goes."""
    from datetime import timedelta

    from django.utils import timezone

    from audio.publishing import cleanup_retired_renditions

    settings.ALTAVOZ_AUDIO_GRACE_SECONDS = 3600
    run_job(small_guide.pk)
    old = live(small_guide)
    edit_section(small_guide, 2, "<p>Texto nuevo de la sección.</p>")
    run_job(small_guide.pk)
    new = live(small_guide)
    old_files = [
        name for r in old.values() for name in (r.audio.name, r.captions.name, r.chapters.name)
    ]
    assert not set(old_files) & {
        name for r in new.values() for name in (r.audio.name, r.captions.name)
    }

    assert cleanup_retired_renditions(now=timezone.now() + timedelta(minutes=59)) == 0
    assert all(default_storage.exists(name) for name in old_files)
    assert client.get(old["listen"].audio.url).status_code == 200

    assert cleanup_retired_renditions(now=timezone.now() + timedelta(minutes=61)) == 2
    assert not any(default_storage.exists(name) for name in old_files)
    assert set(live(small_guide)) == {"listen", "lowdata"}
    assert all(default_storage.exists(r.audio.name) for r in live(small_guide).values())


def test_a_publish_that_fails_halfway_leaves_the_live_audio_and_no_stray_files(
    small_guide, monkeypatch
):
    """The disk fills up after the listen files are written: nothing new is served or left
    behind."""
    from audio import publishing

    run_job(small_guide.pk)
    before = live(small_guide)
    files_before = set(default_storage.listdir(f"audio/renditions/{small_guide.pk}")[1])
    save_once = publishing.save_once

    def disk_full_at_lowdata(storage, name, data):
        if "-lowdata." in name:
            raise OSError(28, "No space left on device")
        return save_once(storage, name, data)

    monkeypatch.setattr(publishing, "save_once", disk_full_at_lowdata)
    edit_section(small_guide, 2, "<p>Texto nuevo de la sección.</p>")
    run_job(small_guide.pk)

    job = AudioJob.objects.get(page=small_guide)
    assert job.state == "failed" and "No space left on device" in job.error
    assert {v: r.pk for v, r in live(small_guide).items()} == {v: r.pk for v, r in before.items()}
    assert set(default_storage.listdir(f"audio/renditions/{small_guide.pk}")[1]) == files_before
    assert (
        not Rendition.objects.filter(page=small_guide)
        .exclude(pk__in=[r.pk for r in before.values()])
        .exists()
    )


def test_numbers_and_acronyms_are_normalized_but_captions_show_the_text(small_guide, synth_calls):
    run_job(small_guide.pk)
    assert "Cuesta veinticinco quetzales." in synth_calls
    vtt = default_storage.open(live(small_guide)["listen"].captions.name).read().decode()
    assert "Cuesta Q25." in vtt


def test_lexicon_entry_rerenders_only_the_sections_using_it(small_guide, synth_calls):
    from wagtail.models import Locale

    from audio.models import PronunciationEntry

    run_job(small_guide.pk)
    synth_calls.clear()
    PronunciationEntry.objects.create(
        locale=Locale.objects.get(language_code="es"), written="condones", spoken="preservativos"
    )
    assert AudioJob.objects.get(page=small_guide).state == "queued"
    run_job(small_guide.pk)
    assert sorted(synth_calls) == sorted(
        ["¿Dónde hay preservativos?", "En el centro de salud.", "Pregunte con confianza."]
    )
    assert AudioJob.objects.get(page=small_guide).summary["synthesized"] == 1


def test_status_is_stale_after_an_edit_until_regenerated(small_guide):
    run_job(small_guide.pk)
    assert {v.state for v in page_audio_status(small_guide).variants} == {"ready"}
    edit_section(small_guide, 0, "<p>Texto nuevo.</p>")
    AudioJob.objects.filter(page=small_guide).update(
        state="ready"
    )  # as if the job were not picked up yet
    assert {v.state for v in page_audio_status(small_guide).variants} == {"stale"}


def test_a_fresh_process_knows_audio_is_current_without_normalizing_the_text(
    small_guide, monkeypatch
):
    """A rendition keeps a key of the text it was read from; the status (and the API's first
    build) compares keys instead of normalizing every sentence again, until the text
    changes, when normalizing decides as before."""
    from audio import facts

    run_job(small_guide.pk)
    assert "" not in {r.text_key for r in live(small_guide).values()}
    facts._hash_memo.clear()  # a process that never saw this guide
    normalized = []
    real_spoken_form = facts.spoken_form
    monkeypatch.setattr(
        facts, "spoken_form", lambda *args: normalized.append(args) or real_spoken_form(*args)
    )
    assert {v.state for v in page_audio_status(small_guide).variants} == {"ready"}
    assert normalized == []

    edit_section(small_guide, 0, "<p>Texto nuevo.</p>")
    AudioJob.objects.filter(page=small_guide).update(state="ready")  # not picked up yet
    assert {v.state for v in page_audio_status(small_guide).variants} == {"stale"}
    assert normalized, "a changed text is normalized to decide"


def test_repeated_publishes_collapse_into_one_task(small_guide, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    run_job(small_guide.pk)
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            small_guide.save_revision().publish()
    audio_tasks = [
        r for r in default_task_backend.results if r.task.name == "generate_page_audio_task"
    ]
    assert len(audio_tasks) == 1
    assert audio_tasks[0].args == [small_guide.pk]


# --- Google, faked in the format gTTS parses ---------------------------------------------


def test_google_voice_is_used_when_google_answers(small_guide, settings):
    use_fake_google(settings, ScriptedAdapter(audio_reply(sine_mp3())))
    run_job(small_guide.pk)
    renditions = live(small_guide)
    assert {(r.engine, r.voice) for r in renditions.values()} == {("gtts", "es/com.mx")}


def test_google_429_then_audio_is_retried(small_guide, settings):
    adapter = ScriptedAdapter(
        status_reply(429, headers={"Retry-After": "1"}), audio_reply(sine_mp3())
    )
    use_fake_google(settings, adapter)
    run_job(small_guide.pk)
    assert {r.engine for r in live(small_guide).values()} == {"gtts"}
    assert len(adapter.sent) > 1


def test_a_failing_voice_rests_before_it_is_tried_again(small_guide, settings, monkeypatch):
    """Google down: the next jobs go straight to the offline voice, not through the same timeouts
    again."""
    adapter = ScriptedAdapter(requests.exceptions.ConnectionError("connection refused"))
    use_fake_google(settings, adapter)
    settings.ALTAVOZ_VOICE_RETRY_AFTER_SECONDS = 600
    run_job(small_guide.pk)
    assert {r.engine for r in live(small_guide).values()} == {"espeak"}
    tried = len(adapter.sent)
    assert tried > 0

    edit_section(small_guide, 2, "<p>Otra versión del texto.</p>")
    run_job(small_guide.pk)
    assert len(adapter.sent) == tried  # Google rested
    assert {r.engine for r in live(small_guide).values()} == {"espeak"}

    import time

    monotonic = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: monotonic() + 601)  # ten minutes later
    edit_section(small_guide, 2, "<p>Y otra más.</p>")
    run_job(small_guide.pk)
    assert len(adapter.sent) > tried


@pytest.mark.parametrize(
    "failure",
    [
        status_reply(500),
        requests.exceptions.ReadTimeout("read timed out"),
        lambda request: __import__(
            "tests.audio.fake_google", fromlist=["make_response"]
        ).make_response(request, 200, b"<html>garbage</html>"),
        lambda request: __import__(
            "tests.audio.fake_google", fromlist=["make_response"]
        ).make_response(request, 200, b')]}\'\n\n12\n[["wrb.fr"]]'),
        requests.exceptions.ConnectionError("connection refused"),
    ],
    ids=["500", "timeout", "garbage", "200-without-audio", "connection-refused"],
)
def test_google_failure_mid_guide_falls_back_to_one_voice_for_the_whole_file(
    small_guide, settings, failure
):
    # Google answers the first sentence, then fails: nothing of it may end up mixed in.
    use_fake_google(settings, ScriptedAdapter(audio_reply(sine_mp3()), failure))
    run_job(small_guide.pk)
    renditions = live(small_guide)
    assert set(renditions) == {"listen", "lowdata"}
    assert {(r.engine) for r in renditions.values()} == {"espeak"}
    # Every clip and segment the files were made from is the offline voice's: Google's
    # first sentence (cached as a clip) is in neither file.
    for rendition in renditions.values():
        assert rendition.clip_keys and rendition.segment_keys
        clips = SectionClip.objects.filter(key__in=rendition.clip_keys)
        assert clips.count() == len(set(rendition.clip_keys))
        assert set(clips.values_list("engine", flat=True)) == {"espeak"}
        segments = MasteredSegment.objects.filter(key__in=rendition.segment_keys)
        assert set(segments.values_list("engine", flat=True)) == {"espeak"}
    job = AudioJob.objects.get(page=small_guide)
    assert job.state == "ready" and job.summary["fallback_errors"][0].startswith("gtts:")


def test_when_every_voice_fails_the_old_audio_stays_live(small_guide, settings, monkeypatch):
    from audio.engines import EngineUnavailable
    from audio.engines.espeak import EspeakEngine

    run_job(small_guide.pk)
    before = live(small_guide)
    edit_section(small_guide, 0, "<p>Otra versión del texto.</p>")

    def broken(self, text):
        raise EngineUnavailable("espeak broke")

    monkeypatch.setattr(EspeakEngine, "synthesize", broken)
    run_job(small_guide.pk)
    job = AudioJob.objects.get(page=small_guide)
    assert job.state == "failed" and "espeak broke" in job.error
    after = live(small_guide)
    assert {v: r.pk for v, r in after.items()} == {v: r.pk for v, r in before.items()}
    for rendition in after.values():
        assert default_storage.exists(rendition.audio.name)
    status = page_audio_status(small_guide)
    assert {v.state for v in status.variants} == {"stale"}
    assert "espeak broke" in status.error


def test_request_while_running_runs_again_after(small_guide, monkeypatch):
    """A publish that lands mid-generation is not lost: the worker runs once more."""
    from audio.jobs import runner

    calls = []
    original = runner.generate_page_audio

    def generate_and_publish_meanwhile(page, **kwargs):
        calls.append(page.pk)
        if len(calls) == 1:
            request_audio(page)
        return original(page, **kwargs)

    monkeypatch.setattr(runner, "generate_page_audio", generate_and_publish_meanwhile)
    run_job(small_guide.pk)
    assert calls == [small_guide.pk, small_guide.pk]
    assert AudioJob.objects.get(page=small_guide).state == "ready"
