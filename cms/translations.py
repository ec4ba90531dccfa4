"""Which version of a page or snippet to show a reader, and in which language.

wagtail-localize creates a translated page as soon as a translation is
submitted, filled with the *source* text. Shown as is, ``/cak/mixco/`` would be
Spanish text labelled as Kaqchikel. So a translation that is not complete is
never presented as that language: readers get the source (labelled with the
source's language) and a notice that their version is being prepared.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.functional import cached_property
from wagtail.models import Page, TranslatableMixin
from wagtail_localize.models import Translation


@dataclass(frozen=True)
class DisplayVersion:
    """What to show for ``requested``: ``object`` is in ``language``."""

    requested: Any
    object: Any
    language: str

    @cached_property
    def requested_language(self) -> str:
        return self.requested.locale.language_code

    @property
    def is_fallback(self) -> bool:
        return self.language != self.requested_language


def _pending_translation(obj):
    """The enabled wagtail-localize translation that produced ``obj``, if any.

    A translation that an editor disabled ("stop syncing") is edited by hand in
    the admin, so its page is that editor's responsibility: not pending.
    """
    return (
        Translation.objects.filter(
            source__object_id=obj.translation_key,
            target_locale_id=obj.locale_id,
            enabled=True,
        )
        .select_related("source")
        .first()
    )


def translation_progress(obj: TranslatableMixin) -> tuple[int, int] | None:
    """``(total, translated)`` string segments, or None when obj is not a translation."""
    translation = _pending_translation(obj)
    if translation is None or translation.source.locale_id == obj.locale_id:
        return None
    return translation.get_progress()


def display_version(obj: TranslatableMixin) -> DisplayVersion:
    """The version of ``obj`` a reader should see (see module docstring)."""
    translation = _pending_translation(obj)
    if translation is not None and translation.source.locale_id != obj.locale_id:
        total, translated = translation.get_progress()
        if translated < total:
            source = translation.source.get_source_instance()
            if isinstance(source, Page):
                source = source.specific
            return DisplayVersion(obj, source, source.locale.language_code)
    return DisplayVersion(obj, obj, obj.locale.language_code)
