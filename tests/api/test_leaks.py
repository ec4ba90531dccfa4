"""Only published, public content: one test per way something private could leak.

Every check looks at the guides endpoints, the renditions listing and
Wagtail's pages endpoint alike.
"""

from datetime import timedelta

from django.utils import timezone
from wagtail.models import (
    GroupApprovalTask,
    PageViewRestriction,
    Workflow,
    WorkflowTask,
)

from audio.models import AudioJob, Rendition, SectionRecording
from cms.localization import fill_translation, translation_for
from cms.models import GuidePage, HomePage

from .conftest import get_json, guide_ids, section


def visible_everywhere(api, page):
    """Whether a page can be read through any public endpoint."""
    found = []
    if page.pk in guide_ids(get_json(api, "/api/v2/guides/?limit=200")):
        found.append("guides listing")
    if api.get(f"/api/v2/guides/{page.pk}/").status_code != 404:
        found.append("guide detail")
    if api.get(f"/api/v2/guides/{page.locale.language_code}/{page.slug}/").status_code != 404:
        found.append("guide by slug")
    if any(r["guide"] == page.pk for r in get_json(api, "/api/v2/renditions/?limit=200")["items"]):
        found.append("renditions")
    if api.get(f"/api/v2/pages/{page.pk}/").status_code != 404:
        found.append("pages detail")
    pages = get_json(api, "/api/v2/pages/?type=cms.GuidePage&limit=20")
    if page.pk in [item["id"] for item in pages["items"]]:
        found.append("pages listing")
    return found


def everything_public(api):
    """Every public response body, concatenated (for searching leaked values)."""
    urls = [
        "/api/v2/guides/?fields=*&limit=200",
        "/api/v2/renditions/?limit=200",
        "/api/v2/pages/?type=cms.GuidePage&fields=*&limit=20",
    ]
    urls += [item["detail_url"].split("8000", 1)[1] for item in get_json(api, urls[0])["items"]]
    return b"".join(api.get(url).content for url in urls).decode()


def test_draft_guide_is_not_served(api, make_guide, make_rendition):
    draft = make_guide(slug="borrador", publish=False)
    make_rendition(draft)
    assert visible_everywhere(api, draft) == []


def test_unpublished_guide_is_not_served(api, make_guide):
    guide = make_guide()
    assert visible_everywhere(api, guide) != []
    guide.unpublish()
    assert visible_everywhere(api, guide) == []


def test_unpublished_changes_are_not_served(api, make_guide):
    guide = make_guide(title="Título publicado")
    guide.title = "Título en borrador"
    guide.summary = "Resumen en borrador"
    guide.sections = [section("Sección en borrador")]
    guide.save_revision()
    data = get_json(api, f"/api/v2/guides/{guide.pk}/")
    assert data["title"] == "Título publicado"
    assert "borrador" not in everything_public(api)


def test_guide_under_a_view_restriction_is_not_served(api, make_guide):
    guide = make_guide()
    PageViewRestriction.objects.create(
        page=guide, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    assert visible_everywhere(api, guide) == []


def test_guides_under_a_restricted_home_are_not_served(api):
    home = HomePage.objects.get(locale__language_code="es")
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    locales = {item["locale"] for item in get_json(api, "/api/v2/guides/")["items"]}
    # Kaqchikel guides show the (now private) Spanish text, so they go too.
    assert locales == {"en"}
    for guide in GuidePage.objects.filter(locale__language_code="es"):
        assert visible_everywhere(api, guide) == []


def moderation_workflow():
    workflow = Workflow.objects.create(name="Revisión")
    WorkflowTask.objects.create(
        workflow=workflow, task=GroupApprovalTask.objects.create(name="Moderar"), sort_order=0
    )
    return workflow


def test_guide_in_moderation_is_not_served(api, make_guide, editor):
    guide = make_guide(slug="en-moderacion", publish=False)
    guide.save_revision(user=editor)
    moderation_workflow().start(guide, editor)
    assert guide.workflow_in_progress
    assert visible_everywhere(api, guide) == []


def test_changes_in_moderation_are_not_served(api, make_guide, editor):
    guide = make_guide(title="Título aprobado")
    guide.title = "Título por aprobar"
    guide.save_revision(user=editor)
    moderation_workflow().start(guide, editor)
    assert guide.workflow_in_progress
    assert get_json(api, f"/api/v2/guides/{guide.pk}/")["title"] == "Título aprobado"
    assert "por aprobar" not in everything_public(api)


def test_expired_guide_is_not_served(api, make_guide):
    guide = make_guide()
    GuidePage.objects.filter(pk=guide.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    assert visible_everywhere(api, guide) == []


def test_admin_only_fields_never_leak(api, make_guide, make_rendition, editor):
    guide = make_guide()
    GuidePage.objects.filter(pk=guide.pk).update(owner=editor, locked=True, locked_by=editor)
    make_rendition(guide, content_hash="c0ffee" * 10 + "abcd")
    AudioJob.objects.filter(page=guide).update(error="SECRET-ERROR-TEXT", worker="secret-host:4242")
    SectionRecording.objects.create(
        page=guide,
        section_id="x",
        audio="audio/recordings/r.wav",
        original_name="maria-telefono.wav",
        duration=2,
        source_text_hash="1" * 64,
        uploaded_by=editor,
    )
    body = everything_public(api)
    for secret in [
        "editor@example.invalid",
        '"editor"',
        "SECRET-ERROR-TEXT",
        "secret-host",
        "maria-telefono",
        "c0ffee",
    ]:
        assert secret not in body, secret
    for field in [
        "owner",
        "locked",
        "locked_by",
        "draft_title",
        "latest_revision",
        "live_revision",
        "has_unpublished_changes",
        "content_hash",
        "worker",
        "error",
        "uploaded_by",
        "original_name",
    ]:
        assert f'"{field}":' not in body, field


def test_incomplete_kaqchikel_is_served_as_spanish(api):
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    data = get_json(api, "/api/v2/guides/cak/mixco/")
    assert data["locale"] == "cak"
    assert data["language"] == "es"
    assert data["title"] == spanish.title
    assert data["translation"]["complete"] is False
    assert data["translation"]["fallback_language"] == "es"
    assert data["translation"]["progress"]["translated"] < data["translation"]["progress"]["total"]
    assert {org["language"] for org in data["organizations"]} == {"es"}
    summary = next(
        i for i in get_json(api, "/api/v2/guides/?locale=cak")["items"] if i["id"] == data["id"]
    )
    assert summary["language"] == "es"


def kaqchikel_translation():
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    return translation_for(spanish, "cak")


def test_partly_translated_kaqchikel_is_served_as_spanish(api):
    translation = kaqchikel_translation()
    first = next(entry.msgid for entry in translation.export_po() if not entry.obsolete)
    fill_translation(translation, {first: "Kaqchikel"})
    data = get_json(api, "/api/v2/guides/cak/mixco/")
    assert data["language"] == "es"
    assert (
        0 < data["translation"]["progress"]["translated"] < data["translation"]["progress"]["total"]
    )


def test_kaqchikel_translated_but_not_yet_published_is_served_as_spanish(
    api, django_capture_on_commit_callbacks
):
    """Every string is translated and saved as a draft: nothing of it is public yet.

    (wagtail-localize writes the draft into the page row itself.)
    """
    translation = kaqchikel_translation()
    kaqchikel = GuidePage.objects.get(locale__language_code="cak", slug="mixco")
    strings = {
        entry.msgid: f"[cak] {entry.msgid}"
        for entry in translation.export_po()
        if not entry.obsolete
    }
    fill_translation(translation, strings, publish=False)
    data = get_json(api, f"/api/v2/guides/{kaqchikel.pk}/")
    assert data["language"] == "es"
    assert data["translation"]["progress"]["translated"] == data["translation"]["progress"]["total"]
    assert data["translation"]["complete"] is False
    assert "[cak]" not in everything_public(api)

    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    data = get_json(api, f"/api/v2/guides/{kaqchikel.pk}/")
    assert data["language"] == "cak" and data["translation"]["complete"] is True
    assert data["title"].startswith("[cak] ")


def test_draft_written_into_a_live_page_row_is_not_served(api):
    """wagtail-localize's "save draft" of a complete translation must not reach readers."""
    english = GuidePage.objects.get(locale__language_code="en", slug="mixco")
    published_title = english.title
    GuidePage.objects.filter(pk=english.pk).update(
        title="Draft title", has_unpublished_changes=True
    )
    data = get_json(api, f"/api/v2/guides/{english.pk}/")
    assert data["title"] == published_title


def test_kaqchikel_fallback_goes_away_with_its_spanish_source(api):
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    kaqchikel = GuidePage.objects.get(locale__language_code="cak", slug="mixco")
    english = GuidePage.objects.get(locale__language_code="en", slug="mixco")
    spanish.unpublish()
    assert visible_everywhere(api, kaqchikel) == []
    assert "guide detail" in visible_everywhere(api, english)


def test_stock_pages_endpoint_leaves_out_incomplete_translations(api):
    listing = get_json(api, "/api/v2/pages/?locale=cak")
    assert listing["items"] == []
    kaqchikel = GuidePage.objects.get(locale__language_code="cak", slug="mixco")
    assert api.get(f"/api/v2/pages/{kaqchikel.pk}/").status_code == 404
    assert get_json(api, "/api/v2/pages/?locale=en")["meta"]["total_count"] > 0


def test_retired_renditions_are_not_listed(api, make_guide, make_rendition):
    guide = make_guide()
    old = make_rendition(guide)
    Rendition.objects.filter(pk=old.pk).update(
        state=Rendition.State.RETIRED, retired_at=timezone.now()
    )
    assert get_json(api, f"/api/v2/guides/{guide.pk}/")["audio"]["renditions"] == []
    assert old.pk not in [r["id"] for r in get_json(api, "/api/v2/renditions/")["items"]]
