"""Hear before publishing, in a real browser (headless Chromium): the page editor's "Escuchar"
plays a section as it stands in the form, unsaved edit included (issue #14, part 1)."""

import pytest
from django.conf import settings
from django.test import Client

from tests.signing_in import sign_in

from .conftest import FIRST, add_test_guide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def guide_and_editor(live_server):
    from django.contrib.auth import get_user_model

    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home, _ = ensure_home_page("Guías para escuchar")
    guide = add_test_guide(home)
    editor = get_user_model().objects.create_superuser("editora", "e@example.invalid", "pw")
    return guide, editor


def signed_in_context(browser, live_server, user):
    """A browser context holding the session of a full sign-in (password and second factor)."""
    client = sign_in(Client(), user)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def test_listen_in_the_page_editor_plays_the_unsaved_section(
    browser, live_server, guide_and_editor, synth_calls
):
    guide, editor = guide_and_editor
    context = signed_in_context(browser, live_server, editor)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/pages/{guide.pk}/edit/")

    section = page.locator(f'[data-contentpath="{FIRST}"]')
    section.locator("input[name$='-value-heading']").fill("¿Qué hay aquí, ahora mismo?")
    section.locator("[data-altavoz-listen-button]").click()

    player = section.locator("[data-altavoz-listen-player]")
    player.wait_for(timeout=30_000)
    page.wait_for_function(
        "el => !el.paused && el.currentTime > 0 && el.duration > 1",
        arg=player.element_handle(),
        timeout=15_000,
    )
    assert "ahora mismo" in section.locator("[data-altavoz-listen-result]").inner_text()
    assert "¿Qué hay aquí, ahora mismo?" in synth_calls  # unsaved, yet read
    assert page.locator("[data-altavoz-listen=intro] [data-altavoz-listen-button]").count() == 1
    context.close()
