"""Gain and true-peak limiting: bring audio to a loudness under a ceiling.

``_fit_loudness`` applies the gain that, after the look-ahead limiter
(``_limit``), lands on a loudness target; ``_Source`` keeps what every pass
over the same audio reuses. Used by ``whole`` and ``segmented``.

Above ``loudness`` in ``audio.mastering``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from .loudness import (
    _GATE_BLOCK_SECONDS,
    _gated_loudness,
    _hop_bounds,
    _hop_energies,
    _lufs,
    _ranges,
    _TruePeaks,
)

logger = logging.getLogger(__name__)

# Never raise a clip by more than this: a near-silent upload would otherwise
# turn its hiss into speech-level noise.
MAX_GAIN_DB = 30.0

# Limiter timing: gain falls over ~5 ms before a peak (look-ahead) and comes
# back over ~80 ms, slow enough not to be heard as distortion on speech.
_LIMITER_ATTACK_SECONDS = 0.005
_LIMITER_RELEASE_SECONDS = 0.08


class _Source:
    """The audio to master at the variant's rate, with what every pass reuses:
    its hop energies (loudness at any gain, before limiting) and its true peaks."""

    def __init__(self, x: np.ndarray, rate: int) -> None:
        self.x = x.astype(np.float32, copy=False)
        self.rate = rate
        self.peaks = _TruePeaks(self.x)
        # Shorter than one gating block: measured padded with silence, by _lufs.
        self.short = len(x) <= int(_GATE_BLOCK_SECONDS * rate)
        if not self.short:
            self.bounds = _hop_bounds(len(x), rate)
            self.hop_energies = _hop_energies(self.x, rate, self.bounds)
            self.plain_energies = _hop_energies(self.x, rate, self.bounds, weighted=False)

    def loudness(self, y: np.ndarray | None = None) -> float:
        """Integrated loudness of the source, or of `y` (a processed copy of it)."""
        if self.short:
            return _lufs(self.x if y is None else y, self.rate)
        energies = self.hop_energies if y is None else _hop_energies(y, self.rate, self.bounds)
        return _gated_loudness(energies, self.rate)

    def limited_loudness(self, gain_db: float, limiter: _Gain) -> float:
        """Loudness of the source at `gain_db`, then through `limiter`, without filtering it again.

        The limiter's gain moves slowly next to speech's frequencies, so
        K-weighting sees in each hop the share of energy the limiter took
        from its plain (unweighted) energy: each hop's weighted energy is
        scaled by that share, computed only where the limiter acts. On the
        Mixco guide this reads within 0.005 LU of measuring the limited
        signal (0.016 LU under 4 dB of limiting); encoded files are then
        measured for real.
        """
        if self.short:
            y = self.x * np.float32(10 ** (gain_db / 20))
            limiter.apply(y)
            return _lufs(y, self.rate)
        energies = self.hop_energies * 10 ** (gain_db / 10)
        if len(limiter.starts):
            indices = _ranges(limiter.starts, limiter.stops)
            hops = np.searchsorted(self.bounds, indices, side="right") - 1
            counted = hops < len(self.hop_energies)  # past the last hop: in no gating block
            taken = (1 - np.square(limiter.values[counted], dtype=np.float64)) * np.square(
                self.x[indices[counted]], dtype=np.float64
            )
            lost = np.bincount(hops[counted], weights=taken, minlength=len(energies))
            plain = self.plain_energies
            energies *= 1 - np.divide(lost, plain, out=np.zeros_like(lost), where=plain > 0)
        return _gated_loudness(energies, self.rate)


def _fit_loudness(source: _Source, target: float, ceiling_db: float) -> tuple[np.ndarray, float]:
    """Apply the gain that, after true-peak limiting, lands on `target` LUFS.

    Returns the samples and the loudness they reached.
    """
    measured = source.loudness()
    if not math.isfinite(measured):  # silence, or quieter than BS.1770's -70 LUFS gate
        return source.x, measured
    gain_db = target - measured
    if gain_db > MAX_GAIN_DB:
        logger.warning(
            "Audio at %.1f LUFS needs %+.1f dB; capped at %+.0f dB", measured, gain_db, MAX_GAIN_DB
        )
        gain_db = MAX_GAIN_DB
    ceiling = 10 ** (ceiling_db / 20)
    # Limiting takes loudness away; add it back until the two agree. A dB of
    # gain buys less than a dB of loudness once more peaks are limited: after
    # the first round, step by the slope the last two rounds showed.
    previous: tuple[float, float] | None = None
    for _ in range(5):
        gain = 10 ** (gain_db / 20)
        positions, envelope = source.peaks.envelope(ceiling / gain)
        limiter = _limit(positions, envelope * gain, ceiling, len(source.x), source.rate)
        reached = source.limited_loudness(gain_db, limiter)
        if not len(limiter.starts):  # nothing reached the ceiling: the gain alone moved loudness
            break
        error = target - reached
        if abs(error) < 0.05 or gain_db >= MAX_GAIN_DB:
            break
        slope = 1.0
        if previous is not None and gain_db != previous[0]:
            slope = min(max((reached - previous[1]) / (gain_db - previous[0]), 0.5), 1.0)
        previous = (gain_db, reached)
        gain_db = min(gain_db + error / slope, MAX_GAIN_DB)
    limited = source.x * np.float32(gain)
    limiter.apply(limited)
    return limited, reached


@dataclass(frozen=True)
class _Gain:
    """A gain of 1 except on [starts[k], stops[k]), which take `values` in turn."""

    starts: np.ndarray
    stops: np.ndarray
    values: np.ndarray

    def apply(self, y: np.ndarray) -> None:
        """Multiply `y` by the gain, in place."""
        offset = 0
        for start, stop in zip(self.starts.tolist(), self.stops.tolist(), strict=True):
            y[start:stop] *= self.values[offset : offset + stop - start]
            offset += stop - start


def _limit(
    positions: np.ndarray, peaks: np.ndarray, ceiling: float, samples: int, rate: int
) -> _Gain:
    """Look-ahead limiter: the gain that keeps true peaks (`peaks` at `positions`) under `ceiling`.

    The gain each sample needs is held as a running minimum over the attack
    window, then averaged over the same window: every average then includes
    the sample's own need, so the gain is never above it, and it ramps down
    smoothly before the peak instead of jumping. A trailing average slows the
    recovery after it (release).

    Peaks over the ceiling are rare (0.1-0.3 % of a guide's samples) and
    everything else needs gain 1, so the work is done only where the gain can
    differ from 1: the attack filters within `width` of those peaks ("cores",
    which keep `width` samples of gain 1 each side, as far as the filters
    look), and the release average from a core's start to `release` after its
    end. The result is what running the filters over every sample would give.
    Returns the gain as stretches; every other sample keeps gain 1.
    """
    over = peaks > ceiling
    if not over.any():
        empty = np.zeros(0, dtype=np.int64)
        return _Gain(empty, empty, np.zeros(0, dtype=np.float32))
    at, needed = positions[over], ceiling / peaks[over]
    width = 2 * round(_LIMITER_ATTACK_SECONDS * rate / 2) + 1  # odd, so windows are centred
    release = round(_LIMITER_RELEASE_SECONDS * rate)

    # Cores: the attack filters' gain, computed on all cores laid end to end.
    core_starts, core_stops = _stretches(at, width, samples)
    required = np.ones(int((core_stops - core_starts).sum()))
    required[_positions_in(at, core_starts, core_stops)] = needed
    held = minimum_filter1d(required, width, mode="nearest")
    core_gain = np.minimum(
        uniform_filter1d(held, width, mode="nearest"), required
    )  # min() absorbs float rounding

    # Stretches: each core and the release after it, where the trailing
    # average keeps the gain down. Laid end to end too: a window reaching
    # back past a stretch's start sees no gain below 1 (a core that close
    # would have joined the stretch), so laying them end to end changes nothing.
    starts, stops = _merged(core_starts, np.minimum(core_stops + release, samples))
    deficit = np.zeros(int((stops - starts).sum()))
    deficit[_positions_in(_ranges(core_starts, core_stops), starts, stops)] = 1 - core_gain
    cumulative = np.cumsum(deficit)
    window = cumulative.copy()
    window[release:] -= cumulative[:-release]
    window /= release
    if starts[0] < release:  # the audio's first samples have shorter windows
        head = min(release - starts[0], len(window))
        window[:head] *= release / np.arange(starts[0] + 1, starts[0] + head + 1)
    trailing = 1 - window
    return _Gain(starts, stops, np.minimum(1 - deficit, trailing).astype(np.float32))


def _stretches(at: np.ndarray, reach: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """[start, stop) spans covering `reach` samples around each of `at` (sorted), merged."""
    breaks = np.flatnonzero(np.diff(at) > 2 * reach) + 1
    starts = np.maximum(at[np.concatenate([[0], breaks])] - reach, 0)
    stops = np.minimum(at[np.concatenate([breaks - 1, [len(at) - 1]])] + reach + 1, samples)
    return starts, stops


def _merged(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted [start, stop) spans, overlapping or touching ones joined."""
    reach = np.maximum.accumulate(stops)
    new = np.concatenate([[True], starts[1:] > reach[:-1]])
    return starts[new], reach[np.concatenate([new[1:], [True]])]


def _positions_in(indices: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Where sample `indices` (sorted, each in a span) fall once the spans are laid end to end."""
    lengths = stops - starts
    span = np.searchsorted(starts, indices, side="right") - 1
    return indices - starts[span] + (np.cumsum(lengths) - lengths)[span]
