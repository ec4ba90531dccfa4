"""Mastering: from sentence clips to the files listeners download.

This stage takes the audio the engines made (or a human recording), joins it
with natural pauses, sets its loudness and encodes it once per variant
(``audio.variants``). Never concatenate encoded bytes blindly: joined MP3
streams report wrong durations and click at the seams. Guides are joined
after encoding only by ``join_segments``, which knows where each codec's
frames begin and end and writes one header for the whole file.

How a guide's audio travels through this module:

1. ``decode_audio`` turns any file PyAV reads into the working format:
   float32 mono at ``MASTER_SAMPLE_RATE``. ``probe_audio`` checks an upload.
2. ``trim_silence`` cuts engine-made silence at both ends of a clip;
   ``join_with_pauses`` joins clips and says where each one landed.
3. ``master_joined`` masters each section on its own (``master_segment``:
   its loudness, its true-peak ceiling, one encode), decodes and measures
   each new segment once (``read_segment``) and joins the encoded sections
   without re-encoding (``join_segments``), so that editing one section
   re-encodes and decodes only that section (``audio.segments`` caches
   segments with their readings).
   ``master`` does the same for one piece of audio as a whole (radio spots
   and programs, lossless variants); ``tag`` writes ID3 chapters for MP3,
   Vorbis comments for Opus/FLAC.
4. ``chapters_json`` and ``webvtt`` write the side files players read.

Loudness, in ``master`` and ``master_segment``: measure (ITU-R BS.1770-4,
reading as pyloudnorm does) at the variant's sample rate, apply the gain that
reaches the target, and limit true peaks with a look-ahead limiter that reads
a 4x oversampled signal (so it sees the inter-sample peaks a DAC will make).
Limiting lowers loudness, so gain and limiting are repeated until they agree.
Lossy codecs then move loudness and peaks: the first pass aims off by what the
codec will do (known for MP3; for Opus measured on a few excerpts by
``master``, learned from earlier segments of the same voice for segments)
and limits below the ceiling by what its peaks add. The encoded file is
decoded and measured; if it misses the target by more than
``LOUDNESS_TOLERANCE_LU`` (a segment: ``SEGMENT_TOLERANCE_LU``) or its true
peak passes the ceiling, another pass corrects for what the codec did.

Speed: a 14-minute guide is usually encoded once per variant, and the encoder
is then most of the time. Everything else touches each sample a few times at
most: the meter filters in one streaming pass (and, while limiting, reads what
the limiter took only where it acts), true peaks are oversampled only in
blocks that come near the level that matters, and the limiter works only
around peaks over its ceiling (see bench/README.md).

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
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
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

from audio import webm
from audio.variants import CODECS, Variant, encoder_options, segment_format

__all__ = [
    "ALLOWED_INPUT_FORMATS",
    "MASTER_SAMPLE_RATE",
    "AudioDecodeError",
    "AudioInfo",
    "Chapter",
    "Cue",
    "EncodedSegment",
    "JoinedAudio",
    "JoinedLoudness",
    "JoinedMaster",
    "Loudness",
    "MasteredAudio",
    "Metadata",
    "SegmentReading",
    "can_join",
    "chapters_json",
    "decode_audio",
    "header_samples",
    "header_tolerance",
    "join_segments",
    "join_with_pauses",
    "joined_loudness",
    "master",
    "master_joined",
    "master_segment",
    "measure",
    "probe_audio",
    "read_segment",
    "segment_on_target",
    "tag",
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
    # FFmpeg's name of the container it found ("ogg", "mov,mp4,m4a,3gp,3g2,mj2"):
    # what the file is, whatever its name says.
    container: str


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
    """Describe an upload: duration, sample rate, channels, codec and container.

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
        found = container.format.name
    if not samples_by_rate.total():
        raise AudioDecodeError(_NO_SAMPLES)
    seconds = sum(samples / rate for rate, samples in samples_by_rate.items())
    return AudioInfo(seconds, next(iter(samples_by_rate)), channels, codec, found)


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
    """Sum of squares of the K-weighted signal (or, unweighted, of `x`) in each hop between `bounds`.

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
        joined = np.concatenate([x[low:high] for low, high in zip(lows.tolist(), highs.tolist())])
        upsampled = resample_poly(joined.astype(np.float32, copy=False), factor, 1)
        np.abs(upsampled, out=upsampled)
        # Each sample's largest oversampled value (strided maxima: faster than reshape().max(axis=1)).
        envelope = functools.reduce(np.maximum, (upsampled[k::factor] for k in range(factor)))
        envelope[1:] = np.maximum(envelope[1:], envelope[:-1])
        # Each run's own samples, cut out of `joined`.
        begins = np.cumsum(highs - lows) - (highs - lows) + (starts - lows)
        values = np.concatenate(
            [
                envelope[b : b + length]
                for b, length in zip(begins.tolist(), (stops - starts).tolist())
            ]
        )
        return starts, stops, values


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
    pcm = _checked(pcm, "master()")
    rate = variant.sample_rate
    source = _Source(_resample(pcm, MASTER_SAMPLE_RATE, rate), rate)
    target = _target(variant)
    aim = target - _codec_loudness_change(source, variant, target)
    best = _passes(source, variant, aim, LOUDNESS_TOLERANCE_LU)
    data = best.data if metadata is None else _tag(best.data, variant, metadata)
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


def _encode(pcm: np.ndarray, variant: Variant, container: str | None = None) -> bytes:
    """Encode mono samples at the variant's rate, duplicated to its channels (in `container`, else the variant's)."""
    codec_options, muxer_options = encoder_options(variant)
    return encode_samples(
        pcm.astype(np.float32, copy=False),
        variant.sample_rate,
        codec=variant.codec,
        container=container or variant.container,
        channels=variant.channels,
        bitrate=variant.bitrate,
        codec_options=codec_options,
        muxer_options=muxer_options,
    )


def encode_samples(
    samples: np.ndarray,
    rate: int,
    *,
    codec: str,
    container: str,
    channels: int = 1,
    bitrate: int | None = None,
    codec_options: dict | None = None,
    muxer_options: dict | None = None,
) -> bytes:
    """Encode mono samples (float32, or int16 for 16-bit codecs) with PyAV, duplicated to `channels`.

    The one place that drives an encoder: mastering, the clip cache (FLAC) and
    the tests' stand-in audio all use it.
    """
    layout = "mono" if channels == 1 else "stereo"
    sample_format = "s16" if samples.dtype == np.int16 else "fltp"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container, options=muxer_options or {}) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout, options=codec_options or {})
        if bitrate:
            stream.bit_rate = bitrate
        step = rate  # one second per frame; PyAV re-blocks to the codec's frame size
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            if sample_format == "s16":  # packed: one plane of interleaved channels
                planes = np.ascontiguousarray(np.repeat(chunk, channels).reshape(1, -1))
            else:
                planes = np.ascontiguousarray(np.broadcast_to(chunk, (channels, len(chunk))))
            frame = av.AudioFrame.from_ndarray(planes, format=sample_format, layout=layout)
            frame.sample_rate = rate
            frame.pts = None  # let the encoder number frames: gapless MP3/Opus headers stay right
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Segments: a guide mastered one section at a time, joined without re-encoding
#
# ``master_segment`` masters one section's clip as its own file: its share of
# the pause around it, its own loudness and true-peak ceiling, one encode.
# ``join_segments`` puts the encoded frames of several such files one after
# the other in one container, with one header for the whole (MP3: one
# Xing/LAME frame with the first file's encoder delay and the last one's
# padding; Ogg Opus: one logical stream, the first file's pre-skip, granule
# positions for the whole). Each encode starts from silence and ends in
# silence, so the seams (an encoder's padding, the next one's priming, a
# decoder carrying state across) fall inside the pause between sections.
# ``read_segment`` decodes each new segment once, as a player would, and
# keeps its hop energies and true peak: a segment that missed its target (a
# codec change not yet known for a voice) is mastered again, aiming off by
# what the codec did to it, as ``master`` does for a whole file. The joined
# file's loudness is gated over its segments' hops (``joined_loudness``), so
# it is never decoded whole: after an edit only the new segment is.
#
# Where a section's speech lands in the joined file comes from the frames
# themselves: what each file decodes to (frames x frame size), less the
# priming the decoder skips at the start of the whole file. A guide whose
# sections all read at the target reads at the target as a whole (pauses are
# gated out), and sections from recordings of different levels even out.

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

# Joining and decoding go a packet at a time in Python and hold the GIL:
# variants mastered in threads side by side would only interleave them, each
# slower. They take turns; encoders and numpy (which release it) run alongside.
_PACKET_WORK = threading.Lock()


@dataclass(frozen=True)
class EncodedSegment:
    """One section encoded on its own, as ``master_segment`` made it.

    Sample counts are at the variant's rate: `lead_samples` of silence, the
    clip, then silence up to `samples`, all that went into the encoder, at
    `encoded_lufs` (the mono samples) and limited under `limit_dbtp`.
    """

    data: bytes
    lead_samples: int
    clip_samples: int
    samples: int
    encoded_lufs: float
    limit_dbtp: float

    def codec_change_lu(self, heard: Loudness, variant: Variant) -> float | None:
        """What encoding did to its loudness, from how it reads decoded (None for silence)."""
        change = heard.integrated_lufs - 10 * math.log10(variant.channels) - self.encoded_lufs
        return change if math.isfinite(change) else None


@dataclass(frozen=True)
class JoinedAudio:
    """Encoded segments joined into one file (untagged).

    Spans are (start, end) in samples of the file as a player decodes it:
    `segment_spans` tile the file, `clip_spans` are where each segment's
    clip plays; `samples` is the decoded length.
    """

    data: bytes
    segment_spans: list[tuple[int, int]]
    clip_spans: list[tuple[int, int]]
    samples: int
    sample_rate: int

    @property
    def duration_seconds(self) -> float:
        return self.samples / self.sample_rate

    def clip_seconds(self) -> list[tuple[float, float]]:
        return [(a / self.sample_rate, b / self.sample_rate) for a, b in self.clip_spans]


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
    """How a joined file reads: whole (``joined_loudness``), its length as its header says, each segment."""

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
    readings = [r if s is not None else None for s, r in zip(segments, readings)]

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


def can_join(variant: Variant) -> bool:
    """Whether ``join_segments`` can join files of this variant.

    MP3 frames and Opus packets stand on their own; Opus only at 48 kHz,
    the rate Ogg counts granules in. Lossless variants are cheap to encode
    whole and are mastered with ``master``.
    """
    return variant.codec == "libmp3lame" or (
        variant.codec == "libopus" and variant.sample_rate == 48000
    )


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
        _encode(fitted, variant, segment_format(variant)["container"]),
        lead,
        len(body),
        len(x),
        encoded_lufs,
        limit,
    )


def segment_on_target(heard: Loudness, variant: Variant) -> bool:
    """Whether a segment, as heard in the joined file, is close enough to the target and under the ceiling."""
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


def join_segments(segments: Sequence[EncodedSegment], variant: Variant) -> JoinedAudio:
    """Join encoded segments, in order, into one file without re-encoding.

    Every packet is copied as it is; timestamps are renumbered for the
    whole, the first segment's header (codec parameters, Opus pre-skip) is
    kept and the muxer writes the whole file's own (MP3 Xing/LAME frame,
    Ogg granule positions). Raises ValueError if a segment is not a file of
    this variant.
    """
    if not segments:
        raise ValueError("join_segments() needs at least one segment")
    if not can_join(variant):
        raise ValueError(f"{variant.name}: {variant.codec} segments cannot be joined")
    _codec_options, muxer_options = encoder_options(variant)
    buffer = io.BytesIO()
    time_base = Fraction(1, variant.sample_rate)
    with _PACKET_WORK, ExitStack() as opened:
        inputs = [opened.enter_context(_open_audio(s.data)) for s in segments]
        parts = [_segment_packets(container, stream, variant) for container, stream in inputs]
        skip = parts[0][1]  # the whole file's priming: the first segment's
        starts, position = [], 0
        for _packets, priming, lengths, _padding in parts:
            # A segment's samples start after its own priming; the decoder
            # drops only the first segment's.
            starts.append(position + priming - skip)
            position += sum(lengths)
        # The file ends as its last segment did alone: its padding trimmed.
        total = position - skip - parts[-1][3]
        if variant.container == "webm":
            opened_output = webm.output(buffer, muxer_options)
        else:
            opened_output = av.open(
                buffer, mode="w", format=variant.container, options=muxer_options
            )
        with opened_output as output:
            stream = output.add_stream_from_template(inputs[0][1])
            pts = -skip
            last_part = len(parts) - 1
            for number, (packets, _priming, lengths, _padding) in enumerate(parts):
                for index, (packet, length) in enumerate(zip(packets, lengths, strict=True)):
                    if variant.container == "webm":
                        # Only the file's very last packet says to trim (WebM's DiscardPadding).
                        final = number == last_part and index == len(packets) - 1
                        packet = webm.packet_copy(packet, keep_end_trim=final)
                    packet.stream = stream
                    packet.time_base = time_base
                    packet.pts = packet.dts = pts
                    # The last packet ends where the audio does: Ogg's last
                    # granule position trims the end padding.
                    packet.duration = min(length, total - pts)
                    pts += length
                    output.mux(packet)
    clip_spans = [
        (start + s.lead_samples, start + s.lead_samples + s.clip_samples)
        for start, s in zip(starts, segments, strict=True)
    ]
    return JoinedAudio(
        buffer.getvalue(), list(pairwise([*starts, total])), clip_spans, total, variant.sample_rate
    )


def _segment_packets(
    container: av.container.InputContainer, stream: av.AudioStream, variant: Variant
) -> tuple[list[av.Packet], int, list[int], int]:
    """A segment's packets, its priming, what each packet decodes to and its end padding (samples)."""
    packets = [p for p in container.demux(stream) if p.size]
    context = stream.codec_context
    if not packets or context.name not in ("mp3", "mp3float", "opus", "libopus"):
        raise ValueError(f"{variant.name}: a segment is not an {variant.codec} file")
    if context.sample_rate != variant.sample_rate or context.channels != variant.channels:
        raise ValueError(f"{variant.name}: a segment has another rate or channel count")
    if variant.codec == "libopus":
        lengths = [_opus_packet_samples(bytes(p)) for p in packets]
    else:
        lengths = [context.frame_size] * len(packets)
    # The demuxer reports what the header says to drop (LAME tag, OpusHead,
    # last granule position) as "skip samples": at the start on the first
    # packet, at the end on the last, little-endian uint32s. FFmpeg's LAME
    # tag says at most a frame of padding where LAME flushed a little more:
    # the file then plays that much silence longer, as it did alone.
    priming = _skip_samples(packets[0])[0]
    padding = _skip_samples(packets[-1])[1]
    return packets, priming, lengths, padding


def _skip_samples(packet: av.Packet) -> tuple[int, int]:
    side_data = packet.get_sidedata("skip_samples")
    return struct.unpack("<II", bytes(side_data)[:8]) if side_data else (0, 0)


def _opus_packet_samples(packet: bytes) -> int:
    """Samples (at 48 kHz) an Opus packet decodes to, from its TOC byte (RFC 6716, 3.1)."""
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    frames = 1 if code == 0 else 2 if code in (1, 2) else packet[1] & 0x3F
    return frame * frames


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


def header_samples(data: bytes) -> int:
    """How many samples players say the file has, from its header alone (Xing/LAME frame, Ogg granules).

    Ogg reports Opus's pre-skip in its granule positions: it is taken off
    here, so both formats count what a player plays. 0 if the header says nothing.
    WebM's Duration is in milliseconds: it is right to ``header_tolerance``.
    """
    with _open_audio(data) as (container, stream):
        if container.duration is None:
            return 0
        samples = round(container.duration * stream.codec_context.sample_rate / 1_000_000)
        if stream.codec_context.name in ("opus", "libopus"):
            samples -= _OPUS_PRE_SKIP.unpack_from(stream.codec_context.extradata, 10)[0]
    return samples


def header_tolerance(variant: Variant) -> int:
    """How far (samples) ``header_samples`` may be from the true length and still be right.

    WebM (Matroska) counts time in milliseconds: its Duration lands within a
    millisecond or two of the end (the last block's time, its length and the codec delay are rounded).
    The samples played are still exact (DiscardPadding trims the end).
    """
    return 3 * variant.sample_rate // 1000 if variant.container == "webm" else 0


# OpusHead (RFC 7845, 5.1): "OpusHead", version, channels, then pre-skip.
_OPUS_PRE_SKIP = struct.Struct("<H")


def tag(data: bytes, variant: Variant, metadata: Metadata) -> bytes:
    """Write `metadata` into an encoded file of `variant` (ID3 for MP3, Vorbis comments for Opus/FLAC)."""
    return _tag(data, variant, metadata)


# --------------------------------------------------------------------------
# Tags


def _tag(data: bytes, variant: Variant, metadata: Metadata) -> bytes:
    """Write `metadata` into an encoded file: ID3v2.4 for MP3, Vorbis comments otherwise."""
    if variant.container == "mp3":
        return _id3_tag(metadata) + data
    if variant.container in ("ogg", "flac"):
        return _vorbis_tagged(data, variant.container, metadata)
    if variant.container == "webm":
        return webm.tagged(
            data,
            metadata.title,
            metadata.language,
            metadata.chapters,
            {
                "album": metadata.album,
                "artist": metadata.artist,
                "comment": metadata.comment,
                "date": str(metadata.year) if metadata.year else "",
            },
        )
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
    # Element ids are numbers in start order (ch1, ch2, ...), never the chapters'
    # own ids: those are section ids, which the API publishes, so a file kept on
    # a phone could be matched to its guide by them. (Numbers are also Latin-1,
    # as ID3 element ids must be.)
    element_ids = [f"ch{number}" for number in range(1, len(metadata.chapters) + 1)]
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
