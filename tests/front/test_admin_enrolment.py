"""Two-factor enrolment in a real browser (headless Chromium), as a new editor does it at first
sign-in."""

from base64 import b32decode
from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_editor(live_server):
    from django.contrib.auth import get_user_model

    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    ensure_home_page("Guías para escuchar")
    return get_user_model().objects.create_superuser(
        "nueva", "nueva@example.invalid", "una clave larga"
    )


def test_first_sign_in_enrols_an_authenticator_then_opens_the_admin(
    browser, live_server, new_editor
):
    context = browser.new_context()
    page = context.new_page()
    origins = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "nueva")
    page.fill("#id_password", "una clave larga")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/two-factor/enrol/**")
    assert page.locator("[data-totp-qr] svg").count() == 1

    # What a person types into the app, read off the page, gives the code the app would show.
    secret = page.inner_text("[data-totp-secret]").replace(" ", "")
    code = f"{totp(b32decode(secret + '=' * (-len(secret) % 8))):06d}"
    page.fill("#id_token", code)
    page.click("main form button[type=submit] >> nth=0")
    page.wait_for_selector("[data-recovery-codes]")
    assert page.locator("[data-recovery-codes] li").count() == 10

    page.click("[data-continue]")
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator("#wagtail-sidebar, [data-side-panel], .sidebar").count() >= 1
    assert origins == {
        urlsplit(live_server.url).netloc
    }  # the QR code and the key never leave the server
    context.close()
