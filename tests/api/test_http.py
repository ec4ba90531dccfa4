"""HTTP behaviour: conditional GET, caching headers, CORS, throttling, errors."""

import gzip
import json

import pytest
from django.test import RequestFactory
from django.utils.http import http_date

from cms.api.http import ACCEPT_ENCODING_MAX_CHARS, accepts_gzip
from cms.models import GuidePage

from .conftest import get_json

CACHED_URLS = [
    "/api/v2/guides/",
    "/api/v2/guides/?fields=*&locale=es",
    "/api/v2/renditions/",
    "/api/schema/",
]


def guide(language="es", slug="mixco"):
    return GuidePage.objects.get(locale__language_code=language, slug=slug)


@pytest.mark.parametrize("url", CACHED_URLS + ["detail"])
def test_if_none_match_with_the_etag_gives_304(api, url):
    url = f"/api/v2/guides/{guide().pk}/" if url == "detail" else url
    first = api.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", ["/api/v2/guides/?fields=*", "/api/v2/guides/", "detail"])
def test_clients_that_accept_gzip_get_the_same_json_compressed(api, url):
    url = f"/api/v2/guides/{guide().pk}/" if url == "detail" else url
    plain = api.get(url)
    packed = api.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) * 3 < len(plain.content)
    assert int(packed["Content-Length"]) == len(packed.content)
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    # Each form has its own validator, and each revalidates.
    assert packed["ETag"] != plain["ETag"]
    again = api.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304 and again["ETag"] == packed["ETag"]
    assert (
        api.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code
        == 200
    )


@pytest.mark.parametrize("header", ["identity", "gzip;q=0", "br", "gzipx", ""])
def test_no_gzip_for_clients_that_do_not_take_it(api, header):
    response = api.get("/api/v2/guides/?fields=*", HTTP_ACCEPT_ENCODING=header)
    assert "Content-Encoding" not in response
    assert response.json()["items"]


def test_if_modified_since_gives_304_until_the_guide_changes(api):
    page = guide()
    first = api.get(f"/api/v2/guides/{page.pk}/")
    assert (
        api.get(
            f"/api/v2/guides/{page.pk}/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
        ).status_code
        == 304
    )
    older = http_date(0)
    assert api.get(f"/api/v2/guides/{page.pk}/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200


def test_publishing_changes_the_etag(api):
    page = guide()
    etag = api.get(f"/api/v2/guides/{page.pk}/")["ETag"]
    listing_etag = api.get("/api/v2/guides/")["ETag"]
    page.title = "Mixco: título nuevo"
    page.save_revision().publish()
    response = api.get(f"/api/v2/guides/{page.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["title"] == "Mixco: título nuevo"
    assert api.get("/api/v2/guides/", HTTP_IF_NONE_MATCH=listing_etag).status_code == 200


def test_publish_is_seen_at_once_in_this_process_with_a_long_freshness_interval(
    api, settings, django_capture_on_commit_callbacks
):
    """Cached documents are dropped when the publish commits, not when the interval ends."""
    settings.ALTAVOZ_API_FRESHNESS_SECONDS = 3600
    page = guide()
    assert get_json(api, f"/api/v2/guides/{page.pk}/")["title"] == page.title
    page.title = "Mixco: ahora mismo"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert get_json(api, f"/api/v2/guides/{page.pk}/")["title"] == "Mixco: ahora mismo"


def test_unpublish_is_seen_at_once_in_this_process(
    api, settings, django_capture_on_commit_callbacks
):
    settings.ALTAVOZ_API_FRESHNESS_SECONDS = 3600
    page = guide("es", "patzun")
    assert api.get(f"/api/v2/guides/{page.pk}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert api.get(f"/api/v2/guides/{page.pk}/").status_code == 404


def test_responses_say_how_long_they_may_be_cached(api, settings):
    response = api.get("/api/v2/guides/")
    assert response["Cache-Control"] == f"public, max-age={settings.ALTAVOZ_API_MAX_AGE}"
    assert response["Content-Type"] == "application/json"
    assert "Accept-Language" not in response.get("Vary", "")
    assert not response.has_header("Content-Language")


def test_no_cookies_on_api_responses(api):
    for url in [
        "/api/v2/guides/",
        f"/api/v2/guides/{guide().pk}/",
        "/api/v2/pages/",
        "/api/nothing",
        "/api/docs/",
    ]:
        response = api.get(url)
        assert not response.cookies, url
        assert "Set-Cookie" not in response, url


def test_cors_lets_configured_origins_read(api, settings):
    settings.ALTAVOZ_API_CORS_ORIGINS = ["https://socio.example"]
    response = api.get("/api/v2/guides/", HTTP_ORIGIN="https://socio.example")
    assert response["Access-Control-Allow-Origin"] == "https://socio.example"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "Origin" in response["Vary"]


def test_cors_gives_other_origins_nothing(api, settings):
    settings.ALTAVOZ_API_CORS_ORIGINS = ["https://socio.example"]
    response = api.get("/api/v2/guides/", HTTP_ORIGIN="https://otro.example")
    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")


def test_cors_preflight_allows_reading_only(api, settings):
    settings.ALTAVOZ_API_CORS_ORIGINS = ["https://socio.example"]
    response = api.options(
        "/api/v2/guides/",
        HTTP_ORIGIN="https://socio.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://socio.example"
    assert set(response["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "OPTIONS",
    }


def test_writing_is_refused_with_a_json_405(api):
    response = api.post(f"/api/v2/guides/{guide().pk}/", {"title": "x"})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
    assert api.delete("/api/v2/pages/3/").status_code == 405


@pytest.fixture
def one_window(monkeypatch):
    """The throttle counts per fixed window: a test's requests must not straddle two."""
    from types import SimpleNamespace

    monkeypatch.setattr("cms.api.throttling.time", SimpleNamespace(time=lambda: 60 * 20_000 + 1.0))


def test_anonymous_clients_are_throttled_with_a_json_429(api, settings, one_window):
    settings.ALTAVOZ_API_ANON_RATE = "3/minute"
    statuses = [api.get("/api/v2/guides/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v2/pages/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_throttling_counts_each_client_separately(api, settings, one_window):
    settings.ALTAVOZ_API_ANON_RATE = "2/minute"
    assert [api.get("/api/v2/guides/", REMOTE_ADDR="10.0.0.1").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert api.get("/api/v2/guides/", REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/guides/?colour=blue",
        "/api/v2/guides/?locale=es&locale=en",
        "/api/v2/guides/?locale=fr",
        "/api/v2/guides/?limit=0",
        "/api/v2/guides/?limit=abc",
        "/api/v2/guides/?limit=100000",
        "/api/v2/guides/?offset=-1",
        "/api/v2/guides/?translation_of=abc",
        "/api/v2/guides/?translation_of=99999999999999999999999",
        "/api/v2/guides/?changed_since=yesterday",
        "/api/v2/guides/?changed_since=2026-13-45T99:00:00Z",
        # Valid ISO 8601, but the instant is after year 9999 or before year 1 in UTC.
        "/api/v2/guides/?changed_since=9999-12-31T23:59:59-23:59",
        "/api/v2/guides/?changed_since=0001-01-01T00:00:00%2B23:59",
        "/api/v2/renditions/?changed_since=9999-12-31T23:59:59-23:59",
        "/api/v2/renditions/?changed_since=0001-01-01T00:00:00%2B23:59",
        "/api/v2/guides/?fields=title",
        "/api/v2/guides/4/?fields=*",
        "/api/v2/renditions/?variant=flac",
        "/api/v2/renditions/?guide=-3",
        "/api/v2/pages/?child_of=99999999999999999999999",
        "/api/v2/pages/?colour=blue",
        "/api/v2/pages/?type=nope.Nope",
        "/api/v2/pages/?limit=1000",
        "/api/schema/?format=yaml",
    ],
)
def test_a_bad_parameter_is_a_400_with_a_message(api, url):
    response = api.get(url)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["message"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/guides/999999/",
        "/api/v2/guides/es/no-existe/",
        "/api/v2/pages/999999/",
        "/api/nothing/here",
    ],
)
def test_not_found_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unexpected_error_is_a_json_500(api, monkeypatch):
    from cms.api import snapshot

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(snapshot, "get_snapshot", broken)
    response = api.get("/api/v2/guides/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "boom" not in response.content.decode()


def test_behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_address(api, settings):
    settings.ALTAVOZ_API_ANON_RATE = "1/minute"
    settings.ALTAVOZ_API_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert (
        api.get("/api/v2/guides/", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 200
    )
    assert (
        api.get("/api/v2/guides/", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    )
    assert (
        api.get("/api/v2/guides/", HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200
    )


def test_head_gives_the_headers_without_the_body(api):
    get = api.get("/api/v2/guides/")
    head = api.head("/api/v2/guides/")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"]


def test_an_unknown_host_is_a_json_400(api):
    response = api.get("/api/v2/guides/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"


@pytest.mark.parametrize(
    "header, accepted",
    [
        ("gzip", True),
        ("GZIP", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("gzip;q=1", True),
        ("gzip; q=0.001", True),
        ("gzip;q=0", False),
        ("gzip;Q=0.000", False),
        ("gzip;q=0, *", False),  # gzip named: its own q decides, not the wildcard's
        ("*", True),
        ("*;q=0", False),
        ("*;q=0, gzip", True),
        ("identity", False),
        ("identity, *;q=0", False),
        ("gzip;q=2", False),  # not a qvalue: the coding is not taken as accepted
        ("gzip;q=abc", False),
        ("gzipx, xgzip", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header, accepted):
    assert accepts_gzip(RequestFactory().get("/", HTTP_ACCEPT_ENCODING=header)) is accepted


def test_only_the_start_of_a_long_accept_encoding_header_is_read():
    """The parser's work is bounded by its cap, whatever a client sends."""
    padding = "identity, " * (ACCEPT_ENCODING_MAX_CHARS // 10 + 1)

    def accepted(header):
        return accepts_gzip(RequestFactory().get("/", HTTP_ACCEPT_ENCODING=header))

    assert accepted(padding[: ACCEPT_ENCODING_MAX_CHARS - 4] + "gzip")
    assert not accepted(padding + "gzip")


@pytest.mark.parametrize(
    "header",
    [
        "gzip;q=0." + "1" * 100_000,
        "gzip;q=." + "1" * 100_000 + " x",
        " ," * 50_000,
        "gzip" + " " * 100_000,
    ],
)
def test_a_pathological_accept_encoding_header_is_answered(api, header):
    response = api.get("/api/v2/guides/?fields=*", HTTP_ACCEPT_ENCODING=header)
    assert response.status_code == 200
    body = (
        gzip.decompress(response.content)
        if response.get("Content-Encoding") == "gzip"
        else response.content
    )
    assert json.loads(body)["items"]


def test_the_api_runs_on_the_whole_middleware_stack():
    """No middleware answers /api/ past the others: security middleware added later covers it
    too."""
    from django.conf import settings

    assert not any(
        "bypass" in name.lower() or name.endswith("ApiMiddleware") for name in settings.MIDDLEWARE
    )
    assert "cms.api.cors.ApiCorsMiddleware" in settings.MIDDLEWARE


def test_api_responses_carry_the_stack_s_headers(api):
    response = api.get("/api/v2/guides/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Type"] == "application/json"
