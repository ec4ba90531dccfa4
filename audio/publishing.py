"""Stage 5 — mastered segments → live renditions, swapped in atomically.

Each variant's file is its sections' mastered segments (``audio.segments``)
joined without re-encoding, so an edit re-encodes only the sections it
touched. Its loudness and true peak, reckoned from its segments' readings
(``mastering.joined_loudness``), are what the rendition reports; its length
is checked against what its header tells players. Should it miss the
variant's target or ceiling (the segments each meet them, so it has not
happened), or its header disagree, the clips are
mastered whole instead (``mastering.master``), as they are for variants whose
codec cannot be joined (lossless ones).

Captions and chapters are per variant: each codec frames the audio its own
way, so a section starts a few milliseconds apart in each file, and cue
times come from where the frames put it.

Every file of a new rendition (audio, captions, chapters) is written in full
before any row points at it; then one transaction retires the live rows and
inserts the new ones. If anything fails before that commits, the files this
publish created are deleted again. Retired files stay for ``ALTAVOZ_AUDIO_GRACE_SECONDS``
(a listener may be mid-download) before ``cleanup_retired_renditions``
deletes them. ``evict_cached_audio`` deletes cached clips and segments that
no rendition needs and nothing used for ``ALTAVOZ_AUDIO_CACHE_DAYS``.
"""

import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.visibility import content_version

# The package, not its functions: it loads PyAV and NumPy on first use, and web processes
# import this module only to retire renditions (``signals``) and read its constants.
from config.storage import save_once

from . import mastering
from .clips import content_hash
from .facts import AudioFacts, clip_keys
from .models import MasteredSegment, Rendition, SectionClip, storable_figure
from .text import speech_sections
from .voices import RECORDED

logger = logging.getLogger(__name__)

PAUSE_BETWEEN_SECTIONS = 1.0
# ISO 639-2/3 codes for ID3 TLAN and Vorbis LANGUAGE.
ISO_639_3 = {"es": "spa", "en": "eng", "cak": "cak"}


def live_renditions(page):
    return {r.variant: r for r in Rendition.objects.filter(page=page, state=Rendition.State.LIVE)}


def withdraw_renditions(page_ids):
    """Retire the live audio of pages the public may no longer see; returns how many files sets.

    Their files already answer 404 (``cms.visibility``); retiring them also
    takes them out of the API and feeds and lets the cleanup sweep delete
    them once the grace period is over.
    """
    return Rendition.objects.filter(page_id__in=list(page_ids), state=Rendition.State.LIVE).update(
        state=Rendition.State.RETIRED, retired_at=timezone.now()
    )


def assemble(clips):
    """Join section clips; returns (pcm, section spans, caption cues)."""
    pcm, spans = mastering.join_with_pauses(
        [clip.pcm() for clip in clips], [PAUSE_BETWEEN_SECTIONS] * (len(clips) - 1)
    )
    sections, cues = timeline(clips, spans)
    return pcm, sections, cues


def timeline(clips, clip_spans):
    """Section spans and caption cues from where each clip plays (seconds)."""
    sections, cues = [], []
    for clip, (start, end) in zip(clips, clip_spans, strict=True):
        section = clip.section
        sections.append(
            {
                "id": section.id,
                "heading": section.heading,
                "start": round(start, 3),
                "end": round(end, 3),
            }
        )
        for index, sentence_start, sentence_end in clip.clip.sentence_spans:
            text = section.sentences[index] if clip.clip.engine != RECORDED else section.heading
            cues.append(
                mastering.Cue(
                    start + sentence_start, start + sentence_end, text, id=f"{section.id}-{index}"
                )
            )
    return sections, cues


@dataclass
class RenditionAudio:
    """One variant's file (untagged) and where each clip plays in it, in seconds."""

    data: bytes
    clip_spans: list
    duration_seconds: float
    loudness: "mastering.Loudness"
    segment_keys: list = field(default_factory=list)
    segments_encoded: int = 0


def rendition_audios(clips, variants, refresh=False):
    """Each variant's audio: the clips' mastered segments joined (else the clips mastered whole).

    Returns variant name → RenditionAudio. With `refresh` every segment is
    mastered again instead of read from the cache.
    """
    from .segments import segmented_audio  # here: PyAV and NumPy, see the imports above

    joinable = [variant for variant in variants if mastering.can_join(variant)]
    segmented = (
        segmented_audio(clips, joinable, pause_seconds=PAUSE_BETWEEN_SECTIONS, refresh=refresh)
        if joinable
        else {}
    )
    audios = {}
    for variant in variants:
        made = segmented.get(variant.name)
        if made is not None:
            joined, heard = made.joined, made.heard
            if abs(heard.samples - joined.samples) <= mastering.header_tolerance(
                variant
            ) and _on_target(heard.loudness, variant):
                audios[variant.name] = RenditionAudio(
                    joined.data,
                    joined.clip_seconds(),
                    joined.duration_seconds,
                    heard.loudness,
                    made.keys,
                    made.encoded,
                )
                continue
            logger.warning(
                "%s: the joined file says it holds %d samples (expected %d) "
                "at %.2f LUFS / %.2f dBTP; mastering the guide whole instead",
                variant.name,
                heard.samples,
                joined.samples,
                heard.loudness.integrated_lufs,
                heard.loudness.true_peak_dbtp,
            )
        pcm, spans = mastering.join_with_pauses(
            [clip.pcm() for clip in clips], [PAUSE_BETWEEN_SECTIONS] * (len(clips) - 1)
        )
        mastered = mastering.master(pcm, variant)
        audios[variant.name] = RenditionAudio(
            mastered.data,
            spans,
            mastered.duration_seconds,
            mastered.loudness,
            segments_encoded=made.encoded if made is not None else 0,
        )
    return audios


def _on_target(loudness, variant):
    if not math.isfinite(loudness.integrated_lufs):
        return True  # silence stays silence, as master() leaves it
    return (
        abs(loudness.integrated_lufs - variant.loudness_lufs) <= mastering.LOUDNESS_TOLERANCE_LU
        and loudness.true_peak_dbtp <= variant.true_peak_dbtp
    )


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
            mastering.Chapter(c.id, _("Parte %(number)d") % {"number": number}, c.start, c.end)
            for number, c in enumerate(chapters, start=1)
        ]
    return mastering.Metadata(
        title=getattr(content, "discreet_title", "") or settings.WAGTAIL_SITE_NAME,
        album=settings.WAGTAIL_SITE_NAME,
        artist=settings.WAGTAIL_SITE_NAME,
        language=ISO_639_3.get(language, language),
        year=timezone.now().year,
        chapters=neutral,
    )


def publish_renditions(
    page,
    content,
    clips,
    variants,
    content_hash,
    engine_name,
    voice_name,
    refresh=False,
    text_key="",
):
    """Make every variant's files, store them, then make them live together.

    Returns (the new renditions, how many segments each variant encoded).
    """
    base = f"audio/renditions/{page.pk}/{content_hash[:16]}"
    audios = rendition_audios(clips, variants, refresh=refresh)
    written = []  # files this call created: removed again if it fails

    def store(name, data):
        stored, created = save_once(default_storage, name, data)
        if created:
            written.append(stored)
        return stored

    stamp = {
        "engine": engine_name,
        "voice": voice_name,
        "content_hash": content_hash,
        "text_key": text_key,
        "clip_keys": [clip.clip.key for clip in clips],
    }
    new, encoded = [], {}
    try:
        for variant in variants:
            audio = audios[variant.name]
            encoded[variant.name] = audio.segments_encoded
            new.append(
                _variant_rendition(
                    page, content, clips, variant, audio, f"{base}-{variant.name}", store, stamp
                )
            )

        with transaction.atomic():
            Rendition.objects.filter(
                page=page, variant__in=[v.name for v in variants], state=Rendition.State.LIVE
            ).update(state=Rendition.State.RETIRED, retired_at=timezone.now())
            Rendition.objects.bulk_create(new)
    except BaseException:
        # Disk full, a database error, the worker told to stop: nothing points
        # at these files, and the live audio is untouched.
        for name in written:
            default_storage.delete(name)
        raise
    return new, encoded


def _variant_rendition(page, content, clips, variant, audio, name, store, stamp):
    """One variant's tagged file, captions and chapters stored, as an unsaved Rendition."""
    from . import webm  # here: PyAV, see the imports above

    sections, cues = timeline(clips, audio.clip_spans)
    chapters = [mastering.Chapter(s["id"], s["heading"], s["start"], s["end"]) for s in sections]
    data = mastering.tag(audio.data, variant, listener_metadata(page, content, chapters))
    if variant.container == "webm":
        # Where each section's cluster starts: the front fetches a section from there.
        for section, offset in zip(
            sections, webm.section_offsets(data, [s["start"] for s in sections]), strict=True
        ):
            section["offset"] = offset
    return Rendition(
        page=page,
        variant=variant.name,
        audio=store(f"{name}.{variant.extension}", data),
        captions=store(f"{name}.vtt", mastering.webvtt(cues).encode("utf-8")),
        chapters=store(
            f"{name}.chapters.json",
            mastering.chapters_json(chapters, content.title).encode("utf-8"),
        ),
        mime_type=variant.mime_type,
        bitrate=variant.bitrate,
        duration=round(audio.duration_seconds, 3),
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        sections=sections,
        segment_keys=audio.segment_keys,
        loudness_lufs=storable_figure(audio.loudness.integrated_lufs),
        true_peak_dbtp=storable_figure(audio.loudness.true_peak_dbtp),
        **stamp,
    )


def cleanup_retired_renditions(now=None):
    """Delete retired renditions (and files no live rendition uses) after the grace period."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    expired = list(Rendition.objects.filter(state=Rendition.State.RETIRED, retired_at__lt=limit))
    still_used = set()
    for fields in Rendition.objects.exclude(pk__in=[r.pk for r in expired]).values_list(
        "audio", "captions", "chapters"
    ):
        still_used.update(fields)
    for rendition in expired:
        for name in {
            rendition.audio.name,
            rendition.captions.name,
            rendition.chapters.name,
        } - still_used:
            if name:
                default_storage.delete(name)
        rendition.delete()
    return len(expired)


def remove_stray_rendition_files(now=None):
    """Delete rendition files no rendition names, once older than the grace period.

    A worker killed after writing a rendition's files and before making it
    live leaves them behind (a failure it survives removes them itself). The
    grace period spares the files of a job still running. Returns how many went.
    """
    now = now or timezone.now()
    older_than = now - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    root = Rendition._meta.get_field("audio").upload_to.rstrip("/")
    try:
        folders, _files = default_storage.listdir(root)
    except (FileNotFoundError, NotImplementedError):
        return 0
    named = set()
    for fields in Rendition.objects.values_list("audio", "captions", "chapters"):
        named.update(fields)
    return sum(_delete_unnamed_files(f"{root}/{folder}", named, older_than) for folder in folders)


def evict_cached_audio(now=None):
    """Delete cached clips and mastered segments nothing needs any more, files included.

    Kept: what a live rendition, or a retired one in its grace period, was
    made from, and anything used in the last ``ALTAVOZ_AUDIO_CACHE_DAYS``
    (an edited page needs its other sections again; a radio package
    re-synthesizes a clip it no longer finds). Returns how many rows went.
    """
    now = now or timezone.now()
    unused_since = now - timedelta(days=settings.ALTAVOZ_AUDIO_CACHE_DAYS)
    unused = {
        model: list(
            model.objects.filter(used_at__lt=unused_since).values_list("pk", "key", "audio")
        )
        for model in (SectionClip, MasteredSegment)
    }
    evicted = 0
    if any(unused.values()):
        needed = _cache_keys_renditions_need(now)
        for model, rows in unused.items():
            for pk, key, name in rows:
                # Deleted only if still unused: a job may have just taken it.
                if (
                    key not in needed[model]
                    and model.objects.filter(pk=pk, used_at__lt=unused_since).delete()[0]
                ):
                    evicted += 1
                    if name:
                        default_storage.delete(name)
    for model in unused:
        _evict_orphan_files(model, unused_since)
    return evicted


def _cache_keys_renditions_need(now):
    """Model → keys of the cached clips and segments live renditions (or retired ones in grace) came
    from."""
    in_grace = now - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    needed = {SectionClip: set(), MasteredSegment: set()}
    for rendition in Rendition.objects.filter(
        Q(state=Rendition.State.LIVE) | Q(state=Rendition.State.RETIRED, retired_at__gte=in_grace)
    ):
        needed[SectionClip].update(rendition.clip_keys or _clip_keys_of_older_rendition(rendition))
        needed[MasteredSegment].update(rendition.segment_keys)
    return needed


def _evict_orphan_files(model, unused_since):
    """Old files in a cache folder that no row names: replaced segments, crashes between file and
    row."""
    folder = model._meta.get_field("audio").upload_to.rstrip("/")
    _delete_unnamed_files(folder, set(model.objects.values_list("audio", flat=True)), unused_since)


def _delete_unnamed_files(folder, named, older_than):
    """Delete the files directly in ``folder`` not in ``named`` and last changed before
    ``older_than``."""
    try:
        _folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return 0
    deleted = 0
    for file_name in files:
        name = f"{folder}/{file_name}"
        try:
            unnamed_and_old = (
                name not in named and default_storage.get_modified_time(name) < older_than
            )
        except (FileNotFoundError, NotImplementedError):
            continue  # gone meanwhile, or a storage that cannot say
        if unnamed_and_old:
            default_storage.delete(name)
            deleted += 1
    return deleted


def _clip_keys_of_older_rendition(rendition):
    """The clips of a rendition made before renditions listed them.

    Those are the page's current clips when their content hash is the
    rendition's; otherwise the page changed since, its new audio is queued,
    and the old clips only matter for a day.
    """
    page = rendition.page.specific
    sections = speech_sections(content_version(page).object)
    facts = AudioFacts.load([page.pk])
    keys = clip_keys(
        page.pk, page.locale.language_code, sections, rendition.engine, rendition.voice, facts
    )
    return keys if content_hash(keys) == rendition.content_hash else []
