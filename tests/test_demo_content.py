"""The demo is safe to reload and honest about what it does not know."""

import re
import tomllib

import pytest
from wagtail.models import Page, Revision
from wagtail_localize.models import StringTranslation, Translation

from cms.demo.loader import CONTENT_DIR, load_demo
from cms.models import GuidePage, Organization

# A run of 7+ digits, or digit groups joined like a phone number (2222-3333).
PHONE_LIKE = re.compile(r"\d{7,}|\d{3,4}[ -]\d{4}")


def snapshot():
    return {
        "pages": list(
            Page.objects.order_by("pk").values_list("pk", "title", "live", "latest_revision_id")
        ),
        "revisions": Revision.objects.count(),
        "organizations": list(
            Organization.objects.order_by("pk").values_list("pk", "name", "locale_id")
        ),
        "translations": Translation.objects.count(),
        "strings": StringTranslation.objects.count(),
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing():
    before = snapshot()
    report = load_demo()
    assert not report.changed, report
    assert snapshot() == before


@pytest.mark.django_db
def test_each_guide_exists_in_spanish_english_and_kaqchikel():
    for slug in ["mixco", "patzun"]:
        languages = set(
            GuidePage.objects.filter(slug=slug).values_list("locale__language_code", flat=True)
        )
        assert languages == {"es", "en", "cak"}


@pytest.mark.parametrize("path", sorted(CONTENT_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_demo_content_invents_no_contact_details(path):
    # Section ids are UUIDs, whose digit groups would look like numbers.
    text = re.sub(r'^id = "[0-9a-f-]{36}"$', "", path.read_text(encoding="utf-8"), flags=re.M)
    assert not PHONE_LIKE.search(text)
    for marker in ["http", "www.", "@", "horario", "opening hours"]:
        assert marker not in text.lower(), marker


@pytest.mark.parametrize("slug", ["mixco", "patzun"])
def test_english_demo_mirrors_the_spanish_sections(slug):
    def load(language):
        with open(CONTENT_DIR / f"{slug}.{language}.toml", "rb") as f:
            return tomllib.load(f)

    es, en = load("es"), load("en")
    assert len(es["sections"]) >= 8
    assert [s["id"] for s in es["sections"]] == [s["id"] for s in en["sections"]]


@pytest.mark.django_db
def test_the_phone_menu_is_spanish_english_and_a_kaqchikel_page_left_for_recording():
    from audio.phone.models import PhoneMenuPage
    from audio.text import speech_sections
    from cms.translations import display_versions

    menus = {m.locale.language_code: m for m in PhoneMenuPage.objects.select_related("locale")}
    assert set(menus) == {"es", "en", "cak"}
    versions = {v.requested_language: v for v in display_versions(menus.values())}
    assert not versions["en"].is_fallback  # translated through its PO file
    assert versions["cak"].is_fallback  # nobody here writes Kaqchikel: recorded later
    english = speech_sections(versions["en"].object)
    assert [s.text for s in english if s.id.startswith("entry-")] == [
        "For the Mixco guide, press 1.",
        "For the Patzún guide, press 2.",
    ]
