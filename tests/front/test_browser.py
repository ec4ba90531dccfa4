"""The listening page in a real browser (headless Chromium), as a listener uses it."""

import gzip
import re
from urllib.parse import urlparse

import pytest

from .conftest import FIRST, SECOND, THIRD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIDE = "/es/guia-de-prueba/"
BUDGET_BYTES = 40 * 1024


def audio_state(page):
    return page.evaluate(
        """() => { const a = document.getElementById('guide-audio');
                   return {paused: a.paused, time: a.currentTime, rate: a.playbackRate,
                           error: a.error && a.error.code}; }"""
    )


def wait_for_time(page, minimum, timeout=15000):
    page.wait_for_function(
        "t => document.getElementById('guide-audio').currentTime >= t", arg=minimum, timeout=timeout
    )


def lit_cues(page):
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.is-reading'))
                 .map(e => e.getAttribute('data-cue') || e.getAttribute('data-cues'))"""
    )


def section_start(page, section_id):
    return float(page.get_attribute(f'[data-section="{section_id}"]', "data-start"))


def tab_to(page, selector, limit=60):
    """Press Tab until ``selector`` has the focus; fails if it is not reachable."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"{selector} not reachable with the Tab key")


def test_axe_finds_no_violations_on_home_and_guide_in_every_language(phone, live_server, demo_site):
    from axe_playwright_python.sync_playwright import Axe

    page = phone.new_page()
    axe = Axe()
    reports = []
    for language in ["es", "en", "cak"]:
        for path in [f"/{language}/", f"/{language}/mixco/"]:
            page.goto(live_server.url + path)
            assert page.evaluate("document.documentElement.lang") == language
            if path.endswith("mixco/"):
                page.wait_for_selector("#player:not([hidden])")  # scanned with its JavaScript on
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"{path}:\n{results.generate_report()}")
    assert not reports, "\n".join(reports)


def test_keyboard_only_play_skip_speed_and_quick_exit(phone, live_server, listening_site, settings):
    settings.ALTAVOZ_QUICK_EXIT_URL = "https://neutral.example/"
    page = phone.new_page()
    page.route(
        "https://neutral.example/**",
        lambda route: route.fulfill(body="<title>Neutral</title>", content_type="text/html"),
    )
    page.goto(live_server.url + GUIDE)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit", (
        "quick exit is the first stop"
    )

    tab_to(page, "#play-pause")
    page.keyboard.press("Enter")
    wait_for_time(page, 0.5)
    assert not audio_state(page)["paused"]

    tab_to(page, "#next-section")
    page.keyboard.press("Enter")
    wait_for_time(page, section_start(page, FIRST))
    assert audio_state(page)["time"] < section_start(page, SECOND)
    page.keyboard.press("Enter")
    wait_for_time(page, section_start(page, SECOND))

    tab_to(page, '[data-rate="1.25"]')
    page.keyboard.press("Space")
    assert audio_state(page)["rate"] == 1.25
    assert page.get_attribute('[data-rate="1.25"]', "aria-pressed") == "true"

    tab_to(page, "#play-pause")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('guide-audio').paused")

    for _ in range(3):
        page.keyboard.press("Escape")
    page.wait_for_url("https://neutral.example/")


def test_quick_exit_replaces_the_history_entry(phone, live_server, listening_site, settings):
    settings.ALTAVOZ_QUICK_EXIT_URL = "https://neutral.example/"
    page = phone.new_page()
    page.route(
        "https://neutral.example/**",
        lambda route: route.fulfill(body="<title>Neutral</title>", content_type="text/html"),
    )
    page.goto(live_server.url + "/es/")
    page.goto(live_server.url + GUIDE)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("https://neutral.example/")
    page.go_back()
    assert page.url == live_server.url + "/es/", "back must not return to the guide"


def test_highlight_follows_playback_and_stays_in_view(phone, live_server, listening_site):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.click("#play-pause")
    page.wait_for_function("() => document.querySelector('[data-cue=\"intro-0\"].is-reading')")
    assert page.text_content(".is-reading") == "Guía de prueba"

    # A plain paragraph: one sentence lit at a time.
    page.click(f'[data-section="{SECOND}"] .section-play')
    page.wait_for_function(
        f"() => document.querySelector('[data-cue=\"{SECOND}-1\"].is-reading')", timeout=20000
    )
    assert lit_cues(page) == [f"{SECOND}-1"]
    assert page.text_content(".is-reading") == "Vaya al centro de salud."
    # The scroll glides (smooth), so wait for it to arrive rather than read it mid-way.
    page.wait_for_function(
        "() => { const r = document.querySelector('.is-reading').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=5000,
    )
    assert "is-current" in page.get_attribute(f'[data-section="{SECOND}"]', "class")
    assert "Salud" in page.text_content("#now-playing")

    # A paragraph with a line break (inline markup): the whole block lights up.
    page.click(f'[data-section="{THIRD}"] .section-play')
    page.wait_for_function(
        f"() => document.querySelector('[data-cues~=\"{THIRD}-1\"].is-reading')", timeout=20000
    )
    assert page.evaluate("document.querySelector('.is-reading').tagName") == "P"


def test_resume_where_the_listener_left_off_after_reload(phone, live_server, listening_site):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    start = section_start(page, SECOND)
    page.click(f'[data-section="{SECOND}"] .section-play')
    wait_for_time(page, start + 0.5)
    page.click("#play-pause")  # pause: the position is kept
    page.wait_for_function("() => document.getElementById('guide-audio').paused")
    left_at = audio_state(page)["time"]

    page.reload()
    page.wait_for_selector("#player:not([hidden])")
    assert audio_state(page)["time"] == 0
    assert "Salud" in page.text_content("#now-playing")
    page.click("#play-pause")
    wait_for_time(page, left_at)
    assert audio_state(page)["time"] < left_at + 5
    assert not phone.cookies()


def test_lock_screen_shows_only_the_discreet_title(phone, live_server, listening_site):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.click("#play-pause")
    wait_for_time(page, 0.2)
    # What a lock screen or notification shows: anyone near the phone may read it.
    metadata = page.evaluate(
        """() => { const m = navigator.mediaSession.metadata;
                   return m && {title: m.title, artist: m.artist, album: m.album}; }"""
    )
    assert metadata == {"title": listening_site.discreet_title, "artist": "", "album": ""}
    assert listening_site.title not in page.title()


def test_saved_guide_opens_and_plays_offline(phone, live_server, listening_site):
    from audio.models import Rendition

    listen = Rendition.objects.get(page=listening_site, variant="listen", state="live")
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    size = page.text_content(".save-size")
    assert re.fullmatch(r"\d+ KB|\d+\.\d MB", size), "the button says what saving costs"
    page.click("#save-offline")
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)

    phone.set_offline(True)
    page.reload()
    assert page.text_content("h1").strip() == "Guía de prueba"
    assert page.title() == "Apuntes"
    audio_responses = []
    page.on("response", lambda r: audio_responses.append(r) if listen.audio.url in r.url else None)
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    page.click("#next-section")
    wait_for_time(page, section_start(page, FIRST) + 0.5)
    assert audio_state(page)["error"] is None
    assert any(r.status == 206 and r.from_service_worker for r in audio_responses), (
        "cached audio served by range"
    )

    phone.set_offline(False)
    page.click("#delete-offline")
    page.wait_for_selector("#save-offline:not([hidden])")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_a_visit_talks_only_to_our_origin_and_sets_no_cookie(phone, live_server, demo_site):
    requests = []
    phone.on("request", lambda request: requests.append(request.url))
    page = phone.new_page()
    page.goto(live_server.url + "/es/")
    page.click(f'a[href="{GUIDE}"]')
    page.wait_for_selector("#player:not([hidden])")
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    page.click("#save-offline")
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)
    page.goto(live_server.url + "/cak/mixco/")
    page.goto(live_server.url + "/en/mixco/")

    origin = urlparse(live_server.url)
    others = [
        url for url in requests if urlparse(url)[:2] != origin[:2] and not url.startswith("data:")
    ]
    assert requests and not others, others
    assert phone.cookies() == []
    assert page.evaluate("document.cookie") == ""


def test_the_player_works_under_the_security_headers_without_a_violation(
    phone, live_server, listening_site
):
    """The CSP and the Permissions-Policy are headers now: they block nothing the player does."""
    page = phone.new_page()
    page.add_init_script(
        "window.violations = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(live_server.url + GUIDE)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "web-share=(self)" in response.headers["permissions-policy"]
    page.click("#play-pause")
    wait_for_time(page, 1.0)
    page.click("#save-offline")  # registers the service worker, fills the cache
    page.wait_for_selector("#delete-offline:not([hidden])", timeout=20000)
    page.click(f'[data-section="{SECOND}"] .section-play')
    wait_for_time(page, section_start(page, SECOND) + 0.5, timeout=20000)
    assert audio_state(page)["error"] is None
    assert page.evaluate("window.violations") == []


def test_audio_is_served_in_ranges_to_the_browser(phone, live_server, listening_site):
    from audio.models import Rendition

    listen = Rendition.objects.get(page=listening_site, variant="listen", state="live")
    data = listen.audio.read()
    page = phone.new_page()
    media = []
    page.on("response", lambda r: media.append(r) if "/media/" in r.url else None)
    page.goto(live_server.url + GUIDE)
    got = page.evaluate(
        """async url => { const r = await fetch(url, {headers: {Range: 'bytes=100-1123'}});
                         return {status: r.status, range: r.headers.get('Content-Range'),
                                 type: r.headers.get('Content-Type'),
                                 bytes: Array.from(new Uint8Array(await r.arrayBuffer()))}; }""",
        listen.audio.url,
    )
    assert got["status"] == 206
    assert got["range"] == f"bytes 100-1123/{len(data)}"
    assert got["type"] == "audio/mpeg"
    assert bytes(got["bytes"]) == data[100:1124]

    page.click("#play-pause")
    wait_for_time(page, 0.5)
    players = [
        r for r in media if r.url.endswith(listen.audio.url) and r.request.headers.get("range")
    ]
    assert players and all(r.status == 206 for r in players)


def test_page_weight_before_audio_is_under_budget(phone, live_server, demo_site):
    """HTML + CSS + JS of the longest guide, as a gzip-ing server sends them: ≤ 40 KB.

    Responses the server already compressed count as sent; others are counted
    gzip-compressed (level 6, what nginx or Caddy would send); the embedded
    development server sends them as they are.
    """
    responses = []
    phone.on("response", lambda r: responses.append(r))
    page = phone.new_page()
    page.goto(live_server.url + "/es/mixco/")
    page.wait_for_selector("#player:not([hidden])")
    page.wait_for_load_state("networkidle")

    assert not [r.url for r in responses if "/media/" in r.url], (
        "no audio (or captions) before the listener asks"
    )
    weights = {}
    for response in responses:
        kind = response.request.resource_type
        assert kind in {"document", "stylesheet", "script"}, (kind, response.url)
        body = response.body()
        if response.headers.get("content-encoding"):
            weights[response.url] = response.request.sizes()["responseBodySize"]
        else:
            weights[response.url] = len(gzip.compress(body, compresslevel=6))
    total = sum(weights.values())
    assert {r.request.resource_type for r in responses} == {"document", "stylesheet", "script"}
    assert total <= BUDGET_BYTES, weights


def test_low_data_choice_switches_to_the_small_file_and_is_remembered(
    phone, live_server, listening_site
):
    from audio.models import Rendition

    low = Rendition.objects.get(page=listening_site, variant="lowdata", state="live")
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.click("#lowdata-toggle")
    assert page.get_attribute("#guide-audio", "src") == low.audio.url
    assert page.text_content(".save-size") in page.text_content("#lowdata-toggle")
    page.reload()
    page.wait_for_selector("#player:not([hidden])")
    assert page.get_attribute("#guide-audio", "src") == low.audio.url
    page.click("#play-pause")
    wait_for_time(page, 0.5)


def test_everything_essential_works_without_javascript(browser, live_server, listening_site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + GUIDE)
    assert page.is_visible("#guide-audio")
    assert page.is_hidden("#player") and page.is_hidden("#keep")
    assert page.locator(".section-audio audio").count() == 3
    assert page.locator(".downloads a").count() == 2
    page.click("#lowdata-toggle")
    assert "datos=ahorro" in page.url
    assert "lowdata" in page.get_attribute("#guide-audio", "src")
    context.close()


def test_share_falls_back_to_copying_the_link(phone, live_server, listening_site):
    phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    # Headless Chromium on Linux has no share sheet: the link is copied instead.
    page.evaluate(
        "() => { delete Navigator.prototype.share; delete Navigator.prototype.canShare; }"
    )
    # Our pages may write the clipboard but not read it (Permissions-Policy): note what was written.
    page.evaluate("""() => {
        const write = navigator.clipboard.writeText.bind(navigator.clipboard);
        navigator.clipboard.writeText = (text) =>
            write(text).then(() => { window.copiedText = text; });
    }""")
    page.click("#share")
    page.wait_for_function("() => document.getElementById('keep-status').textContent.length > 0")
    assert page.text_content("#keep-status").startswith("Enlace copiado.")
    assert page.evaluate("window.copiedText") == live_server.url + GUIDE
    assert "permissions policy" in page.evaluate(
        "navigator.clipboard.readText().then(() => '', (e) => e.message)"
    )


def test_share_sends_the_audio_file_where_the_phone_can(phone, live_server, listening_site):
    page = phone.new_page()
    page.goto(live_server.url + GUIDE)
    page.evaluate(
        """() => { window.shared = null;
                   navigator.canShare = data => !!(data && data.files);
                   navigator.share = data => {
                       window.shared = {title: data.title, text: data.text,
                                        names: data.files.map(f => f.name),
                                        sizes: data.files.map(f => f.size)};
                       return Promise.resolve();
                   }; }"""
    )
    page.click("#share")
    page.wait_for_function("() => window.shared")
    shared = page.evaluate("window.shared")
    assert shared["title"] == "Apuntes"
    assert shared["names"] == ["apuntes.mp3"] and shared["sizes"][0] > 1000
    assert shared["text"] == live_server.url + GUIDE


def test_big_type_big_targets_one_column_on_a_small_phone(phone, live_server, demo_site):
    page = phone.new_page()
    for path in ["/es/", "/es/mixco/", GUIDE]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (
            f"{path} scrolls sideways"
        )
        # Links inside running text are exempt (WCAG 2.5.8); every other control is ≥ 48×48 px.
        small = page.evaluate(
            """() => Array.from(document.querySelectorAll('a, button'))
                 .filter(e => e.getClientRects().length
                              && !e.closest('.body, .summary, .key-point'))
                 .map(e => { const r = e.getBoundingClientRect();
                             return [e.outerHTML.slice(0, 90),
                                     Math.round(r.width), Math.round(r.height)]; })
                 .filter(([, w, h]) => w < 48 || h < 48)"""
        )
        assert small == [], (path, small)


# --- Tap to sound (issue #16): what a play asks of the network before the first sound ---

# Set in the page before its scripts: when the audio started playing (a capturing
# listener on the document hears it before the player's own) and first moved (polled).
FIRST_SOUND_PROBE = """
document.addEventListener('playing', () => {
  window.playingAt = window.playingAt || Date.now();
}, true);
const poll = setInterval(() => {
  const audio = document.getElementById('guide-audio');
  if (audio && audio.currentTime > 0) { window.soundAt = Date.now(); clearInterval(poll); }
}, 5);
"""


def play_and_log_requests(page, url):
    """Tap play on `url` and wait for the sound; returns (requests with their start times in
    ms, when it started playing)."""
    page.add_init_script(FIRST_SOUND_PROBE)
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(url)
    page.wait_for_selector("#player:not([hidden])")
    page.click("#play-pause")
    page.wait_for_function("() => window.soundAt")
    wait_for_time(page, 1.0)
    page.wait_for_function(
        "() => document.getElementById('guide-audio').textTracks[0].cues"
        " && document.getElementById('guide-audio').textTracks[0].cues.length"
    )
    return [(r, r.timing["startTime"]) for r in requests], page.evaluate("window.playingAt")


@pytest.mark.parametrize("query, variant", [("", "listen"), ("?datos=ahorro", "lowdata")])
def test_a_play_asks_only_for_the_first_bytes_of_audio_and_captions_wait_for_the_sound(
    phone, live_server, listening_site, query, variant
):
    from audio.models import Rendition

    rendition = Rendition.objects.get(page=listening_site, variant=variant, state="live")
    page = phone.new_page()
    logged, playing_at = play_and_log_requests(page, live_server.url + GUIDE + query)

    audio = [(r, t) for r, t in logged if r.url.endswith(rendition.audio.url)]
    # 'playing' is the first sound; stream.js sends its second request once it sees the time
    # move, which a poll in the page (soundAt) may notice later than it on a busy machine.
    before_sound = [r for r, t in audio if t < playing_at]
    assert before_sound, "the sound came from this variant's file"
    for request in before_sound:
        first, _, last = request.headers["range"].removeprefix("bytes=").partition("-")
        # One small request from the start: never the end of the file (Ogg's duration), never all of
        # it.
        assert int(first) == 0 and last and int(last) < 16 * 1024, request.headers["range"]
    captions = [t for r, t in logged if r.url.endswith(rendition.captions.url)]
    assert captions, "the captions load once it plays (sentence highlighting)"
    assert min(captions) >= playing_at, "no caption request before the first sound"
    assert page.evaluate("document.getElementById('guide-audio').src").startswith(
        "blob:"
    )  # fed by stream.js
    assert audio_state(page)["error"] is None


def test_the_low_data_file_plays_a_section_from_its_byte_offset(phone, live_server, listening_site):
    from audio.models import Rendition

    low = Rendition.objects.get(page=listening_site, variant="lowdata", state="live")
    offsets = {s["id"]: s["offset"] for s in low.sections}
    page = phone.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith(low.audio.url) else None)
    page.goto(live_server.url + GUIDE + "?datos=ahorro")
    page.click(f'[data-section="{THIRD}"] .section-play')
    wait_for_time(page, section_start(page, THIRD) + 0.5)
    ranges = [r.headers.get("range", "") for r in requests]
    assert any(r.startswith(f"bytes={offsets[THIRD]}-") for r in ranges), ranges
    assert audio_state(page)["error"] is None


def test_without_media_source_the_plain_audio_element_plays(phone, live_server, listening_site):
    page = phone.new_page()
    page.add_init_script("delete window.MediaSource; delete window.ManagedMediaSource;")
    page.goto(live_server.url + GUIDE + "?datos=ahorro")
    page.click("#play-pause")
    wait_for_time(page, 0.5)
    assert page.evaluate("document.getElementById('guide-audio').src").endswith(".webm")
