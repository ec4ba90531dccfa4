"""Service functions around wagtail-localize: submit, sync and fill translations.

Used by the demo loader and the tests; translators do the same through the
admin (Translate / Sync / PO download and upload).
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from wagtail.models import Locale, Page, TranslatableMixin
from wagtail_localize.models import Translation, TranslationSource
from wagtail_localize.operations import TranslationCreator
from wagtail_localize.strings import extract_strings


def translation_for(instance: TranslatableMixin, language_code: str) -> Translation | None:
    """The wagtail-localize Translation of ``instance`` into a language, or None."""
    return (
        Translation.objects.filter(
            source__object_id=instance.translation_key,
            target_locale__language_code=language_code,
        )
        .select_related("source", "target_locale")
        .first()
    )


def submit_translation(
    instance: TranslatableMixin, language_code: str, user: AbstractBaseUser | None = None
) -> Translation | None:
    """Submit ``instance`` for translation (as the admin's "Translate" does).

    wagtail-localize creates the target object at once, filled with the source
    text, and publishes it if the source is live. Objects that already have a
    translation into that language are left alone: resubmitting would add a
    revision.
    """
    existing = translation_for(instance, language_code)
    if existing is not None:
        return existing
    locale = Locale.objects.get(language_code=language_code)
    TranslationCreator(user, [locale]).create_translations(instance)
    return translation_for(instance, language_code)


@transaction.atomic
def sync_translations(instance: TranslatableMixin, user: AbstractBaseUser | None = None) -> None:
    """After the source changed: refresh its strings and update every translation.

    Segments whose source text changed lose their translation and show the
    source text until a translator fills them again (``display_version`` then
    falls back to the source language).
    """
    if isinstance(instance, Page):
        instance = instance.specific
    source, _created = TranslationSource.update_or_create_from_instance(instance)
    for translation in source.translations.filter(enabled=True):
        translation.save_target(user=user, publish=getattr(instance, "live", True))


def fill_translation(
    translation: Translation,
    strings: dict[str, str],
    user: AbstractBaseUser | None = None,
    publish: bool = True,
) -> int:
    """Fill a translation from ``{source string: translated string}`` via PO.

    Goes through the same PO import a translator's upload uses. Returns the
    number of entries changed; nothing is saved when it is zero, so running it
    again with the same strings adds no revision.
    """
    po = translation.export_po()
    changed = 0
    for entry in po:
        if entry.obsolete or entry.msgid not in strings:
            continue
        wanted = strings[entry.msgid]
        if entry.msgstr != wanted:
            entry.msgstr = wanted
            changed += 1
    if changed:
        translation.import_po(po, user=user, tool_name="altavoz")
        translation.save_target(user=user, publish=publish)
    return changed


def rich_text_string_pairs(source_html: str, translated_html: str) -> dict[str, str]:
    """Pair the translatable strings of two rich texts with the same structure."""
    _template, source_strings = extract_strings(source_html)
    _template, translated_strings = extract_strings(translated_html)
    if len(source_strings) != len(translated_strings):
        raise ValueError(
            f"Rich texts differ in structure: {len(source_strings)} vs "
            f"{len(translated_strings)} strings."
        )
    return {
        source.data: translated.data
        for (source, _attrs), (translated, _tattrs) in zip(
            source_strings, translated_strings, strict=True
        )
    }
