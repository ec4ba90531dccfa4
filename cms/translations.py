"""Which version of a page or snippet to show a reader, and in which language.

wagtail-localize creates a translated page as soon as a translation is
submitted, filled with the *source* text. Shown as is, ``/cak/mixco/`` would be
Spanish text labelled as Kaqchikel. So a translation that is not complete is
never presented as that language: readers get the source (labelled with the
source's language) and a notice that their version is being prepared.

A page is complete when every string is translated *and* none was first
translated after the page was last published: until the translator publishes,
the page still carries source-language text where those strings go (a string
only re-translated since still has its earlier translation there).

One rule for the front, the feeds and the API, batch-first: ``display_versions``
answers for any number of objects in a fixed number of queries (a single
object is a list of one).
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from wagtail.models import Locale, Page, TranslatableMixin
from wagtail_localize.models import StringSegment, StringTranslation, Translation

__all__ = [
    "DisplayVersion",
    "TranslationState",
    "display_version",
    "display_versions",
    "forget_locale_languages",
    "locale_languages",
    "translation_progress",
    "translation_states",
]


@dataclass(frozen=True)
class DisplayVersion:
    """What to show for ``requested``: ``object`` is in ``language``."""

    requested: Any
    object: Any
    language: str
    requested_language: str

    @property
    def is_fallback(self) -> bool:
        return self.language != self.requested_language

    def with_object(self, obj: Any) -> "DisplayVersion":
        """The same choice with another copy of the shown object (its live revision)."""
        return replace(self, object=obj)


@dataclass(frozen=True)
class TranslationState:
    """Where a translated object stands; absent for sources and hand-made versions."""

    source_locale_id: int
    total: int
    translated: int
    translated_after_publish: bool

    @property
    def complete(self) -> bool:
        return self.translated >= self.total and not self.translated_after_publish


def translation_states(
    objects: Iterable[TranslatableMixin],
) -> dict[tuple[UUID, int], TranslationState]:
    """``{(translation_key, locale_id): TranslationState}`` for the objects that are translations.

    Three queries whatever the number of objects.
    """
    objects = list(objects)
    if not objects:
        return {}
    translations = Translation.objects.filter(
        source__object_id__in={obj.translation_key for obj in objects},
        target_locale_id__in={obj.locale_id for obj in objects},
        enabled=True,
    ).values_list("source_id", "source__object_id", "source__locale_id", "target_locale_id")
    by_target = {}
    for source_id, object_id, source_locale_id, target_locale_id in translations:
        # Like display_version's .first(): one enabled translation per target.
        by_target.setdefault((object_id, target_locale_id), (source_id, source_locale_id))
    if not by_target:
        return {}

    source_ids = {source_id for source_id, _locale in by_target.values()}
    target_locales = {locale_id for _key, locale_id in by_target}
    segments = list(
        StringSegment.objects.filter(source_id__in=source_ids).values_list(
            "source_id", "string_id", "context_id"
        )
    )
    done = {}
    # Creation, not the last change: a string re-translated after publishing
    # still has its earlier translation on the live page; a new one does not.
    for string_id, context_id, locale_id, created_at in StringTranslation.objects.filter(
        translation_of_id__in={string_id for _s, string_id, _c in segments},
        locale_id__in=target_locales,
        has_error=False,
    ).values_list("translation_of_id", "context_id", "locale_id", "created_at"):
        done[(string_id, context_id, locale_id)] = created_at

    totals = defaultdict(int)
    counts = defaultdict(int)
    latest = {}
    for source_id, string_id, context_id in segments:
        totals[source_id] += 1
        for locale_id in target_locales:
            created_at = done.get((string_id, context_id, locale_id))
            if created_at is not None:
                counts[(source_id, locale_id)] += 1
                if (
                    latest.get((source_id, locale_id)) is None
                    or created_at > latest[(source_id, locale_id)]
                ):
                    latest[(source_id, locale_id)] = created_at

    states = {}
    for obj in objects:
        found = by_target.get((obj.translation_key, obj.locale_id))
        if found is None or found[1] == obj.locale_id:
            continue
        source_id, source_locale_id = found
        last_translated = latest.get((source_id, obj.locale_id))
        published = getattr(obj, "last_published_at", None)
        states[(obj.translation_key, obj.locale_id)] = TranslationState(
            source_locale_id=source_locale_id,
            total=totals[source_id],
            translated=counts[(source_id, obj.locale_id)],
            translated_after_publish=bool(
                isinstance(published, datetime)
                and last_translated is not None
                and last_translated > published
            ),
        )
    return states


def display_versions(objects: Iterable[TranslatableMixin]) -> list[DisplayVersion]:
    """The version of each object a reader should see, in order (see module docstring)."""
    objects = list(objects)
    if not objects:
        return []
    languages = locale_languages({obj.locale_id for obj in objects})
    states = translation_states(objects)
    sources = _sources(objects, states)
    versions = []
    for obj in objects:
        requested_language = languages[obj.locale_id]
        state = states.get((obj.translation_key, obj.locale_id))
        source = None
        if state is not None and not state.complete:
            source = sources.get((obj.translation_key, state.source_locale_id))
        if source is None:
            versions.append(DisplayVersion(obj, obj, requested_language, requested_language))
        else:
            language = languages[source.locale_id]
            versions.append(DisplayVersion(obj, source, language, requested_language))
    return versions


# Locale id → language code, remembered per process: every page shown asks, and locales
# change a few times in a site's life. Read again for an id this process does not know,
# after a change in this process (``forget_locale_languages``, on Locale signals) and at
# least every LOCALE_MEMO_SECONDS (a change made in another process).
LOCALE_MEMO_SECONDS = 60.0
_locale_memo: dict[str, Any] = {"languages": {}, "read_at": float("-inf")}


def locale_languages(needed: Iterable[int] = ()) -> dict[int, str]:
    """``{locale id: language code}`` for every locale, read again when ``needed`` has a new id."""
    languages = _locale_memo["languages"]
    fresh = time.monotonic() - _locale_memo["read_at"] < LOCALE_MEMO_SECONDS
    if not fresh or not set(needed) <= languages.keys():
        languages = dict(Locale.objects.values_list("pk", "language_code"))
        _locale_memo.update(languages=languages, read_at=time.monotonic())
    return languages


def forget_locale_languages(**_signal) -> None:
    _locale_memo.update(languages={}, read_at=float("-inf"))


def display_version(obj: TranslatableMixin) -> DisplayVersion:
    """``display_versions`` for one object."""
    return display_versions([obj])[0]


def translation_progress(obj: TranslatableMixin) -> tuple[int, int] | None:
    """``(total, translated)`` string segments, or None when obj is not a translation."""
    state = translation_states([obj]).get((obj.translation_key, obj.locale_id))
    return None if state is None else (state.total, state.translated)


def _sources(objects: list, states: dict) -> dict:
    """``{(translation_key, locale_id): source object}`` for the incomplete translations.

    Pages come back as their specific class; one query per kind of object.
    """
    wanted = defaultdict(set)
    for obj in objects:
        state = states.get((obj.translation_key, obj.locale_id))
        if state is not None and not state.complete:
            base = Page if isinstance(obj, Page) else type(obj)
            wanted[base].add((obj.translation_key, state.source_locale_id))
    sources = {}
    for base, keys in wanted.items():
        rows = base.objects.filter(
            translation_key__in={key for key, _locale in keys},
            locale_id__in={locale for _key, locale in keys},
        )
        if base is Page:
            rows = rows.specific()
        for row in rows:
            if (row.translation_key, row.locale_id) in keys:
                sources[(row.translation_key, row.locale_id)] = row
    return sources
