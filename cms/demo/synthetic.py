"""Synthetic guides for growth benchmarks: many guides, varied text, three locales.

Each synthetic guide is one of the demo guides with its sections rotated, a
numbered title and slug, and one sentence of its own per section, so no two
guides read the same and every content hash differs. Translations go through
wagtail-localize as the demo's do (English and Kaqchikel submitted, showing the
Spanish text until translated). ``manage.py fill_guides`` also describes their
audio (audio/management/commands/fill_guides.py).
"""

import itertools

from django.conf import settings
from django.db import transaction
from wagtail.models import Locale

from ..localization import submit_translation
from ..models import GuidePage
from ..site_setup import ensure_locales
from .loader import TRANSLATION_LANGUAGES, load_demo

SYNTHETIC_PREFIX = "sintetica-"


def fill_guides(total: int) -> int:
    """Add synthetic guides until the site has ``total`` guide pages in all locales.

    Counts the demo's own 6; returns how many pages were added. Slow by nature
    (about a second per source guide with its two translations).
    """
    ensure_locales()
    load_demo()
    source = Locale.objects.get(language_code=settings.SOURCE_LANGUAGE_CODE)
    templates = list(
        GuidePage.objects.filter(locale=source).exclude(slug__startswith=SYNTHETIC_PREFIX)
    )
    home = templates[0].get_parent()
    per_source = 1 + len(TRANSLATION_LANGUAGES)
    added = 0
    for number in itertools.count(1):
        if GuidePage.objects.count() + per_source > total:
            break
        slug = f"{SYNTHETIC_PREFIX}{number}"
        if GuidePage.objects.filter(slug=slug, locale=source).exists():
            continue
        with transaction.atomic():
            guide = home.add_child(
                instance=synthetic_guide(templates[number % len(templates)], number)
            )
            guide.save_revision().publish()
        for language in TRANSLATION_LANGUAGES:
            submit_translation(guide, language)
        added += per_source
    return added


def synthetic_guide(template: GuidePage, number: int) -> GuidePage:
    """An unsaved guide made from ``template``: rotated sections, one sentence of its own each."""
    sections = template.sections.get_prep_value()
    shift = number % max(1, len(sections))
    sections = sections[shift:] + sections[:shift]
    for index, block in enumerate(sections):
        block["id"] = f"s{number}-{index}"
        block["value"] = {
            **block["value"],
            "body": f"<p>Nota {number}.{index}: revise esta parte con su organización.</p>"
            + block["value"]["body"],
        }
    return GuidePage(
        title=f"{template.title} ({number})",
        slug=f"{SYNTHETIC_PREFIX}{number}",
        place_name=template.place_name,
        department=template.department,
        summary=f"{template.summary} Versión {number}.",
        discreet_title=f"Información {number}",
        last_reviewed=template.last_reviewed,
        sections=sections,
        organizations=template.organizations.get_prep_value(),
    )
