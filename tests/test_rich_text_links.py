"""A rich-text link to a page that is not public renders without its target (no slug, no URL)."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from wagtail.models import PageViewRestriction
from wagtail.rich_text import expand_db_html

from cms.localization import submit_translation
from cms.models import GuidePage, HomePage

pytestmark = pytest.mark.django_db


def guide(slug, publish=True, body="<p>Texto.</p>"):
    home = HomePage.objects.get(locale__language_code="es")
    page = home.add_child(
        instance=GuidePage(
            live=False,
            title=slug,
            slug=slug,
            place_name="Mixco",
            department="Guatemala",
            summary="Resumen.",
            last_reviewed="2026-11-01",
            discreet_title="Notas",
            sections=[
                {
                    "type": "section",
                    "value": {"heading": "Parte", "body": body, "key_point": "", "pictogram": ""},
                }
            ],
        )
    )
    if publish:
        page.save_revision().publish()
    return GuidePage.objects.get(pk=page.pk)


def link(page, text="más datos"):
    return f'<a linktype="page" id="{page.pk}">{text}</a>'


@pytest.fixture
def targets():
    """One page per way of not being public, and one public page."""
    draft = guide("enlace-borrador", publish=False)
    private = guide("enlace-privado")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    expired = guide("enlace-caducado")
    GuidePage.objects.filter(pk=expired.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    unpublished = guide("enlace-despublicado")
    unpublished.unpublish()
    public = guide("enlace-publico")
    return {
        "draft": draft,
        "private": private,
        "expired": expired,
        "unpublished": unpublished,
        "public": public,
    }


HIDDEN = ("enlace-borrador", "enlace-privado", "enlace-caducado", "enlace-despublicado")


def test_expansion_gives_an_href_only_to_public_pages(targets):
    html = expand_db_html("".join(f"<p>{link(page, name)}</p>" for name, page in targets.items()))
    for slug in HIDDEN:
        assert slug not in html
    for name in ("draft", "private", "expired", "unpublished"):
        assert f"<a>{name}</a>" in html
    assert '<a href="/es/enlace-publico/">public</a>' in html


def test_guide_page_does_not_show_links_to_hidden_pages(client, targets):
    body = "<p>Vea " + " y ".join(link(page) for page in targets.values()) + ".</p>"
    guide("con-enlaces", body=body)
    html = client.get("/es/con-enlaces/").content.decode()
    for slug in HIDDEN:
        assert slug not in html
    assert 'href="/es/enlace-publico/"' in html


def test_a_link_is_not_localized_to_a_translation_that_falls_back_to_a_private_source(client):
    """In Kaqchikel, Wagtail points a link at the page's live Kaqchikel translation.

    An incomplete translation shows its Spanish source; with that source
    private, the translation is not public either (``cms.visibility``).
    """
    private = guide("enlace-privado-cak")
    with django_capture():
        submit_translation(private, "cak")
    assert GuidePage.objects.get(
        translation_key=private.translation_key, locale__language_code="cak"
    ).live
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    with translation.override("cak"):
        html = expand_db_html(f"<p>{link(private)}</p>")
    assert "enlace-privado-cak" not in html
    assert html == "<p><a>más datos</a></p>"


def django_capture():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)  # wagtail-localize publishes on commit
