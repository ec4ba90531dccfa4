"""The phone line's audio: one file per section of a page, per phone variant.

A call plays files made beforehand, never a voice: when the audio job has made
a page's renditions live, ``publish_phone_audio`` masters each section's clip
on its own in the phone variants (``variants.phone_variants``: 8 kHz PCM and
μ-law WAV, loudness and ceiling for telephone lines), with a short silence at
both ends (players and networks clip the start of a file).

A file is named by its page, the clip it was mastered from (clip keys are
content hashes) and its variant, so a section that did not change keeps its
file: a re-publish masters only the sections whose clip changed. As with
renditions (``publishing``), every file is written before any row points at
it; one transaction then retires the page's live rows and inserts the new
ones, and a failure before that commits deletes the files this call wrote.
Retired files stay downloadable for ``ALTAVOZ_AUDIO_GRACE_SECONDS`` (a call
may be playing one), then ``cleanup_retired_phone_audio`` deletes them.

For the phone app: ``live_phone_audio`` (what a page's sections offer) and
``public_phone_file`` (may a caller's provider fetch this stored file from
``/media/``? the one visibility rule, ``cms.visibility``).
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cms import visibility

# The package, not its functions: it loads PyAV and NumPy on first use, and web processes
# import this module to check /media/ requests.
from config.storage import save_once

from . import mastering
from .models import PhoneAudio, storable_figure
from .variants import phone_variants

logger = logging.getLogger(__name__)

FOLDER = PhoneAudio._meta.get_field("audio").upload_to.rstrip("/")
# Silence before and after each section's speech, in seconds: a provider or a network
# starting the file may swallow its first tenths of a second.
SILENCE_AROUND = 0.25


@dataclass(frozen=True)
class PhoneSection:
    """One section of a page as the phone line plays it."""

    section_id: str
    position: int
    duration: float  # seconds, silence included
    files: dict = field(default_factory=dict)  # variant name → storage name (for /media/)


def live_phone_audio(page):
    """The page's own live phone files, one ``PhoneSection`` per section in reading order.

    Nothing about visibility: the caller asks ``public_phone_file`` (or
    ``cms.visibility``) whether the page may be offered.
    """
    sections = {}
    for row in PhoneAudio.objects.filter(page=page, state=PhoneAudio.State.LIVE).order_by(
        "position", "variant"
    ):
        section = sections.setdefault(
            row.position, PhoneSection(row.section_id, row.position, row.duration)
        )
        section.files[row.variant] = row.audio.name
    return [sections[position] for position in sorted(sections)]


def pages_with_phone_audio_behind(statuses):
    """Of pages whose web audio is ready (their ``status.PageAudioStatus``), those whose
    live phone files are not what their audio job would make now: the hourly sweep queues them.

    Caught here: pages voiced before the phone line existed or before a phone variant was
    added (files missing), and pages whose phone files are of other clips than their live
    web audio. A page with no web audio (a phone menu page, or a guide with nothing
    recorded yet) is behind only when a section lacks a variant: its text reaches its
    files by publishing.
    """
    names = {variant.name for variant in phone_variants()}
    rows = defaultdict(list)
    for page_id, position, clip_key, variant in PhoneAudio.objects.filter(
        page__in=[status.page for status in statuses], state=PhoneAudio.State.LIVE
    ).values_list("page_id", "position", "clip_key", "variant"):
        rows[page_id].append((position, clip_key, variant))
    behind = []
    for status in statuses:
        live = sorted(rows[status.page.pk])
        renditions = [v.rendition for v in status.variants if v.rendition is not None]
        clips = next((r.clip_keys for r in renditions if r.clip_keys), None)
        if clips:
            wanted = sorted((p, key, name) for p, key in enumerate(clips) for name in names)
            is_behind = live != wanted
        else:
            is_behind = (bool(renditions) or bool(live)) and not _every_variant(live, names)
        if is_behind:
            behind.append(status.page)
    return behind


def _every_variant(live, names):
    """Whether there are files and every section has one in each of the variants ``names``."""
    by_position = defaultdict(set)
    for position, _clip_key, variant in live:
        by_position[position].add(variant)
    return bool(by_position) and all(variants == names for variants in by_position.values())


def public_phone_file(name, now=None):
    """The PhoneAudio row of stored file ``name`` if the public may download it; else None.

    Its page must pass ``cms.visibility`` and the row be live, or retired less
    than ``ALTAVOZ_AUDIO_GRACE_SECONDS`` ago: the rule renditions follow.
    """
    rows = PhoneAudio.objects.filter(audio=name).select_related("page", "page__locale")
    for row in rows.order_by("-generated_at"):
        if visibility.rendition_is_public(row, now):
            return row
    return None


def publish_phone_audio(page, clips, refresh=False):
    """Make the page's phone files from ``clips`` (``clips.SectionAudio``, reading order).

    With ``refresh`` every file is mastered again (``generate_audio --force``).
    Returns {"made": files mastered now, "reused": files kept from before,
    "unchanged": whether the live files already matched}.
    """
    variants = phone_variants()
    wanted = [
        (position, clip, variant) for position, clip in enumerate(clips) for variant in variants
    ]
    live = PhoneAudio.objects.filter(page=page, state=PhoneAudio.State.LIVE)
    if not refresh and _plan(live) == sorted(
        (position, clip.section.id, clip.clip.key, variant.name)
        for position, clip, variant in wanted
    ):
        return {"made": 0, "reused": len(wanted), "unchanged": True}

    reusable = {} if refresh else _reusable_files(page, [c.clip.key for c in clips], variants)
    written = []  # files this call created: deleted again if it fails
    new, made = [], 0
    try:
        for position, clip, variant in wanted:
            row = reusable.get((clip.clip.key, variant.name))
            if row is None:
                row = _master(page, clip, variant, written)
                reusable[(clip.clip.key, variant.name)] = row  # a section said twice
                made += 1
            new.append(_live_row(page, position, clip, variant, row))
        with transaction.atomic():
            live.update(state=PhoneAudio.State.RETIRED, retired_at=timezone.now())
            PhoneAudio.objects.bulk_create(new)
    except BaseException:
        # Nothing points at these files, and the live rows are untouched.
        for name in written:
            default_storage.delete(name)
        raise
    return {"made": made, "reused": len(new) - made, "unchanged": False}


def _plan(rows):
    return sorted(rows.values_list("position", "section_id", "clip_key", "variant"))


def _reusable_files(page, clip_keys, variants):
    """(clip key, variant) → a row of this page whose stored file can be used again.

    Only live rows or rows retired within the grace period: the cleanup sweep
    may be deleting older ones' files.
    """
    in_grace = timezone.now() - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    rows = PhoneAudio.objects.filter(
        Q(state=PhoneAudio.State.LIVE) | Q(retired_at__gte=in_grace),
        page=page,
        clip_key__in=clip_keys,
        variant__in=[variant.name for variant in variants],
    ).order_by("generated_at")
    return {
        (row.clip_key, row.variant): row for row in rows if default_storage.exists(row.audio.name)
    }


def _master(page, clip, variant, written):
    """Master one section's clip alone in ``variant`` and store it; an unsaved PhoneAudio."""
    import numpy as np  # here: web processes import this module (see above)

    pcm = clip.pcm()
    silence = np.zeros(round(SILENCE_AROUND * mastering.MASTER_SAMPLE_RATE), dtype=np.float32)
    audio = mastering.master(np.concatenate([silence, pcm, silence]), variant)
    name = f"{FOLDER}/{page.pk}/{clip.clip.key[:16]}-{variant.name}.{variant.extension}"
    stored, created = save_once(default_storage, name, audio.data)
    if created:
        written.append(stored)
    return PhoneAudio(
        audio=stored,
        duration=round(audio.duration_seconds, 3),
        sha256=hashlib.sha256(audio.data).hexdigest(),
        size_bytes=len(audio.data),
        loudness_lufs=storable_figure(audio.loudness.integrated_lufs),
        true_peak_dbtp=storable_figure(audio.loudness.true_peak_dbtp),
    )


def _live_row(page, position, clip, variant, made):
    """The new live row of one section and variant, with the file (and figures) of ``made``."""
    return PhoneAudio(
        page=page,
        section_id=clip.section.id,
        position=position,
        variant=variant.name,
        clip_key=clip.clip.key,
        audio=made.audio.name,
        duration=made.duration,
        sha256=made.sha256,
        size_bytes=made.size_bytes,
        loudness_lufs=made.loudness_lufs,
        true_peak_dbtp=made.true_peak_dbtp,
    )


def withdraw_phone_audio(page_ids):
    """Retire the live phone files of pages the public may no longer see; returns how many.

    They already answer 404 (``cms.visibility``); retired, the phone app stops
    offering them and the cleanup sweep deletes them after the grace period.
    """
    return PhoneAudio.objects.filter(
        page_id__in=list(page_ids), state=PhoneAudio.State.LIVE
    ).update(state=PhoneAudio.State.RETIRED, retired_at=timezone.now())


def cleanup_retired_phone_audio(now=None):
    """Delete retired phone rows after the grace period, and their files no other row uses."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    expired = list(PhoneAudio.objects.filter(state=PhoneAudio.State.RETIRED, retired_at__lt=limit))
    still_used = set(
        PhoneAudio.objects.exclude(pk__in=[row.pk for row in expired]).values_list(
            "audio", flat=True
        )
    )
    for row in expired:
        if row.audio.name and row.audio.name not in still_used:
            default_storage.delete(row.audio.name)
        row.delete()
    return len(expired)


def remove_stray_phone_files(now=None):
    """Delete phone files no row names, once older than the grace period; returns how many.

    A worker killed between writing a page's files and making them live, or a
    deleted page (its rows go with it), leaves them behind.
    """
    older_than = (now or timezone.now()) - timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
    try:
        folders, _files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return 0
    named = set(PhoneAudio.objects.values_list("audio", flat=True))
    deleted = 0
    for folder in folders:
        try:
            _folders, files = default_storage.listdir(f"{FOLDER}/{folder}")
        except (FileNotFoundError, NotImplementedError):
            continue
        for file_name in files:
            name = f"{FOLDER}/{folder}/{file_name}"
            try:
                stray = name not in named and default_storage.get_modified_time(name) < older_than
            except (FileNotFoundError, NotImplementedError):
                continue
            if stray:
                default_storage.delete(name)
                deleted += 1
    return deleted
