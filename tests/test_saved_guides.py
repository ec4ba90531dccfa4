"""/guardado/<id>.json: what a guide saved on a phone compares itself with to refresh (#14).

Only public guides are described; every other state answers exactly like an id that
never existed (the saved copy reads it as "no longer available here").
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from audio.jobs import run_job
from audio.models import PublishedVersion, Rendition
from cms.models import GuidePage
from tests.audio.fixtures import edit_section, live

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 987654


def manifest_url(page):
    return f"/guardado/{page.pk}.json"


def answer(response):
    """What a client can tell apart: status, body and every header."""
    return response.status_code, response.content, sorted(response.items())


@pytest.fixture
def voiced_guide(small_guide):
    run_job(small_guide.pk)
    return small_guide


def test_a_public_guide_is_described_with_its_files_their_hashes_and_its_version(
    client, voiced_guide
):
    response = client.get(manifest_url(voiced_guide))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-cache"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert not response.cookies
    manifest = response.json()
    renditions = live(voiced_guide)
    assert manifest["guide"] == voiced_guide.pk
    assert manifest["language"] == "es"
    assert manifest["page"]["url"] == "/es/guia-corta/"
    assert len(manifest["page"]["hash"]) == 32
    assert manifest["version"] == 1
    assert set(manifest["variants"]) == {"listen", "lowdata"}
    for name, variant in manifest["variants"].items():
        rendition = renditions[name]
        assert variant == {
            "audio": rendition.audio.url,
            "sha256": rendition.sha256,
            "bytes": rendition.size_bytes,
            "type": rendition.mime_type,
            "captions": rendition.captions.url,
        }
    assert manifest["versions"] == [
        {
            "number": 1,
            "recorded_at": PublishedVersion.objects.get(page=voiced_guide).recorded_at.isoformat(),
            "changed_sections": manifest["versions"][0]["changed_sections"],
        }
    ]


def test_an_edit_gives_a_new_version_page_hash_and_files_and_says_which_section_changed(
    client, voiced_guide
):
    before = client.get(manifest_url(voiced_guide)).json()
    edit_section(voiced_guide, 0, "<p>En el centro de salud de la zona 1. Vaya temprano.</p>")
    run_job(voiced_guide.pk)
    after = client.get(manifest_url(voiced_guide)).json()
    assert after["version"] == 2
    assert after["page"]["hash"] != before["page"]["hash"]
    for name in ("listen", "lowdata"):
        assert after["variants"][name]["audio"] != before["variants"][name]["audio"]
        assert after["variants"][name]["captions"] != before["variants"][name]["captions"]
    newest = after["versions"][0]
    assert newest["number"] == 2
    assert newest["changed_sections"] == [
        {
            "id": "11111111-1111-4111-8111-111111111111",
            "heading": "¿Dónde hay condones?",
            "change": "changed",
            "text": True,
            "audio": True,
        }
    ]
    assert [v["number"] for v in after["versions"]] == [2, 1]


def test_an_unchanged_manifest_costs_a_304(client, voiced_guide):
    first = client.get(manifest_url(voiced_guide))
    again = client.get(manifest_url(voiced_guide), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def hide_by(page, how):
    if how == "unpublish":
        page.unpublish()
    elif how == "draft_only":
        page.unpublish()
        page.save_revision()
    elif how == "password":
        PageViewRestriction.objects.create(page=page, restriction_type="password", password="x")
    elif how == "parent_login":
        PageViewRestriction.objects.create(page=page.get_parent(), restriction_type="login")
    elif how == "expire":
        GuidePage.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    elif how == "delete":
        page.delete()


@pytest.mark.parametrize(
    "how", ["unpublish", "draft_only", "password", "parent_login", "expire", "delete"]
)
def test_a_hidden_guide_answers_exactly_like_an_unknown_one(client, voiced_guide, how):
    assert client.get(manifest_url(voiced_guide)).status_code == 200
    hide_by(voiced_guide, how)
    unknown = client.get(f"/guardado/{UNKNOWN_ID}.json")
    assert unknown.status_code == 404
    assert answer(client.get(manifest_url(voiced_guide))) == answer(unknown)


def test_a_translation_falling_back_to_a_hidden_source_answers_like_an_unknown_guide(
    client, kaqchikel_guide, small_guide
):
    run_job(small_guide.pk)
    run_job(kaqchikel_guide.pk)
    shown = client.get(manifest_url(kaqchikel_guide)).json()
    # Public, it offers its source's audio (the Spanish), as its page does.
    spanish = live(small_guide)["listen"]
    assert shown["variants"]["listen"]["audio"] == spanish.audio.url
    assert shown["language"] == "es"
    PageViewRestriction.objects.create(page=small_guide, restriction_type="password", password="x")
    unknown = client.get(f"/guardado/{UNKNOWN_ID}.json")
    assert answer(client.get(manifest_url(kaqchikel_guide))) == answer(unknown)


def test_only_guides_are_described_and_only_by_get(client, voiced_guide):
    home = voiced_guide.get_parent()
    assert answer(client.get(manifest_url(home))) == answer(client.get("/guardado/0.json"))
    assert client.post(manifest_url(voiced_guide)).status_code == 405
    assert client.get("/es/guardado/1.json").status_code == 404
    assert client.get("/guardado/abc.json").status_code == 404


def test_the_guide_page_names_its_manifest(client, voiced_guide):
    html = client.get("/es/guia-corta/").content.decode()
    assert f'data-saved="{manifest_url(voiced_guide)}"' in html
    assert not Rendition.objects.filter(page=voiced_guide, state="retired").exists()


def test_the_saved_copys_words_are_translated_for_english():
    """As the player's template asks for them: ``{% translate %}`` looks a literal up with
    its percent signs doubled, so the catalog's entry must be the doubled one."""
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load i18n %}{% translate 'Actualizada el %(date)s' %}|"
        "{% translate 'sección «%(heading)s» cambió' %}"
    )
    with translation.override("en"):
        assert template.render(Context()) == "Updated on %(date)s|section “%(heading)s” changed"
