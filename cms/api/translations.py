"""``cms.translations.display_version`` for many objects in a constant number of queries.

Same rule as the front: a wagtail-localize translation that is not complete
is shown as its source, labelled with the source's language. One stricter
check is added for pages: strings translated *after* the page was last
published are not on the page yet (the translator has not pressed
"Publish"), so the page still carries source-language text where they go;
until it is published again it is not presented as its language either.
``tests/api`` checks this module against ``display_version`` on the demo
content.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from wagtail.models import TranslatableMixin
from wagtail_localize.models import StringSegment, StringTranslation, Translation


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
    for string_id, context_id, locale_id, updated_at in StringTranslation.objects.filter(
        translation_of_id__in={string_id for _s, string_id, _c in segments},
        locale_id__in=target_locales,
        has_error=False,
    ).values_list("translation_of_id", "context_id", "locale_id", "updated_at"):
        done[(string_id, context_id, locale_id)] = updated_at

    totals = defaultdict(int)
    counts = defaultdict(int)
    latest = {}
    for source_id, string_id, context_id in segments:
        totals[source_id] += 1
        for locale_id in target_locales:
            updated_at = done.get((string_id, context_id, locale_id))
            if updated_at is not None:
                counts[(source_id, locale_id)] += 1
                if (
                    latest.get((source_id, locale_id)) is None
                    or updated_at > latest[(source_id, locale_id)]
                ):
                    latest[(source_id, locale_id)] = updated_at

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
