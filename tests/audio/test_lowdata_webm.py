"""The low-data file is WebM (issue #16): a phone starts it from its first bytes.

Ogg made the browser read the end of the file first. These tests check what
the move needs: the live Ogg renditions of older guides are replaced by the
hourly sweep, from the same cached segments (no re-encode), and stay live
until the WebM file exists; the file's sections have byte offsets the player
can fetch from; /media/ names the type.
"""

import pytest
from django.core.files.storage import default_storage

from audio import webm
from audio.jobs import queue_stale_audio, run_job
from audio.models import AudioJob, Rendition
from audio.status import page_audio_status

from .fixtures import live

OLD_OGG = "audio/ogg; codecs=opus"


def make_it_look_like_an_ogg_rendition(guide):
    """The lowdata rendition as a guide published before the move has it."""
    Rendition.objects.filter(page=guide, variant="lowdata", state=Rendition.State.LIVE).update(
        mime_type=OLD_OGG
    )


@pytest.mark.django_db
def test_lowdata_is_webm_with_its_index_up_front_and_byte_offsets_per_section(small_guide):
    run_job(small_guide.pk)
    rendition = live(small_guide)["lowdata"]

    assert rendition.mime_type == 'audio/webm; codecs="opus"'
    assert rendition.audio.name.endswith(".webm")
    data = default_storage.open(rendition.audio.name).read()
    clusters = webm.clusters(data)
    # Cues (the index) and the duration come before the first cluster: nothing at the end is needed
    # to start.
    assert 0 < data.find(bytes.fromhex("1C53BB6B")) < clusters[0].offset
    assert 0 < data.find(bytes.fromhex("4489")) < clusters[0].offset
    offsets = [s["offset"] for s in rendition.sections]
    assert offsets[0] == clusters[0].offset
    assert offsets == sorted(offsets) and set(offsets) <= {c.offset for c in clusters}
    for section, offset in zip(rendition.sections, offsets, strict=True):
        cluster = next(c for c in clusters if c.offset == offset)
        assert (
            cluster.seconds <= section["start"] + 1e-6
        )  # fetching from there plays the section's start


@pytest.mark.django_db
def test_an_ogg_rendition_is_stale_and_the_sweep_remuxes_it_from_the_cached_segments(
    small_guide, encodes
):
    run_job(small_guide.pk)
    make_it_look_like_an_ogg_rendition(small_guide)
    old = live(small_guide)["lowdata"]
    states = {v.variant: v.state for v in page_audio_status(small_guide).variants}
    assert states == {"listen": "ready", "lowdata": "stale"}

    encodes.clear()
    assert queue_stale_audio() == [small_guide.pk]
    # Until the new file exists, the Ogg file stays live.
    assert live(small_guide)["lowdata"].pk == old.pk
    run_job(small_guide.pk)

    new = live(small_guide)["lowdata"]
    assert new.pk != old.pk and new.mime_type == 'audio/webm; codecs="opus"'
    assert new.segment_keys == old.segment_keys  # the same Ogg segments, remuxed
    assert encodes == []  # nothing encoded again
    assert AudioJob.objects.get(page=small_guide).summary["segments_encoded"] == {
        "listen": 0,
        "lowdata": 0,
    }
    assert Rendition.objects.get(pk=old.pk).state == Rendition.State.RETIRED


@pytest.mark.django_db
def test_media_serves_webm_with_its_type_and_ranges(small_guide, client):
    run_job(small_guide.pk)
    rendition = live(small_guide)["lowdata"]

    response = client.get(rendition.audio.url, HTTP_RANGE="bytes=0-8191")

    assert response.status_code == 206
    assert response["Content-Type"] == 'audio/webm; codecs="opus"'
    assert len(b"".join(response.streaming_content)) == 8192
