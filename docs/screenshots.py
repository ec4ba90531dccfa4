"""The README's phone-sized screenshots (360×740), taken from a running demo.

    make demo                                   # in one terminal (two-factor sign-in off)
    .venv/bin/python docs/screenshots.py        # in another; writes docs/screenshot-*.png
    .venv/bin/python docs/screenshots.py --base http://127.0.0.1:8101 --only admin-home

Debian's Chromium through Playwright, as the browser tests (``playwright install`` is never
used). The demo's admin account signs in with its password (``make demo`` turns the second
factor off); nothing is changed in the demo.
"""

import argparse
import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path

import django
from playwright.sync_api import sync_playwright

# The demo account's name and password, from the one place that sets them (needs Django).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django.setup()
from cms.management.commands.load_demo import DEMO_ADMIN  # noqa: E402

DOCS = Path(__file__).resolve().parent
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1}


def guide_id(base, slug="mixco", language="es"):
    """A demo guide's page id, from the public API."""
    url = f"{base}/api/v2/guides/?locale={language}&slug={slug}"
    with urllib.request.urlopen(url) as response:
        return json.load(response)["items"][0]["id"]


def shots(base):
    """(file name, URL, CSS selector to scroll into view or None), for the README."""
    page_id, kaqchikel_id = guide_id(base), guide_id(base, language="cak")
    return [
        ("admin-home", f"{base}/admin/", None),
        ("admin-studio", f"{base}/admin/audio/studio/{kaqchikel_id}/", None),
        ("admin-audio-tab", f"{base}/admin/pages/{page_id}/edit/#tab-audio", None),
        ("admin-history", f"{base}/admin/pages/{page_id}/history/", None),
        ("admin-reach", f"{base}/admin/audio/report/", "#reach-heading"),
    ]


def sign_in(page, base):
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", DEMO_ADMIN[0])
    page.fill("input[name=password]", DEMO_ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/**")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--only", help="one screenshot by name, e.g. admin-home")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_context(**PHONE).new_page()
        sign_in(page, args.base)
        for name, url, selector in shots(args.base):
            if args.only and name != args.only:
                continue
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if selector and page.locator(selector).count():
                page.locator(selector).first.scroll_into_view_if_needed()
            target = DOCS / f"screenshot-{name}-360x740.png"
            page.screenshot(path=str(target))
            print(target.relative_to(DOCS.parent))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
