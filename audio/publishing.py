"""Stage 5 — mastered files → live renditions, swapped in atomically.

Every file of a new rendition (audio, captions, chapters) is written in full
before any row points at it; then one transaction retires the live rows and
inserts the new ones. Retired files stay for ``ALTAVOZ_AUDIO_GRACE_SECONDS``
(a listener may be mid-download) before ``cleanup_retired_renditions``
deletes them.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .mastering import (
    Chapter,
    Cue,
    Metadata,
    chapters_json,
    join_with_pauses,
    master,
    webvtt,
)
from .models import Rendition

PAUSE_BETWEEN_SECTIONS = 1.0
# ISO 639-2/3 codes for ID3 TLAN and Vorbis LANGUAGE.
ISO_639_3 = {"es": "spa", "en": "eng", "cak": "cak"}


def live_renditions(page):
    return {r.variant: r for r in Rendition.objects.filter(page=page, state=Rendition.State.LIVE)}


def assemble(clips):
    """Join section clips; returns (pcm, section spans, caption cues)."""
    pcm, spans = join_with_pauses(
        [clip.pcm() for clip in clips], [PAUSE_BETWEEN_SECTIONS] * (len(clips) - 1)
    )
    sections, cues = [], []
    for clip, (start, end) in zip(clips, spans):
        section = clip.section
        sections.append({"id": section.id, "heading": section.heading, "start": round(start, 3), "end": round(end, 3)})
        for index, sentence_start, sentence_end in clip.clip.sentence_spans:
            text = section.sentences[index] if clip.clip.engine != "recorded" else section.heading
            cues.append(Cue(start + sentence_start, start + sentence_end, text, id=f"{section.id}-{index}"))
    return pcm, sections, cues


def listener_metadata(page, content, chapters):
    """Tags for files a listener downloads, keeps on her phone or shares.

    Players, lock screens and chat apps show these tags without playing the
    file, so they must not reveal the topic: the guide's discreet title, the
    site's name as album, and chapters named only by number. The chapters
    JSON and captions (separate files the front reads) keep the headings.
    """
    language = page.locale.language_code
    with translation.override(language):
        neutral = [
            Chapter(c.id, _("Parte %(number)d") % {"number": number}, c.start, c.end)
            for number, c in enumerate(chapters, start=1)
        ]
    return Metadata(
        title=getattr(content, "discreet_title", "") or settings.WAGTAIL_SITE_NAME,
        album=settings.WAGTAIL_SITE_NAME,
        artist=settings.WAGTAIL_SITE_NAME,
        language=ISO_639_3.get(language, language),
        year=timezone.now().year,
        chapters=neutral,
    )


def publish_renditions(page, content, clips, variants, content_hash, engine_name, voice_name):
    """Master every variant, store the files, then make them live together."""
    pcm, sections, cues = assemble(clips)
    chapters = [Chapter(s["id"], s["heading"], s["start"], s["end"]) for s in sections]
    metadata = listener_metadata(page, content, chapters)
    captions_text = webvtt(cues).encode("utf-8")
    chapters_text = chapters_json(chapters, content.title).encode("utf-8")
    base = f"audio/renditions/{page.pk}/{content_hash[:16]}"
    captions_name = _store(f"{base}.vtt", captions_text)
    chapters_name = _store(f"{base}.chapters.json", chapters_text)

    new = []
    for variant in variants:
        mastered = master(pcm, variant, metadata)
        digest = hashlib.sha256(mastered.data).hexdigest()
        new.append(
            Rendition(
                page=page,
                variant=variant.name,
                engine=engine_name,
                voice=voice_name,
                audio=_store(f"{base}-{variant.name}.{variant.extension}", mastered.data),
                captions=captions_name,
                chapters=chapters_name,
                mime_type=mastered.mime_type,
                bitrate=variant.bitrate,
                duration=round(mastered.duration_seconds, 3),
                size_bytes=len(mastered.data),
                sha256=digest,
                sections=sections,
                content_hash=content_hash,
                loudness_lufs=_finite(mastered.loudness.integrated_lufs),
                true_peak_dbtp=_finite(mastered.loudness.true_peak_dbtp),
            )
        )

    with transaction.atomic():
        Rendition.objects.filter(
            page=page, variant__in=[v.name for v in variants], state=Rendition.State.LIVE
        ).update(state=Rendition.State.RETIRED, retired_at=timezone.now())
        Rendition.objects.bulk_create(new)
    return new


def cleanup_retired_renditions(now=None):
    """Delete retired renditions (and files no live rendition uses) after the grace period."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    expired = list(Rendition.objects.filter(state=Rendition.State.RETIRED, retired_at__lt=limit))
    still_used = set()
    for fields in Rendition.objects.exclude(pk__in=[r.pk for r in expired]).values_list("audio", "captions", "chapters"):
        still_used.update(fields)
    for rendition in expired:
        for name in {rendition.audio.name, rendition.captions.name, rendition.chapters.name} - still_used:
            if name:
                default_storage.delete(name)
        rendition.delete()
    return len(expired)


def _store(name, data):
    # Names carry the content hash; a same-named file from an earlier run is
    # reused only if its bytes are identical (never overwritten in place).
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as existing:
            if existing.read() == data:
                return name
    return default_storage.save(name, ContentFile(data))


def _finite(value):
    return value if value is not None and abs(value) != float("inf") else None
