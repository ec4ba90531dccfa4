"""Decoding: any audio file PyAV reads, into the working format.

The working format is float32 mono at ``MASTER_SAMPLE_RATE``. ``decode_audio``
converts; ``probe_audio`` describes an upload. Uploads may only use the
demuxers in ``ALLOWED_INPUT_FORMATS``, and a file with too many packets that
fail to decode is refused (``AudioDecodeError``).

In ``audio.mastering``, beside ``loudness`` and above the helpers ``tags`` and
``sidecars``; it imports only ``working`` (the format's constants) from the package.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
import numpy as np

# Also importable from here, where they are used.
from .working import ALLOWED_INPUT_FORMATS, MASTER_SAMPLE_RATE, AudioDecodeError  # noqa: F401

# Share of packets that may fail to decode before a file counts as damaged.
_MAX_BAD_PACKETS = 0.02

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
    # The largest sample magnitude, 1.0 being full scale (a silent take is refused by it).
    peak: float = 1.0


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
    peak = 0.0
    with _open_audio(data) as (container, stream):
        for frame in _frames(container, stream):
            samples_by_rate[frame.sample_rate] += frame.samples
            channels = channels or frame.layout.nb_channels
            peak = max(peak, _frame_peak(frame))
        codec = stream.codec_context.codec.canonical_name  # "mp3", not the decoder's "mp3float"
        found = container.format.name
    if not samples_by_rate.total():
        raise AudioDecodeError(_NO_SAMPLES)
    seconds = sum(samples / rate for rate, samples in samples_by_rate.items())
    return AudioInfo(seconds, next(iter(samples_by_rate)), channels, codec, found, peak)


def _frame_peak(frame: av.AudioFrame) -> float:
    """A frame's largest sample magnitude on the float scale, read in place (no whole-file
    array: a 10-minute upload stays a few kilobytes at a time in a web process). A sample
    format we do not read counts as full scale: never refused as silent for it."""
    name = frame.format.packed.name
    if name not in _SAMPLE_TYPES or not frame.samples:
        return 1.0 if frame.samples else 0.0
    array = _ndarray(frame)
    # max and -min, not abs: abs(-32768) overflows int16.
    top = max(float(array.max()), -float(array.min()))
    return top * _INTEGER_SCALES.get(name, 1.0)


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
