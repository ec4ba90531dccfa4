"""Saved guides refresh themselves (issue #14), in Chromium as a listener uses them: a guide
saved for offline listening, edited while the phone was offline, is replaced by its new
version when she opens it online again, downloading only what changed; an unpublished
guide's copy says so and can be deleted; a refresh cut off midway keeps the old copy."""

import copy

import pytest

from cms.views import OFFLINE_CACHE
from tests.audio.fixtures import live

from .conftest import SECOND
from .test_browser import GUIDE, wait_for_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_BODY = "<p>Vaya al centro de salud de la zona tres. Llegue temprano.</p>"
NEW_WORDS = "zona tres"


def cached(page):
    """The paths (and queries) the offline cache holds."""
    return page.evaluate(
        """async (name) => {
             const cache = await caches.open(name);
             return (await cache.keys()).map(r => new URL(r.url).pathname + new URL(r.url).search);
           }""",
        OFFLINE_CACHE,
    )


def cached_text(page, path):
    return page.evaluate(
        """async ([name, path]) => {
             const hit = await (await caches.open(name)).match(path);
             return hit ? await hit.text() : null;
           }""",
        [OFFLINE_CACHE, path],
    )


def save_then_go_offline(phone, live_server):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.wait_for_selector("#save-offline:not([hidden])")
    page.wait_for_timeout(300)
    assert page.evaluate("caches.keys()") == [], "a phone that saved nothing keeps nothing"
    page.click("#save-offline")
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)
    phone.set_offline(True)
    page.reload()  # the saved copy
    page.wait_for_selector("#delete-offline:not([hidden])")
    return page


def publish_an_edit_of_the_second_section(guide):
    """The editor publishes, the worker's job makes the new audio live (espeak)."""
    from audio.jobs import run_job

    # A copy: the guide's raw blocks are TEST_GUIDE's own dicts, which later tests build from.
    sections = copy.deepcopy(guide.sections.get_prep_value())
    sections[1]["value"]["body"] = NEW_BODY
    guide.sections = sections
    guide.save_revision().publish()
    run_job(guide.pk)


def media_paths(renditions, variant):
    rendition = renditions[variant]
    return rendition.audio.url, rendition.captions.url


def test_a_saved_guide_comes_back_online_as_its_new_version_fetching_only_what_changed(
    phone, live_server, listening_site
):
    before = live(listening_site)
    page = save_then_go_offline(phone, live_server)
    old_audio, old_captions = media_paths(before, "listen")
    assert {GUIDE, old_audio, old_captions} <= set(cached(page))

    publish_an_edit_of_the_second_section(listening_site)
    after = live(listening_site)
    new_audio, new_captions = media_paths(after, "listen")
    assert new_audio != old_audio

    requests = []
    phone.on("request", lambda r: requests.append(r.url.replace(live_server.url, "")))
    phone.set_offline(False)
    page.goto(live_server.url + GUIDE)
    page.wait_for_selector("#saved-update:not([hidden])", timeout=30000)
    said = page.text_content("#saved-update")
    assert said.startswith("Actualizada el "), said
    assert "sección «Salud» cambió" in said
    page.wait_for_selector("#delete-offline:not([hidden])")  # she sees it is saved
    assert page.text_content("#keep-status").startswith("Guardada en este teléfono")

    # The saved copy is the new one, and what it replaced is gone.
    holds = set(cached(page))
    assert {GUIDE, new_audio, new_captions} <= holds
    assert not {old_audio, old_captions} & holds
    assert NEW_WORDS in cached_text(page, GUIDE)
    # Only what changed was fetched: the new audio of the saved variant (not counted as a
    # play or a save) and its captions; never the low-data file, nothing of the old copy.
    media = [url for url in requests if url.startswith("/media/")]
    assert media.count(new_audio + "?actualizar=1") == 1, media
    assert new_captions in media
    lowdata_audio, _ = media_paths(after, "lowdata")
    assert not [url for url in media if url.startswith((lowdata_audio, old_audio))], media
    assert not [url for url in requests if "guardar=1" in url]

    # Offline, the new version opens and plays.
    phone.set_offline(True)
    page.reload()
    assert NEW_WORDS in page.text_content(f'[data-section="{SECOND}"]')
    # The note comes from the saved record, read after the page has loaded.
    page.wait_for_selector("#saved-update:not([hidden])")
    assert page.text_content("#saved-update").startswith("Actualizada el ")
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    assert page.evaluate("document.getElementById('guide-audio').error") is None


def wait_until_saved(page, path, seconds=30):
    for _ in range(int(seconds * 5)):
        if path in cached(page):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{path} never saved: {cached(page)}")


def test_the_worker_refreshes_saved_guides_when_any_page_opens_online(
    phone, live_server, listening_site
):
    """She does not open the guide itself: the home page, online, is enough."""
    old_audio, _ = media_paths(live(listening_site), "listen")
    page = save_then_go_offline(phone, live_server)
    page.goto("about:blank")  # no guide page open: only the worker can refresh
    publish_an_edit_of_the_second_section(listening_site)
    new_audio, new_captions = media_paths(live(listening_site), "listen")
    phone.set_offline(False)
    page.goto(live_server.url + "/es/")
    assert page.evaluate("document.querySelector('script[src$=\"listen.js\"]')") is None
    wait_until_saved(page, new_audio)
    assert new_captions in cached(page) and old_audio not in cached(page)

    phone.set_offline(True)
    page.goto(live_server.url + GUIDE)
    assert NEW_WORDS in page.text_content(f'[data-section="{SECOND}"]')
    page.wait_for_selector("#saved-update:not([hidden])")
    assert "sección «Salud» cambió" in page.text_content("#saved-update")


def test_a_guide_saved_in_low_data_refreshes_only_its_low_data_file(
    phone, live_server, listening_site
):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.click("#lowdata-toggle")
    page.click("#save-offline")
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)
    phone.set_offline(True)
    page.goto("about:blank")
    publish_an_edit_of_the_second_section(listening_site)
    after = live(listening_site)
    new_lowdata, listen = after["lowdata"].audio.url, after["listen"].audio.url

    requests = []
    phone.on("request", lambda r: requests.append(r.url.replace(live_server.url, "")))
    phone.set_offline(False)
    page.goto(live_server.url + GUIDE)
    page.wait_for_selector("#saved-update:not([hidden])", timeout=30000)
    holds = cached(page)
    assert new_lowdata in holds and listen not in holds
    assert [url for url in requests if "actualizar=1" in url] == [new_lowdata + "?actualizar=1"]
    assert not [url for url in requests if url.startswith(listen)]


def test_an_unpublished_guides_saved_copy_says_so_and_can_be_deleted(
    phone, live_server, listening_site
):
    page = save_then_go_offline(phone, live_server)
    listening_site.unpublish()
    phone.set_offline(False)
    page.goto(live_server.url + GUIDE)  # the server says 404: the saved copy opens
    page.wait_for_selector("#saved-update:not([hidden])", timeout=30000)
    assert "ya no está publicada" in page.text_content("#saved-update")
    assert page.text_content("h1").strip() == "Guía de prueba"
    page.click("#delete-offline")
    page.wait_for_selector("#save-offline:not([hidden])")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_a_refresh_cut_off_midway_keeps_the_old_copy_whole_and_playable(
    phone, live_server, listening_site
):
    before = live(listening_site)
    old_audio, old_captions = media_paths(before, "listen")
    page = save_then_go_offline(phone, live_server)
    publish_an_edit_of_the_second_section(listening_site)
    new_audio, _ = media_paths(live(listening_site), "listen")

    cut = []

    def connection_drops(route):
        cut.append(route.request.url)
        route.abort("internetdisconnected")

    # The route covers the page's and the worker's requests alike (whichever refreshes).
    phone.route(lambda url: "actualizar=1" in url, connection_drops)
    seen = []
    phone.on("request", lambda r: seen.append((r.url, bool(r.service_worker))))
    phone.set_offline(False)
    page.goto(live_server.url + GUIDE)
    for _ in range(100):
        if cut:
            break
        page.wait_for_timeout(200)
    assert cut and new_audio in cut[0], [url for url, _ in seen if "/media/" in url]
    page.wait_for_function(
        "() => navigator.locks.query().then(s => !s.held.length && !s.pending.length)"
    )  # the refresh gave up

    holds = set(cached(page))
    assert {GUIDE, old_audio, old_captions} <= holds
    assert new_audio not in holds
    assert NEW_WORDS not in cached_text(page, GUIDE)

    phone.set_offline(True)
    page.reload()
    assert NEW_WORDS not in page.text_content(f'[data-section="{SECOND}"]')
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    assert page.evaluate("document.getElementById('guide-audio').error") is None


def test_a_guide_whose_address_changed_stays_saved_where_she_saved_it(
    phone, live_server, listening_site
):
    from audio.jobs import run_job

    page = save_then_go_offline(phone, live_server)
    sections = copy.deepcopy(listening_site.sections.get_prep_value())
    sections[1]["value"]["body"] = NEW_BODY
    listening_site.sections = sections
    listening_site.slug = "guia-de-prueba-nueva"
    listening_site.save_revision().publish()
    run_job(listening_site.pk)

    phone.set_offline(False)
    page.goto(live_server.url + "/es/guia-de-prueba-nueva/")
    page.wait_for_selector("#saved-update:not([hidden])", timeout=30000)
    assert {GUIDE, "/es/guia-de-prueba-nueva/"} <= set(cached(page))

    phone.set_offline(True)
    page.goto(live_server.url + GUIDE)  # her history, her link: the old address
    assert NEW_WORDS in page.text_content(f'[data-section="{SECOND}"]')
    page.click("#delete-offline")
    page.wait_for_selector("#save-offline:not([hidden])")
    assert page.evaluate("caches.keys()") == []
