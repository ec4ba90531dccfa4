"""WebM for the low-data variant: a file a phone can start from its first bytes.

Ogg Opus has no length in its header and no index: Chromium reads the end of
the file before it plays (on 2G an extra ~95 KB and ~3 s, issue #16). WebM
says its duration in its header and, with FFmpeg's ``cues_to_front``, puts
its index (Cues) before the first cluster. The packets are the cached Ogg
segments' own, copied (``mastering.join_segments``); nothing is re-encoded.

Also here: reading where each cluster of a WebM file starts (byte offset and
time), so the front can fetch a section from its first byte, and writing tags
(title, chapters) by remuxing, since mutagen does not write Matroska.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import av

__all__ = [
    "MUXER_OPTIONS",
    "Cluster",
    "clusters",
    "init_length",
    "output",
    "packet_copy",
    "section_offsets",
    "tagged",
]

# Cues before the first cluster (FFmpeg moves the data along once it knows
# their size). Clusters of at most 5 s: a jump to a section fetches from at
# most 5 s (10 KB) before it, and the Cues, which every player reads first,
# stay small (~2.5 KB for a 14-minute guide; 2 s clusters made them 6 KB).
MUXER_OPTIONS = {"cues_to_front": "1", "cluster_time_limit": "5000"}

_SEGMENT, _CLUSTER, _TIMECODE, _INFO, _TIMESCALE = (
    0x18538067,
    0x1F43B675,
    0xE7,
    0x1549A966,
    0x2AD7B1,
)


@dataclass(frozen=True)
class Cluster:
    offset: int  # bytes from the start of the file
    seconds: float  # the time of its first block


@contextmanager
def output(
    buffer: io.BytesIO, options: dict[str, str] | None = None
) -> Iterator[av.container.OutputContainer]:
    """A WebM muxer whose file ends up in `buffer` once the block ends.

    It writes to a temporary file: moving the Cues to the front makes FFmpeg
    reopen the file by name to shift the clusters, which a memory buffer cannot.
    """
    with tempfile.TemporaryDirectory(prefix="altavoz-webm-") as folder:
        path = os.path.join(folder, "audio.webm")
        with av.open(
            path, "w", format="webm", options={**MUXER_OPTIONS, **(options or {})}
        ) as muxer:
            yield muxer
        with open(path, "rb") as file:
            buffer.write(file.read())


def packet_copy(packet: av.Packet, *, keep_end_trim: bool) -> av.Packet:
    """The packet's bytes without its side data (unless `keep_end_trim`).

    Each Ogg segment's first and last packets say what to drop at its own start
    and end; in the joined WebM file only the last packet's end trim is true,
    and the muxer would write the others as DiscardPadding mid-file.
    """
    if keep_end_trim:
        return packet
    return av.Packet(bytes(packet))


def tagged(
    data: bytes, title: str, language: str, chapters, extra: dict[str, str] | None = None
) -> bytes:
    """The WebM file remuxed with a title, language and chapters (no re-encode)."""
    buffer = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, output(buffer) as muxer:
        stream_in = source.streams.audio[0]
        stream = muxer.add_stream_from_template(stream_in)
        if language:
            stream.metadata["language"] = language
        muxer.metadata.update({k: v for k, v in {"title": title, **(extra or {})}.items() if v})
        if chapters:
            muxer.set_chapters(
                [
                    {
                        "id": number,
                        "start": round(c.start * 1000),
                        "end": round(c.end * 1000),
                        "time_base": _MILLISECOND,
                        "metadata": {"title": c.title},
                    }
                    for number, c in enumerate(chapters, start=1)
                ]
            )
        packets = [packet for packet in source.demux(stream_in) if packet.size]
        # A block has no length in WebM: the demuxer guesses the last one's as a
        # whole frame. It ends where the file said, so the Duration stays right.
        # (The muxer adds the codec delay back to every timestamp; Duration counts it.)
        pre_skip = int.from_bytes(stream_in.codec_context.extradata[10:12], "little")
        end = (
            Fraction(source.duration, 1_000_000) - Fraction(pre_skip, 48000)
        ) / stream_in.time_base
        packets[-1].duration = max(1, round(end) - packets[-1].pts)
        for packet in packets:
            packet.stream = stream
            muxer.mux(packet)
    return buffer.getvalue()


_MILLISECOND = Fraction(1, 1000)


def _vint(data: bytes, at: int, *, mask: bool) -> tuple[int, int]:
    """An EBML variable-size integer at `at`: (value, its length in bytes)."""
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"not an EBML number at byte {at}")
    value = first & (0xFF >> length) if mask else first
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, length


def _elements(data: bytes, start: int, end: int):
    """(id, offset, payload start, payload end) of the EBML elements between start and end."""
    at = start
    while at < end:
        element_id, id_length = _vint(data, at, mask=False)
        size, size_length = _vint(data, at + id_length, mask=True)
        payload = at + id_length + size_length
        unknown = size == (1 << (7 * size_length)) - 1
        stop = end if unknown else min(payload + size, end)
        yield element_id, at, payload, stop
        at = stop


def clusters(data: bytes) -> list[Cluster]:
    """Every cluster of a WebM file, in order: where it starts and its time."""
    found = []
    scale = 1_000_000  # nanoseconds per timestamp tick, Matroska's default
    for element_id, _at, payload, stop in _elements(data, 0, len(data)):
        if element_id != _SEGMENT:
            continue
        for child, at, start, end in _elements(data, payload, stop):
            if child == _INFO:
                for info, _a, s, e in _elements(data, start, end):
                    if info == _TIMESCALE:
                        scale = int.from_bytes(data[s:e], "big")
            elif child == _CLUSTER:
                for inner, _a, s, e in _elements(data, start, end):
                    if inner == _TIMECODE:
                        found.append(Cluster(at, int.from_bytes(data[s:e], "big") * scale / 1e9))
                        break
    return found


def init_length(data: bytes) -> int:
    """Bytes before the first cluster: the header a player needs before any audio."""
    found = clusters(data)
    if not found:
        raise ValueError("no cluster in this WebM file")
    return found[0].offset


def section_offsets(data: bytes, starts: list[float]) -> list[int]:
    """For each start time, where to start reading so that it plays: its cluster's first byte."""
    found = clusters(data)
    offsets = []
    for start in starts:
        before = [c.offset for c in found if c.seconds <= start + 1e-6]
        offsets.append(before[-1] if before else found[0].offset)
    return offsets
