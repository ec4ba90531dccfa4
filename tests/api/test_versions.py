"""Sync per section: an app re-downloads only the sections a guide's new version changed."""

from wagtail.models import PageViewRestriction

from audio.jobs import run_job
from tests.audio.fixtures import edit_section

from .conftest import get_json, guide_ids
from .test_sync import cursor, since

CONDOMS = "11111111-1111-4111-8111-111111111111"


def item_of(api, url, page_id):
    return next(item for item in get_json(api, url)["items"] if item["id"] == page_id)


def test_a_guide_has_no_version_until_its_audio_is_live(api, small_guide):
    assert item_of(api, "/api/v2/guides/", small_guide.pk)["version"] is None
    run_job(small_guide.pk)
    version = item_of(api, "/api/v2/guides/", small_guide.pk)["version"]
    assert version["number"] == 1
    assert {(s["id"], s["change"]) for s in version["changed_sections"]} == {
        ("intro", "added"),
        (CONDOMS, "added"),
        ("33333333-3333-4333-8333-333333333333", "added"),
    }


def test_the_sync_says_which_sections_a_new_version_changed(api, small_guide):
    run_job(small_guide.pk)
    as_of = cursor(api)
    edit_section(small_guide, 0, "<p>En la clínica del barrio. Pregunte con confianza.</p>")
    run_job(small_guide.pk)
    listing = get_json(api, since("/api/v2/guides/", as_of))
    assert guide_ids(listing) == [small_guide.pk]
    assert listing["items"][0]["version"]["number"] == 2
    assert listing["items"][0]["version"]["changed_sections"] == [
        {
            "id": CONDOMS,
            "heading": "¿Dónde hay condones?",
            "change": "changed",
            "text": True,
            "audio": True,
        }
    ]
    # The whole guide carries the same version.
    detail = get_json(api, f"/api/v2/guides/{small_guide.pk}/")
    assert detail["version"] == listing["items"][0]["version"]


def test_a_private_or_unpublished_guide_shows_no_version(api, small_guide):
    run_job(small_guide.pk)
    restriction = PageViewRestriction.objects.create(
        page=small_guide, restriction_type="password", password="x"
    )
    edit_section(small_guide, 0, "<p>Palabra secreta zafiro.</p>")
    run_job(small_guide.pk)
    body = api.get("/api/v2/guides/?fields=*").content.decode()
    assert "zafiro" not in body and small_guide.pk not in guide_ids(
        get_json(api, "/api/v2/guides/")
    )
    assert api.get(f"/api/v2/guides/{small_guide.pk}/").status_code == 404
    # Made public again, its next version compares with the last public one.
    restriction.delete()
    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    version = item_of(api, "/api/v2/guides/", small_guide.pk)["version"]
    assert version["number"] == 2
    small_guide.unpublish()
    assert small_guide.pk not in guide_ids(get_json(api, "/api/v2/guides/"))


def test_the_schema_documents_the_version(api):
    schema = get_json(api, "/api/schema/?format=json")
    guide = schema["components"]["schemas"]["Guide"]["properties"]
    assert "version" in guide
    assert "changed_sections" in schema["components"]["schemas"]["GuideVersion"]["properties"]
