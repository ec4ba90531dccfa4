"""Whatever a client puts in the headers we parse, the API and /media/ answer, and quickly.

Hypothesis generates Accept-Encoding, Range, If-None-Match, If-Modified-Since
(and If-Match, If-Unmodified-Since): arbitrary text, long repetitions (the
Accept-Encoding regex that took 16 s for 30,000 characters) and huge digit
strings (beyond int()'s 4,300-digit limit), plus shapes close to valid ones.
A 5xx, or a request slower than REQUEST_SECONDS, fails the test.
"""

import time

import pytest
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

from .api.conftest import fresh_api_caches  # noqa: F401 (autouse: empty API caches, no throttling)

pytestmark = pytest.mark.django_db

# A bound per request, generous for a slow CI machine: the pathological cases
# cost seconds to minutes before they were fixed, a normal request milliseconds.
REQUEST_SECONDS = 2.0
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples every run, as the schemathesis test does
    database=None,
    # The fixtures (a guide, its audio) are made once per test, not per example, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Header values reach Django as ISO-8859-1 text (WSGI).
LATIN1 = st.characters(max_codepoint=255)
TEXT = st.text(LATIN1, max_size=200)


def repeated(characters, most, fewest=1):
    """Long strings, cheaply: a short unit repeated `fewest` to `most` times."""
    unit = st.text(characters, min_size=1, max_size=8)
    return st.builds(lambda unit, times: unit * times, unit, st.integers(fewest, most))


LONG_TEXT = repeated(LATIN1, 15_000)
LONG_DIGITS = repeated("0123456789", 12_000, fewest=500)  # from 500 to 96,000 digits
DIGITS = st.one_of(st.text("0123456789", max_size=25), LONG_DIGITS)
QVALUE = st.builds(
    "{}{}".format,
    st.one_of(
        st.sampled_from(["0", "1", "0.5", "0.000", "1.000", "2", "-1", ".5", "abc"]),
        DIGITS.map("0.".__add__),
    ),
    st.sampled_from(
        ["", " ", "x", ";level=1"]
    ),  # what follows a long qvalue made the old regex backtrack
)
ACCEPT_ENCODING = st.one_of(
    TEXT,
    LONG_TEXT,
    st.lists(
        st.tuples(
            st.sampled_from(["gzip", "GZIP", "*", "identity", "br", "deflate", "zstd", ""]),
            st.none() | QVALUE,
        ),
        max_size=8,
    ).map(lambda codings: ", ".join(c if q is None else f"{c};q={q}" for c, q in codings)),
    # A long qvalue, then junk: what made the old regex backtrack (long by construction,
    # since Hypothesis favours short repetitions).
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["gzip;q=0.", "*;q=."]),
        repeated("123456789", 20_000, fewest=10_000),
        st.sampled_from(["x", " ;", "\t"]),
    ),
)
RANGE = st.one_of(
    TEXT,
    LONG_TEXT,
    st.builds("bytes={}-{}".format, DIGITS, DIGITS),
    st.lists(st.builds("{}-{}".format, DIGITS, DIGITS), min_size=1, max_size=4).map(
        lambda r: "bytes=" + ",".join(r)
    ),
)
ETAG = st.one_of(
    st.just("*"),
    st.builds('"{}"'.format, st.text(LATIN1.filter(lambda c: c != '"'), max_size=40)),
    st.builds('W/"{}"'.format, st.text("0123456789abcdef-", max_size=40)),
    TEXT,
)
ETAGS = st.one_of(LONG_TEXT, st.lists(ETAG, min_size=1, max_size=6).map(", ".join))
HTTP_DATE = st.one_of(
    TEXT,
    LONG_TEXT,
    DIGITS,
    st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.builds("Sun, 06 Nov {} 08:49:37 GMT".format, DIGITS),
    st.builds("Sunday, 06-Nov-{} 08:49:37 GMT".format, DIGITS),
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_ACCEPT_ENCODING": ACCEPT_ENCODING,
        "HTTP_RANGE": RANGE,
        "HTTP_IF_NONE_MATCH": ETAGS,
        "HTTP_IF_MODIFIED_SINCE": HTTP_DATE,
        "HTTP_IF_MATCH": ETAGS,
        "HTTP_IF_UNMODIFIED_SINCE": HTTP_DATE,
    },
)
METHOD = st.sampled_from(["get", "head"])


def timed_request(client, method, url, headers):
    """The response and the seconds it took; Hypothesis is steered towards slower requests."""
    started = time.perf_counter()
    response = getattr(client, method)(url, **headers)
    if response.streaming:
        b"".join(response.streaming_content)  # the file is read too: Range work happens here
    seconds = time.perf_counter() - started
    target(seconds, label="seconds per request")
    return response, seconds


@pytest.fixture
def api_urls(db):
    from cms.models import GuidePage

    guide = GuidePage.objects.live().public().get(locale__language_code="es", slug="mixco")
    return [
        "/api/v2/guides/",
        "/api/v2/guides/?fields=*",
        "/api/v2/guides/?changed_since=2026-01-01T00:00:00Z",
        "/api/v2/renditions/",
        f"/api/v2/guides/{guide.pk}/",
        "/api/v2/guides/es/mixco/",
    ]


@pytest.fixture
def public_audio_url(small_guide):
    """The listening file of a public guide's live rendition: the kind of file /media/ is for."""
    from audio.jobs import run_job
    from audio.models import Rendition

    run_job(small_guide.pk)
    rendition = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    return rendition.audio.url


# The cases, always tried: the header that cost 16 s, and numbers int() refuses.
PATHOLOGICAL = {
    "HTTP_ACCEPT_ENCODING": "gzip;q=0." + "1" * 30_000 + "x",
    "HTTP_RANGE": "bytes=" + "9" * 5_000 + "-",
    "HTTP_IF_NONE_MATCH": "*",
    "HTTP_IF_MODIFIED_SINCE": "Sun, 06 Nov " + "9" * 5_000 + " 08:49:37 GMT",
}


@FUZZ
@given(headers=HEADERS, method=METHOD, which=st.integers(min_value=0))
@example(headers=PATHOLOGICAL, method="get", which=1)
def test_the_api_answers_any_header_without_a_server_error(
    client, api_urls, headers, method, which
):
    url = api_urls[which % len(api_urls)]
    response, seconds = timed_request(client, method, url, headers)
    assert response.status_code < 500, (url, headers, response.content[:300])
    assert seconds < REQUEST_SECONDS, (url, headers, seconds)


@FUZZ
@given(headers=HEADERS, method=METHOD)
@example(headers={"HTTP_RANGE": PATHOLOGICAL["HTTP_RANGE"]}, method="get")
@example(
    headers={"HTTP_RANGE": "bytes=0-" + "9" * 5_000, "HTTP_IF_NONE_MATCH": '"x", W/"y"'},
    method="get",
)
def test_media_answers_any_header_without_a_server_error(client, public_audio_url, headers, method):
    response, seconds = timed_request(client, method, public_audio_url, headers)
    assert response.status_code in {200, 206, 304, 412, 416}, (headers, response.status_code)
    assert seconds < REQUEST_SECONDS, (headers, seconds)
