"""Sync: a client asks "what changed since my last visit?" and learns what went away."""

from django.utils import timezone

from audio.models import Rendition
from cms.models import GuidePage, Organization

from .conftest import get_json, guide_ids


def cursor(api, url="/api/v2/guides/"):
    return get_json(api, url)["meta"]["as_of"]


def since(url, as_of):
    return f"{url}{'&' if '?' in url else '?'}changed_since={as_of.replace('+', '%2B')}"


def test_nothing_changed_means_nothing_returned(api):
    as_of = cursor(api)
    listing = get_json(api, since("/api/v2/guides/", as_of))
    assert listing["items"] == [] and listing["removed"] == []
    assert listing["meta"]["changed_since"] == as_of


def test_only_the_changed_guide_is_returned(api):
    as_of = cursor(api)
    guide = GuidePage.objects.get(locale__language_code="es", slug="patzun")
    guide.summary = "Un resumen nuevo."
    guide.save_revision().publish()
    listing = get_json(api, since("/api/v2/guides/?fields=*", as_of))
    # The Kaqchikel guide shows the Spanish text while untranslated: it changed too.
    kaqchikel = GuidePage.objects.get(locale__language_code="cak", slug="patzun")
    assert guide_ids(listing) == [guide.pk, kaqchikel.pk]
    for item in listing["items"]:
        assert item["summary"] == "Un resumen nuevo."
        assert item["changed_at"] > as_of


def test_a_new_guide_is_returned(api, make_guide):
    as_of = cursor(api)
    guide = make_guide()
    assert guide_ids(get_json(api, since("/api/v2/guides/", as_of))) == [guide.pk]


def test_an_unpublished_guide_is_reported_removed(api, make_guide):
    guide = make_guide()
    as_of = cursor(api)
    guide.unpublish()
    listing = get_json(api, since("/api/v2/guides/", as_of))
    assert listing["items"] == []
    assert [(r["id"], r["locale"]) for r in listing["removed"]] == [(guide.pk, "es")]
    assert listing["removed"][0]["removed_at"] > as_of
    assert guide.pk not in guide_ids(get_json(api, "/api/v2/guides/"))


def test_a_deleted_guide_is_reported_removed(api, make_guide):
    guide = make_guide()
    guide_id = guide.pk
    as_of = cursor(api)
    guide.delete()
    assert [r["id"] for r in get_json(api, since("/api/v2/guides/", as_of))["removed"]] == [
        guide_id
    ]


def test_removals_are_filtered_by_locale(api, make_guide):
    guide = make_guide()
    as_of = cursor(api)
    guide.unpublish()
    assert get_json(api, since("/api/v2/guides/?locale=en", as_of))["removed"] == []
    assert len(get_json(api, since("/api/v2/guides/?locale=es", as_of))["removed"]) == 1


def test_a_republished_guide_comes_back_as_changed(api, make_guide):
    guide = make_guide()
    first = cursor(api)
    guide.unpublish()
    cursor(api)  # the API sees it gone
    guide.save_revision().publish()
    listing = get_json(api, since("/api/v2/guides/", first))
    assert guide_ids(listing) == [guide.pk] and listing["removed"] == []


def test_editing_an_organization_changes_the_guides_that_list_it(api):
    as_of = cursor(api)
    organization = Organization.objects.filter(locale__language_code="es").first()
    organization.offers = "Ofrece algo nuevo."
    organization.save()
    changed = get_json(api, since("/api/v2/guides/?fields=*", as_of))["items"]
    assert changed, "guides listing the organization should be reported changed"
    for guide in changed:
        assert "Ofrece algo nuevo." in [org["offers"] for org in guide["organizations"]]


def test_new_audio_shows_up_in_the_renditions_sync(api, make_guide, make_rendition):
    guide = make_guide()
    as_of = cursor(api, "/api/v2/renditions/")
    rendition = make_rendition(guide)
    listing = get_json(api, since("/api/v2/renditions/", as_of))
    assert [(r["id"], r["guide"], r["locale"]) for r in listing["items"]] == [
        (rendition.pk, guide.pk, "es")
    ]
    assert listing["items"][0]["sha256"] == rendition.sha256


def test_replaced_audio_is_reported_removed(api, make_guide, make_rendition):
    guide = make_guide()
    old = make_rendition(guide)
    as_of = cursor(api, "/api/v2/renditions/")
    Rendition.objects.filter(pk=old.pk).update(
        state=Rendition.State.RETIRED, retired_at=timezone.now()
    )
    new = make_rendition(guide)
    listing = get_json(api, since("/api/v2/renditions/", as_of))
    assert [r["id"] for r in listing["items"]] == [new.pk]
    assert [(r["id"], r["guide"]) for r in listing["removed"]] == [(old.pk, guide.pk)]


def test_renditions_can_be_filtered(api, make_guide, make_rendition):
    guide = make_guide()
    listen = make_rendition(guide)
    make_rendition(guide, variant="lowdata", mime_type='audio/webm; codecs="opus"')
    assert [
        r["id"]
        for r in get_json(api, f"/api/v2/renditions/?guide={guide.pk}&variant=listen")["items"]
    ] == [listen.pk]
    assert get_json(api, "/api/v2/renditions/?locale=cak")["items"] == []


def test_changed_since_accepts_dates_with_offsets_and_plain_utc(api):
    for value in [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00%2B00:00",
        "2026-01-01T00:00:00",
        "2025-12-31T18:00:00-06:00",
    ]:
        assert (
            get_json(api, f"/api/v2/guides/?changed_since={value}")["meta"]["changed_since"]
            == "2026-01-01T00:00:00Z"
        )
