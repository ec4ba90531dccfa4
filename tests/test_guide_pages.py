"""Readers reach each guide in each language, and never get a 500."""

import re

import pytest

pytestmark = pytest.mark.django_db


def sections_in(html):
    return re.findall(r'<section id="s-[0-9a-f-]{36}"', html)


@pytest.mark.parametrize("slug", ["mixco", "patzun"])
def test_spanish_guide_has_at_least_eight_sections(client, slug):
    response = client.get(f"/es/{slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert len(sections_in(html)) >= 8


def test_root_sends_readers_to_the_spanish_home(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/es/"


def test_home_lists_the_guides_of_its_locale(client):
    html = client.get("/es/").content.decode()
    assert 'href="/es/mixco/"' in html and 'href="/es/patzun/"' in html


def test_english_guide_is_english(client):
    html = client.get("/en/mixco/").content.decode()
    assert '<html lang="en">' in html
    assert '<article class="guide" lang="en">' in html
    assert "Quick exit" in html
    assert "La versión en este idioma se está preparando" not in html


def test_incomplete_kaqchikel_guide_is_spanish_with_a_notice(client):
    response = client.get("/cak/mixco/")
    html = response.content.decode()
    spanish = client.get("/es/mixco/").content.decode()
    assert response.status_code == 200
    assert '<html lang="cak">' in html
    # The text is Spanish and labelled as Spanish, never as Kaqchikel.
    assert '<article class="guide" lang="es">' in html
    assert "La versión en este idioma se está preparando" in html
    assert sections_in(html) == sections_in(spanish)


def test_tab_title_is_the_discreet_title(client):
    from cms.models import GuidePage

    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    html = client.get("/es/mixco/").content.decode()
    assert f"<title>{guide.discreet_title}</title>" in html
    assert guide.place_name not in re.search(r"<title>(.*?)</title>", html).group(1)


def test_language_switcher_names_languages_in_their_own_language(client):
    html = client.get("/es/mixco/").content.decode()
    for code, name in [("es", "Español"), ("en", "English"), ("cak", "Kaqchikel")]:
        assert f'href="/{code}/mixco/" lang="{code}" hreflang="{code}"' in html
        assert f">{name}</a>" in html


def test_every_page_has_a_quick_exit_first(client):
    for url in ["/es/", "/en/mixco/", "/cak/patzun/", "/es/no-such-guide/"]:
        html = client.get(url).content.decode()
        body = html.split("<body>", 1)[1]
        assert re.search(r'<a class="quick-exit"[^>]*href="https://', body), url
        assert body.index('class="quick-exit"') < body.index("<main")


@pytest.mark.parametrize(
    "url, language, text",
    [
        ("/es/no-existe/", "es", "No encontramos esta página"),
        ("/en/no-such-guide/", "en", "We could not find this page"),
        ("/cak/no-such-guide/", "cak", "No encontramos esta página"),
        ("/es/mixco/no-such-part/", "es", "No encontramos esta página"),
    ],
)
def test_unknown_guide_is_a_404_page_in_the_right_language(client, url, language, text):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert text in html


def test_unknown_locale_prefix_is_a_404_not_a_redirect(client):
    response = client.get("/fr/mixco/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_anonymous_visits_set_no_cookies(client):
    for url in ["/es/", "/es/mixco/", "/cak/mixco/", "/es/nothing/"]:
        response = client.get(url)
        assert not response.cookies, (url, response.cookies)


def test_draft_changes_are_not_shown(client):
    from cms.models import GuidePage

    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    guide.summary = "Texto en borrador que nadie debe ver."
    guide.save_revision()
    assert "Texto en borrador" not in client.get("/es/mixco/").content.decode()


def test_missing_admin_url_is_a_404_not_a_redirect_into_a_locale(admin_client):
    assert admin_client.get("/admin/no-such-admin-page/").status_code == 404


def test_home_cards_show_big_pictograms_of_each_guides_topics(client):
    html = client.get("/es/").content.decode()
    card = html.split('href="/es/mixco/"', 1)[1].split("</a>", 1)[0]
    assert card.count('<svg class="pictogram"') >= 3
    assert 'aria-hidden="true"' in card  # decorative: the place and title say it in words
    assert '<span class="guide-place">Mixco</span>' in card


def test_guide_sections_have_a_pictogram_and_a_table_of_contents(client):
    html = client.get("/es/mixco/").content.decode()
    toc = html.split('class="toc"', 1)[1].split("</nav>", 1)[0]
    assert toc.count('<svg class="pictogram"') >= 8
    for section in re.findall(r'<section id="s-[0-9a-f-]{36}".*?</h2>', html, re.DOTALL):
        assert '<svg class="pictogram"' in section and 'role="img"' in section


def test_quick_exit_sits_alone_in_the_banner_before_anything_else(client):
    html = client.get("/es/mixco/").content.decode()
    body = html.split("<body>", 1)[1]
    first_link = re.search(r"<(a|button)\b[^>]*>", body).group(0)
    assert 'id="quick-exit"' in first_link
    assert body.strip().startswith('<header class="exit-bar">')
    assert 'data-exit-url="https://' in first_link
