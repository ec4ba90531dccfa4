"""The API agrees with the rest of Altavoz: the front's languages and the admin's audio status."""

from audio.models import AudioJob
from audio.status import current_content_hash, page_audio_status
from cms.models import GuidePage, Organization
from cms.translations import display_version, translation_progress

from .conftest import get_json


def test_guide_languages_agree_with_display_version(api):
    for page in GuidePage.objects.live():
        data = get_json(api, f"/api/v2/guides/{page.pk}/")
        shown = display_version(page)
        assert data["language"] == shown.language, page
        assert data["title"] == shown.object.title, page
        progress = translation_progress(page)
        if progress is None:
            assert data["translation"] is None, page
        else:
            assert (
                data["translation"]["progress"]["total"],
                data["translation"]["progress"]["translated"],
            ) == progress


def test_organization_languages_agree_with_display_version(api):
    for page in GuidePage.objects.live():
        data = get_json(api, f"/api/v2/guides/{page.pk}/")
        expected = [
            display_version(block.value) for block in display_version(page).object.organizations
        ]
        assert [(o["id"], o["language"]) for o in data["organizations"]] == [
            (version.object.pk, version.language) for version in expected
        ]
    assert Organization.objects.exists()


def test_rendition_statuses_agree_with_the_admin(api, make_guide, make_rendition):
    ready = make_guide(slug="lista")
    stale = make_guide(slug="vieja")
    AudioJob.objects.filter(page__in=[ready, stale]).update(state=AudioJob.State.READY)
    make_rendition(ready, content_hash=current_content_hash(ready, "espeak", "es-419"))
    make_rendition(stale, content_hash="e" * 64)
    for page in (ready, stale):
        admin = {v.variant: v.state for v in page_audio_status(page).variants if v.rendition}
        api_statuses = {
            r["variant"]: r["status"]
            for r in get_json(api, f"/api/v2/guides/{page.pk}/")["audio"]["renditions"]
        }
        assert api_statuses == admin
