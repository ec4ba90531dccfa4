"""Side files players read next to the audio: JSON chapters and WebVTT captions.

``Chapter`` and ``Cue`` are the spans they describe; chapters are also
written into the files' tags (``tags``).

The bottom of ``audio.mastering``: imports nothing from the package.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


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
class Cue:
    """One caption: a span in seconds and the text said during it."""

    start: float
    end: float
    text: str
    id: str | None = None


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
