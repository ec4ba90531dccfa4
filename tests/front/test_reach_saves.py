"""Reach in a real browser: a play and the front's "Guardar" each reach the server's daily
counts once, and the phone is told nothing and keeps nothing (audio/reach.py)."""

import time

import pytest

from .test_browser import GUIDE, wait_for_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def counted(page):
    from audio.models import ReachCount

    return {(r.kind, r.variant): r.count for r in ReachCount.objects.filter(page=page)}


def counted_once_sent(page, key, seconds=5.0):
    """The counts once ``key`` is in them: the server counts after sending, as it closes."""
    deadline = time.monotonic() + seconds
    while key not in counted(page) and time.monotonic() < deadline:
        time.sleep(0.05)
    return counted(page)


def test_a_play_and_a_save_for_offline_are_each_counted_once(phone, live_server, listening_site):
    page = phone.new_page()
    saving = []
    page.on("request", lambda r: saving.append(r.url) if "guardar=1" in r.url else None)
    page.goto(live_server.url + GUIDE)
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    page.click("#play-pause")  # pause
    assert counted_once_sent(listening_site, ("play", "listen"))[("play", "listen")] == 1

    page.click("#save-offline")
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)
    counts = counted_once_sent(listening_site, ("save", "listen"))
    assert counts[("save", "listen")] == 1
    assert counts[("play", "listen")] == 1, "saving is not a play"
    assert len(saving) == 1 and saving[0].split("?")[0].endswith(".mp3")

    # What was saved is found under the file's own address: it plays offline.
    phone.set_offline(True)
    page.reload()
    page.click("#play-pause")
    wait_for_time(page, 0.5)
    assert counted(listening_site)[("play", "listen")] == 1, "offline plays reach no one"
    assert phone.cookies() == [] and page.evaluate("document.cookie") == ""
