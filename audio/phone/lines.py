"""What can be heard on the phone line now, and what each sound's file is.

The one place both front ends (TwiML views here, the SIP service of
``manage.py phone_line``) ask, so they can never disagree:

- ``current_line(now)``: the ``menu.PhoneLine`` of this moment, by the visibility
  rule (``cms.visibility``): only public menu pages and public guides, each with
  live phone audio of its own (``audio.models.PhoneAudio``) for every section of
  speech, in every phone variant;
- ``sound_file(sound, variant)``: the storage name of a section's live phone file;
- ``count_heard(sound, today)``: one more for that guide section today.

A language's guides are the entries of its menu page, each the guide's version in
the menu page's locale. A translation shown in Spanish (incomplete) is offered
only in a language read by people (Kaqchikel), where its audio can only be its
own recordings; Spanish audio is never offered as another language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from audio.models import PhoneAudio
from audio.text import speech_sections
from audio.variants import phone_variants
from audio.voices import voices_for
from cms import visibility
from cms.models import GuidePage
from cms.translations import DisplayVersion

from . import menu
from .models import PhoneListen, PhoneMenuPage, entry_section_id

__all__ = ["LineState", "count_heard", "current_line", "line_states", "sound_file"]


def current_line(now: datetime | None = None) -> menu.PhoneLine:
    """What can be heard now, in ``ALTAVOZ_PHONE_LANGUAGES`` order (digit = position + 1).

    A fixed number of queries, whatever the number of languages and guides.
    """
    return _build(now).line


def sound_file(sound: menu.Sound, variant: str) -> str | None:
    """The storage name of ``sound``'s live phone file in ``variant``, or None when it is gone."""
    name = (
        PhoneAudio.objects.filter(
            page_id=sound.page_id,
            section_id=sound.section_id,
            variant=variant,
            state=PhoneAudio.State.LIVE,
        )
        .values_list("audio", flat=True)
        .first()
    )
    return name or None


def count_heard(sound: menu.Sound, today: date | None = None) -> None:
    """One more listen of a guide section today: an atomic upsert (SQLite and PostgreSQL).

    Only the day, the page and the section: nothing about who called.
    """
    day = today or timezone.localdate()
    mine = PhoneListen.objects.filter(day=day, page_id=sound.page_id, section_id=sound.section_id)
    if mine.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():  # the day's first listen; a racing insert becomes an update
            PhoneListen.objects.create(
                day=day, page_id=sound.page_id, section_id=sound.section_id, count=1
            )
    except IntegrityError:
        mine.update(count=F("count") + 1)


@dataclass(frozen=True)
class LineState:
    """One language's line for the admin report: ready, or what it lacks.

    ``missing`` holds ``(kind, detail)``: ``("menu", "")`` no public menu page,
    ``("prompt", prompt value)`` a prompt without audio, ``("guide-hidden",
    sentence)`` an entry whose guide is not public in this language (or shown in
    another language's words), ``("guide-unvoiced", title)`` a guide whose sections
    do not all have phone audio, ``("entry-unvoiced", sentence)`` an entry's sentence
    without audio, ``("no-guides", "")`` nothing to offer.
    """

    language: menu.Language
    missing: tuple[tuple[str, str], ...]

    @property
    def ready(self) -> bool:
        return self.language.ready


def line_states(now: datetime | None = None) -> list[LineState]:
    """Each language's line and what keeps it from being ready, in menu order."""
    built = _build(now)
    return [LineState(lang, tuple(built.missing[lang.code])) for lang in built.line.languages]


# --- Building the line -----------------------------------------------------------


class _Built:
    """The line and, for the admin report, why each language is (not) ready."""

    def __init__(self, line, missing):
        self.line = line
        self.missing = missing  # {language code: [(what, detail)]}


def _build(now: datetime | None) -> _Built:
    codes = [code for code in settings.ALTAVOZ_PHONE_LANGUAGES if code]
    menus = _public_menus(codes, now)
    chosen = {page_id for v in menus.values() for page_id, _s in v.object.entries() if page_id}
    keys = dict(Page.objects.filter(pk__in=chosen).values_list("pk", "translation_key"))
    guides = _public_guides(menus, set(keys.values()), now)
    pages = [v.requested.pk for v in menus.values()] + [v.requested.pk for v in guides.values()]
    heard = _sections_with_audio(pages)
    languages, missing = [], {}
    for digit, code in enumerate(codes, start=1):
        language, gaps = _language(code, digit, menus.get(code), keys, guides, heard)
        languages.append(language)
        missing[code] = gaps
    line = menu.PhoneLine(tuple(languages), settings.SOURCE_LANGUAGE_CODE)
    return _Built(line, missing)


def _public_menus(codes, now) -> dict[str, DisplayVersion]:
    """The public menu page of each language, as shown (one per locale; the first by tree)."""
    pages = PhoneMenuPage.objects.filter(locale__language_code__in=codes).order_by("path")
    menus = {}
    for version in visibility.public_versions(pages.select_related("locale"), now):
        if _honest(version):
            menus.setdefault(version.requested.locale.language_code, version)
    return menus


def _public_guides(menus, keys, now) -> dict[tuple[str, object], DisplayVersion]:
    """``{(language, translation key), version}`` for the public guides the menus choose."""
    locales = {v.requested.locale_id for v in menus.values()}
    pages = GuidePage.objects.filter(translation_key__in=keys, locale_id__in=locales)
    return {
        (version.requested_language, version.requested.translation_key): version
        for version in visibility.public_versions(pages.select_related("locale"), now)
        if _honest(version)
    }


def _honest(version: DisplayVersion) -> bool:
    """May this version's own audio be offered as its language?

    A complete one, yes. One shown in its source's words only where people read
    (recordings of its own, never a synthetic voice reading another language).
    """
    if not version.is_fallback:
        return True
    voices = voices_for(version.requested_language)
    return bool(voices) and all(voice.is_recorded for voice in voices)


def _sections_with_audio(page_ids) -> dict[int, set[str]]:
    """Per page, the sections with a live file in every phone variant (one query)."""
    variants = {variant.name for variant in phone_variants()}
    if not variants or not page_ids:
        return {}
    found: dict[tuple[int, str], set[str]] = {}
    rows = PhoneAudio.objects.filter(
        page_id__in=page_ids, state=PhoneAudio.State.LIVE, variant__in=variants
    ).values_list("page_id", "section_id", "variant")
    for page_id, section_id, variant in rows:
        found.setdefault((page_id, section_id), set()).add(variant)
    heard: dict[int, set[str]] = {}
    for (page_id, section_id), have in found.items():
        if have >= variants:
            heard.setdefault(page_id, set()).add(section_id)
    return heard


def _language(code, digit, menu_version, keys, guides, heard):
    """A ``menu.Language`` and what keeps it from being ready: [(kind, detail)]."""
    if menu_version is None:
        return menu.Language(code, digit, {}, ()), [("menu", "")]
    page = menu_version.requested
    own = heard.get(page.pk, set())
    prompts = {p: menu.Sound(page.pk, p.value) for p in menu.Prompt if p.value in own}
    needed = [
        p
        for p in menu.Prompt
        if p in menu.REQUIRED_PROMPTS or code == settings.SOURCE_LANGUAGE_CODE
    ]
    gaps = [("prompt", p.value) for p in needed if p.value not in own]
    offered = []
    entries = menu_version.object.entries()
    for entry_digit, (page_id, sentence) in enumerate(entries, start=1):
        key = keys.get(page_id)
        guide_version = guides.get((code, key)) if key else None
        entry = menu.Sound(page.pk, entry_section_id(entry_digit))
        if guide_version is None:
            gaps.append(("guide-hidden", sentence))
            continue
        sections = tuple(s.id for s in speech_sections(guide_version.object))
        guide_heard = heard.get(guide_version.requested.pk, set())
        if not sections or not set(sections) <= guide_heard:
            gaps.append(("guide-unvoiced", guide_version.requested.title))
        elif entry.section_id not in own:
            gaps.append(("entry-unvoiced", sentence))
        else:
            offered.append(menu.Guide(entry_digit, guide_version.requested.pk, entry, sections))
    if not offered:
        gaps.append(("no-guides", ""))
    language = menu.Language(code, digit, prompts, tuple(offered))
    return language, gaps
