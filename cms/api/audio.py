"""Audio in the public API: renditions, their status and section offsets.

Moved here from ``audio/api.py``: the API reads audio models, audio never
imports the API (no import cycle).

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
(``AudioFacts.load``); ``tests/api`` checks it agrees with
``audio.status.page_audio_status``. The renditions endpoint is in ``views``.
"""

import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from django.conf import settings
from django.core.files.storage import default_storage

from audio.clips import clip_key, content_hash, recording_clip_key
from audio.models import AudioJob, PronunciationEntry, Rendition, SectionRecording
from audio.text import NORMALIZER_VERSION, SpeechSection, spoken_form
from audio.variants import published_variants

RECORDED_ENGINE = "recorded"
# Normalizing a guide's text for the hash costs ~0.1 s; the text rarely changes
# between rebuilds of the API's documents, so results are kept per process.
_HASH_MEMO_SIZE = 512
_hash_memo = OrderedDict()
_hash_memo_lock = threading.Lock()
GENERATING_STATES = (AudioJob.State.QUEUED, AudioJob.State.RUNNING)


@dataclass
class AudioFacts:
    """Live renditions, jobs, recordings and lexicons for a set of pages."""

    renditions: dict = field(default_factory=dict)  # page id → [Rendition] in variant order
    jobs: dict = field(default_factory=dict)  # page id → AudioJob
    recordings: dict = field(default_factory=dict)  # page id → {section id: SectionRecording}
    lexicons: dict = field(default_factory=dict)  # language code → {written: spoken}

    @classmethod
    def load(cls, page_ids: Iterable[int]) -> Self:
        """Four queries for any number of pages."""
        page_ids = list(page_ids)
        order = {variant.name: index for index, variant in enumerate(published_variants())}
        facts = cls()
        renditions = defaultdict(list)
        for rendition in Rendition.objects.filter(page_id__in=page_ids, state=Rendition.State.LIVE):
            renditions[rendition.page_id].append(rendition)
        facts.renditions = {
            page_id: sorted(items, key=lambda r: (order.get(r.variant, len(order)), r.variant))
            for page_id, items in renditions.items()
        }
        facts.jobs = {job.page_id: job for job in AudioJob.objects.filter(page_id__in=page_ids)}
        recordings = defaultdict(dict)
        for recording in SectionRecording.objects.filter(page_id__in=page_ids):
            recordings[recording.page_id][recording.section_id] = recording
        facts.recordings = dict(recordings)
        lexicons = defaultdict(dict)
        for language, written, spoken in PronunciationEntry.objects.values_list(
            "locale__language_code", "written", "spoken"
        ):
            lexicons[language][written] = spoken
        facts.lexicons = dict(lexicons)
        return facts

    def generating(self, page_id: int) -> bool:
        job = self.jobs.get(page_id)
        return job is not None and job.state in GENERATING_STATES


def uses_recordings(language_code: str) -> bool:
    """Whether a language's audio comes from human recordings (Kaqchikel)."""
    return RECORDED_ENGINE in settings.ALTAVOZ_VOICES.get(language_code, [])


def recording_states(
    page_id: int,
    sections: Sequence[SpeechSection],
    source_hashes: dict[str, str],
    facts: AudioFacts,
) -> dict[str, str]:
    """Section id → "current", "stale" or "missing" (see ``audio.recordings``)."""
    recordings = facts.recordings.get(page_id, {})
    states = {}
    for section in sections:
        recording = recordings.get(section.id)
        if recording is None:
            states[section.id] = "missing"
        elif recording.source_text_hash != source_hashes.get(section.id):
            states[section.id] = "stale"
        else:
            states[section.id] = "current"
    return states


def current_content_hash(
    page_id: int,
    language_code: str,
    sections: Sequence[SpeechSection],
    engine_name: str,
    voice: str,
    facts: AudioFacts,
) -> str:
    """What ``audio.status.current_content_hash`` gives, from preloaded facts.

    ``sections`` are the speech sections of the version of the page that is
    read aloud (``display_version(page).object``).
    """
    if engine_name == RECORDED_ENGINE:
        recordings = facts.recordings.get(page_id, {})
        keys = [recording_clip_key(recordings[s.id]) for s in sections if s.id in recordings]
        return content_hash(keys)
    lexicon = facts.lexicons.get(language_code, {})
    memo_key = hashlib.sha256(
        json.dumps(
            [
                NORMALIZER_VERSION,
                engine_name,
                voice,
                language_code,
                sorted(lexicon.items()),
                [list(s.sentences) for s in sections],
            ],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    with _hash_memo_lock:
        if memo_key in _hash_memo:
            _hash_memo.move_to_end(memo_key)
            return _hash_memo[memo_key]
    keys = [
        clip_key(
            engine_name, voice, [spoken_form(text, language_code, lexicon) for text in s.sentences]
        )
        for s in sections
    ]
    result = content_hash(keys)
    with _hash_memo_lock:
        _hash_memo[memo_key] = result
        while len(_hash_memo) > _HASH_MEMO_SIZE:
            _hash_memo.popitem(last=False)
    return result


def rendition_statuses(
    page_id: int, language_code: str, sections: Sequence[SpeechSection], facts: AudioFacts
) -> dict[int, str]:
    """Rendition id → status for the page's live renditions."""
    hashes = {}
    statuses = {}
    for rendition in facts.renditions.get(page_id, []):
        voice_key = (rendition.engine, rendition.voice)
        if voice_key not in hashes:
            hashes[voice_key] = current_content_hash(
                page_id, language_code, sections, *voice_key, facts
            )
        if hashes[voice_key] == rendition.content_hash:
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
