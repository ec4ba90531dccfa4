"""The cost of a listing does not grow with the number of guides."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audio.text import speech_sections
from cms.models import Organization

from .conftest import get_json, section


def add_guides(make_guide, make_rendition, count, start):
    organizations = list(Organization.objects.filter(locale__language_code="es")[:2])
    for index in range(start, start + count):
        guide = make_guide(
            slug=f"guia-{index}",
            title=f"Guía {index}",
            sections=[section(f"Sección {index}.{n}", key_point="Importante.") for n in range(3)],
            organizations=[{"type": "organization", "value": org.pk} for org in organizations],
        )
        spoken = speech_sections(guide)
        offsets = [
            {"id": s.id, "heading": s.heading, "start": n, "end": n + 1}
            for n, s in enumerate(spoken)
        ]
        make_rendition(guide, sections=offsets)
        make_rendition(
            guide, variant="lowdata", sections=offsets, mime_type='audio/webm; codecs="opus"'
        )


def cold_listing_queries(api):
    """Queries for a whole listing built from nothing (empty caches)."""
    from django.core.cache import cache

    from cms.api import snapshot, state

    cache.clear()
    state.remember(None)
    snapshot.forget_local()
    with CaptureQueriesContext(connection) as queries:
        listing = get_json(api, "/api/v2/guides/?fields=*&limit=200")
    return len(queries), listing


def test_cold_listing_queries_do_not_grow_with_guides(api, make_guide, make_rendition):
    add_guides(make_guide, make_rendition, 2, start=0)
    with_two, listing = cold_listing_queries(api)
    assert listing["meta"]["total_count"] == 6 + 2
    add_guides(make_guide, make_rendition, 8, start=2)
    with_ten, listing = cold_listing_queries(api)
    assert listing["meta"]["total_count"] == 6 + 10
    assert all(
        len(item["audio"]["renditions"]) == 2
        for item in listing["items"]
        if item["slug"].startswith("guia-")
    )
    assert with_ten == with_two


def test_warm_listing_and_detail_need_at_most_one_query(
    api, make_guide, make_rendition, django_assert_max_num_queries
):
    add_guides(make_guide, make_rendition, 10, start=0)
    listing = get_json(api, "/api/v2/guides/?fields=*&limit=200")
    # One query: the content token (is anything new?); the documents come from the cache.
    with django_assert_max_num_queries(1):
        get_json(api, "/api/v2/guides/?fields=*&limit=200")
    with django_assert_max_num_queries(1):
        get_json(api, f"/api/v2/guides/{listing['items'][-1]['id']}/")
    with django_assert_max_num_queries(1):
        get_json(api, "/api/v2/renditions/")


def test_renditions_listing_queries_do_not_grow_with_guides(api, make_guide, make_rendition):
    from django.core.cache import cache

    from cms.api import snapshot, state

    def cold():
        cache.clear()
        state.remember(None)
        snapshot.forget_local()
        with CaptureQueriesContext(connection) as queries:
            get_json(api, "/api/v2/renditions/?limit=200")
        return len(queries)

    add_guides(make_guide, make_rendition, 2, start=0)
    with_two = cold()
    add_guides(make_guide, make_rendition, 8, start=2)
    assert cold() == with_two
