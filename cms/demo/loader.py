"""Load the demo guides (Mixco, Patzún) and their organizations.

Content lives in ``content/*.es.toml`` (the Spanish source) and
``content/*.en.toml`` (the English translation, same structure). Spanish is
written as editors would; English goes through wagtail-localize's PO import, as
a translator's upload would, so "sync" works on it like on any translation.
Kaqchikel translations are submitted but left empty: nobody here writes
Kaqchikel, and readers of /cak/ get the Spanish text with a notice.

The phone line's menu (``content/phone.*.toml``) is loaded the same way when
its app (``audio.phone``) is installed; its Kaqchikel translation is left for
recording, so the Kaqchikel line says, in Spanish, that it is coming.

Loading is idempotent: objects whose content already matches are not saved
again, so a second run adds no revision and changes nothing.
"""

import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from wagtail.models import Locale, TranslatableMixin

from ..localization import (
    fill_translation,
    rich_text_string_pairs,
    submit_translation,
    sync_translations,
    translation_for,
)
from ..models import GuidePage, HomePage, Organization
from ..site_setup import ensure_home_page, ensure_locales

CONTENT_DIR = Path(__file__).parent / "content"
GUIDE_SLUGS = ["mixco", "patzun"]
TRANSLATION_LANGUAGES = ["en", "cak"]
ORGANIZATION_TEXT_FIELDS = ["name", "offers", "serves", "area", "how_to_reach"]
GUIDE_TEXT_FIELDS = ["title", "place_name", "department", "summary", "discreet_title"]
PHONE_MENU_FIELDS = [
    "title",
    "greeting",
    "choose_language",
    "guide_list_help",
    "section_help",
    "end_of_guide",
    "invalid",
    "goodbye",
    "coming_soon",
]
# Namespace for the ids of organization blocks, so reloading compares equal.
DEMO_NAMESPACE = uuid.UUID("7f1d4a52-9a0e-4c43-8a55-3b4f1f8f0a10")


@dataclass
class DemoReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    translated: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.translated)


def read_content(name: str, language: str) -> dict[str, Any]:
    with open(CONTENT_DIR / f"{name}.{language}.toml", "rb") as file:
        return tomllib.load(file)


def load_demo() -> DemoReport:
    """Create or update the demo content; returns a DemoReport of what changed."""
    report = DemoReport()
    ensure_locales()
    source = settings.SOURCE_LANGUAGE_CODE

    with transaction.atomic():
        home_data = read_content("home", source)
        home, changed = ensure_home_page(home_data["title"], home_data.get("intro", ""))
        if changed:
            report.updated.append(str(home))
            sync_translations(home)
        organizations = load_organizations(report)
        guides = [load_guide(home, slug, organizations, report) for slug in GUIDE_SLUGS]
        phone_menu = load_phone_menu(home, guides, report)
    menus = [phone_menu] if phone_menu is not None else []

    # The menu after the guides: its translations point at theirs.
    for instance in [home, *organizations.values(), *guides, *menus]:
        for language in TRANSLATION_LANGUAGES:
            if translation_for(instance, language) is None:
                submit_translation(instance, language)
                report.translated.append(f"{instance} → {language}")

    for instance, strings in english_strings(home, organizations, guides, menus):
        if fill_translation(translation_for(instance, "en"), strings):
            report.translated.append(f"{instance} → en (text)")
    return report


def load_organizations(report: DemoReport) -> dict[str, Organization]:
    """Spanish organizations by their content key, created or updated."""
    locale = Locale.objects.get(language_code=settings.SOURCE_LANGUAGE_CODE)
    organizations = {}
    for data in read_content("organizations", "es")["organization"]:
        values = {name: data.get(name, "") for name in ORGANIZATION_TEXT_FIELDS}
        organization = Organization.objects.filter(locale=locale, name=data["name"]).first()
        if organization is None:
            organization = Organization.objects.create(locale=locale, **values)
            report.created.append(str(organization))
        elif any(getattr(organization, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(organization, name, value)
            organization.save()
            sync_translations(organization)
            report.updated.append(str(organization))
        organizations[data["key"]] = organization
    return organizations


def guide_values(
    data: dict[str, Any], organizations: dict[str, Organization]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """GuidePage field values for one guide's content file."""
    sections = [
        {
            "type": "section",
            "id": section["id"],
            "value": {
                "heading": section["heading"],
                "body": section["body"].strip(),
                "key_point": section.get("key_point", ""),
                "pictogram": section.get("pictogram", ""),
            },
        }
        for section in data["sections"]
    ]
    organization_blocks = [
        {
            "type": "organization",
            "id": str(uuid.uuid5(DEMO_NAMESPACE, f"{data['slug']}/{key}")),
            "value": organizations[key].pk,
        }
        for key in data.get("organizations", [])
    ]
    values = {name: data[name] for name in GUIDE_TEXT_FIELDS}
    values["last_reviewed"] = data["last_reviewed"]
    return values, sections, organization_blocks


def load_guide(
    home: HomePage, slug: str, organizations: dict[str, Organization], report: DemoReport
) -> GuidePage:
    data = read_content(slug, "es")
    values, sections, organization_blocks = guide_values(data, organizations)
    guide = GuidePage.objects.child_of(home).filter(slug=slug).first()
    if guide is None:
        guide = home.add_child(
            instance=GuidePage(
                slug=slug, sections=sections, organizations=organization_blocks, **values
            )
        )
        guide.save_revision().publish()
        report.created.append(str(guide))
        return guide

    guide = guide.specific
    unchanged = (
        all(getattr(guide, k) == v for k, v in values.items())
        and guide.sections.get_prep_value() == sections
        and guide.organizations.get_prep_value() == organization_blocks
    )
    if unchanged:
        return guide
    for name, value in values.items():
        setattr(guide, name, value)
    guide.sections = sections
    guide.organizations = organization_blocks
    guide.save_revision().publish()
    sync_translations(guide)
    report.updated.append(str(guide))
    return guide


def phone_menu_values(data: dict[str, Any], guides: list[GuidePage]) -> dict[str, Any]:
    """PhoneMenuPage field values for the menu's content file (entries with stable ids)."""
    by_slug = {guide.slug: guide for guide in guides}
    values = {name: data[name] for name in PHONE_MENU_FIELDS}
    values["guides"] = [
        {
            "type": "guide",
            "id": str(uuid.uuid5(DEMO_NAMESPACE, f"phone/{entry['guide']}")),
            "value": {"guide": by_slug[entry["guide"]].pk, "sentence": entry["sentence"]},
        }
        for entry in data["guides"]
    ]
    return values


def load_phone_menu(home: HomePage, guides: list[GuidePage], report: DemoReport):
    """The phone line's Spanish menu, created or updated; None without the phone app."""
    if not apps.is_installed("audio.phone"):
        return None
    # By name: content loads before audio and imports none of it (.importlinter).
    model = apps.get_model("phone", "PhoneMenuPage")
    data = read_content("phone", "es")
    values = phone_menu_values(data, guides)
    menu = model.objects.child_of(home).first()
    if menu is None:
        menu = home.add_child(instance=model(slug=data["slug"], **values))
        menu.save_revision().publish()
        report.created.append(str(menu))
        return menu
    unchanged = all(getattr(menu, k) == v for k, v in values.items() if k != "guides")
    if unchanged and menu.guides.get_prep_value() == values["guides"]:
        return menu
    for name, value in values.items():
        setattr(menu, name, value)
    menu.save_revision().publish()
    sync_translations(menu)
    report.updated.append(str(menu))
    return menu


def english_strings(
    home: HomePage,
    organizations: dict[str, Organization],
    guides: list[GuidePage],
    menus: list = (),
) -> Iterator[tuple[TranslatableMixin, dict[str, str]]]:
    """(source object, {Spanish string: English string}) for every demo object."""
    home_es, home_en = read_content("home", "es"), read_content("home", "en")
    yield home, {**_pairs(home_es, home_en, ["title", "intro"]), home.slug: home.slug}

    en_organizations = {o["key"]: o for o in read_content("organizations", "en")["organization"]}
    for data in read_content("organizations", "es")["organization"]:
        yield (
            organizations[data["key"]],
            _pairs(data, en_organizations[data["key"]], ORGANIZATION_TEXT_FIELDS),
        )

    for guide in guides:
        es, en = read_content(guide.slug, "es"), read_content(guide.slug, "en")
        strings = _pairs(es, en, GUIDE_TEXT_FIELDS)
        strings[guide.slug] = guide.slug
        en_sections = {s["id"]: s for s in en["sections"]}
        for section in es["sections"]:
            translated = en_sections[section["id"]]
            strings.update(_pairs(section, translated, ["heading", "key_point"]))
            strings.update(
                rich_text_string_pairs(section["body"].strip(), translated["body"].strip())
            )
        yield guide, strings

    for menu in menus:
        es, en = read_content("phone", "es"), read_content("phone", "en")
        strings = _pairs(es, en, PHONE_MENU_FIELDS)
        strings[menu.slug] = menu.slug
        for entry, translated in zip(es["guides"], en["guides"], strict=True):
            strings[entry["sentence"]] = translated["sentence"]
        yield menu, strings


def _pairs(source, translated, names):
    return {source[n]: translated[n] for n in names if source.get(n)}
