"""What changed in a guide, section by section, from one public version to the next.

A version is recorded when the audio job has made the page's audio live (or
found it already right), not when the editor publishes: "audio changed" must
describe files the public can fetch, and some changes reach the audio without
any publish at all (a lexicon entry, a new recording, a new voice). So the job
compares what the public now gets with the page's last recorded version:

- each section's text, as ``audio.text.speech_sections`` reads it (the heading is
  its first sentence, so a new heading is a text change);
- each section's audio, as the clip its live rendition was made from (the clip
  key: ``audio.clips``, the same identity the content hashes of ``audio.facts``
  are made of).

Nothing changed, nothing is recorded. Only what ``cms.visibility`` lets the
public see is ever compared (the job voices nothing else), so a version never
describes a draft or a private page; public surfaces still ask the rule before
showing a page's versions.
"""

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cms import visibility

from .models import PublishedVersion, Rendition
from .text import speech_sections

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
LOG_ACTION = "altavoz.guide_version"


def section_states(sections, renditions) -> list[dict]:
    """What each speech section is now: heading, text hash, and the clip of its live audio.

    ``renditions`` are the page's live renditions; they share their clips, so the
    first one says which clip each section plays (None: no audio for it).
    """
    clip_of = {}
    for rendition in renditions[:1]:
        ids = [section["id"] for section in rendition.sections]
        if len(ids) == len(rendition.clip_keys):
            clip_of = dict(zip(ids, rendition.clip_keys, strict=True))
        else:  # made before renditions listed their clips: the whole file's identity
            clip_of = dict.fromkeys(ids, rendition.content_hash)
    return [
        {
            "id": section.id,
            "heading": section.heading,
            "text_hash": section.text_hash,
            "audio": clip_of.get(section.id),
        }
        for section in sections
    ]


def compare(previous, current) -> list[dict]:
    """The changes from ``previous`` section states to ``current`` ones, in reading order.

    Sections that left come last, in the order they had. A section only moved
    is not a change: its text and audio are the same.
    """
    before = {state["id"]: state for state in previous}
    now_ids = {state["id"] for state in current}
    changes = []
    for state in current:
        old = before.get(state["id"])
        if old is None:
            changes.append(_change(state, ADDED, text=True, audio=state["audio"] is not None))
            continue
        text = old["text_hash"] != state["text_hash"] or old["heading"] != state["heading"]
        audio = old["audio"] != state["audio"]
        if text or audio:
            changes.append(_change(state, CHANGED, text=text, audio=audio))
    for state in previous:
        if state["id"] not in now_ids:
            changes.append(_change(state, REMOVED, text=True, audio=state["audio"] is not None))
    return changes


def _change(state, change, text, audio):
    return {
        "id": state["id"],
        "heading": state["heading"],
        "change": change,
        "text": text,
        "audio": audio,
    }


def record_version(page, shown, sections):
    """Record a new version of ``page`` if its public text or audio changed; returns it or None.

    ``shown`` is what the public sees of the page (``cms.visibility.shown_version``)
    and ``sections`` its speech sections. Called by the page's audio job once its
    audio is live, and by its source's job for a translation showing the source.
    """
    current = section_states(sections, _offered_renditions(page, shown))
    try:
        return _record_if_changed(page, shown, current)
    except IntegrityError:
        # Another worker took this number at the same moment (a translation's own job and its
        # source's job both record it): it compared the same public state; the next run compares
        # again.
        return None


def _record_if_changed(page, shown, current):
    with transaction.atomic():
        last = latest_version(page.pk)
        changes = compare(last.sections if last else [], current)
        if last is not None and not changes:
            return None
        version = PublishedVersion.objects.create(
            page=page,
            number=(last.number + 1) if last else 1,
            revision_id=page.live_revision_id,
            previous_revision_id=last.revision_id if last else None,
            language=shown.language,
            sections=current,
            changes=changes,
        )
        # The page's history in the admin: which sections this publish changed.
        log(
            instance=page,
            action=LOG_ACTION,
            data={"number": version.number, "changes": changes, "language": version.language},
        )
    return version


def _offered_renditions(page, shown):
    """The live audio the public gets: the page's own, else (a fallback) its source's, as the API
    offers it."""
    renditions = list(
        Rendition.objects.filter(page=page, state=Rendition.State.LIVE).order_by("pk")
    )
    if not renditions and shown.is_fallback:
        renditions = list(
            Rendition.objects.filter(page=shown.object.pk, state=Rendition.State.LIVE).order_by(
                "pk"
            )
        )
    return renditions


def record_fallback_versions(source):
    """Record new versions of the translations that show ``source``'s text and audio.

    An incomplete translation reads its source (``cms.translations``): when the
    source changes, so does what its public gets, though nothing queued its job.
    """
    for page in source.get_translations().live().specific():
        shown = visibility.shown_version(page)
        if shown is not None and shown.is_fallback and shown.object.pk == source.pk:
            record_version(page, shown, speech_sections(shown.object))


def latest_version(page_id):
    return PublishedVersion.objects.filter(page_id=page_id).order_by("-number").first()


def latest_versions(page_ids) -> dict:
    """Page id → its latest PublishedVersion, in one query."""
    latest = {}
    for version in PublishedVersion.objects.filter(page_id__in=list(page_ids)).order_by(
        "page_id", "-number"
    ):
        latest.setdefault(version.page_id, version)
    return latest


def change_lines(changes, language) -> list[str]:
    """Plain words, one line per kind of change: "Cambió: Salud, Trámites", in ``language``."""
    with translation.override(language):
        kinds = (
            (ADDED, False, _("Nueva sección: %(headings)s")),
            (CHANGED, True, _("Cambió: %(headings)s")),
            (CHANGED, False, _("Nuevo audio: %(headings)s")),
            (REMOVED, False, _("Sección quitada: %(headings)s")),
        )
        lines = []
        for kind, text, template in kinds:
            headings = [
                change["heading"]
                for change in changes
                if change["change"] == kind and (kind != CHANGED or change["text"] == text)
            ]
            if headings:
                lines.append(str(template) % {"headings": ", ".join(headings)})
        return lines


def version_summary(number, changes, language) -> str:
    """One line for a version: "Versión 3. Cambió: Salud; Nueva sección: Trámites"."""
    with translation.override(language):
        label = _("Versión %(number)d") % {"number": number}
        if number == 1:
            return f"{label}. {_('Primera versión publicada.')}"
        lines = change_lines(changes, language)
        return f"{label}. " + "; ".join(lines) if lines else label


def version_notes(page_id, language) -> dict:
    """A page's latest version for radio packages: its number and what changed, in plain words.

    Number None when none is recorded yet (audio made before versions were).
    """
    version = latest_version(page_id)
    if version is None:
        return {"number": None, "changes": [], "first": False}
    return {
        "number": version.number,
        "changes": change_lines(version.changes, language),
        "first": version.number == 1,
    }
