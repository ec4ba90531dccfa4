"""What a recorded call heard, found by normalized cross-correlation with the sounds played.

``find`` slides a sound along the recording and returns where it matches best and how well
(1.0: the same waveform, up to gain; seeded noise that was not played scores under 0.1);
``first`` finds where a sound's start is first heard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

HEARD = 0.6  # a sound scores this much or more where it was played (G.711 keeps ~0.99)


@dataclass(frozen=True)
class Match:
    at: float  # seconds into the recording
    score: float


def correlation(recording: np.ndarray, sound: np.ndarray) -> np.ndarray:
    """The normalized cross-correlation of ``sound`` at every start in ``recording``."""
    if len(recording) < len(sound):
        return np.zeros(1)
    dots = fftconvolve(recording, sound[::-1], mode="valid")
    energy = np.concatenate(([0.0], np.cumsum(recording**2)))
    window = energy[len(sound) :] - energy[: -len(sound)]
    norms = np.sqrt(np.maximum(window, 1e-12)) * np.linalg.norm(sound)
    return dots / norms


def find(recording: np.ndarray, sound: np.ndarray, rate: int, after: float = 0.0) -> Match:
    """Where the whole ``sound`` best matches, from ``after`` seconds on."""
    start = int(after * rate)
    scores = correlation(recording[start:], sound)
    best = int(np.argmax(scores))
    return Match((start + best) / rate, float(scores[best]))


def first(
    recording: np.ndarray, sound: np.ndarray, rate: int, after: float = 0.0, seconds=0.15
) -> Match:
    """Where the first ``seconds`` of ``sound`` are first heard from ``after`` on (a key may
    cut a sound short); the best match of that start when it is nowhere heard."""
    start = int(after * rate)
    scores = correlation(recording[start:], sound[: int(seconds * rate)])
    above = np.flatnonzero(scores >= HEARD)
    if not len(above):
        best = int(np.argmax(scores))
        return Match((start + best) / rate, float(scores[best]))
    window = scores[above[0] : above[0] + rate // 50]  # the peak, within 20 ms
    at = int(above[0] + np.argmax(window))
    return Match((start + at) / rate, float(scores[at]))


def find_in_pieces(
    recording: np.ndarray, sound: np.ndarray, rate: int, after: float = 0.0, piece: float = 0.5
) -> Match:
    """Where a long sound (speech) was heard whole, piece by piece: a receiver's jitter buffer
    may shift the audio by a frame now and then, which sinks one long correlation.

    Each half second that is not silence is found on its own; ``at`` is the median start
    they imply, ``score`` the share of pieces heard (``HEARD``) within 0.15 s of it."""
    size = int(piece * rate)
    loud = np.max(np.abs(sound)) or 1.0
    starts = [
        start
        for start in range(0, len(sound) - size + 1, size)
        if np.sqrt(np.mean(sound[start : start + size] ** 2)) > 0.05 * loud
    ]
    if not starts:
        return find(recording, sound, rate, after)
    found = [(start, find(recording, sound[start : start + size], rate, after)) for start in starts]
    implied = np.median([match.at - start / rate for start, match in found])
    agreeing = [
        match.score >= HEARD and abs(match.at - start / rate - implied) <= 0.15
        for start, match in found
    ]
    return Match(float(implied), sum(agreeing) / len(agreeing))
