"""Stage 4, a section at a time: mastered segments, cached, joined.

A rendition is not mastered whole. Each section's clip is mastered and
encoded on its own for each variant, the segments are joined without
re-encoding and the joined file is measured once
(``mastering.master_joined``). Segments are kept as ``MasteredSegment`` rows
(and a file of the variant's format each) for the next publish.

A segment is keyed by everything that changes its bytes: the clip, the
variant's whole encoder and loudness configuration, MASTERING_VERSION (bump it
when mastering changes what it makes), the PyAV build (its FFmpeg, LAME and
libopus), the pause it carries and whether its section comes first or last.
So an unchanged section is never encoded twice, and editing one section
re-encodes only that section's segments (and its neighbour's, when a section
is added or removed at either end).

What a codec does to loudness (Opus: -0.5 LU on espeak, -1.1 on a hissier
voice) is learned from the segments already made in the same voice and
variant, so a new segment is usually encoded once. Each segment is decoded
and measured once, when it is made, and stored only if it reads right; its
reading (hop energies, true peak) is stored with it, and a rendition's
loudness is reckoned from its segments' readings. So an edit decodes only the
segment it changed, never the whole joined file.
"""

import dataclasses
import hashlib
import json
import logging
import os
import statistics
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .mastering.decode import MASTER_SAMPLE_RATE
from .mastering.join import EncodedSegment
from .mastering.segmented import SegmentReading, master_joined, segment_on_target
from .models import MasteredSegment, storable_figure
from .variants import encoder_options, segment_format

logger = logging.getLogger(__name__)

MASTERING_VERSION = 1

# Recent segments of a voice whose codec loudness change a new one aims by (their median).
_PRIOR_SEGMENTS = 25


def segment_key(clip_key, variant, *, pause_seconds, first, last):
    payload = json.dumps(
        {
            "clip": clip_key,
            # The segment's own container, not the guide's: Ogg segments made
            # when lowdata was Ogg are the same bytes now that it is WebM.
            "variant": dataclasses.asdict(variant) | segment_format(variant),
            "encoder": encoder_options(variant),
            "mastering": MASTERING_VERSION,
            "pyav": av.__version__,
            "rate": MASTER_SAMPLE_RATE,
            "pause": pause_seconds,
            "first": first,
            "last": last,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclasses.dataclass
class SegmentedAudio:
    """One variant's segments joined, and how the joined file reads."""

    joined: object  # mastering.JoinedAudio
    heard: object  # mastering.JoinedLoudness
    keys: list
    encoded: int  # segments mastered now; the others came from the cache


def segmented_audio(clips, variants, *, pause_seconds, refresh=False):
    """Each variant's segments of the clips, from the cache or mastered now, joined and measured.

    `clips` are ``clips.SectionAudio`` in reading order. New segments aim
    by the codec change recent segments of the voice showed, and are stored
    once they read right in the joined file. With `refresh` every segment
    is mastered again. Returns variant name → SegmentedAudio.

    Variants are mastered side by side, a thread each (up to the CPUs):
    encoders and numpy release the GIL. The database is used only from the
    calling thread.
    """
    last = len(clips) - 1
    plans = []
    for variant in variants:
        keys = [
            segment_key(
                c.clip.key, variant, pause_seconds=pause_seconds, first=i == 0, last=i == last
            )
            for i, c in enumerate(clips)
        ]
        cached = [(None, None)] * len(keys) if refresh else _cached_segments(keys, variant)
        made, readings = [m for m, _r in cached], [r for _m, r in cached]
        changes = (
            _recent_codec_changes(variant, clips[0].clip) if any(m is None for m in made) else []
        )
        plans.append(
            _Plan(variant, keys, made, readings, statistics.median(changes) if changes else None)
        )

    def master(plan):
        return master_joined(
            [clip.pcm for clip in clips],
            plan.variant,
            pause_seconds=pause_seconds,
            made=plan.made,
            readings=plan.readings,
            codec_change_lu=plan.codec_change_lu,
        )

    with ThreadPoolExecutor(max_workers=max(1, min(len(plans), os.cpu_count() or 1))) as pool:
        results = list(pool.map(master, plans))

    audio = {}
    for plan, result in zip(plans, results, strict=True):
        for index in sorted(result.read):
            reading = result.readings[index]
            if index not in result.mastered:  # cached before readings were kept
                _keep_reading(plan.keys[index], reading)
            elif segment_on_target(
                reading.loudness, plan.variant
            ):  # never cache one that reads wrong
                _store(
                    plan.keys[index],
                    clips[index].clip,
                    plan.variant,
                    result.segments[index],
                    reading,
                )
        audio[plan.variant.name] = SegmentedAudio(
            result.joined, result.heard, plan.keys, len(result.mastered)
        )
    return audio


@dataclasses.dataclass
class _Plan:
    variant: object
    keys: list
    made: list  # a cached EncodedSegment per section, or None where one must be mastered
    readings: list  # its cached SegmentReading, or None where it must be decoded
    codec_change_lu: float | None  # what new segments aim by


def _cached_segments(keys, variant):
    """(segment, reading) cached for each key; None for what is not."""
    cached = _cached(keys)
    made = []
    for key in keys:
        row = cached.get(key)
        if row is None:
            made.append((None, None))
            continue
        with row.audio.open("rb") as file:
            made.append((_from_row(row, file.read()), _reading(row, variant)))
    return made


def _cached(keys):
    """Cached segments by key, marked used first (so eviction cannot take them meanwhile)."""
    MasteredSegment.objects.filter(key__in=keys).update(used_at=timezone.now())
    return {
        row.key: row
        for row in MasteredSegment.objects.filter(key__in=keys)
        if row.audio.storage.exists(row.audio.name)
    }


def _from_row(row, data):
    encoded_lufs = row.encoded_lufs if row.encoded_lufs is not None else float("-inf")
    return EncodedSegment(
        data, row.lead_samples, row.clip_samples, row.samples, encoded_lufs, row.limit_dbtp
    )


def _reading(row, variant):
    if row.hop_energies is None:
        return None
    peak = 10 ** (row.true_peak_dbtp / 20) if row.true_peak_dbtp is not None else 0.0
    return SegmentReading(
        np.frombuffer(bytes(row.hop_energies), dtype="<f8"), peak, variant.sample_rate
    )


def _reading_fields(reading):
    loudness = reading.loudness
    return {
        "loudness_lufs": storable_figure(loudness.integrated_lufs),
        "true_peak_dbtp": storable_figure(loudness.true_peak_dbtp),
        "hop_energies": np.asarray(reading.hop_energies, dtype="<f8").tobytes(),
    }


def _keep_reading(key, reading):
    MasteredSegment.objects.filter(key=key).update(**_reading_fields(reading))


def _recent_codec_changes(variant, clip):
    return list(
        MasteredSegment.objects.filter(
            variant=variant.name,
            engine=clip.engine,
            voice=clip.voice,
            codec_change_lu__isnull=False,
        )
        .order_by("-created_at")
        .values_list("codec_change_lu", flat=True)[:_PRIOR_SEGMENTS]
    )


def _store(key, clip, variant, segment, reading):
    row = MasteredSegment(
        key=key,
        clip_key=clip.key,
        variant=variant.name,
        engine=clip.engine,
        voice=clip.voice,
        lead_samples=segment.lead_samples,
        clip_samples=segment.clip_samples,
        samples=segment.samples,
        encoded_lufs=storable_figure(segment.encoded_lufs),
        limit_dbtp=segment.limit_dbtp,
        codec_change_lu=segment.codec_change_lu(reading.loudness, variant),
        **_reading_fields(reading),
    )
    row.audio.save(
        f"{key}.{segment_format(variant)['extension']}", ContentFile(segment.data), save=False
    )
    try:
        with transaction.atomic():
            # A refreshed or re-mastered segment replaces its row. Its old file
            # is left to cache eviction: another worker may be joining it now.
            MasteredSegment.objects.filter(key=key).delete()
            row.save()
    except IntegrityError:  # another worker stored the same segment meanwhile
        # In S3 both may have written the same name (no atomic "create if absent"): then the
        # file is the other worker's row's too and stays.
        if not MasteredSegment.objects.filter(key=key, audio=row.audio.name).exists():
            row.audio.delete(save=False)
