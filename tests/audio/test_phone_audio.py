"""The phone line's audio: each section of a published guide, ready to play in a call.

A call never waits for a voice: the worker makes every section's file in the telephone
formats (8 kHz PCM and μ-law WAV) when the guide is published, keeps the files of
sections that did not change, and the files follow the guide's visibility like its
web audio.
"""

import hashlib
import io
import struct
from datetime import timedelta

import av
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from audio import mastering, phone_files
from audio.jobs import run_job
from audio.models import AudioJob, PhoneAudio, ReachCount, Rendition
from audio.phone_files import (
    cleanup_retired_phone_audio,
    live_phone_audio,
    public_phone_file,
    remove_stray_phone_files,
)
from audio.pipeline import generate_page_audio
from audio.publishing import evict_cached_audio, remove_stray_rendition_files
from audio.text import speech_sections
from audio.variants import load_variants, phone_variants, published_variants

from .fixtures import edit_section, live

pytestmark = pytest.mark.django_db

PHONE_VARIANTS = ("phone", "phone-ulaw")
EDITED = "33333333-3333-4333-8333-333333333333"  # small_guide's third section (index 2)


def live_files(page):
    """(section id, variant) → stored name of the page's live phone files."""
    return {
        (row.section_id, row.variant): row.audio.name
        for row in PhoneAudio.objects.filter(page=page, state=PhoneAudio.State.LIVE)
    }


def media(client, name, **headers):
    response = client.get(f"/media/{name}", **headers)
    # Read to its end, as a server sends it: reach is counted when the answer closes.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def wav_format(data):
    """(format tag, channels, sample rate, bits per sample) from a WAV file's fmt chunk."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    position = 12
    while position + 8 <= len(data):
        chunk, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        if chunk == b"fmt ":
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack(
                "<HHIIHH", data[position + 8 : position + 24]
            )
            return tag, channels, rate, bits
        position += 8 + size + (size & 1)
    raise AssertionError("no fmt chunk")


def decoded(data):
    """The file's samples as a player decodes them (float, its own rate) and that rate."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
    return np.concatenate(chunks).astype(np.float64) / 32768, rate


# --- The variants ---------------------------------------------------------------------


def test_phone_variants_are_not_among_the_webs_and_follow_the_setting(settings):
    assert [v.name for v in published_variants()] == ["listen", "lowdata"]
    assert [v.name for v in phone_variants()] == list(PHONE_VARIANTS)
    phone, ulaw = phone_variants()
    assert (phone.codec, ulaw.codec) == ("pcm_s16le", "pcm_mulaw")
    assert {v.sample_rate for v in (phone, ulaw)} == {8000}
    assert {v.channels for v in (phone, ulaw)} == {1}
    assert {v.mime_type for v in (phone, ulaw)} == {"audio/wav"}
    settings.ALTAVOZ_PHONE_LINE = False
    assert phone_variants() == []
    assert [v.name for v in published_variants()] == ["listen", "lowdata"]


@pytest.mark.parametrize(
    "options, message",
    [
        (
            {"codec": "pcm_mulaw", "sample_rate": 16000},
            "sample_rate 16000 is not one pcm_mulaw takes: 8000",
        ),
        (
            {"codec": "pcm_mulaw", "sample_rate": 44100},
            "sample_rate 44100 is not one pcm_mulaw takes: 8000",
        ),
        ({"codec": "pcm_mulaw", "bitrate": 64000}, "no bitrate to choose"),
        ({"codec": "pcm_mulaw", "container": "mp3"}, "goes in a 'wav' container"),
    ],
)
def test_mu_law_is_refused_anywhere_but_at_8000_hz_in_wav(options, message):
    with pytest.raises(ValueError, match=message):
        load_variants({"line": options})


def test_a_mu_law_variant_defaults_to_8000_hz_wav():
    (line,) = load_variants({"line": {"codec": "pcm_mulaw"}})
    assert (line.sample_rate, line.container, line.extension) == (8000, "wav", "wav")


# --- Made at publish ------------------------------------------------------------------


def test_publishing_a_guide_makes_one_file_per_section_per_phone_variant(small_guide):
    summary = run_job(small_guide.pk)
    section_ids = [s.id for s in speech_sections(small_guide)]
    assert len(section_ids) == 3
    assert summary["phone"] == {"made": 6, "reused": 0, "unchanged": False}
    assert set(live(small_guide)) == {"listen", "lowdata"}  # the web's files are as before

    sections = live_phone_audio(small_guide)
    assert [s.section_id for s in sections] == section_ids
    assert [s.position for s in sections] == [0, 1, 2]
    for section in sections:
        assert set(section.files) == set(PHONE_VARIANTS)
        assert section.duration > 0.5
        for variant, name in section.files.items():
            assert name.startswith(f"audio/phone/{small_guide.pk}/") and name.endswith(
                f"-{variant}.wav"
            )
            row = PhoneAudio.objects.get(audio=name, state="live")
            data = default_storage.open(name).read()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size_bytes, row.sha256)
    assert len({name for s in sections for name in s.files.values()}) == 6


def test_phone_files_are_8khz_mono_wav_at_the_telephone_loudness(small_guide):
    run_job(small_guide.pk)
    formats = {"phone": (1, 1, 8000, 16), "phone-ulaw": (7, 1, 8000, 8)}
    variants = {v.name: v for v in phone_variants()}
    rows = PhoneAudio.objects.filter(page=small_guide, state="live")
    assert rows.count() == 6
    for row in rows:
        data = default_storage.open(row.audio.name).read()
        assert wav_format(data) == formats[row.variant], row.variant
        samples, rate = decoded(data)
        assert rate == 8000
        assert abs(len(samples) / rate - row.duration) < 0.01
        heard = mastering.measure(samples, rate)
        variant = variants[row.variant]
        assert abs(heard.integrated_lufs - variant.loudness_lufs) <= mastering.LOUDNESS_TOLERANCE_LU
        assert heard.true_peak_dbtp <= variant.true_peak_dbtp, (row.variant, heard)
        assert abs(heard.integrated_lufs - row.loudness_lufs) < 0.05


def test_a_republish_with_one_section_edited_masters_only_that_section_again(
    small_guide, monkeypatch
):
    run_job(small_guide.pk)
    before = live_files(small_guide)
    mastered = []
    original = mastering.master

    def counting(pcm, variant, metadata=None):
        mastered.append(variant.name)
        return original(pcm, variant, metadata)

    monkeypatch.setattr(mastering, "master", counting)

    edit_section(small_guide, 2, "<p>Ahora la PrEP es gratis en la clínica.</p>")
    summary = run_job(small_guide.pk)
    after = live_files(small_guide)
    assert summary["phone"] == {"made": 2, "reused": 4, "unchanged": False}
    assert sorted(mastered) == sorted(PHONE_VARIANTS)
    assert set(after) == set(before)
    for key, name in after.items():
        assert (name != before[key]) == (key[0] == EDITED), key
    assert PhoneAudio.objects.filter(page=small_guide, state="retired").count() == 6

    # Nothing changed: nothing is made, the rows stay as they are.
    mastered.clear()
    summary = generate_page_audio(small_guide)
    assert summary["phone"]["unchanged"] and summary["phone"]["made"] == 0
    assert mastered == [] and live_files(small_guide) == after
    assert PhoneAudio.objects.filter(page=small_guide, state="retired").count() == 6


def test_a_failure_midway_keeps_the_live_phone_files_and_deletes_the_new_ones(
    small_guide, monkeypatch
):
    run_job(small_guide.pk)
    live_before = set(
        PhoneAudio.objects.filter(page=small_guide, state="live").values_list("pk", "audio")
    )
    edit_section(small_guide, 0, "<p>En la clínica del centro. Pregunte sin miedo.</p>")
    edit_section(small_guide, 2, "<p>Ahora la PrEP es gratis en la clínica.</p>")
    stored = []
    original = phone_files.save_once

    def failing_on_the_second(storage, name, data):
        if len(stored) == 1:
            raise OSError(28, "No space left on device")
        stored.append(original(storage, name, data))
        return stored[-1]

    monkeypatch.setattr(phone_files, "save_once", failing_on_the_second)
    folder = f"audio/phone/{small_guide.pk}"
    on_disk_before = set(default_storage.listdir(folder)[1])
    with pytest.raises(OSError, match="No space left"):
        generate_page_audio(small_guide)

    ((partial, created),) = stored
    assert created and not default_storage.exists(partial)
    after = set(
        PhoneAudio.objects.filter(page=small_guide, state="live").values_list("pk", "audio")
    )
    assert after == live_before
    assert all(default_storage.exists(name) for _pk, name in live_before)
    assert set(default_storage.listdir(folder)[1]) == on_disk_before


# --- Who may fetch them ---------------------------------------------------------------


def test_media_serves_a_public_phone_file_by_range_and_counts_no_play(small_guide, client):
    run_job(small_guide.pk)
    name = live_files(small_guide)[(EDITED, "phone-ulaw")]
    assert public_phone_file(name) is not None
    whole = default_storage.open(name).read()

    response, body = media(client, name, HTTP_RANGE="bytes=0-43")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-43/{len(whole)}"
    assert body == whole[:44] and body.startswith(b"RIFF")
    assert response["Content-Type"] == "audio/wav"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["ETag"]
    response, body = media(client, name)
    assert response.status_code == 200 and body == whole
    assert response["Accept-Ranges"] == "bytes"
    assert not ReachCount.objects.exists()  # a call is not a web play

    # While the web's file, fetched the same way, is counted: the check above can fail.
    media(client, live(small_guide)["listen"].audio.name)
    assert ReachCount.objects.filter(page=small_guide, kind="play").exists()


def test_unpublishing_a_guide_retires_its_phone_files_and_media_answers_404(small_guide, client):
    run_job(small_guide.pk)
    names = set(live_files(small_guide).values())
    unknown, unknown_body = media(client, f"audio/phone/{small_guide.pk}/nothing-phone.wav")
    assert unknown.status_code == 404

    small_guide.unpublish()
    assert live_phone_audio(small_guide) == []
    assert not PhoneAudio.objects.filter(page=small_guide, state="live").exists()
    for name in names:
        assert default_storage.exists(name)  # still on disk for the grace period...
        assert public_phone_file(name) is None
        response, body = media(client, name)  # ...but answered exactly like a missing file
        assert (response.status_code, body) == (404, unknown_body)
        assert "Cache-Control" not in response or "immutable" not in response["Cache-Control"]


def test_a_job_that_finds_the_guide_hidden_withdraws_its_phone_files(small_guide):
    from cms.models import GuidePage

    run_job(small_guide.pk)
    GuidePage.objects.filter(pk=small_guide.pk).update(live=False)  # hidden without a signal
    assert PhoneAudio.objects.filter(page=small_guide, state="live").count() == 6
    summary = generate_page_audio(GuidePage.objects.get(pk=small_guide.pk))
    assert summary["not_public"]
    assert not PhoneAudio.objects.filter(page=small_guide, state="live").exists()


def test_editors_who_may_edit_the_guide_hear_its_retired_phone_files(small_guide, client):
    from django.contrib.auth import get_user_model

    from tests.signing_in import sign_in

    run_job(small_guide.pk)
    name = live_files(small_guide)[(EDITED, "phone")]
    small_guide.unpublish()
    assert media(client, name)[0].status_code == 404
    admin = get_user_model().objects.create_superuser("phone-editor", "e@example.org", "x")
    response, body = media(sign_in(client, admin), name)
    assert response.status_code == 200 and body.startswith(b"RIFF")
    assert response["Cache-Control"] == "private, no-store"


# --- Clean-up -------------------------------------------------------------------------


def test_cleanup_deletes_retired_phone_files_after_the_grace_period(small_guide, settings, client):
    settings.ALTAVOZ_AUDIO_GRACE_SECONDS = 3600
    run_job(small_guide.pk)
    before = live_files(small_guide)
    edit_section(small_guide, 2, "<p>Ahora la PrEP es gratis en la clínica.</p>")
    run_job(small_guide.pk)
    after = live_files(small_guide)
    replaced = {before[key] for key in before if key[0] == EDITED}
    kept = set(after.values())
    assert len(replaced) == 2 and not replaced & kept

    assert cleanup_retired_phone_audio(now=timezone.now() + timedelta(minutes=59)) == 0
    for name in replaced:
        assert default_storage.exists(name)
        assert media(client, name)[0].status_code == 200  # a call may still be playing it

    assert cleanup_retired_phone_audio(now=timezone.now() + timedelta(minutes=61)) == 6
    assert not any(default_storage.exists(name) for name in replaced)
    assert all(default_storage.exists(name) for name in kept)  # reused by the live rows
    assert not PhoneAudio.objects.filter(state="retired").exists()
    assert live_files(small_guide) == after


def test_sweeps_keep_live_phone_files_and_remove_stray_ones(small_guide, settings):
    settings.ALTAVOZ_AUDIO_GRACE_SECONDS = 3600
    run_job(small_guide.pk)
    names = set(live_files(small_guide).values())
    stray = default_storage.save(
        f"audio/phone/{small_guide.pk}/0123456789abcdef-phone.wav", ContentFile(b"RIFF")
    )
    much_later = timezone.now() + timedelta(days=90)
    evict_cached_audio(now=much_later)
    remove_stray_rendition_files(now=much_later)
    assert remove_stray_phone_files(now=timezone.now()) == 0  # the stray is not old yet
    assert remove_stray_phone_files(now=much_later) >= 1  # (and earlier tests' of this page id)
    assert not default_storage.exists(stray)
    assert all(default_storage.exists(name) for name in names)
    assert len(live_phone_audio(small_guide)) == 3


# --- The hourly sweep ---------------------------------------------------------------------


def test_the_sweep_queues_a_guide_voiced_before_a_phone_variant_existed(small_guide, task_backend):
    """An upgrade adds a phone format (or the phone line itself): no one publishes, yet the
    line must get its files."""
    from audio.jobs import queue_stale_audio

    run_job(small_guide.pk)
    assert small_guide.pk not in queue_stale_audio()  # web and phone files match
    PhoneAudio.objects.filter(page=small_guide, variant="phone-ulaw").delete()
    assert queue_stale_audio() == [small_guide.pk]
    assert AudioJob.objects.get(page=small_guide).state == "queued"

    summary = run_job(small_guide.pk)
    assert summary["phone"]["made"] == 3 and summary["published"] == []  # only what lacked
    assert len(live_files(small_guide)) == 6
    assert small_guide.pk not in queue_stale_audio()


def test_the_sweep_queues_a_guide_whose_phone_files_are_of_other_clips(small_guide, task_backend):
    """A phone step that failed or was cut off after the web's files went live."""
    from audio.jobs import queue_stale_audio

    run_job(small_guide.pk)
    row = PhoneAudio.objects.filter(page=small_guide, state="live").first()
    row.clip_key = "clip-of-an-older-text"
    row.save()
    assert queue_stale_audio() == [small_guide.pk]
    run_job(small_guide.pk)
    assert small_guide.pk not in queue_stale_audio()


def test_the_sweep_leaves_a_page_without_audio_and_a_failed_one_alone(small_guide, task_backend):
    from audio.jobs import queue_stale_audio

    run_job(small_guide.pk)
    PhoneAudio.objects.filter(page=small_guide, variant="phone").delete()
    AudioJob.objects.filter(page=small_guide).update(state="failed", error="disk full")
    assert small_guide.pk not in queue_stale_audio()  # its editors see why

    # No audio of its own (nothing recorded yet, say): nothing for the phone either.
    AudioJob.objects.filter(page=small_guide).update(state="ready", error="")
    PhoneAudio.objects.filter(page=small_guide).delete()
    Rendition.objects.filter(page=small_guide).delete()
    assert small_guide.pk not in queue_stale_audio()


def test_with_the_phone_line_off_no_files_are_made_and_old_ones_are_withdrawn(
    small_guide, settings
):
    run_job(small_guide.pk)
    assert len(live_files(small_guide)) == 6
    settings.ALTAVOZ_PHONE_LINE = False
    summary = generate_page_audio(small_guide)
    assert summary["phone"] == {"made": 0, "reused": 0, "unchanged": False}
    assert live_files(small_guide) == {}
    assert set(live(small_guide)) == {"listen", "lowdata"}


def test_the_web_surfaces_list_no_phone_file(small_guide, client, settings):
    """The API, both feeds and the saved-guide manifest read renditions: phone files stay off."""
    from django.core.cache import cache

    from cms.api import snapshot, state

    settings.ALTAVOZ_API_FRESHNESS_SECONDS = 0
    cache.clear()
    state.remember(None)
    snapshot.forget_local()
    run_job(small_guide.pk)
    assert len(live_files(small_guide)) == 6
    listen = live(small_guide)["listen"].audio.name
    for url in (
        f"/api/v2/renditions/?guide={small_guide.pk}",
        f"/api/v2/guides/{small_guide.pk}/",
        "/feeds/es/podcast.xml",
        "/feeds/es/radio.xml",
        f"/guardado/{small_guide.pk}.json",
    ):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, url
        assert listen in body, url  # the web's audio is listed: the page was read
        assert "audio/phone/" not in body and "phone-ulaw" not in body, url
