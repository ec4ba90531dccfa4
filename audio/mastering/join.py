"""Joining encoded segments into one file without re-encoding.

``join_segments`` copies each segment's MP3 frames or Opus packets into one
container with one header for the whole (MP3: one Xing/LAME frame with the
first file's encoder delay and the last one's padding; Ogg Opus: one logical
stream, the first file's pre-skip, granule positions for the whole; WebM
through ``audio.webm``). ``header_samples`` reads back what the header says.

Above ``decode`` and ``loudness`` in ``audio.mastering``.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

import av

from audio import webm
from audio.variants import Variant, encoder_options

from .decode import _open_audio
from .loudness import Loudness

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


def can_join(variant: Variant) -> bool:
    """Whether ``join_segments`` can join files of this variant.

    MP3 frames and Opus packets stand on their own; Opus only at 48 kHz,
    the rate Ogg counts granules in. Lossless variants are cheap to encode
    whole and are mastered with ``master``.
    """
    return variant.codec == "libmp3lame" or (
        variant.codec == "libopus" and variant.sample_rate == 48000
    )


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
    """A segment's packets, its priming, what each packet decodes to and its end padding.

    Priming, lengths and padding are in samples.
    """
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


def header_samples(data: bytes) -> int:
    """How many samples players say the file has, from its header alone.

    MP3 says it in its Xing/LAME frame, Ogg in its granule positions.

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
    millisecond or two of the end (the last block's time, its length and the codec delay
    are rounded).
    The samples played are still exact (DiscardPadding trims the end).
    """
    return 3 * variant.sample_rate // 1000 if variant.container == "webm" else 0


# OpusHead (RFC 7845, 5.1): "OpusHead", version, channels, then pre-skip.
_OPUS_PRE_SKIP = struct.Struct("<H")
