"""The Google TTS engine, against faked Google replies: no network, no real sleeping.

Replies are built in exactly the shape gTTS parses, around a real MP3 made with
PyAV, and served by a transport adapter mounted on the engine's session.
`test_fake_reply_is_what_gtts_itself_parses` proves the fake is faithful by
feeding the same replies to gTTS's own `stream()`.
"""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
import requests
from gtts import gTTS, gTTSError

from audio.engines import EngineReplyError, EngineUnavailable, SpeechAudio, engine_names, get_engine
from audio.engines import gtts as gtts_module
from audio.engines.gtts import GoogleTTSEngine, extract_reply_audio
from audio.engines.throttle import TokenBucket

from .fake_google import (
    GOOGLE_URL,
    ScriptedAdapter,
    audio_reply,
    decoded_seconds,
    google_reply,
    make_response,
    session_with,
    sine_mp3,
    status_reply,
)

SHORT_TEXT = "Hola, ¿cómo estás?"
# 169 characters: gTTS sends it as 3 requests.
LONG_TEXT = (
    "La reducción de daños busca que las personas que usan drogas lo hagan con menos "
    "riesgos. Nunca consumas solo, ten naloxona a la mano y pide ayuda si alguien no responde."
)


def make_engine(adapter: ScriptedAdapter, sleeps: list | None = None, **options) -> GoogleTTSEngine:
    """An engine on `adapter`; waits go to `sleeps`. A high rate keeps the rate
    limiter out of tests that are not about it."""
    options.setdefault("requests_per_second", 1000.0)
    return GoogleTTSEngine(
        session=session_with(adapter),
        sleep=(sleeps if sleeps is not None else []).append,
        **options,
    )


def wait_until(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until true or `timeout`; for observing other threads."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.001)
    return True


# --- Audio comes back -------------------------------------------------------------------


def test_short_text_comes_back_as_decodable_mp3(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    adapter = ScriptedAdapter(audio_reply(sine_mp3()))
    sleeps = []

    audio = make_engine(adapter, sleeps).synthesize(SHORT_TEXT)

    assert audio == SpeechAudio(data=sine_mp3(), container="mp3")
    assert 0.25 < decoded_seconds(audio.data) < 0.5
    [sent] = adapter.sent
    assert sent.request.method == "POST"
    assert sent.request.url == GOOGLE_URL
    assert sent.request.body == gTTS(SHORT_TEXT, lang="es", tld="com.mx").get_bodies()[0]
    assert sent.options["verify"] is True
    assert sent.options["timeout"] == (5, 20)
    assert sleeps == []


def test_tls_verification_stays_on_whatever_the_session_says(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    adapter = ScriptedAdapter(audio_reply(sine_mp3()))
    careless_session = session_with(adapter)
    careless_session.verify = False
    engine = GoogleTTSEngine(
        session=careless_session, connect_timeout=2, read_timeout=7, requests_per_second=1000.0
    )

    engine.synthesize(SHORT_TEXT)

    # A CA bundle from the environment may replace the default one, never disable checks.
    assert adapter.sent[0].options["verify"] == "/etc/ssl/certs/ca-certificates.crt"
    assert adapter.sent[0].options["timeout"] == (2, 7)


def test_long_text_parts_are_sent_in_order_and_joined_in_order():
    part_mp3s = [sine_mp3(frequency) for frequency in (300.0, 500.0, 700.0, 900.0)]
    adapter = ScriptedAdapter(*(audio_reply(mp3) for mp3 in part_mp3s))
    gtts_bodies = gTTS(LONG_TEXT, lang="es", tld="com.mx").get_bodies()
    assert len(gtts_bodies) == 3

    audio = make_engine(adapter).synthesize(LONG_TEXT)

    assert [sent.request.body for sent in adapter.sent] == gtts_bodies
    assert audio.data == b"".join(part_mp3s[:3])
    assert decoded_seconds(audio.data) == pytest.approx(3 * decoded_seconds(part_mp3s[0]))


def test_fake_reply_is_what_gtts_itself_parses(monkeypatch):
    part_mp3s = [sine_mp3(frequency) for frequency in (300.0, 500.0, 700.0)]
    engine_audio = make_engine(
        ScriptedAdapter(*(audio_reply(mp3) for mp3 in part_mp3s))
    ).synthesize(LONG_TEXT)

    # gTTS opens a new requests.Session per part: hand it sessions on the same script.
    gtts_adapter = ScriptedAdapter(*(audio_reply(mp3) for mp3 in part_mp3s))
    real_session = requests.Session

    def session_on_fake_transport():
        session = real_session()
        session.mount("https://", gtts_adapter)
        return session

    monkeypatch.setattr(requests, "Session", session_on_fake_transport)
    gtts_audio = b"".join(gTTS(LONG_TEXT, lang="es", tld="com.mx").stream())

    assert gtts_audio == engine_audio.data
    # Why the engine sends the requests itself: gTTS turns TLS checks off and never times out.
    assert [sent.options["verify"] for sent in gtts_adapter.sent] == [False] * 3
    assert [sent.options["timeout"] for sent in gtts_adapter.sent] == [None] * 3


def test_endpoint_replaces_scheme_and_host_only():
    adapter = ScriptedAdapter(audio_reply(sine_mp3()))
    engine = make_engine(adapter, endpoint="http://127.0.0.1:8765")

    engine.synthesize(SHORT_TEXT)

    assert adapter.sent[0].request.url == (
        "http://127.0.0.1:8765/_/TranslateWebserverUi/data/batchexecute"
    )


# --- Busy server, timeouts, unreachable host --------------------------------------------


def test_429_is_retried_after_the_wait_google_asks_for():
    adapter = ScriptedAdapter(
        status_reply(429, headers={"Retry-After": "3"}), audio_reply(sine_mp3())
    )
    sleeps = []

    audio = make_engine(adapter, sleeps).synthesize(SHORT_TEXT)

    assert audio.data == sine_mp3()
    assert len(adapter.sent) == 2
    assert sleeps == [3.0]


def test_retry_after_is_capped_by_backoff_max():
    adapter = ScriptedAdapter(
        status_reply(429, headers={"Retry-After": "120"}), audio_reply(sine_mp3())
    )
    sleeps = []

    make_engine(adapter, sleeps, backoff_max=8).synthesize(SHORT_TEXT)

    assert sleeps == [8]


def test_retry_after_as_an_http_date_is_honoured():
    in_five_seconds = email.utils.formatdate(time.time() + 5, usegmt=True)
    adapter = ScriptedAdapter(
        status_reply(503, headers={"Retry-After": in_five_seconds}), audio_reply(sine_mp3())
    )
    sleeps = []

    make_engine(adapter, sleeps).synthesize(SHORT_TEXT)

    [wait] = sleeps
    assert 3.0 < wait <= 5.0


def test_429_without_retry_after_backs_off_with_jitter_below_the_first_ceiling():
    adapter = ScriptedAdapter(status_reply(429), audio_reply(sine_mp3()))
    sleeps = []

    make_engine(adapter, sleeps, backoff_base=0.5).synthesize(SHORT_TEXT)

    [wait] = sleeps
    assert 0.0 <= wait <= 0.5


def test_repeated_500_gives_up_as_unavailable_after_exponential_backoff(monkeypatch):
    # Take the top of each jitter range to see the exponential ceilings.
    monkeypatch.setattr(gtts_module, "_full_jitter", lambda ceiling: ceiling)
    adapter = ScriptedAdapter(status_reply(500, b"oops"))
    sleeps = []

    with pytest.raises(EngineUnavailable, match=r"after 4 attempts: HTTP 500"):
        make_engine(adapter, sleeps, max_attempts=4, backoff_base=0.5).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_backoff_ceiling_stops_at_backoff_max(monkeypatch):
    monkeypatch.setattr(gtts_module, "_full_jitter", lambda ceiling: ceiling)
    sleeps = []

    with pytest.raises(EngineUnavailable):
        make_engine(
            ScriptedAdapter(status_reply(503)),
            sleeps,
            max_attempts=5,
            backoff_base=3,
            backoff_max=8,
        ).synthesize(SHORT_TEXT)

    assert sleeps == [3, 6, 8, 8]


def test_jittered_waits_stay_within_their_ceilings():
    sleeps = []

    with pytest.raises(EngineUnavailable):
        make_engine(ScriptedAdapter(status_reply(502)), sleeps, max_attempts=4).synthesize(
            SHORT_TEXT
        )

    assert len(sleeps) == 3
    assert all(
        0.0 <= wait <= ceiling for wait, ceiling in zip(sleeps, [0.5, 1.0, 2.0], strict=True)
    )


def test_read_timeouts_are_retried_then_reported_unavailable():
    adapter = ScriptedAdapter(requests.exceptions.ReadTimeout("read timed out"))
    sleeps = []

    with pytest.raises(EngineUnavailable, match="too slow"):
        make_engine(adapter, sleeps, max_attempts=4).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 4
    assert len(sleeps) == 3


def test_a_timeout_followed_by_audio_succeeds():
    adapter = ScriptedAdapter(
        requests.exceptions.ReadTimeout("read timed out"), audio_reply(sine_mp3())
    )

    assert make_engine(adapter).synthesize(SHORT_TEXT).data == sine_mp3()
    assert len(adapter.sent) == 2


def test_connection_refused_gives_up_sooner_than_a_busy_server():
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    adapter = ScriptedAdapter(refused)
    sleeps = []

    with pytest.raises(EngineUnavailable, match="cannot reach translate.google.com.mx"):
        make_engine(adapter, sleeps, max_attempts=4).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 2
    assert len(sleeps) == 1


# --- Replies without usable audio -------------------------------------------------------


def test_garbage_body_is_a_reply_error_even_though_gtts_would_return_nothing(monkeypatch):
    captcha_page = b"<html><body>Our systems have detected unusual traffic</body></html>"
    adapter = ScriptedAdapter(status_reply(200, captcha_page))
    sleeps = []

    with pytest.raises(EngineReplyError, match="no jQ1olc audio line"):
        make_engine(adapter, sleeps).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 2  # one retry: a cut-off reply can be transient
    real_session = requests.Session

    def session_on_fake_transport():
        session = real_session()
        session.mount("https://", ScriptedAdapter(status_reply(200, captcha_page)))
        return session

    monkeypatch.setattr(requests, "Session", session_on_fake_transport)
    assert list(gTTS(SHORT_TEXT, lang="es", tld="com.mx").stream()) == []


def test_200_without_audio_is_a_reply_error_as_in_gtts(monkeypatch):
    no_audio = b')]}\'\n\n58\n[["wrb.fr","jQ1olc","[]",null,null,null,"generic"]]\n'
    adapter = ScriptedAdapter(status_reply(200, no_audio))

    with pytest.raises(EngineReplyError, match="carries no audio"):
        make_engine(adapter).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 2
    real_session = requests.Session

    def session_on_fake_transport():
        session = real_session()
        session.mount("https://", ScriptedAdapter(status_reply(200, no_audio)))
        return session

    monkeypatch.setattr(requests, "Session", session_on_fake_transport)
    with pytest.raises(gTTSError):
        list(gTTS(SHORT_TEXT, lang="es", tld="com.mx").stream())


def test_audio_that_is_not_mp3_is_a_reply_error():
    adapter = ScriptedAdapter(audio_reply(b"<html>not audio</html>"))

    with pytest.raises(EngineReplyError, match="not MP3"):
        make_engine(adapter).synthesize(SHORT_TEXT)


def test_a_bad_reply_followed_by_audio_succeeds():
    adapter = ScriptedAdapter(status_reply(200, b"truncated"), audio_reply(sine_mp3()))

    assert make_engine(adapter).synthesize(SHORT_TEXT).data == sine_mp3()


def test_other_client_errors_are_not_retried():
    adapter = ScriptedAdapter(status_reply(404, b"Not Found"))
    sleeps = []

    with pytest.raises(EngineReplyError, match="after 1 attempt: HTTP 404"):
        make_engine(adapter, sleeps).synthesize(SHORT_TEXT)

    assert len(adapter.sent) == 1
    assert sleeps == []


def test_extract_reply_audio_reads_every_rpc_line():
    reply = google_reply(sine_mp3(300.0)) + google_reply(sine_mp3(500.0))[5:]

    assert extract_reply_audio(reply) == sine_mp3(300.0) + sine_mp3(500.0)


# --- Rate limit and concurrency -----------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_allows_a_burst_then_spaces_requests():
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=2.0, clock=clock)

    start_times = []
    for _ in range(6):
        clock.sleep(bucket.reserve())
        start_times.append(clock.now)

    assert start_times == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]


def test_token_bucket_refills_no_more_than_its_capacity():
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=2.0, clock=clock)
    for _ in range(2):
        bucket.reserve()
    clock.sleep(60.0)

    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 0.5, 1.0]


def test_engines_share_one_process_wide_rate_limit():
    adapter = ScriptedAdapter(audio_reply(sine_mp3()))
    sleeps = []
    options = {"endpoint": "http://rate-limit.test", "requests_per_second": 2.0}
    started = time.monotonic()
    first = GoogleTTSEngine(session=session_with(adapter), sleep=sleeps.append, **options)
    second = GoogleTTSEngine(session=session_with(adapter), sleep=sleeps.append, **options)
    assert first.throttle is second.throttle

    for engine in (first, second, first, second, first):
        engine.synthesize(SHORT_TEXT)
    elapsed = time.monotonic() - started

    # A burst of 2, then one request every 0.5 s. The fake sleep does not move the
    # clock, so each wait counts from (nearly) the same instant: 0.5, 1.0, 1.5, less
    # the real time the test took.
    assert len(adapter.sent) == 5
    assert len(sleeps) == 3
    for wait, expected in zip(sleeps, [0.5, 1.0, 1.5], strict=True):
        assert expected - elapsed - 0.01 <= wait <= expected


def test_requests_in_flight_never_exceed_max_concurrency():
    release = threading.Event()
    in_flight = {"now": 0, "most": 0}
    count_lock = threading.Lock()

    def held_reply(request):
        with count_lock:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
        release.wait(timeout=10)
        with count_lock:
            in_flight["now"] -= 1
        return make_response(request, 200, google_reply(sine_mp3()))

    adapter = ScriptedAdapter(held_reply)
    options = {"endpoint": "http://concurrency.test", "max_concurrency": 2}
    engines = [make_engine(adapter, **options), make_engine(adapter, **options)]
    slots = engines[0].throttle.slots
    results, errors = [], []

    def speak(engine):
        try:
            results.append(engine.synthesize(SHORT_TEXT))
        except Exception as error:  # reported below, a thread cannot fail the test
            errors.append(error)

    threads = [threading.Thread(target=speak, args=(engines[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        # Two requests held inside the transport, four queued for a slot.
        assert wait_until(lambda: in_flight["now"] == 2 and slots.waiting == 4)
        assert in_flight["now"] == 2
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=10)

    assert errors == []
    assert in_flight["most"] == 2
    assert len(results) == 6 and all(audio.data == sine_mp3() for audio in results)


# --- Configuration checks -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["es-419", "xx", "es-MX", ""])
def test_languages_gtts_does_not_know_are_refused_early(lang):
    with pytest.raises(ValueError, match="does not support language"):
        GoogleTTSEngine(lang=lang)


@pytest.mark.parametrize(
    "options",
    [
        {"tld": "com/evil"},
        {"tld": ""},
        {"endpoint": "ftp://127.0.0.1"},
        {"endpoint": "http://127.0.0.1:8000/prefix"},
        {"max_attempts": 0},
        {"read_timeout": 0},
        {"requests_per_second": 0},
        {"max_concurrency": 0},
    ],
)
def test_bad_settings_are_refused_early(options):
    with pytest.raises(ValueError):
        GoogleTTSEngine(**options)


@pytest.mark.parametrize("text", ["", "   \n", "¿?¡!..."])
def test_text_with_nothing_to_say_is_refused_without_a_request(text):
    adapter = ScriptedAdapter(audio_reply(sine_mp3()))

    with pytest.raises(ValueError):
        make_engine(adapter).synthesize(text)

    assert adapter.sent == []


def test_registry_builds_the_google_engine_with_its_voice():
    engine = get_engine("gtts", tld="com.mx", session=requests.Session())

    assert isinstance(engine, GoogleTTSEngine)
    assert engine.name == "gtts"
    assert engine.voice == "es/com.mx"
    assert get_engine("gtts", tld="es").voice == "es/es"
    assert engine_names() == ["espeak", "gtts"]


def test_registry_refuses_unknown_names():
    with pytest.raises(ValueError, match="choose one of: espeak, gtts"):
        get_engine("polly")


def test_speech_audio_refuses_unknown_containers_and_empty_audio():
    with pytest.raises(ValueError):
        SpeechAudio(data=b"x", container="ogg")
    with pytest.raises(ValueError):
        SpeechAudio(data=b"", container="mp3")
