"""Mastering a piece of audio whole: ``master``, for one file per variant.

Radio spots and programs, lossless variants and the fallback for a guide
whose joined segments missed: gain and limiting (``limiter``), one encode
(``encode``), then the file decoded and measured (``loudness``); up to two
more passes correct what the codec changed. Tags come from ``tags``.

Above ``limiter``, ``encode``, ``decode``, ``loudness`` and ``tags`` in
``audio.mastering``; ``segmented`` masters segments with the same aims
(``_target`` and the codec figures here).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from audio.variants import CODECS, Variant

from .decode import MASTER_SAMPLE_RATE
from .encode import _encode_and_decode, _resample
from .limiter import MAX_GAIN_DB, _fit_loudness, _Source
from .loudness import Loudness, _as_float, _lufs, _ranges, measure
from .tags import Metadata, tag

logger = logging.getLogger(__name__)

# Another encode pass runs when the encoded file misses its loudness target by
# more than this, or its true peak passes the ceiling; at most _MAX_PASSES.
LOUDNESS_TOLERANCE_LU = 0.5
_MAX_PASSES = 3

# A later pass moves the target by at most this much: a codec that moved
# loudness further threw content away (e.g. highs above its bandwidth), and
# chasing that with gain would only push peaks up.
_MAX_CORRECTION_LU = 3.0

# Lossy codecs add peaks of their own (coding noise, dropped highs, phase
# they do not keep); the limiter aims this far below the ceiling so that the
# first encode fits. Measured on the Mixco guide (espeak, 14 minutes) as the
# decoded file's true peak over the limiter's: MP3 32 kbps +1.0 to +1.2 dB
# (its level drop included), Opus 16 kbps +2.3 to +2.5 dB; speech-like test
# signals rose less. A few tenths of a dB are kept to spare. Lossless codecs
# only round to 16 bits. G.711 μ-law's steps grow with the level (1/16 of its top
# segment): a sine at half scale comes back 0.2 dB higher.
_CODEC_PEAK_RISE_DB = {"libmp3lame": 1.5, "libopus": 2.8, "pcm_mulaw": 0.4}
_LOSSLESS_PEAK_RISE_DB = 0.1

# What a codec does to loudness. MP3 is steady: with the LAME and FFmpeg
# decoders bundled in PyAV 18 it plays back 0.44 dB below its input at every
# bitrate and rate, a 1 kHz sine as much as speech, so the first pass aims
# that much higher. Other codecs depend on the voice: Opus 16 kbps took 0.5 LU
# from espeak's guide and 1.1-1.2 LU from a hissier synthetic voice. For
# them the change is measured on the audio itself before the real encode: a
# few excerpts spread over it, encoded and decoded (~4 % of the encoding
# work; on the Mixco guide within 0.03 LU of what the whole file then did).
# Audio too short to sample that way is left to the correction pass.
_CODEC_GAIN_DB = {"libmp3lame": -0.44}
_PROBE_EXCERPTS = 6
_PROBE_EXCERPT_SECONDS = 5.0


@dataclass(frozen=True)
class MasteredAudio:
    """One encoded variant of a guide.

    `duration_seconds` and `loudness` are measured on the encoded file, decoded
    again, so they are what listeners get.
    """

    data: bytes
    duration_seconds: float
    loudness: Loudness
    mime_type: str

    @property
    def size_bytes(self) -> int:
        return len(self.data)


def master(pcm: np.ndarray, variant: Variant, metadata: Metadata | None = None) -> MasteredAudio:
    """Encode mono audio at MASTER_SAMPLE_RATE as `variant`, at its loudness.

    Gain to the variant's integrated loudness target (at most +30 dB),
    true-peak limiting below its ceiling, resampling to its rate and channels,
    one encode with PyAV, tags from `metadata`. The result is decoded and
    measured; up to two more passes correct what the codec changed. The
    ceiling wins over the loudness target when both cannot be met.
    Silence stays silence (loudness -inf). Raises ValueError for empty or
    non-finite input.
    """
    pcm = _checked(pcm, "master()")
    rate = variant.sample_rate
    source = _Source(_resample(pcm, MASTER_SAMPLE_RATE, rate), rate)
    target = _target(variant)
    aim = target - _codec_loudness_change(source, variant, target)
    best = _passes(source, variant, aim, LOUDNESS_TOLERANCE_LU)
    data = best.data if metadata is None else tag(best.data, variant, metadata)
    return MasteredAudio(data, best.duration_seconds, best.loudness, variant.mime_type)


def _checked(pcm: np.ndarray, caller: str) -> np.ndarray:
    pcm = _as_float(pcm)
    if pcm.ndim != 1 or not len(pcm):
        raise ValueError(f"{caller} needs non-empty mono samples, got shape {pcm.shape}")
    if not np.all(np.isfinite(pcm)):
        raise ValueError(f"{caller} got NaN or infinite samples")
    return pcm


def _target(variant: Variant) -> float:
    """The loudness to aim for before encoding, as the meter reads the mono source.

    The meter sums channels: identical stereo channels read 3 LU above mono.
    """
    return variant.loudness_lufs - 10 * math.log10(variant.channels)


def _passes(source: _Source, variant: Variant, aim: float, tolerance: float) -> _Attempt:
    """Encode passes until the decoded file is within `tolerance` of the target, under the ceiling.

    `aim` is the first pass's loudness before encoding (the target, moved by
    what the codec is expected to do); a later pass moves it by what the
    codec did. Returns the best of at most _MAX_PASSES attempts.
    """
    ceiling = variant.true_peak_dbtp - _CODEC_PEAK_RISE_DB.get(
        variant.codec, _LOSSLESS_PEAK_RISE_DB
    )
    attempts = []
    for _ in range(_MAX_PASSES):
        attempt = _attempt(source, variant, aim, ceiling)
        attempts.append(attempt)
        miss = variant.loudness_lufs - attempt.loudness.integrated_lufs
        overshoot = attempt.loudness.true_peak_dbtp - variant.true_peak_dbtp
        if not math.isfinite(miss) or (abs(miss) <= tolerance and overshoot <= 0):
            break
        logger.info(
            "%s: encoded at %.2f LUFS / %.2f dBTP, correcting in another pass",
            variant.name,
            attempt.loudness.integrated_lufs,
            attempt.loudness.true_peak_dbtp,
        )
        # Aim off by what the codec did, within reason. Codec peaks are partly
        # noise, not the limiter's input: leave a little more room than missed.
        aim += max(-_MAX_CORRECTION_LU, min(miss, _MAX_CORRECTION_LU))
        if overshoot > 0:
            ceiling -= overshoot + 0.3
    return _best(attempts, variant)


def _codec_loudness_change(source: _Source, variant: Variant, target: float) -> float:
    """How much encoding as `variant` will change this audio's loudness, in LU.

    Known for MP3; otherwise measured on excerpts spread over the audio,
    brought near the target loudness (codecs treat near-silent input
    differently) without passing 0 dBFS. 0 for audio too short to sample.
    """
    if not CODECS[variant.codec].lossy:
        return 0.0
    if variant.codec in _CODEC_GAIN_DB:
        return _CODEC_GAIN_DB[variant.codec]
    rate, samples = source.rate, len(source.x)
    length = round(_PROBE_EXCERPT_SECONDS * rate)
    measured = source.loudness()
    if samples < 4 * _PROBE_EXCERPTS * length or not math.isfinite(measured):
        return 0.0
    starts = ((np.arange(_PROBE_EXCERPTS) + 0.5) * samples / _PROBE_EXCERPTS - length / 2).astype(
        np.int64
    )
    excerpts = source.x[_ranges(starts, starts + length)]
    top = float(np.abs(excerpts).max())
    if top == 0:  # the excerpts fell in silence
        return 0.0
    gain = min(10 ** (min(target - measured, MAX_GAIN_DB) / 20), 0.9 / top)
    excerpts = excerpts * np.float32(gain)
    _, decoded = _encode_and_decode(excerpts, variant)
    change = _lufs(decoded, rate) - 10 * math.log10(variant.channels) - _lufs(excerpts, rate)
    return change if math.isfinite(change) else 0.0


@dataclass(frozen=True)
class _Attempt:
    data: bytes
    duration_seconds: float
    loudness: Loudness


def _attempt(source: _Source, variant: Variant, target: float, ceiling: float) -> _Attempt:
    """One pass: gain and limiting, encode, then decode and measure the result."""
    fitted, _reached = _fit_loudness(source, target, ceiling)
    data, decoded = _encode_and_decode(fitted, variant)
    return _Attempt(data, len(decoded) / variant.sample_rate, measure(decoded, variant.sample_rate))


def _best(attempts: list[_Attempt], variant: Variant) -> _Attempt:
    """The ceiling is a hard limit, the loudness target a soft one: pick accordingly."""
    fitting = [a for a in attempts if a.loudness.true_peak_dbtp <= variant.true_peak_dbtp]
    if not fitting:
        logger.warning(
            "%s: no pass kept true peak under %.1f dBTP", variant.name, variant.true_peak_dbtp
        )
        return min(attempts, key=lambda a: a.loudness.true_peak_dbtp)
    return min(fitting, key=lambda a: abs(a.loudness.integrated_lufs - variant.loudness_lufs))
