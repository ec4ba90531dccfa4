"""Loudness: integrated loudness (ITU-R BS.1770-4) and true peak, measured fast.

``measure`` is the public meter; the gain loop (``limiter``) and the segment
readings (``segmented``) reuse its parts: hop energies, the gate and the
true-peak envelope (``_TruePeaks``), computed only where it can matter.

In ``audio.mastering``, beside ``decode`` and above the helpers ``tags`` and
``sidecars``; it imports nothing from the package.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import resample_poly, sosfilt

_TRUE_PEAK_OVERSAMPLING = 4  # what ITU-R BS.1770-4 asks for at 48 kHz


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP); -inf for silence."""

    integrated_lufs: float
    true_peak_dbtp: float


# Integrated loudness follows ITU-R BS.1770-4 exactly as pyloudnorm computes
# it (its K-weighting filter design, its block bounds, its gates), so the two
# agree to a few thousandths of a LU; but the signal is filtered once, a chunk
# at a time, and summed per 100 ms hop, where pyloudnorm copies the whole
# signal in float64 and sums each 400 ms block in a Python loop (2.4 s of CPU
# for a 14-minute guide at 48 kHz, against 0.5 s here).

_GATE_BLOCK_SECONDS = 0.4
_GATE_STEP = 0.25  # blocks start every quarter block (75 % overlap): 100 ms hops
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_CHUNK_SAMPLES = 1 << 20  # filtered at a time: ~4 MB of float32, cache- and memory-friendly
# Silence after sound leaves the filter's state decaying through subnormal
# floats, which the CPU handles ~40x slower: a second of pause cost as much
# to filter as ~40 s of speech. A signal at -240 dBFS alternating in sign
# (so the high-pass keeps it), far under any gate, keeps it normal.
_SUBNORMAL_GUARD = 1e-12

# True peak: inter-sample peaks rise little above the samples around them in
# speech, so only blocks of _PEAK_BLOCK samples whose largest sample comes
# within _TRUE_PEAK_SCREEN_DB (plus 1 dB to spare) of the level that matters
# are oversampled: 1-15 % of a guide instead of all of it. Checked on the Mixco
# guide at 22,050 and 48 kHz, before and after MP3 and Opus encoding: no
# sample outside those blocks came within 2.4 dB of the level asked for.
_PEAK_BLOCK = 128
_TRUE_PEAK_SCREEN_DB = 3.0
# resample_poly's 4x filter reaches 10 input samples each side, and a sample's
# envelope also looks one sample back: 12 real neighbours keep every value
# exactly what oversampling the whole signal would give.
_TRUE_PEAK_REACH = 12


def measure(pcm: np.ndarray, rate: int) -> Loudness:
    """Integrated loudness (BS.1770-4) and true peak (4x oversampled).

    `pcm` is (samples,) for mono or (samples, channels). Identical channels
    each count: dual-mono reads 3 LU louder than its mono source, as a meter
    on the delivered file would say. Audio shorter than one 400 ms gating
    block is measured padded with silence (it reads quieter than it is).
    Loudness reads as pyloudnorm's meter does.
    """
    pcm = _as_float(pcm)
    if not np.any(pcm):
        return Loudness(-math.inf, -math.inf)
    columns = pcm.T if pcm.ndim == 2 else (pcm,)
    return Loudness(_lufs(pcm, rate), _db(max(_TruePeaks(column).maximum() for column in columns)))


def _as_float(pcm: np.ndarray) -> np.ndarray:
    """Float arrays as they are (no 300 MB float64 copy of a long guide); others as float64."""
    pcm = np.asarray(pcm)
    return pcm if pcm.dtype in (np.float32, np.float64) else pcm.astype(np.float64)


def _lufs(pcm: np.ndarray, rate: int) -> float:
    """Integrated loudness alone: what the gain loop needs, without the peak."""
    pcm = _as_float(pcm)
    if not np.any(pcm):
        return -math.inf
    columns = pcm.T if pcm.ndim == 2 else pcm[np.newaxis]
    shortest = int(_GATE_BLOCK_SECONDS * rate) + 1  # pyloudnorm refuses anything shorter
    if columns.shape[1] < shortest:
        columns = np.pad(columns, ((0, 0), (0, shortest - columns.shape[1])))
    bounds = _hop_bounds(columns.shape[1], rate)
    return _gated_loudness(sum(_hop_energies(c, rate, bounds) for c in columns), rate)


def _hop_bounds(samples: int, rate: int) -> np.ndarray:
    """Where each 100 ms hop starts, plus where the last one ends (at most `samples`).

    Gating block j covers hops j to j+3. The arithmetic is pyloudnorm's, so
    both cut the signal at the same samples.
    """
    step = _GATE_BLOCK_SECONDS * _GATE_STEP
    blocks = int(np.round((samples / rate - _GATE_BLOCK_SECONDS) / step)) + 1
    hops = np.arange(blocks + 4)
    return np.minimum((_GATE_BLOCK_SECONDS * (hops * _GATE_STEP) * rate).astype(np.int64), samples)


@functools.cache
def _k_weighting(rate: int) -> np.ndarray:
    """BS.1770's K-weighting (high shelf, then high-pass) as second-order sections.

    pyloudnorm's own design, so that both meters weigh frequencies alike.
    """
    shelf = IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, rate, "high_shelf")
    high_pass = IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")
    return np.array([np.concatenate([f.b, f.a]) for f in (shelf, high_pass)])


def _hop_energies(
    x: np.ndarray, rate: int, bounds: np.ndarray, weighted: bool = True
) -> np.ndarray:
    """Sum of squares of the K-weighted signal in each hop between `bounds`.

    Unweighted (`weighted=False`), of `x` itself.

    Filtered a chunk at a time with the filter state carried over, which is
    the same as filtering it whole. float32 input is filtered in float32
    (twice as fast; sums are kept in float64).
    """
    sos = _k_weighting(rate).astype(x.dtype)
    state = np.zeros((len(sos), 2), dtype=x.dtype)
    hops = len(bounds) - 1
    energies = np.zeros(hops)
    per_chunk = max(1, _CHUNK_SAMPLES // max(int(bounds[1] - bounds[0]), 1))
    guard = np.full(int(bounds[min(per_chunk, hops)] - bounds[0]), _SUBNORMAL_GUARD, dtype=x.dtype)
    guard[1::2] *= -1
    for first in range(0, hops, per_chunk):
        last = min(first + per_chunk, hops)
        lo, hi = bounds[first], bounds[last]
        if hi <= lo:  # only empty hops past the end are left
            break
        if weighted:
            chunk, state = sosfilt(sos, x[lo:hi] + guard[: hi - lo], zi=state)
        else:
            chunk = x[lo:hi]
        starts = bounds[first:last] - lo
        starts = starts[starts < hi - lo]
        energies[first : first + len(starts)] = np.add.reduceat(
            np.square(chunk), starts, dtype=np.float64
        )
    return energies


def _gated_loudness(hop_energies: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness: 400 ms blocks, gated at -70 LUFS and 10 LU under the mean."""
    h = hop_energies
    blocks = (h[:-3] + h[1:-2] + h[2:-1] + h[3:]) / (_GATE_BLOCK_SECONDS * rate)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(blocks)
    audible = block_lufs >= _ABSOLUTE_GATE_LUFS
    if not audible.any():
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(blocks[audible].mean()) + _RELATIVE_GATE_LU
    gated = blocks[(block_lufs > relative_gate) & (block_lufs > _ABSOLUTE_GATE_LUFS)]
    return -0.691 + 10 * math.log10(gated.mean()) if gated.size else -math.inf


class _TruePeaks:
    """The true-peak envelope of a mono signal, computed only where it can matter.

    For each sample the envelope is the largest |value| of the 4x oversampled
    signal between it and its neighbours (a peak between samples n-1 and n
    counts for both). `envelope(level)` gives it for every sample of every
    block whose sample peak comes within _TRUE_PEAK_SCREEN_DB of `level`;
    results are kept, so a limiter trying several gains oversamples once.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        full = len(x) // _PEAK_BLOCK * _PEAK_BLOCK
        blocks = x[:full].reshape(-1, _PEAK_BLOCK)
        # max and -min rather than abs: no full-length temporary.
        peaks = [np.maximum(blocks.max(axis=1), -blocks.min(axis=1))]
        if full < len(x):
            peaks.append(np.abs(x[full:]).max(keepdims=True))
        self.block_peaks = np.concatenate(peaks).astype(np.float64)
        self._covered = math.inf  # blocks whose sample peak is at least this are done
        self._positions = np.zeros(0, dtype=np.int64)
        self._values = np.zeros(0, dtype=np.float32)

    def maximum(self) -> float:
        """The signal's true peak (linear)."""
        top = float(self.block_peaks.max())
        return float(self.envelope(top)[1].max(initial=top)) if top > 0 else 0.0

    def envelope(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(sample indices, envelope) covering every sample whose envelope may reach `level`."""
        threshold = level * 10 ** (-_TRUE_PEAK_SCREEN_DB / 20)
        if threshold < self._covered:
            # A dB to spare: the gain loop raises its gain by fractions of one.
            self._covered = threshold * 10 ** (-1 / 20)
            starts, stops, self._values = self._oversampled(self.block_peaks >= self._covered)
            self._positions = _ranges(starts, stops)
        return self._positions, self._values

    def _oversampled(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Runs [starts, stops) of the wanted blocks' samples, and their envelope, run after run."""
        x, n, factor = self.x, len(self.x), _TRUE_PEAK_OVERSAMPLING
        if not wanted.any():
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float32)
        edges = np.diff(np.concatenate([[0], wanted.astype(np.int8), [0]]))
        # One sample more each side: its envelope may hold a peak shared with the block.
        starts = np.maximum(np.flatnonzero(edges == 1) * _PEAK_BLOCK - 1, 0)
        stops = np.minimum(np.flatnonzero(edges == -1) * _PEAK_BLOCK + 1, n)
        lows = np.maximum(starts - _TRUE_PEAK_REACH, 0)
        highs = np.minimum(stops + _TRUE_PEAK_REACH, n)
        # All runs, each with its real neighbours, oversampled in one call.
        # Slices, not an index array: a loud, steady signal makes long runs.
        joined = np.concatenate(
            [x[low:high] for low, high in zip(lows.tolist(), highs.tolist(), strict=True)]
        )
        upsampled = resample_poly(joined.astype(np.float32, copy=False), factor, 1)
        np.abs(upsampled, out=upsampled)
        # Each sample's largest oversampled value (strided maxima: faster than
        # reshape().max(axis=1)).
        envelope = functools.reduce(np.maximum, (upsampled[k::factor] for k in range(factor)))
        envelope[1:] = np.maximum(envelope[1:], envelope[:-1])
        # Each run's own samples, cut out of `joined`.
        begins = np.cumsum(highs - lows) - (highs - lows) + (starts - lows)
        values = np.concatenate(
            [
                envelope[b : b + length]
                for b, length in zip(begins.tolist(), (stops - starts).tolist(), strict=True)
            ]
        )
        return starts, stops, values


def _db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The indices of sorted [start, stop) spans, concatenated."""
    lengths = stops - starts
    offsets = np.cumsum(lengths) - lengths
    return np.arange(lengths.sum()) + np.repeat(starts - offsets, lengths)
