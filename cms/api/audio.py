"""Audio in the public API: renditions, their status and section offsets.

What a client needs to download and verify a file (URL, MIME type, size,
SHA-256, duration), who made it (engine, voice) and whether it still matches
the text (status). Status follows ``audio.status`` — "stale" means the file
was made from other clips than the current text would give — collapsed to
what a client can act on:

- ``ready``: the file matches the current text;
- ``pending``: it does not, and new audio is queued or being made;
- ``stale``: it does not, and nothing is being made (failed, or waiting on
  recordings).

Everything here works on many pages at once with a fixed number of queries
(``audio.facts.AudioFacts.load``), by the same rule as the admin's status
(``audio.facts``); ``tests/api`` checks they agree. The renditions endpoint is in ``views``.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.files.storage import default_storage

from audio.facts import AudioFacts, rendition_is_current
from audio.models import Rendition
from audio.recordings import recording_state
from audio.text import SpeechSection
from audio.variants import published_variants


def recording_states(
    page_id: int,
    sections: Sequence[SpeechSection],
    source_hashes: dict[str, str],
    facts: AudioFacts,
) -> dict[str, str]:
    """Section id → "current", "stale" or "missing" (see ``audio.recordings``)."""
    recordings = facts.recordings.get(page_id, {})
    return {
        section.id: recording_state(recordings.get(section.id), source_hashes.get(section.id))
        for section in sections
    }


def rendition_statuses(
    page_id: int, language_code: str, sections: Sequence[SpeechSection], facts: AudioFacts
) -> dict[int, str]:
    """Rendition id → status for the page's live renditions."""
    statuses = {}
    for rendition in facts.renditions.get(page_id, []):
        if rendition_is_current(rendition, language_code, sections, facts):
            statuses[rendition.pk] = "ready"
        else:
            statuses[rendition.pk] = "pending" if facts.generating(page_id) else "stale"
    return statuses


def file_url(name: str | None, absolute: Callable[[str], str]) -> str | None:
    """Absolute URL of a stored file, or None for an empty file field."""
    if not name:
        return None
    return absolute(default_storage.url(name))


def rendition_document(
    rendition: Rendition, status: str, language_code: str, absolute: Callable[[str], str]
) -> dict[str, Any]:
    """One rendition as the API shows it (no internal hashes, no loudness-correction details)."""
    return {
        "id": rendition.pk,
        "variant": rendition.variant,
        "language": language_code,
        "url": file_url(rendition.audio.name, absolute),
        "mime_type": rendition.mime_type,
        "bitrate": rendition.bitrate,
        "duration": rendition.duration,
        "bytes": rendition.size_bytes,
        "sha256": rendition.sha256,
        "engine": rendition.engine,
        "voice": rendition.voice,
        "generated_at": rendition.generated_at,
        "status": status,
        "chapters_url": file_url(rendition.chapters.name, absolute),
        "captions_url": file_url(rendition.captions.name, absolute),
        "loudness_lufs": rendition.loudness_lufs,
        "true_peak_dbtp": rendition.true_peak_dbtp,
    }


def overall_status(statuses: Iterable[str], generating: bool) -> str:
    """One word for a guide's audio: the worst of its renditions' statuses."""
    values = set(statuses)
    if not values:
        return "pending" if generating else "unavailable"
    for word in ("stale", "pending"):
        if word in values:
            return word
    return "ready"


def section_offsets(renditions: Iterable[Rendition]) -> dict[str, list[dict[str, Any]]]:
    """Section id → [{rendition, variant, start, end}] from the renditions' chapter data."""
    offsets = defaultdict(list)
    for rendition in renditions:
        for section in rendition.sections:
            offsets[section["id"]].append(
                {
                    "rendition": rendition.pk,
                    "variant": rendition.variant,
                    "start": section["start"],
                    "end": section["end"],
                }
            )
    return dict(offsets)


def variant_names() -> list[str]:
    return [variant.name for variant in published_variants()]
