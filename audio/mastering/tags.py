"""Tags written into encoded files: ID3v2.4 for MP3 (and radio WAVs), Vorbis comments
for Opus and FLAC, Matroska tags for WebM (``audio.webm``).

``id3_frames`` is the one builder of ID3 text frames: ``tag`` writes them
into mastered MP3s, ``add_track_tags`` into the radio packages' WAV files
(and their track numbers into MP3s).

Above ``sidecars`` (chapters) in ``audio.mastering``; below everything that
masters.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    TRCK,
    CTOCFlags,
    Frame,
)
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE

from audio import webm
from audio.variants import Variant

from .sidecars import Chapter, _ordered_chapters, _timestamp


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


# ID3v2.4's text encoding byte for UTF-8.
_UTF8 = 3


def tag(data: bytes, variant: Variant, metadata: Metadata) -> bytes:
    """Write `metadata` into an encoded file of `variant`.

    ID3v2.4 for MP3, Vorbis comments for Opus and FLAC, Matroska tags for WebM;
    WAV is left as it is.
    """
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


def id3_frames(metadata: Metadata, track: tuple[int, int] | None = None) -> list[Frame]:
    """The ID3v2.4 text frames for `metadata`: title, then album, artist, language, year,
    comment and (given `track`, as (number, total)) the track number, those that are set.

    The one builder of ID3 text frames: mastered MP3s (``tag``) and the radio
    packages' WAV files (``add_track_tags``) both take them from here.
    """
    frames: list[Frame] = [TIT2(encoding=_UTF8, text=[metadata.title])]
    for frame_class, value in (
        (TALB, metadata.album),
        (TPE1, metadata.artist),
        (TLAN, metadata.language),
    ):
        if value:
            frames.append(frame_class(encoding=_UTF8, text=[value]))
    if metadata.year:
        frames.append(TDRC(encoding=_UTF8, text=[str(metadata.year)]))
    if metadata.comment:
        frames.append(
            COMM(encoding=_UTF8, lang=metadata.language or "und", desc="", text=[metadata.comment])
        )
    if track:
        frames.append(_id3_track_frame(track))
    return frames


def add_track_tags(
    data: bytes, variant: Variant, metadata: Metadata, track: tuple[int, int] | None
) -> bytes:
    """Add what ``tag`` leaves out, for files that go out as a numbered set (radio packages).

    MP3 (already tagged by ``tag``): the track number, as (number, total).
    WAV: an ID3 chunk with ``id3_frames``, the track number among them.
    Other files are returned as they are.
    """
    if variant.container == "wav":
        buffer = io.BytesIO(data)
        wave = WAVE(buffer)
        wave.add_tags()
        for frame in id3_frames(metadata, track):
            wave.tags.add(frame)
        buffer.seek(0)
        wave.save(buffer)
        return buffer.getvalue()
    if variant.container == "mp3" and track:
        buffer = io.BytesIO(data)
        tags = ID3(buffer)
        tags.add(_id3_track_frame(track))
        buffer.seek(0)
        tags.save(buffer, v2_version=4)
        return buffer.getvalue()
    return data


def _id3_track_frame(track: tuple[int, int]) -> TRCK:
    """The ID3 track number frame, "number/total"."""
    return TRCK(encoding=_UTF8, text=[f"{track[0]}/{track[1]}"])


def _id3_tag(metadata: Metadata) -> bytes:
    """An ID3v2.4 tag: text frames, one CHAP per chapter and an ordered top-level CTOC."""
    tags = ID3()
    for frame in id3_frames(metadata):
        tags.add(frame)
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
                sub_frames=[TIT2(encoding=_UTF8, text=[chapter.title])],
            )
        )
    if metadata.chapters:
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=element_ids,
                sub_frames=[TIT2(encoding=_UTF8, text=[metadata.title])],
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
