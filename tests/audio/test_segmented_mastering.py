"""A guide is mastered a section at a time and the encoded sections are joined.

What a listener gets must not show it: the joined file decodes cleanly, says
how long it is, reads at the variant's loudness under its true-peak ceiling,
and every caption cue sits where its sentence is actually heard. What an
editor gets: an edit re-encodes only the section it touched.

Files are decoded again here with PyAV and measured with pyloudnorm and a 4x
oversampled peak (``test_mastering``'s helpers), never with the stage's own code.
"""

import io
import logging
import math
from itertools import pairwise

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from mutagen import File as MutagenFile
from scipy.signal import correlate, resample_poly

from audio import webm
from audio.jobs import request_audio, run_job
from audio.mastering import (
    MASTER_SAMPLE_RATE,
    decode_audio,
    header_tolerance,
    join_segments,
    master_joined,
    master_segment,
    segmented,
)
from audio.models import AudioJob, MasteredSegment, SectionClip
from audio.variants import LISTEN, LOWDATA, published_variants

from .fixtures import edit_section, live
from .test_mastering import loudness_of, speech_like, true_peak_of

VARIANTS = [LISTEN, LOWDATA]


def decode_strictly(data):
    """(samples, channels) float64 and rate; fails on any packet that does not decode."""
    planes, rate = [], None
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        for packet in container.demux(stream):
            for frame in packet.decode():  # raises on a bad packet
                array = frame.to_ndarray()
                if not frame.format.is_planar:
                    array = array.reshape(-1, frame.layout.nb_channels).T
                planes.append(array)
                rate = frame.sample_rate
    return np.concatenate(planes, axis=1).T.astype(np.float64), rate


def container_seconds(data):
    with av.open(io.BytesIO(data)) as container:
        return container.duration / 1_000_000


def clip_position(decoded, clip, rate, expected, search=0.05):
    """Where `clip` (at `rate`) actually plays in `decoded`.

    Searched within `search` s of `expected`.
    """
    reach = round(search * rate)
    start = round(expected * rate)
    window = np.concatenate([np.zeros(reach), decoded, np.zeros(reach)])[
        start : start + 2 * reach + len(clip)
    ]
    scores = correlate(window, clip, mode="valid", method="fft")
    return (start - reach + int(np.argmax(scores))) / rate


def at_rate(clip, rate):
    divisor = math.gcd(rate, MASTER_SAMPLE_RATE)
    return resample_poly(clip, rate // divisor, MASTER_SAMPLE_RATE // divisor)


def onset(x, rate, after, threshold):
    """Time of the first sample after `after` (s) louder than `threshold`."""
    first = max(round(after * rate), 0)
    return (first + int(np.flatnonzero(np.abs(x[first:]) > threshold)[0])) / rate


# --------------------------------------------------------------------------
# Joining encoded segments (no Django)


@pytest.fixture(scope="module")
def uneven_sections():
    """Three "sections" as from different recordings: about -37, -18 and -28 LUFS."""
    sections = []
    for seed, seconds, level in ((3, 6.0, 0.1), (4, 9.0, 0.9), (5, 4.0, 0.3)):
        sections.append(
            resample_poly(speech_like(seconds, 24000, seed=seed) * level, 2, 1).astype(np.float32)
        )
    return sections


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_joined_segments_put_every_section_where_the_file_says_at_the_target(
    variant, uneven_sections
):
    result = master_joined(uneven_sections, variant, pause_seconds=1.0)
    joined = result.joined

    decoded, rate = decode_strictly(joined.data)
    assert rate == variant.sample_rate and len(decoded) == joined.samples
    mono = decoded[:, 0]
    spans = joined.clip_seconds()
    for clip, (start, end) in zip(uneven_sections, spans, strict=True):
        reference = at_rate(clip, variant.sample_rate)
        assert end - start == pytest.approx(len(reference) / rate, abs=1 / rate)
        found = clip_position(mono, reference, rate, start)
        assert found == pytest.approx(start, abs=0.001)  # to the millisecond
        # Each section on its own reaches the target: recordings even out.
        heard = mono[round(start * rate) : round(end * rate)]
        assert loudness_of(heard, rate) == pytest.approx(variant.loudness_lufs, abs=0.6)
    # Pauses stay about a second, whatever the codec's frames.
    for (_, end), (start, _) in pairwise(spans):
        assert 0.97 <= start - end <= 1.03
    assert loudness_of(decoded, rate) == pytest.approx(variant.loudness_lufs, abs=0.5)
    assert true_peak_of(decoded) <= variant.true_peak_dbtp + 0.001
    # What the stage reckoned from its segments, each decoded on its own, is
    # what the joined file and each part of it measure here.
    heard = result.heard
    # The header's length: exact for MP3 and Ogg, to WebM's millisecond for lowdata.
    assert abs(heard.samples - len(decoded)) <= header_tolerance(variant)
    # Gated over each segment's own 100 ms hops, not the file's: blocks that
    # straddle a seam are cut differently, a few hundredths of a LU.
    assert heard.loudness.integrated_lufs == pytest.approx(loudness_of(decoded, rate), abs=0.1)
    assert heard.loudness.true_peak_dbtp == pytest.approx(true_peak_of(decoded), abs=0.01)
    for (start, end), segment in zip(joined.segment_spans, heard.segments, strict=True):
        assert segment.true_peak_dbtp == pytest.approx(true_peak_of(decoded[start:end]), abs=0.01)
        assert segment.integrated_lufs == pytest.approx(
            loudness_of(decoded[start:end], rate), abs=0.01
        )
    # One header for the whole file: players read the whole duration.
    assert container_seconds(joined.data) == pytest.approx(joined.duration_seconds, abs=0.01)
    if (
        variant.container == "webm"
    ):  # a phone starts it from its first bytes: index and length up front
        assert webm.clusters(joined.data)[0].offset < 4096
        assert joined.data.find(bytes.fromhex("1C53BB6B")) < webm.init_length(joined.data)  # Cues


def test_a_single_section_guide_is_one_segment():
    clip = resample_poly(speech_like(3.0, 24000, seed=9) * 0.3, 2, 1).astype(np.float32)
    segment = master_segment(clip, LOWDATA, pause_seconds=1.0, first=True, last=True)
    joined = join_segments([segment], LOWDATA)
    decoded, rate = decode_strictly(joined.data)
    assert segment.lead_samples == 0 and segment.samples == segment.clip_samples == len(clip)
    assert len(decoded) == joined.samples == len(clip)
    assert joined.clip_seconds() == [(0.0, len(clip) / rate)]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_joined_length_is_what_players_decode_whatever_the_codecs_padding(variant):
    """Encoders pad the last frame; LAME sometimes flushes more than FFmpeg's header can say."""
    voice = resample_poly(speech_like(1.0, 24000, seed=11) * 0.3, 2, 1).astype(np.float32)
    first = master_segment(voice, variant, pause_seconds=1.0, first=True, last=False)
    for extra in range(0, 1200, 50):  # every position of the end within a codec frame
        clip = np.concatenate([voice, np.zeros(extra, dtype=np.float32)])
        last = master_segment(clip, variant, pause_seconds=1.0, first=False, last=True)
        joined = join_segments([first, last], variant)
        decoded, _rate = decode_strictly(joined.data)
        assert len(decoded) == joined.samples, extra
        assert (
            joined.samples - joined.clip_spans[-1][1] < 0.01 * variant.sample_rate
        )  # a few ms of padding at most


# --------------------------------------------------------------------------
# Guides through the pipeline (espeak, the real offline voice); `encodes` is in conftest.py


@pytest.fixture
def decodes(monkeypatch):
    """Every segment decoded to be measured, by variant name."""
    calls = []
    original = segmented.read_segment

    def counting(segment, variant):
        calls.append(variant.name)
        return original(segment, variant)

    monkeypatch.setattr(segmented, "read_segment", counting)
    return calls


@pytest.mark.django_db
def test_published_files_decode_cleanly_with_their_duration_loudness_and_peak(small_guide, caplog):
    run_job(small_guide.pk)
    renditions = live(small_guide)
    assert set(renditions) == {"listen", "lowdata"}
    assert "mastering the guide whole" not in caplog.text  # the segments were joined, no fallback
    for variant in VARIANTS:
        rendition = renditions[variant.name]
        assert len(rendition.segment_keys) == len(rendition.sections) == 3
        data = default_storage.open(rendition.audio.name).read()
        decoded, rate = decode_strictly(data)
        assert (rate, decoded.shape[1]) == (variant.sample_rate, variant.channels)
        assert len(decoded) / rate == pytest.approx(rendition.duration, abs=0.001)
        assert container_seconds(data) == pytest.approx(rendition.duration, abs=0.01)
        if variant.container == "mp3":
            # mutagen counts MP3 frames: within a frame plus the encoder delay.
            assert MutagenFile(io.BytesIO(data)).info.length == pytest.approx(
                rendition.duration, abs=0.1
            )
        else:
            # WebM: tagged by remuxing, its header still says the length (within a few
            # milliseconds)
            assert abs(
                segmented.header_samples(data) - round(rendition.duration * rate)
            ) <= header_tolerance(variant)
            starts = [s["start"] for s in rendition.sections]
            assert [s["offset"] for s in rendition.sections] == webm.section_offsets(data, starts)
        lufs, dbtp = loudness_of(decoded, rate), true_peak_of(decoded)
        assert lufs == pytest.approx(variant.loudness_lufs, abs=0.5)
        assert dbtp <= variant.true_peak_dbtp + 0.001
        # The rendition reports what the file measures.
        assert rendition.loudness_lufs == pytest.approx(lufs, abs=0.05)
        assert rendition.true_peak_dbtp == pytest.approx(dbtp, abs=0.1)


@pytest.mark.django_db
def test_every_section_and_caption_is_where_it_is_heard(small_guide):
    run_job(small_guide.pk)
    for variant in VARIANTS:
        rendition = live(small_guide)[variant.name]
        decoded, rate = decode_strictly(default_storage.open(rendition.audio.name).read())
        heard = decoded[:, 0]
        vtt = default_storage.open(rendition.captions.name).read().decode()
        cue_times = parse_vtt(vtt)
        for section, key in zip(rendition.sections, rendition.clip_keys, strict=True):
            clip_row = SectionClip.objects.get(key=key)
            with clip_row.audio.open("rb") as file:
                clip = decode_audio(file.read())
            reference = at_rate(clip, variant.sample_rate)
            # The section is where its chapter says, to the millisecond.
            assert clip_position(heard, reference, rate, section["start"]) == pytest.approx(
                section["start"], abs=0.001
            )
            assert section["end"] - section["start"] == pytest.approx(
                len(reference) / rate, abs=0.002
            )
            # Each sentence starts being heard where its cue says (within 20 ms):
            # the first loud sample in the file against the first in the clip.
            gain = np.sqrt(
                np.mean(heard[round(section["start"] * rate) : round(section["end"] * rate)] ** 2)
                / np.mean(reference**2)
            )
            for index, sentence_start, _sentence_end in clip_row.sentence_spans:
                cue_start, _cue_end = cue_times[f"{section['id']}-{index}"]
                assert cue_start == pytest.approx(section["start"] + sentence_start, abs=0.001)
                threshold = 0.1 * np.abs(reference).max()
                in_clip = onset(reference, rate, sentence_start, threshold) - sentence_start
                in_file = onset(heard, rate, cue_start - 0.2, threshold * gain)
                assert in_file == pytest.approx(cue_start + in_clip, abs=0.02), (
                    variant.name,
                    section["id"],
                    index,
                )


def parse_vtt(text):
    """Cue id → (start, end) in seconds."""
    cues = {}
    for block in text.strip().split("\n\n")[1:]:
        cue_id, timing = block.splitlines()[:2]
        start, end = (seconds(t) for t in timing.split(" --> "))
        cues[cue_id] = (start, end)
    return cues


def seconds(timestamp):
    hours, minutes, rest = timestamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.mark.django_db
def test_editing_one_section_encodes_only_that_sections_segments(small_guide, encodes, decodes):
    run_job(small_guide.pk)
    assert sorted(name for name, _ in encodes).count("listen") == 3
    assert decodes.count("listen") == 3
    first_run = set(MasteredSegment.objects.values_list("key", flat=True))
    encodes.clear()
    decodes.clear()

    edit_section(
        small_guide, 2, "<ul><li>Previene el VIH</li><li>Pregunte en el centro de salud</li></ul>"
    )
    run_job(small_guide.pk)

    summary = AudioJob.objects.get(page=small_guide).summary
    assert summary["segments_encoded"] == {"listen": 1, "lowdata": 1}
    # One encode per variant: the codec's loudness change is known from the
    # sections encoded before in this voice, so no second pass is needed. (The phone
    # line's files of the edited section are encoded too: tests/audio/test_phone_audio.py.)
    web = published_variants()
    assert sorted(name for name, _ in encodes if name in {v.name for v in web}) == [
        "listen",
        "lowdata",
    ]
    # And one decode: the joined file's loudness comes from the segments' stored readings.
    assert sorted(decodes) == ["listen", "lowdata"]
    new = MasteredSegment.objects.exclude(key__in=first_run)
    edited_clip = live(small_guide)["listen"].clip_keys[2]
    assert sorted(new.values_list("variant", "clip_key")) == [
        ("listen", edited_clip),
        ("lowdata", edited_clip),
    ]
    # The other sections' segments were reused as they were.
    for rendition in live(small_guide).values():
        assert set(rendition.segment_keys[:2]) <= first_run


@pytest.mark.django_db
def test_a_rendition_reckoned_from_stored_readings_reads_as_its_file(small_guide):
    run_job(small_guide.pk)
    edit_section(small_guide, 1, "<p>Otra frase, para que el archivo se una de nuevo.</p>")
    run_job(small_guide.pk)
    for variant in VARIANTS:
        rendition = live(small_guide)[variant.name]
        decoded, rate = decode_strictly(default_storage.open(rendition.audio.name).read())
        assert rendition.loudness_lufs == pytest.approx(loudness_of(decoded, rate), abs=0.1)
        assert rendition.true_peak_dbtp == pytest.approx(true_peak_of(decoded), abs=0.01)


@pytest.mark.django_db
def test_segments_cached_without_readings_are_read_once(small_guide, decodes):
    """Segments stored before readings were kept are decoded on their next use, once."""
    run_job(small_guide.pk)
    MasteredSegment.objects.update(hop_energies=None)
    decodes.clear()

    edit_section(small_guide, 0, "<p>Primera sección, cambiada.</p>")
    run_job(small_guide.pk)
    assert sorted(decodes) == ["listen"] * 3 + ["lowdata"] * 3  # the new one and the two cached
    assert not MasteredSegment.objects.filter(
        key__in=live(small_guide)["listen"].segment_keys, hop_energies__isnull=True
    ).exists()
    decodes.clear()

    edit_section(small_guide, 0, "<p>Primera sección, cambiada otra vez.</p>")
    run_job(small_guide.pk)
    assert sorted(decodes) == ["listen", "lowdata"]


@pytest.mark.django_db
def test_adding_a_last_section_reencodes_only_it_and_the_former_last(small_guide, encodes):
    run_job(small_guide.pk)
    encodes.clear()
    raw = small_guide.sections.get_prep_value()
    raw.append(
        {
            "type": "section",
            "id": "44444444-4444-4444-8444-444444444444",
            "value": {
                "heading": "Al final",
                "body": "<p>Una sección más.</p>",
                "key_point": "",
                "pictogram": "",
            },
        }
    )
    small_guide.sections = raw
    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    # The former last section now carries half a pause after it.
    assert AudioJob.objects.get(page=small_guide).summary["segments_encoded"] == {
        "listen": 2,
        "lowdata": 2,
    }


@pytest.mark.django_db
def test_unchanged_republish_encodes_nothing_and_forced_regeneration_reencodes_all(
    small_guide, encodes
):
    run_job(small_guide.pk)
    encodes.clear()
    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    assert encodes == []

    request_audio(small_guide, force=True)
    run_job(small_guide.pk)
    assert AudioJob.objects.get(page=small_guide).summary["segments_encoded"] == {
        "listen": 3,
        "lowdata": 3,
    }


@pytest.mark.django_db
def test_a_joined_file_off_target_is_replaced_by_the_guide_mastered_whole(small_guide, monkeypatch):
    """A safety net: should the joined segments ever miss, listeners still get the target."""
    reckoned = segmented.joined_loudness

    def two_lu_low(readings):
        loudness = reckoned(readings)
        if readings[0].rate != LISTEN.sample_rate:
            return loudness
        return segmented.Loudness(loudness.integrated_lufs - 2, loudness.true_peak_dbtp)

    assert LISTEN.sample_rate != LOWDATA.sample_rate
    monkeypatch.setattr(segmented, "joined_loudness", two_lu_low)
    run_job(small_guide.pk)
    rendition = live(small_guide)["listen"]
    assert rendition.segment_keys == []  # made by master(), not from segments
    decoded, rate = decode_strictly(default_storage.open(rendition.audio.name).read())
    assert loudness_of(decoded, rate) == pytest.approx(LISTEN.loudness_lufs, abs=0.5)
    assert len(decoded) / rate == pytest.approx(rendition.duration, abs=0.001)
    assert live(small_guide)["lowdata"].segment_keys  # the other variant was fine


@pytest.mark.django_db
def test_a_joined_file_whose_header_disagrees_is_replaced_by_the_guide_mastered_whole(
    small_guide, monkeypatch, caplog
):
    """Players trust the header for the length.

    If it says otherwise than the segments add up to, no join.
    """
    header_samples = segmented.header_samples
    monkeypatch.setattr(segmented, "header_samples", lambda data: header_samples(data) + 1152)
    run_job(small_guide.pk)
    assert "the joined file says it holds" in caplog.text
    for variant in VARIANTS:
        rendition = live(small_guide)[variant.name]
        assert rendition.segment_keys == []
        decoded, rate = decode_strictly(default_storage.open(rendition.audio.name).read())
        assert len(decoded) / rate == pytest.approx(rendition.duration, abs=0.001)


@pytest.mark.django_db
def test_a_new_voice_is_measured_on_its_first_segment(small_guide, encodes, monkeypatch):
    """No segment of the voice yet, and a bad first guess.

    Only the first segment is encoded twice.
    """
    monkeypatch.setitem(segmented._FIRST_GUESS_CODEC_GAIN_DB, "libopus", +1.5)
    run_job(small_guide.pk)
    assert len([n for name, n in encodes if name == "lowdata"]) == 4  # 3 segments, the first twice
    for row in MasteredSegment.objects.filter(variant="lowdata"):
        assert row.loudness_lufs == pytest.approx(
            LOWDATA.loudness_lufs, abs=segmented.SEGMENT_TOLERANCE_LU
        )


@pytest.mark.django_db
def test_segments_over_the_ceiling_in_the_joined_file_are_mastered_again(
    small_guide, encodes, monkeypatch, caplog
):
    """Codec peaks vary from section to section.

    One over the ceiling gets a second, lower-limited pass.
    """
    caplog.set_level(logging.INFO, logger="audio.mastering")
    monkeypatch.setitem(
        segmented._SEGMENT_PEAK_RISE_DB, "libopus", 0.0
    )  # no room left for Opus's peaks
    run_job(small_guide.pk)
    assert "segment(s) read off target; mastering them again" in caplog.text
    assert (
        len([n for name, n in encodes if name == "lowdata"]) > 3
    )  # one per segment, and second passes
    rendition = live(small_guide)["lowdata"]
    assert len(rendition.segment_keys) == 3  # joined segments, not the whole-guide fallback
    decoded, _rate = decode_strictly(default_storage.open(rendition.audio.name).read())
    assert true_peak_of(decoded) <= LOWDATA.true_peak_dbtp + 0.001
    for row in MasteredSegment.objects.filter(variant="lowdata"):
        assert row.true_peak_dbtp <= LOWDATA.true_peak_dbtp
