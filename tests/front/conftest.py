"""Listening-front fixtures: guides with real audio, and headless Chromium.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright;
``playwright install`` is never used. Without Chromium they are skipped, and the
reason shows in the test summary, unless ``ALTAVOZ_REQUIRE_BROWSER=1`` (CI), which
turns a missing browser into a failure.
"""

import os
import shutil

import pytest

from tests.audio.fixtures import borrow_audio

CHROMIUM = os.environ.get("ALTAVOZ_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1}
# Sections of TEST_GUIDE (block ids), in order.
FIRST, SECOND, THIRD, EMPTY = (
    "aaaaaaaa-0000-4000-8000-000000000001",
    "aaaaaaaa-0000-4000-8000-000000000002",
    "aaaaaaaa-0000-4000-8000-000000000003",
    "aaaaaaaa-0000-4000-8000-000000000004",
)
TEST_GUIDE = {
    "title": "Guía de prueba",
    "slug": "guia-de-prueba",
    "place_name": "Mixco",
    "department": "Guatemala",
    "summary": "Una guía corta para probar la página. Tiene tres partes.",
    "last_reviewed": "2026-11-01",
    "discreet_title": "Apuntes",
    "sections": [
        {
            "type": "section",
            "id": FIRST,
            "value": {
                "heading": "¿Qué hay aquí?",
                "key_point": "Lo más importante va primero.",
                "pictogram": "info",
                "body": "<p>Esta es la <b>primera</b> parte. Tiene dos frases.</p>"
                "<ul><li>Un punto</li>"
                '<li>Otro punto con <a href="https://example.org/">un enlace</a>.</li></ul>',
            },
        },
        {
            "type": "section",
            "id": SECOND,
            "value": {
                "heading": "Salud",
                "key_point": "",
                "pictogram": "health",
                "body": (
                    "<p>Vaya al centro de salud. Pregunte con confianza.</p>"
                    "<p>Lleve su documento.</p>"
                ),
            },
        },
        {
            "type": "section",
            "id": THIRD,
            "value": {
                "heading": "Seguridad",
                "key_point": "",
                "pictogram": "safety",
                "body": "<p>Cuide su seguridad.<br/>Avise a una amiga.</p>",
            },
        },
        {
            "type": "section",
            "id": EMPTY,
            "value": {"heading": "Vacía", "key_point": "", "pictogram": "", "body": "<p> </p>"},
        },
    ],
}


def add_test_guide(home=None, **changes):
    """Publish TEST_GUIDE (with ``changes``) under the Spanish home."""
    from cms.models import GuidePage, HomePage

    home = home or HomePage.objects.get(locale__language_code="es")
    guide = home.add_child(instance=GuidePage(**{**TEST_GUIDE, **changes}))
    guide.save_revision().publish()
    return guide


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, without Django's own handler for /media/.

    Django's test server answers /media/ itself, with no Range support; here,
    as under ``make demo``, /media/ reaches ``audio.serving`` (206 Partial Content).
    """
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    static_handler = server.thread.static_handler
    server.thread.static_handler = lambda media_handler: static_handler(media_handler.application)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def test_guide(db):
    return add_test_guide()


@pytest.fixture
def listening_site(live_server):
    """A Spanish home and TEST_GUIDE with real audio, served by the live server.

    Browser tests are transactional (the live server is another thread), and
    the database is emptied after each one: every test builds its own site.
    """
    from audio.jobs import run_job
    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home, _ = ensure_home_page("Guías para escuchar")
    guide = add_test_guide(home)
    run_job(guide.pk)
    return guide


@pytest.fixture
def demo_site(live_server):
    """The demo content (homes and guides in es, en, cak) plus TEST_GUIDE with real audio;
    the Spanish Mixco guide plays TEST_GUIDE's files (see borrow_audio)."""
    from audio.jobs import run_job
    from cms.demo.loader import load_demo
    from cms.models import GuidePage

    load_demo()
    guide = add_test_guide()
    run_job(guide.pk)
    borrow_audio(GuidePage.objects.get(slug="mixco", locale__language_code="es"), guide)
    return guide


def browser_missing():
    """Why browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install '.[test]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


SKIPPED = []


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium, fresh for each test."""
    reason = browser_missing()
    if reason:
        if os.environ.get("ALTAVOZ_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"Browser tests are required here (ALTAVOZ_REQUIRE_BROWSER=1) but {reason}."
            )
        SKIPPED.append(reason)
        pytest.skip(f"browser test skipped: {reason}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which
    # Django takes for async code; the ORM calls in these tests are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # While Playwright runs, the ORM gets a connection of its own (another
    # context): close ours before and that one after, or PostgreSQL refuses to
    # drop the test database at the end ("being accessed by other users").
    connections.close_all()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.fixture
def phone(browser):
    """A 360×740 browser context (a small Android phone)."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def pytest_terminal_summary(terminalreporter):
    if SKIPPED:
        terminalreporter.write_sep(
            "=", f"BROWSER TESTS SKIPPED ({len(SKIPPED)}): {SKIPPED[0]}", yellow=True, bold=True
        )
