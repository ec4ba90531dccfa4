"""Mastering: from sentence clips to the files listeners download.

This stage takes the audio the engines made (or a human recording), joins it
with natural pauses, sets its loudness and encodes it once per variant
(``audio.variants``). Never concatenate encoded bytes instead: joined MP3
streams report wrong durations and click at the seams.

How a guide's audio travels through this module:

1. ``decode_audio`` turns any file PyAV reads into the working format:
   float32 mono at ``MASTER_SAMPLE_RATE``. ``probe_audio`` checks an upload.
2. ``trim_silence`` cuts engine-made silence at both ends of a clip;
   ``join_with_pauses`` joins clips and says where each one landed.
3. ``master`` brings the result to a variant's loudness and true-peak ceiling,
   encodes it, decodes it again and measures that, tags it (ID3 chapters for
   MP3, Vorbis comments for Opus/FLAC).
4. ``chapters_json`` and ``webvtt`` write the side files players read.

Loudness, in ``master``: measure (ITU-R BS.1770-4, reading as pyloudnorm
does) at the variant's sample rate, apply the gain that reaches the target,
and limit true peaks with a look-ahead limiter that reads a 4x oversampled
signal (so it sees the inter-sample peaks a DAC will make). Limiting lowers
loudness, so gain and limiting are repeated until they agree. Lossy codecs
then move loudness and peaks: the first pass aims off by what the codec will
do (known for MP3, measured on a few excerpts for Opus) and limits below the
ceiling by what its peaks add. The encoded file is decoded and measured; if it
misses the target by more than ``LOUDNESS_TOLERANCE_LU`` or its true peak
passes the ceiling, another pass (two at most) corrects for what the codec did.

Speed: a 14-minute guide is usually encoded once per variant, and the encoder
is then most of ``master``'s time. Everything else touches each sample a few
times at most: the meter filters in one streaming pass, true peaks are
oversampled only in blocks that come near the level that matters, and the
limiter works only around peaks over its ceiling (see bench/README.md).

No Django here: the stage is pure functions over bytes and numpy arrays.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import re
import struct
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise

import av
import numpy as np
from mutagen.flac import FLAC
from mutagen.id3 import (
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    CTOCFlags,
)
from mutagen.oggopus import OggOpus
from pyloudnorm.iirfilter import IIRfilter
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly, sosfilt

from audio.variants import CODECS, Variant, encoder_options

__all__ = [
    "ALLOWED_INPUT_FORMATS",
    "MASTER_SAMPLE_RATE",
    "AudioDecodeError",
    "AudioInfo",
    "Chapter",
    "Cue",
    "Loudness",
    "MasteredAudio",
    "Metadata",
    "chapters_json",
    "decode_audio",
    "join_with_pauses",
    "master",
    "measure",
    "probe_audio",
    "trim_silence",
    "webvtt",
]

logger = logging.getLogger(__name__)

# 48 kHz: Opus codes at 48 kHz internally, gTTS (24 kHz) and 16/8 kHz phone
# recordings convert by whole-number ratios, and it is the broadcast rate.
# 24 kHz would do for synthetic speech (espeak stops at 11 kHz, gTTS at 12)
# and would save a few seconds per guide (decoding, clip storage, the Opus
# variant's analysis); it is not worth it: human recordings have sibilance
# above 12 kHz, which the radio variant (44.1 kHz, 128 kbps: LAME keeps up to
# ~17 kHz) would lose.
# float32 mono: headroom above 0 dBFS while gains are applied (nothing clips
# before the limiter), half the memory of float64; speech needs one channel.
MASTER_SAMPLE_RATE = 48000

# Never raise a clip by more than this: a near-silent upload would otherwise
# turn its hiss into speech-level noise.
MAX_GAIN_DB = 30.0

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
# only round to 16 bits.
_CODEC_PEAK_RISE_DB = {"libmp3lame": 1.5, "libopus": 2.8}
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

# Limiter timing: gain falls over ~5 ms before a peak (look-ahead) and comes
# back over ~80 ms, slow enough not to be heard as distortion on speech.
_LIMITER_ATTACK_SECONDS = 0.005
_LIMITER_RELEASE_SECONDS = 0.08

_TRUE_PEAK_OVERSAMPLING = 4  # what ITU-R BS.1770-4 asks for at 48 kHz

# Demuxers an upload may use. Without a list FFmpeg guesses among hundreds,
# including playlist formats (ffconcat, HLS) that open other files: an uploaded
# "ffconcat" text would read files from the server's working directory.
ALLOWED_INPUT_FORMATS = (
    "aac",
    "aiff",
    "amr",
    "caf",
    "flac",
    "matroska",
    "mov",
    "mp3",
    "ogg",
    "w64",
    "wav",
)

# Share of packets that may fail to decode before a file counts as damaged.
_MAX_BAD_PACKETS = 0.02


class AudioDecodeError(ValueError):
    """The bytes are not audio this stage can read. The message says why."""


_NO_SAMPLES = "The file holds an audio stream but no audio (zero length)"


@dataclass(frozen=True)
class AudioInfo:
    """What an uploaded file holds, as its decoder reports it."""

    duration_seconds: float
    sample_rate: int
    channels: int
    codec: str


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP); -inf for silence."""

    integrated_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class Chapter:
    """A named span of the audio, in seconds: one section of a guide."""

    id: str
    title: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or "\0" in self.id:
            raise ValueError(f"Chapter ids must be non-empty text without NUL, not {self.id!r}")
        if not (0 <= self.start < self.end and math.isfinite(self.end)):
            raise ValueError(
                f"Chapter {self.id!r} needs 0 <= start < end, got {self.start}-{self.end}"
            )


@dataclass(frozen=True)
class Metadata:
    """Tags written into an encoded file.

    `language` is a three-letter ISO 639-2/639-3 code ("spa", "eng", "cak"):
    ID3's TLAN and COMM take one. `chapters` are written in start order.
    """

    title: str
    album: str = ""
    artist: str = ""
    language: str = ""
    year: int | None = None
    comment: str = ""
    chapters: Sequence[Chapter] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.language and not re.fullmatch(r"[a-z]{3}", self.language):
            raise ValueError(
                f"Metadata language must be a three-letter lowercase ISO 639-2/3 code "
                f"like 'spa' or 'cak', not {self.language!r}"
            )
        object.__setattr__(self, "chapters", _ordered_chapters(self.chapters))


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


@dataclass(frozen=True)
class Cue:
    """One caption: a span in seconds and the text said during it."""

    start: float
    end: float
    text: str
    id: str | None = None


# --------------------------------------------------------------------------
# Decoding


def decode_audio(data: bytes) -> np.ndarray:
    """Decode an audio file into float32 mono samples at MASTER_SAMPLE_RATE.

    Takes anything PyAV decodes among ALLOWED_INPUT_FORMATS (MP3, WAV, Ogg
    Opus/Vorbis, M4A, FLAC, WebM, ...), at any rate, mono or stereo; channels
    are mixed down. Raises AudioDecodeError for empty, damaged or non-audio
    input and for a file with no samples.
    """
    chunks, _, _ = _decode(data, mono=True, sample_rate=MASTER_SAMPLE_RATE)
    return np.concatenate(chunks)[:, 0]


def probe_audio(data: bytes) -> AudioInfo:
    """Describe an upload: duration, sample rate, channels and codec.

    The whole file is decoded (without resampling), so the duration is exact
    even for MP3s without a length header, and damaged files are caught the
    same way as in decode_audio. Rate and channels are those of the first frame.
    """
    samples_by_rate: Counter[int] = Counter()  # joined files may change rate midway
    channels = 0
    with _open_audio(data) as (container, stream):
        for frame in _frames(container, stream):
            samples_by_rate[frame.sample_rate] += frame.samples
            channels = channels or frame.layout.nb_channels
        codec = stream.codec_context.codec.canonical_name  # "mp3", not the decoder's "mp3float"
    if not samples_by_rate.total():
        raise AudioDecodeError(_NO_SAMPLES)
    seconds = sum(samples / rate for rate, samples in samples_by_rate.items())
    return AudioInfo(seconds, next(iter(samples_by_rate)), channels, codec)


def _decode(
    data: bytes, *, mono: bool, sample_rate: int | None = None
) -> tuple[list[np.ndarray], int, int]:
    """Decode to float32 arrays of shape (samples, channels), returned in chunks.

    With mono/sample_rate the audio is converted by libswresample on the way;
    otherwise it keeps the rate and channels of the file's first frame (to
    check an encode).
    """
    chunks: list[np.ndarray] = []
    converter: _Converter | None = None
    with _open_audio(data) as (container, stream):
        for frame in _frames(container, stream):
            if converter is None:
                layout = "mono" if mono else frame.layout.name
                rate = sample_rate or frame.sample_rate
                channels = 1 if mono else frame.layout.nb_channels
            # A resampler takes one input format; some files change it midway
            # (chained Ogg, MP3s cut together from different sources).
            if converter is None or not converter.takes(frame):
                if converter is not None:
                    chunks += converter.flush()
                converter = _Converter(frame, layout, rate, channels)
            chunks += converter.add(frame)
    if converter is not None:
        chunks += converter.flush()  # what it held back
    if not sum(len(c) for c in chunks):
        raise AudioDecodeError(_NO_SAMPLES)
    return chunks, rate, channels


# Sample formats read straight from a frame's planes, and the scale that
# turns integers into floats as libswresample does.
_SAMPLE_TYPES = {"flt": np.float32, "dbl": np.float64, "s16": np.int16, "s32": np.int32}
_INTEGER_SCALES = {"s16": 2.0**-15, "s32": 2.0**-31}


class _Converter:
    """Turns decoded frames of one input format into float32 (samples, channels).

    Frames already at the output rate and channel count only change sample
    format, which numpy does. The others go through libswresample about a
    second of audio at a time: a call per decoded frame (20 ms of Opus, 26 ms
    of MP3) cost more than decoding the frame.
    """

    def __init__(self, frame: av.AudioFrame, layout: str, rate: int, channels: int) -> None:
        self.source = (frame.format.name, frame.layout.name, frame.sample_rate)
        self.format, self.layout = frame.format, frame.layout
        self.channels = channels
        self.direct = (
            frame.sample_rate == rate
            and frame.layout.nb_channels == channels
            and frame.format.packed.name in _SAMPLE_TYPES
        )
        self.resampler = (
            None if self.direct else av.AudioResampler(format="flt", layout=layout, rate=rate)
        )
        self.pending: list[np.ndarray] = []
        self.pending_samples = 0

    def takes(self, frame: av.AudioFrame) -> bool:
        return (frame.format.name, frame.layout.name, frame.sample_rate) == self.source

    def add(self, frame: av.AudioFrame) -> list[np.ndarray]:
        if self.direct:
            return [self._as_float32(_ndarray(frame))]
        self.pending.append(_ndarray(frame))
        self.pending_samples += frame.samples
        return self._resampled() if self.pending_samples >= self.source[2] else []

    def flush(self) -> list[np.ndarray]:
        if self.direct:
            return []
        return self._resampled() + self._converted(None)

    def _as_float32(self, array: np.ndarray) -> np.ndarray:
        array = array.T if self.format.is_planar else array.reshape(-1, self.channels)
        scale = _INTEGER_SCALES.get(self.format.packed.name)
        if scale is not None:
            return array.astype(np.float32) * np.float32(scale)
        return array.astype(np.float32, copy=False)

    def _resampled(self) -> list[np.ndarray]:
        if not self.pending:
            return []
        # Planar frames are (channels, n), packed ones (1, n x channels): join along n.
        joined = np.concatenate(self.pending, axis=1)
        self.pending, self.pending_samples = [], 0
        frame = av.AudioFrame.from_ndarray(joined, format=self.format.name, layout=self.layout)
        frame.sample_rate = self.source[2]
        return self._converted(frame)

    def _converted(self, frame: av.AudioFrame | None) -> list[np.ndarray]:
        # Packed float: reshape gives (samples, channels) directly.
        return [
            out.to_ndarray().reshape(-1, self.channels) for out in self.resampler.resample(frame)
        ]


def _ndarray(frame: av.AudioFrame) -> np.ndarray:
    """What frame.to_ndarray() gives, in a fifth of the time (one view per plane).

    Planar: (channels, samples); packed: (1, samples x channels).
    """
    dtype = _SAMPLE_TYPES.get(frame.format.packed.name)
    if dtype is None:
        return frame.to_ndarray()
    if not frame.format.is_planar:
        count = frame.samples * frame.layout.nb_channels
        return np.frombuffer(frame.planes[0], dtype, count=count)[np.newaxis]
    planes = [np.frombuffer(plane, dtype, count=frame.samples) for plane in frame.planes]
    return planes[0][np.newaxis] if len(planes) == 1 else np.stack(planes)


@contextmanager
def _open_audio(data: bytes) -> Iterator[tuple[av.container.InputContainer, av.AudioStream]]:
    """Open bytes as a media file and yield its first audio stream."""
    if not data:
        raise AudioDecodeError("No audio: the file is empty")
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            # FFmpeg's WAV demuxer has every 16-bit PCM file probed, up to 32
            # packets, for DTS or AC-3 hidden inside (S/PDIF captures): for an
            # engine's sentence that read and probed the whole file and cost
            # half of decoding it (11 of 21 ms). Speech uploads are not S/PDIF.
            options={
                "format_whitelist": ",".join(ALLOWED_INPUT_FORMATS),
                "max_probe_packets": "1",
            },
        )
    except (av.FFmpegError, UnicodeDecodeError) as error:
        # FFmpeg's own message ("Invalid data found...") stays in __cause__.
        raise AudioDecodeError(
            "Not an audio file this site can read "
            "(accepted: MP3, WAV, Ogg/Opus, M4A, FLAC, WebM, AIFF, AMR)"
        ) from error
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"The {container.format.long_name} file has no audio stream")
        yield container, container.streams.audio[0]


def _frames(
    container: av.container.InputContainer, stream: av.AudioStream
) -> Iterator[av.AudioFrame]:
    """Decoded frames. Like the ffmpeg tool, skip a packet that fails to decode.

    MP3 files joined byte by byte (gTTS sends them so) fail once per seam, and
    a recording may have a glitch; both are worth keeping. Raises
    AudioDecodeError at the end when more than _MAX_BAD_PACKETS of the
    packets were bad, or at once when the container itself cannot be read.
    """
    packets = bad = 0
    decoded = 0.0  # seconds, to say where the damage is
    first_error: tuple[float, Exception] | None = None
    try:
        for packet in container.demux(stream):
            packets += packet.size > 0  # the last, empty packet only flushes the decoder
            try:
                frames = stream.decode(packet)
            except av.FFmpegError as error:
                bad += 1
                first_error = first_error or (decoded, error)
                continue
            for frame in frames:
                decoded += frame.samples / frame.sample_rate
                yield frame
    except av.FFmpegError as error:
        raise AudioDecodeError(f"The audio is damaged after {decoded:.1f} s: {error}") from error
    if first_error and bad > max(2, _MAX_BAD_PACKETS * packets):
        where, error = first_error
        raise AudioDecodeError(
            f"The audio is damaged: {bad} of {packets} packets could not be decoded, "
            f"the first after {where:.1f} s"
        ) from error


# --------------------------------------------------------------------------
# Editing: trim and join


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


# --------------------------------------------------------------------------
# Loudness
#
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


def _hop_energies(x: np.ndarray, rate: int, bounds: np.ndarray) -> np.ndarray:
    """Sum of squares of the K-weighted signal in each hop between `bounds`.

    Filtered a chunk at a time with the filter state carried over, which is
    the same as filtering it whole. float32 input is filtered in float32
    (twice as fast; sums are kept in float64).
    """
    sos = _k_weighting(rate).astype(x.dtype)
    state = np.zeros((len(sos), 2), dtype=x.dtype)
    hops = len(bounds) - 1
    energies = np.zeros(hops)
    per_chunk = max(1, _CHUNK_SAMPLES // max(int(bounds[1] - bounds[0]), 1))
    for first in range(0, hops, per_chunk):
        last = min(first + per_chunk, hops)
        lo, hi = bounds[first], bounds[last]
        if hi <= lo:  # only empty hops past the end are left
            break
        weighted, state = sosfilt(sos, x[lo:hi], zi=state)
        starts = bounds[first:last] - lo
        starts = starts[starts < hi - lo]
        energies[first : first + len(starts)] = np.add.reduceat(
            np.square(weighted), starts, dtype=np.float64
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
            self._positions, self._values = self._oversampled(self.block_peaks >= self._covered)
        return self._positions, self._values

    def _oversampled(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, n, factor = self.x, len(self.x), _TRUE_PEAK_OVERSAMPLING
        if not wanted.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        edges = np.diff(np.concatenate([[0], wanted.astype(np.int8), [0]]))
        # One sample more each side: its envelope may hold a peak shared with the block.
        starts = np.maximum(np.flatnonzero(edges == 1) * _PEAK_BLOCK - 1, 0)
        stops = np.minimum(np.flatnonzero(edges == -1) * _PEAK_BLOCK + 1, n)
        lows = np.maximum(starts - _TRUE_PEAK_REACH, 0)
        highs = np.minimum(stops + _TRUE_PEAK_REACH, n)
        # All runs, each with its real neighbours, oversampled in one call.
        joined = x[_ranges(lows, highs)]
        upsampled = np.abs(resample_poly(joined.astype(np.float32), factor, 1))
        envelope = upsampled.reshape(-1, factor).max(axis=1)
        envelope[1:] = np.maximum(envelope[1:], envelope[:-1])
        positions = _ranges(starts, stops)
        return positions, envelope[_positions_in(positions, lows, highs)]


def _db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


# --------------------------------------------------------------------------
# Mastering


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
    pcm = _as_float(pcm)
    if pcm.ndim != 1 or not len(pcm):
        raise ValueError(f"master() needs non-empty mono samples, got shape {pcm.shape}")
    if not np.all(np.isfinite(pcm)):
        raise ValueError("master() got NaN or infinite samples")

    rate = variant.sample_rate
    source = _Source(_resample(pcm, MASTER_SAMPLE_RATE, rate), rate)
    # The meter sums channels: identical stereo channels read 3 LU above mono.
    target = variant.loudness_lufs - 10 * math.log10(variant.channels)
    target -= _codec_loudness_change(source, variant, target)
    ceiling = variant.true_peak_dbtp - _CODEC_PEAK_RISE_DB.get(
        variant.codec, _LOSSLESS_PEAK_RISE_DB
    )

    attempts = []
    for _ in range(_MAX_PASSES):
        attempt = _attempt(source, variant, target, ceiling)
        attempts.append(attempt)
        miss = variant.loudness_lufs - attempt.loudness.integrated_lufs
        overshoot = attempt.loudness.true_peak_dbtp - variant.true_peak_dbtp
        if not math.isfinite(miss) or (abs(miss) <= LOUDNESS_TOLERANCE_LU and overshoot <= 0):
            break
        logger.info(
            "%s: encoded at %.2f LUFS / %.2f dBTP, correcting in another pass",
            variant.name,
            attempt.loudness.integrated_lufs,
            attempt.loudness.true_peak_dbtp,
        )
        # Aim off by what the codec did, within reason. Codec peaks are partly
        # noise, not the limiter's input: leave a little more room than missed.
        target += max(-_MAX_CORRECTION_LU, min(miss, _MAX_CORRECTION_LU))
        if overshoot > 0:
            ceiling -= overshoot + 0.3

    best = _best(attempts, variant)
    data = best.data if metadata is None else _tag(best.data, variant, metadata)
    return MasteredAudio(data, best.duration_seconds, best.loudness, variant.mime_type)


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

    def loudness(self, y: np.ndarray | None = None) -> float:
        """Integrated loudness of the source, or of `y` (a processed copy of it)."""
        if self.short:
            return _lufs(self.x if y is None else y, self.rate)
        energies = self.hop_energies if y is None else _hop_energies(y, self.rate, self.bounds)
        return _gated_loudness(energies, self.rate)


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
    data, decoded = _encode_and_decode(_fit_loudness(source, target, ceiling), variant)
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


def _fit_loudness(source: _Source, target: float, ceiling_db: float) -> np.ndarray:
    """Apply the gain that, after true-peak limiting, lands on `target` LUFS."""
    measured = source.loudness()
    if not math.isfinite(measured):  # silence, or quieter than BS.1770's -70 LUFS gate
        return source.x
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
    limited = np.empty_like(source.x)
    for _ in range(5):
        gain = 10 ** (gain_db / 20)
        positions, envelope = source.peaks.envelope(ceiling / gain)
        limiter = _limit(positions, envelope * gain, ceiling, len(source.x), source.rate)
        np.multiply(source.x, np.float32(gain), out=limited)
        if not len(limiter.starts):  # nothing reached the ceiling: the gain alone moved loudness
            break
        limiter.apply(limited)
        reached = source.loudness(limited)
        error = target - reached
        if abs(error) < 0.05 or gain_db >= MAX_GAIN_DB:
            break
        slope = 1.0
        if previous is not None and gain_db != previous[0]:
            slope = min(max((reached - previous[1]) / (gain_db - previous[0]), 0.5), 1.0)
        previous = (gain_db, reached)
        gain_db = min(gain_db + error / slope, MAX_GAIN_DB)
    return limited


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


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The indices of sorted [start, stop) spans, concatenated."""
    lengths = stops - starts
    offsets = np.cumsum(lengths) - lengths
    return np.arange(lengths.sum()) + np.repeat(starts - offsets, lengths)


def _positions_in(indices: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Where sample `indices` (sorted, each in a span) fall once the spans are laid end to end."""
    lengths = stops - starts
    span = np.searchsorted(starts, indices, side="right") - 1
    return indices - starts[span] + (np.cumsum(lengths) - lengths)[span]


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (scipy), exact ratio, no change when rates match."""
    if rate_in == rate_out:
        return x
    divisor = math.gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // divisor, rate_in // divisor)


def _encode_and_decode(pcm: np.ndarray, variant: Variant) -> tuple[bytes, np.ndarray]:
    """Encode, then decode the result the way a player would, to measure it."""
    data = _encode(pcm, variant)
    chunks, rate, channels = _decode(data, mono=False)
    if (rate, channels) != (variant.sample_rate, variant.channels):
        raise RuntimeError(
            f"{variant.name}: encoder produced {rate} Hz x {channels}, expected "
            f"{variant.sample_rate} Hz x {variant.channels}"
        )
    return data, np.concatenate(chunks)


def _encode(pcm: np.ndarray, variant: Variant) -> bytes:
    """Encode mono samples at the variant's rate, duplicated to its channels."""
    layout = "mono" if variant.channels == 1 else "stereo"
    codec_options, muxer_options = encoder_options(variant)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=variant.container, options=muxer_options) as output:
        stream = output.add_stream(
            variant.codec, rate=variant.sample_rate, layout=layout, options=codec_options
        )
        if variant.bitrate:
            stream.bit_rate = variant.bitrate
        samples = pcm.astype(np.float32, copy=False)
        step = variant.sample_rate  # one second per frame; PyAV re-blocks to the codec's frame size
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            planes = np.ascontiguousarray(np.broadcast_to(chunk, (variant.channels, len(chunk))))
            frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=layout)
            frame.sample_rate = variant.sample_rate
            frame.pts = None  # let the encoder number frames: gapless MP3/Opus headers stay right
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Tags


def _tag(data: bytes, variant: Variant, metadata: Metadata) -> bytes:
    """Write `metadata` into an encoded file: ID3v2.4 for MP3, Vorbis comments otherwise."""
    if variant.container == "mp3":
        return _id3_tag(metadata) + data
    if variant.container in ("ogg", "flac"):
        return _vorbis_tagged(data, variant.container, metadata)
    return data  # WAV: players ignore RIFF INFO chunks; nothing worth writing


def _id3_tag(metadata: Metadata) -> bytes:
    """An ID3v2.4 tag: text frames, one CHAP per chapter and an ordered top-level CTOC."""
    tags = ID3()
    utf8 = 3  # ID3v2.4 text encoding byte for UTF-8
    tags.add(TIT2(encoding=utf8, text=[metadata.title]))
    if metadata.album:
        tags.add(TALB(encoding=utf8, text=[metadata.album]))
    if metadata.artist:
        tags.add(TPE1(encoding=utf8, text=[metadata.artist]))
    if metadata.language:
        tags.add(TLAN(encoding=utf8, text=[metadata.language]))
    if metadata.year:
        tags.add(TDRC(encoding=utf8, text=[str(metadata.year)]))
    if metadata.comment:
        tags.add(
            COMM(encoding=utf8, lang=metadata.language or "und", desc="", text=[metadata.comment])
        )
    # Element ids are Latin-1 in ID3; keep ours when they are plain ASCII.
    element_ids = [c.id if c.id.isascii() else f"chp{n}" for n, c in enumerate(metadata.chapters)]
    for chapter, element_id in zip(metadata.chapters, element_ids, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                sub_frames=[TIT2(encoding=utf8, text=[chapter.title])],
            )
        )
    if metadata.chapters:
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=element_ids,
                sub_frames=[TIT2(encoding=utf8, text=[metadata.title])],
            )
        )
    buffer = io.BytesIO()
    tags.save(buffer, v2_version=4, padding=lambda info: 0)
    return _chapters_in_order(buffer.getvalue(), element_ids)


def _chapters_in_order(tag: bytes, chapter_ids: list[str]) -> bytes:
    """Reorder an ID3v2.4 tag's frames: text frames, CTOC, then CHAPs by start.

    mutagen writes frames sorted by size, so CHAP frames come out shuffled and
    players that list CHAP frames as found (not via CTOC) show them unsorted.
    Only frame order changes, so the tag's size and header stay valid.
    """
    if not chapter_ids:
        return tag
    header, body = tag[:10], tag[10:]
    if header[5] != 0:  # flags: no extended header, no unsynchronisation
        return tag
    frames: list[bytes] = []
    position = 0
    while position + 10 <= len(body) and body[position] != 0:
        b0, b1, b2, b3 = struct.unpack(">4B", body[position + 4 : position + 8])
        size = (b0 << 21) | (b1 << 14) | (b2 << 7) | b3  # v2.4 sizes are "syncsafe": 7 bits a byte
        frames.append(body[position : position + 10 + size])
        position += 10 + size
    order = {chapter_id: index for index, chapter_id in enumerate(chapter_ids)}

    def element_id(frame: bytes) -> str:
        return frame[10 : frame.index(b"\0", 10)].decode("latin-1")

    chaps = sorted((f for f in frames if f[:4] == b"CHAP"), key=lambda f: order[element_id(f)])
    ctocs = [f for f in frames if f[:4] == b"CTOC"]
    others = [f for f in frames if f[:4] not in (b"CHAP", b"CTOC")]
    return header + b"".join(others + ctocs + chaps) + body[position:]


def _vorbis_tagged(data: bytes, container: str, metadata: Metadata) -> bytes:
    """Rewrite an Ogg Opus or FLAC file's Vorbis comments from `metadata`.

    Chapters follow the Xiph chapter extension: CHAPTER001=HH:MM:SS.mmm and
    CHAPTER001NAME=title, numbered from 001 in start order.
    """
    buffer = io.BytesIO(data)
    audio = OggOpus(buffer) if container == "ogg" else FLAC(buffer)
    if audio.tags is None:
        audio.add_tags()
    comments = {
        "TITLE": metadata.title,
        "ALBUM": metadata.album,
        "ARTIST": metadata.artist,
        "LANGUAGE": metadata.language,
        "DATE": str(metadata.year) if metadata.year else "",
        "COMMENT": metadata.comment,
    }
    for number, chapter in enumerate(metadata.chapters, start=1):
        comments[f"CHAPTER{number:03d}"] = _timestamp(chapter.start)
        comments[f"CHAPTER{number:03d}NAME"] = chapter.title
    for key, value in comments.items():
        if value:
            audio.tags[key] = [value]
    buffer.seek(0)
    audio.save(buffer, padding=lambda info: 0)
    return buffer.getvalue()


def _ordered_chapters(chapters: Sequence[Chapter]) -> tuple[Chapter, ...]:
    """Chapters by start time; ValueError for duplicate ids or overlaps."""
    ordered = tuple(sorted(chapters, key=lambda c: c.start))
    ids = [c.id for c in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError(f"Chapter ids must be unique: {ids}")
    if len(ordered) > 999:
        raise ValueError("At most 999 chapters fit in Vorbis comments")
    for previous, current in pairwise(ordered):
        if current.start < previous.end:
            raise ValueError(f"Chapters {previous.id!r} and {current.id!r} overlap")
    return ordered


# --------------------------------------------------------------------------
# Side files: chapters and captions


def chapters_json(chapters: Sequence[Chapter], title: str) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2.0), ordered by start time.

    Times are seconds with millisecond precision; each chapter has startTime,
    endTime and title.
    """
    document = {
        "version": "1.2.0",
        "title": title,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title}
            for c in _ordered_chapters(chapters)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def webvtt(cues: Sequence[Cue]) -> str:
    """WebVTT captions: cues sorted by start, ``HH:MM:SS.mmm`` times, text escaped.

    Cues with blank text are left out (they would show nothing); blank lines
    inside a text are dropped, since they would end the cue. Raises
    ValueError for overlapping cues, cues that end before they start and ids
    that would break the format.
    """
    blocks = ["WEBVTT"]
    previous: Cue | None = None
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        lines = [line.strip() for line in cue.text.splitlines() if line.strip()]
        if not lines:
            continue
        # Compare what gets written (milliseconds), so cues that touch after
        # float arithmetic (1.2000000001 vs 1.2) are not called overlapping.
        if not (0 <= _milliseconds(cue.start) < _milliseconds(cue.end)):
            raise ValueError(
                f"Cue {cue.text[:40]!r} needs 0 <= start < end, got {cue.start}-{cue.end}"
            )
        if previous is not None and _milliseconds(cue.start) < _milliseconds(previous.end):
            raise ValueError(
                f"Cues overlap: {previous.text[:40]!r} ends at {previous.end:.3f} s, "
                f"{cue.text[:40]!r} starts at {cue.start:.3f} s"
            )
        previous = cue
        block = []
        if cue.id is not None:
            if not cue.id.strip() or "-->" in cue.id or "\n" in cue.id or "\r" in cue.id:
                raise ValueError(f"Cue id {cue.id!r} must be one non-empty line without '-->'")
            block.append(cue.id)
        block.append(f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}")
        block.extend(_escape_vtt(line) for line in lines)
        blocks.append("\n".join(block))
    return "\n\n".join(blocks) + "\n"


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


def _timestamp(seconds: float) -> str:
    """HH:MM:SS.mmm, rounded to the millisecond."""
    hours, rest = divmod(_milliseconds(seconds), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
