"""Editors get clear errors for bad content, and nothing is half-saved."""

import json
import re

import pytest
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import GuidePage, HomePage, Organization

pytestmark = pytest.mark.django_db


def guide_form(slug="nueva-guia", heading="¿Qué hacer?", body="<p>Texto claro.</p>", **overrides):
    data = {
        "title": "Guía nueva",
        "slug": slug,
        "place_name": "Mixco",
        "department": "Guatemala",
        "summary": "Un resumen.",
        "last_reviewed": "2026-11-01",
        "discreet_title": "Notas",
        "sections": streamfield(
            [
                (
                    "section",
                    {
                        "heading": heading,
                        "body": rich_text(body),
                        "key_point": "",
                        "pictogram": "health",
                    },
                )
            ]
        ),
        "organizations": streamfield([]),
        "action-publish": "publish",
    }
    data.update(overrides)
    return nested_form_data(data)


def section_errors(response):
    """The StreamField's errors as text (the admin renders them from JSON)."""
    error = response.context["form"].errors["sections"].as_data()[0]
    return json.dumps(error.as_json_data(), ensure_ascii=False)


def add_guide(client, **kwargs):
    home = HomePage.objects.get(locale__language_code="es")
    return client.post(f"/admin/pages/add/cms/guidepage/{home.pk}/", guide_form(**kwargs))


def test_editor_publishes_a_valid_guide(admin_client, client):
    response = add_guide(admin_client)
    assert response.status_code == 302
    guide = GuidePage.objects.get(slug="nueva-guia")
    assert guide.live
    assert "Texto claro." in client.get("/es/nueva-guia/").content.decode()


@pytest.mark.parametrize(
    "heading, message", [("", "Este campo es necesario."), ("   ", "Este campo es necesario.")]
)
def test_empty_section_heading_is_refused(admin_client, heading, message):
    pages_before = Page.objects.count()
    response = add_guide(admin_client, heading=heading)
    assert response.status_code == 200
    assert '"heading": {"messages": ["' + message in section_errors(response)
    assert Page.objects.count() == pages_before


def test_duplicate_slug_is_refused(admin_client):
    pages_before = Page.objects.count()
    response = add_guide(admin_client, slug="mixco")
    assert response.status_code == 200
    html = response.content.decode()
    # The error sits on the slug field and names the slug taken.
    errors = re.search(r'id="[^"]*-slug-errors">(.*?)</div>', html, re.S)
    assert errors and "mixco" in errors.group(1) and "already in use" in errors.group(1)
    assert Page.objects.count() == pages_before


def test_javascript_link_is_refused_with_a_clear_message(admin_client):
    pages_before = Page.objects.count()
    response = add_guide(admin_client, body='<p>Vea <a href="javascript:alert(1)">esto</a>.</p>')
    assert response.status_code == 200
    assert "Un enlace no tiene una dirección válida" in section_errors(response)
    assert Page.objects.count() == pages_before


def test_safe_links_are_kept(admin_client, client):
    response = add_guide(admin_client, body='<p>Vea <a href="https://example.org/">esto</a>.</p>')
    assert response.status_code == 302
    assert 'href="https://example.org/"' in client.get("/es/nueva-guia/").content.decode()


def test_editing_a_live_guide_with_bad_content_keeps_the_live_version(admin_client, client):
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    live_html = client.get("/es/mixco/").content.decode()
    data = guide_form(slug="mixco", heading="")
    response = admin_client.post(f"/admin/pages/{guide.pk}/edit/", data)
    assert response.status_code == 200
    guide.refresh_from_db()
    assert guide.sections[0].value["heading"]
    assert client.get("/es/mixco/").content.decode() == live_html


def test_organization_with_a_malformed_phone_is_refused(admin_client):
    before = Organization.objects.count()
    response = admin_client.post(
        "/admin/snippets/cms/organization/add/?locale=es",
        {"name": "Grupo", "offers": "Apoyo", "phone": "llame ya!!"},
    )
    assert response.status_code == 200
    assert "Escriba solo números" in response.content.decode()
    assert Organization.objects.count() == before
