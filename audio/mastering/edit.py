"""Editing in the working format: trim a clip's silence, join clips with pauses.

Above ``decode`` (the working format's rate) in ``audio.mastering``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .decode import MASTER_SAMPLE_RATE


def trim_silence(
    pcm: np.ndarray,
    threshold_db: float = -50.0,
    keep_seconds: float = 0.05,
    *,
    sample_rate: int = MASTER_SAMPLE_RATE,
) -> np.ndarray:
    """Cut leading and trailing silence, keeping `keep_seconds` of it each side.

    Silence is every sample below `threshold_db` dBFS. Keeping a little of it
    lets speech start and end naturally (engines fade out). A clip that is all
    silence gives an empty array. Returns a view of `pcm`.
    """
    audible = np.flatnonzero(np.abs(pcm) > 10 ** (threshold_db / 20))
    if audible.size == 0:
        return pcm[:0]
    keep = round(keep_seconds * sample_rate)
    return pcm[max(audible[0] - keep, 0) : audible[-1] + 1 + keep]


def join_with_pauses(
    segments: Sequence[np.ndarray],
    pauses: Sequence[float],
    *,
    sample_rate: int = MASTER_SAMPLE_RATE,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Concatenate mono segments with `pauses[i]` seconds of silence after segment i.

    Returns the joined audio and the (start, end) of each segment in seconds.
    Pauses are rounded to whole samples first, so ``start * sample_rate`` is
    exactly the segment's first sample and captions/chapters line up with it.
    """
    if len(pauses) != max(len(segments) - 1, 0):
        raise ValueError(
            f"join_with_pauses needs one pause between each pair of segments: "
            f"{len(segments)} segments, {len(pauses)} pauses"
        )
    for pause in pauses:
        if not (math.isfinite(pause) and pause >= 0):
            raise ValueError(f"Pauses must be finite and >= 0 seconds, not {pause!r}")
    for index, segment in enumerate(segments):
        if np.ndim(segment) != 1:
            raise ValueError(f"Segment {index} is not mono (shape {np.shape(segment)})")
    gaps = [round(pause * sample_rate) for pause in pauses] + [0]
    joined = np.zeros(sum(len(s) for s in segments) + sum(gaps), dtype=np.float32)
    spans = []
    position = 0
    for segment, gap in zip(segments, gaps, strict=True):
        joined[position : position + len(segment)] = segment
        spans.append((position / sample_rate, (position + len(segment)) / sample_rate))
        position += len(segment) + gap
    return joined, spans
