"""Segments: a guide mastered one section at a time, joined without re-encoding.

``master_segment`` masters one section's clip as its own file: its share of
the pause around it, its own loudness and true-peak ceiling, one encode.
``join_segments`` puts the encoded frames of several such files one after
the other in one container, with one header for the whole (MP3: one
Xing/LAME frame with the first file's encoder delay and the last one's
padding; Ogg Opus: one logical stream, the first file's pre-skip, granule
positions for the whole). Each encode starts from silence and ends in
silence, so the seams (an encoder's padding, the next one's priming, a
decoder carrying state across) fall inside the pause between sections.
``read_segment`` decodes each new segment once, as a player would, and
keeps its hop energies and true peak: a segment that missed its target (a
codec change not yet known for a voice) is mastered again, aiming off by
what the codec did to it, as ``master`` does for a whole file. The joined
file's loudness is gated over its segments' hops (``joined_loudness``), so
it is never decoded whole: after an edit only the new segment is.

Where a section's speech lands in the joined file comes from the frames
themselves: what each file decodes to (frames x frame size), less the
priming the decoder skips at the start of the whole file. A guide whose
sections all read at the target reads at the target as a whole (pauses are
gated out), and sections from recordings of different levels even out.

The top layer of ``audio.mastering``: sections are mastered with the aims
``whole`` uses for a file (``limiter``, ``encode``), read with the meter's
parts (``loudness``) and joined by ``join``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audio.variants import CODECS, Variant, segment_format

from . import encode
from .decode import MASTER_SAMPLE_RATE, _decode
from .encode import _resample
from .join import (
    _PACKET_WORK,
    EncodedSegment,
    JoinedAudio,
    header_samples,
    join_segments,
)
from .limiter import _fit_loudness, _Source
from .loudness import (
    _GATE_BLOCK_SECONDS,
    Loudness,
    _as_float,
    _db,
    _gated_loudness,
    _hop_bounds,
    _hop_energies,
    _TruePeaks,
)
from .whole import _CODEC_GAIN_DB, _LOSSLESS_PEAK_RISE_DB, _MAX_CORRECTION_LU, _target

logger = logging.getLogger(__name__)

# Segments land this close to the target, so that the whole file, whose
# loudness is the energy-weighted mean of theirs, is well within
# LOUDNESS_TOLERANCE_LU.
SEGMENT_TOLERANCE_LU = 0.3

# A voice no segment has shown yet starts from this (its first segment is
# then measured): Opus took 0.5 LU from espeak's guide, 1.1 from a hissier
# voice, which that segment's second pass corrects.
_FIRST_GUESS_CODEC_GAIN_DB = {"libopus": -0.5}

# What a codec adds to a segment's true peaks varies more from section to
# section than over a whole guide (_CODEC_PEAK_RISE_DB). Measured per
# section on the Mixco and Patzún guides (espeak): MP3 32 kbps +0.3 to +1.9
# dB, Opus 16 kbps +1.8 to +3.1 dB. A segment over the ceiling costs
# another encode and decode, so the first pass limits with
# room for the largest, and a second pass with a dB more than it missed by.
_SEGMENT_PEAK_RISE_DB = {"libmp3lame": 2.0, "libopus": 3.3}
_SEGMENT_PEAK_RETRY_DB = 1.0

# A segment's tail keeps at least this much silence after its speech.
_MIN_TAIL_SECONDS = 0.1

# Segments read: those off target in the first reading are mastered again
# once (as master() makes a second pass).
_READ_PASSES = 2


@dataclass(frozen=True)
class SegmentReading:
    """A segment as a player decodes it (``read_segment``), measured once and kept with it.

    `hop_energies` are the K-weighted sums of squares (channels summed) of
    its 100 ms hops from its own first sample; `true_peak` is linear; `rate`
    is the variant's. A segment shorter than one 400 ms gating block reads
    -inf LUFS on its own.
    """

    hop_energies: np.ndarray
    true_peak: float
    rate: int

    @property
    def loudness(self) -> Loudness:
        return Loudness(_gated_loudness(self.hop_energies, self.rate), _db(self.true_peak))


@dataclass(frozen=True)
class JoinedLoudness:
    """How a joined file reads.

    Whole (``joined_loudness``), its length as its header says, and each segment.
    """

    loudness: Loudness
    samples: int
    segments: list[Loudness]


@dataclass(frozen=True)
class JoinedMaster:
    """A guide's sections mastered and joined: what ``master_joined`` returns.

    `segments` are all of them, as joined, with their `readings`; `mastered`
    the indices of those mastered in this call (the others were given as
    made), `read` those decoded and measured in this call.
    """

    joined: JoinedAudio
    heard: JoinedLoudness
    segments: list[EncodedSegment]
    readings: list[SegmentReading]
    mastered: set[int]
    read: set[int]


def master_joined(
    clips: Sequence[np.ndarray | Callable[[], np.ndarray]],
    variant: Variant,
    *,
    pause_seconds: float,
    made: Sequence[EncodedSegment | None] | None = None,
    readings: Sequence[SegmentReading | None] | None = None,
    codec_change_lu: float | None = None,
) -> JoinedMaster:
    """Master a guide's sections as segments, check each as decoded, join them.

    `clips` are each section's samples (mono, MASTER_SAMPLE_RATE), or a
    function giving them, called only if that section must be mastered.
    Sections with a segment in `made` are not mastered again unless it
    reads off target; those with a reading in `readings` are not decoded
    again. New segments aim by `codec_change_lu` (what the codec did to
    earlier segments of the voice), else by what it did to the first of
    them. Segments that read off target (``segment_on_target``) are
    mastered again, aiming off by what the codec did to them, once. The
    joined file is then made once; it is not decoded whole.
    """
    count = len(clips)
    segments = list(made) if made is not None else [None] * count
    readings = list(readings) if readings is not None else [None] * count
    if len(segments) != count or len(readings) != count:
        raise ValueError(
            "master_joined() needs one made segment and one reading (or None) per clip"
        )
    readings = [r if s is not None else None for s, r in zip(segments, readings, strict=True)]

    def mastered(
        index: int, missed: tuple[EncodedSegment, Loudness] | None = None
    ) -> EncodedSegment:
        clip = clips[index]
        return master_segment(
            clip() if callable(clip) else clip,
            variant,
            pause_seconds=pause_seconds,
            first=index == 0,
            last=index == count - 1,
            codec_change_lu=codec_change_lu,
            missed=missed,
        )

    fresh = {index for index, segment in enumerate(segments) if segment is None}
    read: set[int] = set()
    if codec_change_lu is None and fresh and _codec_change_unknown(variant):
        # A voice no segment has shown yet: its first new segment, decoded,
        # shows what the codec does to it, and the others aim by that.
        first = min(fresh)
        segments[first] = mastered(first)
        readings[first] = read_segment(segments[first], variant)
        read.add(first)
        codec_change_lu = segments[first].codec_change_lu(readings[first].loudness, variant)
    for index in sorted(i for i in fresh if segments[i] is None):
        segments[index] = mastered(index)
    for attempt in range(_READ_PASSES):
        for index, segment in enumerate(segments):
            if readings[index] is None:
                readings[index] = read_segment(segment, variant)
                read.add(index)
        missed = [i for i, r in enumerate(readings) if not segment_on_target(r.loudness, variant)]
        if not missed or attempt == _READ_PASSES - 1:
            break
        logger.info(
            "%s: %d segment(s) read off target; mastering them again", variant.name, len(missed)
        )
        for index in missed:
            segments[index] = mastered(index, missed=(segments[index], readings[index].loudness))
            readings[index] = None
        fresh.update(missed)
    joined = join_segments(segments, variant)
    heard = JoinedLoudness(
        joined_loudness(readings), header_samples(joined.data), [r.loudness for r in readings]
    )
    return JoinedMaster(joined, heard, segments, readings, fresh, read)


def _codec_change_unknown(variant: Variant) -> bool:
    return CODECS[variant.codec].lossy and variant.codec not in _CODEC_GAIN_DB


def master_segment(
    clip: np.ndarray,
    variant: Variant,
    *,
    pause_seconds: float,
    first: bool,
    last: bool,
    codec_change_lu: float | None = None,
    missed: tuple[EncodedSegment, Loudness] | None = None,
) -> EncodedSegment:
    """Master one section's clip (mono, MASTER_SAMPLE_RATE) as a segment of a guide; one encode.

    Silence goes around the clip (``_segment_layout``): half the pause
    before it unless it is `first`, half after it unless it is `last`. The
    segment is brought to the variant's loudness and limited under its
    ceiling on its own, aiming off by `codec_change_lu` (what the codec did
    to earlier segments of the same voice; MP3's change is known). Given
    `missed` (this segment as made before, and how it read in the joined
    file), it aims off by what the codec did to it instead and limits lower
    if its peaks passed the ceiling.
    """
    clip = _as_float(clip)
    if clip.ndim != 1 or not np.all(np.isfinite(clip)):
        raise ValueError(f"master_segment() needs finite mono samples, got shape {clip.shape}")
    rate = variant.sample_rate
    body = _resample(clip, MASTER_SAMPLE_RATE, rate) if len(clip) else clip
    lead, tail = _segment_layout(len(body), variant, pause_seconds, first=first, last=last)
    x = np.zeros(max(lead + len(body) + tail, 1), dtype=np.float32)
    x[lead : lead + len(body)] = body

    limit = variant.true_peak_dbtp - _SEGMENT_PEAK_RISE_DB.get(
        variant.codec, _LOSSLESS_PEAK_RISE_DB
    )
    if missed is not None:
        before, heard = missed
        codec_change_lu = before.codec_change_lu(heard, variant)
        if codec_change_lu is not None:  # within reason, as in master()
            codec_change_lu = max(-_MAX_CORRECTION_LU, min(codec_change_lu, _MAX_CORRECTION_LU))
        limit = before.limit_dbtp
        overshoot = heard.true_peak_dbtp - variant.true_peak_dbtp
        if overshoot > 0:
            limit -= overshoot + _SEGMENT_PEAK_RETRY_DB
    if not CODECS[variant.codec].lossy:
        expected = 0.0
    elif codec_change_lu is not None and math.isfinite(codec_change_lu):
        expected = codec_change_lu
    else:
        expected = _CODEC_GAIN_DB.get(
            variant.codec, _FIRST_GUESS_CODEC_GAIN_DB.get(variant.codec, 0.0)
        )
    fitted, encoded_lufs = _fit_loudness(_Source(x, rate), _target(variant) - expected, limit)
    return EncodedSegment(
        encode.encode_variant(fitted, variant, segment_format(variant)["container"]),
        lead,
        len(body),
        len(x),
        encoded_lufs,
        limit,
    )


def segment_on_target(heard: Loudness, variant: Variant) -> bool:
    """Whether a segment, as heard in the joined file, is under the ceiling and within
    ``SEGMENT_TOLERANCE_LU`` of the target."""
    miss = heard.integrated_lufs - variant.loudness_lufs
    return heard.true_peak_dbtp <= variant.true_peak_dbtp and (
        not math.isfinite(miss) or abs(miss) <= SEGMENT_TOLERANCE_LU
    )


def _framing(variant: Variant) -> tuple[int, int]:
    """(samples per frame, priming) of the variant's encoder, at its rate.

    Priming is what a decoder drops at the start: LAME's encoder delay (576)
    plus the MP3 decoder's (529); libopus's pre-skip (312 at 48 kHz).
    """
    if variant.codec == "libmp3lame":
        return (1152 if variant.sample_rate >= 32000 else 576), 576 + 529
    return 960, 312  # libopus, 20 ms frames


def _segment_layout(
    clip_samples: int, variant: Variant, pause_seconds: float, *, first: bool, last: bool
) -> tuple[int, int]:
    """Silence before and after a clip in its segment, in samples at the variant's rate.

    Half the pause ends one segment and half starts the next, so the seam
    lies mid-pause and speech starts after enough silence for the decoder to
    settle. A tail is cut so that the segment fills whole codec frames as
    close as possible to its planned length: pauses stay ~1 s and the listen
    and lowdata timelines stay within a frame or two of each other.
    """
    frame, priming = _framing(variant)
    half = round(pause_seconds / 2 * variant.sample_rate)
    lead = 0 if first else half
    if last:
        return lead, 0  # the file's end padding is trimmed by players
    # Encoders flush less than half a frame past their priming (LAME ~50
    # samples): aiming half a frame short lands on exactly `frames` frames.
    spoken = lead + clip_samples + priming + frame // 2
    fewest = math.ceil((spoken + round(_MIN_TAIL_SECONDS * variant.sample_rate)) / frame)
    frames = max(round((lead + clip_samples + half) / frame), fewest)
    return lead, frames * frame - spoken


def read_segment(segment: EncodedSegment, variant: Variant) -> SegmentReading:
    """Decode a segment's file as a player would and measure it: once per segment, kept with it.

    In the joined file a segment plays exactly these samples (its priming
    dropped, as the join counts it); only the few milliseconds at each seam,
    mid-pause, decode a little differently there.
    """
    with _PACKET_WORK:
        chunks, rate, channels = _decode(segment.data, mono=False)
    if (rate, channels) != (variant.sample_rate, variant.channels):
        raise RuntimeError(
            f"{variant.name}: segment decodes as {rate} Hz x {channels}, expected "
            f"{variant.sample_rate} Hz x {variant.channels}"
        )
    decoded = np.concatenate(chunks)
    # Shorter than a gating block: padded with silence so that its energy
    # still counts in the file it joins (alone it reads -inf).
    shortest = int(_GATE_BLOCK_SECONDS * rate) + 1
    padded = np.pad(decoded, ((0, max(0, shortest - len(decoded))), (0, 0)))
    bounds = _hop_bounds(len(padded), rate)
    columns = [np.ascontiguousarray(column) for column in padded.T]
    energies = sum(_hop_energies(column, rate, bounds) for column in columns)
    peak = max(_TruePeaks(column).maximum() for column in columns)
    return SegmentReading(energies, peak, rate)


def joined_loudness(readings: Sequence[SegmentReading]) -> Loudness:
    """A joined file's loudness and true peak, from its segments' readings in order.

    Gated over the segments' hops one after another: blocks across a seam
    fall in a pause and are gated out either way, so this reads what
    ``measure`` reads on the decoded file (to a few hundredths of a LU).
    """
    energies = np.concatenate([r.hop_energies for r in readings])
    peak = max(r.true_peak for r in readings)
    return Loudness(_gated_loudness(energies, readings[0].rate), _db(peak))
