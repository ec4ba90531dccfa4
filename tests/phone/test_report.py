"""The admin report "Línea telefónica": counts per day, guide and section, and each line's state."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audio.phone import lines, menu
from tests.accounts.conftest import account_in, groups  # noqa: F401  (fixtures)

from .conftest import give_phone_audio


@pytest.fixture
def counted(settings, spanish_menu, phone_guide):
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak"]
    give_phone_audio(spanish_menu, skip=("goodbye",))
    give_phone_audio(phone_guide)
    today = timezone.localdate()
    for _ in range(7):
        lines.count_heard(menu.Sound(phone_guide.pk, "intro"), today)
    lines.count_heard(menu.Sound(phone_guide.pk, "intro"), today - timedelta(days=1))
    lines.count_heard(menu.Sound(phone_guide.pk, "intro"), today - timedelta(days=45))
    return phone_guide


def rows(html, table):
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [row for row in body.split("<tr")[2:]]


def test_an_editor_sees_the_days_counts_and_what_each_line_lacks(admin_client, counted):
    response = admin_client.get(reverse("phone_report"))
    assert response.status_code == 200
    html = response.content.decode()
    counts = rows(html, "phone-counts")
    assert len(counts) == 2  # today and yesterday; 45 days ago is outside the 30
    assert "<td data-phone-count>7</td>" in counts[0] and "Guía por teléfono" in counts[0]
    assert "<td data-phone-count>&lt; 5</td>" in counts[1]  # one listen: told as "< 5"
    spanish, kaqchikel = rows(html, "phone-lines")
    assert 'data-ready="no"' in spanish and "Mensaje sin audio: despedida." in spanish
    assert "menú telefónico" in kaqchikel


def test_the_line_shows_ready_once_nothing_is_missing(admin_client, counted, spanish_menu):
    give_phone_audio(spanish_menu)
    html = admin_client.get(reverse("phone_report")).content.decode()
    assert 'data-phone-line="es" data-ready="yes"' in html


def test_a_translator_sees_neither_the_spanish_counts_nor_the_spanish_line(
    counted,
    account_in,  # noqa: F811
):
    client = account_in("Traductores (cak)")
    html = client.get(reverse("phone_report")).content.decode()
    assert "Guía por teléfono" not in html
    assert 'data-phone-line="es"' not in html and 'data-phone-line="cak"' in html


def test_a_visitor_is_sent_to_sign_in(client, counted):
    response = client.get(reverse("phone_report"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_report_is_in_the_reports_menu(admin_client, counted):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("phone_report") in html


def test_a_guide_not_fully_voiced_is_named_with_why(admin_client, settings, spanish_menu):
    from tests.audio.fixtures import publish_guide, section_value

    from .conftest import publish_menu

    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    half = publish_guide("a-medias", [section_value("Parte", "<p>Texto.</p>")], title="A medias")
    page = publish_menu(guides=[(half, "Para la guía a medias, marque 1.")])
    give_phone_audio(page)
    give_phone_audio(half, skip=("intro",))
    html = admin_client.get(reverse("phone_report")).content.decode()
    assert "«A medias»: no todas sus secciones tienen audio telefónico." in html
    assert "Ninguna guía se puede ofrecer todavía." in html
    half.unpublish()
    html = admin_client.get(reverse("phone_report")).content.decode()
    assert "«Para la guía a medias, marque 1.»: su guía no es pública" in html
