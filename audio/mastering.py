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

Loudness, in ``master``: measure (ITU-R BS.1770 via pyloudnorm) at the
variant's sample rate, apply the gain that reaches the target, and limit true
peaks with a look-ahead limiter that reads a 4x oversampled signal (so it sees
the inter-sample peaks a DAC will make). Limiting lowers loudness, so gain and
limiting are repeated until they agree. Lossy codecs then move loudness and
peaks a little (MP3 ~0.4 LU), so the encoded file is decoded and measured; if
it misses the target by more than ``LOUDNESS_TOLERANCE_LU`` or its true peak
passes the ceiling, another pass (two at most) corrects for what the codec did.

No Django here: the stage is pure functions over bytes and numpy arrays.
"""

from __future__ import annotations

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
import pyloudnorm
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
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from audio.variants import Variant

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

# Lossy codecs add peaks of their own (coding noise, dropped highs); the
# limiter aims this far below the ceiling so that the first encode usually
# fits. Measured on espeak speech: MP3 32 kbps overshoots by up to ~1.5 dB,
# Opus 16 kbps by up to ~2 dB. Lossless codecs only round to 16 bits.
_CODEC_HEADROOM_DB = {"libmp3lame": 1.5, "libopus": 2.0}
_LOSSLESS_HEADROOM_DB = 0.1

# What a codec does to the level, measured with the LAME and FFmpeg decoders
# bundled in PyAV 18: MP3 plays back 0.44 dB below its input at every bitrate
# and rate (a 1 kHz sine as much as speech), so the first pass aims that much
# higher. Opus varies with the signal (-0.05 to -0.7 LU on speech-like input)
# and is left to the correction pass, as is any other codec build.
_CODEC_GAIN_DB = {"libmp3lame": -0.44}

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
    resampler = source = None
    with _open_audio(data) as (container, stream):
        for frame in _frames(container, stream):
            if resampler is None:
                layout = "mono" if mono else frame.layout.name
                rate = sample_rate or frame.sample_rate
                channels = 1 if mono else frame.layout.nb_channels
            # A resampler takes one input format; some files change it midway
            # (chained Ogg, MP3s cut together from different sources).
            if (frame.format.name, frame.layout.name, frame.sample_rate) != source:
                if resampler is not None:
                    chunks += _converted(resampler, None, channels)
                source = (frame.format.name, frame.layout.name, frame.sample_rate)
                # Packed float: reshape gives (samples, channels) directly.
                resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
            chunks += _converted(resampler, frame, channels)
    if resampler is not None:
        chunks += _converted(resampler, None, channels)  # what it held back
    if not sum(len(c) for c in chunks):
        raise AudioDecodeError(_NO_SAMPLES)
    return chunks, rate, channels


def _converted(
    resampler: av.AudioResampler, frame: av.AudioFrame | None, channels: int
) -> list[np.ndarray]:
    return [out.to_ndarray().reshape(-1, channels) for out in resampler.resample(frame)]


@contextmanager
def _open_audio(data: bytes) -> Iterator[tuple[av.container.InputContainer, av.AudioStream]]:
    """Open bytes as a media file and yield its first audio stream."""
    if not data:
        raise AudioDecodeError("No audio: the file is empty")
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            options={"format_whitelist": ",".join(ALLOWED_INPUT_FORMATS)},
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


def measure(pcm: np.ndarray, rate: int) -> Loudness:
    """Integrated loudness (BS.1770-4, pyloudnorm) and true peak (4x oversampled).

    `pcm` is (samples,) for mono or (samples, channels). Identical channels
    each count: dual-mono reads 3 LU louder than its mono source, as a meter
    on the delivered file would say. Audio shorter than one 400 ms gating
    block is measured padded with silence (it reads quieter than it is).
    """
    pcm = np.asarray(pcm, dtype=np.float64)
    if not np.any(pcm):
        return Loudness(-math.inf, -math.inf)
    columns = pcm.T if pcm.ndim == 2 else (pcm,)
    peak = max(float(_true_peak_envelope(column).max()) for column in columns)
    return Loudness(_lufs(pcm, rate), _db(peak))


def _lufs(pcm: np.ndarray, rate: int) -> float:
    """Integrated loudness alone: what the gain loop needs, without the peak."""
    pcm = np.asarray(pcm, dtype=np.float64)
    if not np.any(pcm):
        return -math.inf
    block = int(0.4 * rate) + 1  # pyloudnorm refuses audio shorter than one block
    if len(pcm) < block:
        pcm = np.concatenate([pcm, np.zeros((block - len(pcm),) + pcm.shape[1:])])
    return float(pyloudnorm.Meter(rate).integrated_loudness(pcm))


def _true_peak_envelope(x: np.ndarray) -> np.ndarray:
    """For each sample, the largest |value| of the 4x oversampled signal around it.

    Oversampling in blocks keeps memory flat for long guides; blocks overlap by
    more than the interpolation filter reaches, so the result is the same.
    """
    factor = _TRUE_PEAK_OVERSAMPLING
    margin, block = 64, 1 << 17  # resample_poly's filter reaches 10 * factor input samples
    envelope = np.empty(len(x))
    for start in range(0, len(x), block):
        lo, hi = max(start - margin, 0), min(start + block + margin, len(x))
        # float32 is plenty for a peak reading and a third faster.
        up = np.abs(resample_poly(x[lo:hi].astype(np.float32), factor, 1))
        n = min(block, len(x) - start)
        envelope[start : start + n] = (
            up[(start - lo) * factor :][: n * factor].reshape(n, factor).max(axis=1)
        )
    # A peak between samples n-1 and n counts for both of them.
    envelope[1:] = np.maximum(envelope[1:], envelope[:-1])
    return envelope


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
    pcm = np.asarray(pcm, dtype=np.float64)
    if pcm.ndim != 1 or not len(pcm):
        raise ValueError(f"master() needs non-empty mono samples, got shape {pcm.shape}")
    if not np.all(np.isfinite(pcm)):
        raise ValueError("master() got NaN or infinite samples")

    rate = variant.sample_rate
    source = _resample(pcm, MASTER_SAMPLE_RATE, rate)
    peaks = _true_peak_envelope(source)  # of the unscaled signal; gain scales it
    # The meter sums channels: identical stereo channels read 3 LU above mono.
    codec_gain = _CODEC_GAIN_DB.get(variant.codec, 0.0)
    target = variant.loudness_lufs - 10 * math.log10(variant.channels) - codec_gain
    ceiling = (
        variant.true_peak_dbtp
        - _CODEC_HEADROOM_DB.get(variant.codec, _LOSSLESS_HEADROOM_DB)
        - codec_gain
    )

    attempts = []
    for _ in range(_MAX_PASSES):
        attempt = _attempt(source, peaks, variant, target, ceiling)
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


@dataclass(frozen=True)
class _Attempt:
    data: bytes
    duration_seconds: float
    loudness: Loudness


def _attempt(
    source: np.ndarray, peaks: np.ndarray, variant: Variant, target: float, ceiling: float
) -> _Attempt:
    """One pass: gain and limiting, encode, then decode and measure the result."""
    rate = variant.sample_rate
    data, decoded = _encode_and_decode(_fit_loudness(source, peaks, rate, target, ceiling), variant)
    return _Attempt(data, len(decoded) / rate, measure(decoded, rate))


def _best(attempts: list[_Attempt], variant: Variant) -> _Attempt:
    """The ceiling is a hard limit, the loudness target a soft one: pick accordingly."""
    fitting = [a for a in attempts if a.loudness.true_peak_dbtp <= variant.true_peak_dbtp]
    if not fitting:
        logger.warning(
            "%s: no pass kept true peak under %.1f dBTP", variant.name, variant.true_peak_dbtp
        )
        return min(attempts, key=lambda a: a.loudness.true_peak_dbtp)
    return min(fitting, key=lambda a: abs(a.loudness.integrated_lufs - variant.loudness_lufs))


def _fit_loudness(
    x: np.ndarray, peaks: np.ndarray, rate: int, target: float, ceiling_db: float
) -> np.ndarray:
    """Apply the gain that, after true-peak limiting, lands on `target` LUFS."""
    measured = _lufs(x, rate)
    if not math.isfinite(measured):  # silence, or quieter than BS.1770's -70 LUFS gate
        return x
    gain_db = target - measured
    if gain_db > MAX_GAIN_DB:
        logger.warning(
            "Audio at %.1f LUFS needs %+.1f dB; capped at %+.0f dB", measured, gain_db, MAX_GAIN_DB
        )
        gain_db = MAX_GAIN_DB
    # Limiting takes loudness away; add it back until the two agree (2-3 rounds).
    for _ in range(5):
        gain = 10 ** (gain_db / 20)
        limited = _limit(x * gain, peaks * gain, rate, ceiling_db)
        error = target - _lufs(limited, rate)
        if abs(error) < 0.05 or gain_db >= MAX_GAIN_DB:
            break
        gain_db = min(gain_db + error, MAX_GAIN_DB)
    return limited


def _limit(x: np.ndarray, peaks: np.ndarray, rate: int, ceiling_db: float) -> np.ndarray:
    """Look-ahead limiter: scale `x` so its true peaks (`peaks`) stay under the ceiling.

    The gain each sample needs is held as a running minimum over the attack
    window, then averaged over the same window: every average then includes
    the sample's own need, so the gain is never above it, and it ramps down
    smoothly before the peak instead of jumping. A trailing average slows the
    recovery after it (release).
    """
    ceiling = 10 ** (ceiling_db / 20)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if needed.min() >= 1.0:
        return x
    width = 2 * round(_LIMITER_ATTACK_SECONDS * rate / 2) + 1  # odd, so windows are centred
    held = minimum_filter1d(needed, width, mode="nearest")
    gain = np.minimum(
        uniform_filter1d(held, width, mode="nearest"), needed
    )  # min() absorbs float rounding
    release = round(_LIMITER_RELEASE_SECONDS * rate)
    cumulative = np.concatenate([[0.0], np.cumsum(gain)])
    index = np.arange(len(gain))
    first = np.maximum(index - release + 1, 0)
    trailing = (cumulative[index + 1] - cumulative[first]) / (index + 1 - first)
    return x * np.minimum(gain, trailing)


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
    return data, np.concatenate(chunks).astype(np.float64)


def _encode(pcm: np.ndarray, variant: Variant) -> bytes:
    """Encode mono samples at the variant's rate, duplicated to its channels."""
    layout = "mono" if variant.channels == 1 else "stereo"
    codec_options = {}
    muxer_options = {}
    if variant.codec == "libmp3lame":
        # Our ID3 tag is written later with mutagen; FFmpeg's would come first.
        muxer_options["id3v2_version"] = "0"
        if not variant.cbr:
            codec_options["abr"] = "1"
    elif variant.codec == "libopus":
        # "voip" tunes Opus for speech intelligibility at low bitrates.
        codec_options = {"application": "voip", "vbr": "off" if variant.cbr else "on"}
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=variant.container, options=muxer_options) as output:
        stream = output.add_stream(
            variant.codec, rate=variant.sample_rate, layout=layout, options=codec_options
        )
        if variant.bitrate:
            stream.bit_rate = variant.bitrate
        samples = pcm.astype(np.float32)
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
