"""Security and caching headers: the CSP and Permissions-Policy as HTTP headers, and revalidated
pages.

Pages carry their Content-Security-Policy as a header (a meta tag cannot say
``frame-ancestors``), a Permissions-Policy that leaves only what the player
uses, and ``Cache-Control: private, no-cache`` with an ETag, so a hidden guide
is never kept by a shared cache and an unchanged one costs a 304.
"""

import gzip

import pytest

from tests.signing_in import sign_in

pytestmark = pytest.mark.django_db

# The policy the pages' meta tag used to carry, plus frame-ancestors.
PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'", "blob:"],  # the player's MediaSource (stream.js)
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
DATA_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
PUBLIC_PAGES = [("/es/mixco/", 200), ("/es/", 200), ("/es/no-existe/", 404)]


def directives(header):
    """A CSP header as {directive: [sources]}."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def permissions(header):
    """A Permissions-Policy header as {feature: allow list}."""
    return dict(item.strip().split("=", 1) for item in header.split(","))


def cache_control(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize("url, status", PUBLIC_PAGES)
def test_guide_home_and_404_pages_send_the_csp_as_a_header_not_a_meta_tag(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert directives(response["Content-Security-Policy"]) == PAGE_POLICY
    assert b'http-equiv="Content-Security-Policy"' not in response.content


def test_the_csp_forbids_framing_and_inline_script():
    from django.conf import settings

    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert (
        "'unsafe-inline'" not in policy["script-src"]
        and "'unsafe-eval'" not in policy["script-src"]
    )


@pytest.mark.parametrize("url, status", PUBLIC_PAGES)
def test_pages_allow_only_sharing_and_copying_the_link_among_browser_features(client, url, status):
    response = client.get(url)
    policy = permissions(response["Permissions-Policy"])
    assert policy["web-share"] == "(self)" and policy["clipboard-write"] == "(self)"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "autoplay",
        "payment",
        "clipboard-read",
        "usb",
    ):
        assert policy[feature] == "()", feature
    assert {feature for feature, allowed in policy.items() if allowed != "()"} == {
        "web-share",
        "clipboard-write",
    }


@pytest.mark.parametrize("url, status", PUBLIC_PAGES)
def test_pages_may_be_kept_only_by_the_browser_and_only_after_asking_again(client, url, status):
    response = client.get(url)
    assert cache_control(response) == {"private", "no-cache"}
    assert response.has_header("ETag")


def test_conditional_get_of_an_unchanged_guide_page_is_a_304(client):
    first = client.get("/es/mixco/")
    again = client.get("/es/mixco/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert cache_control(again) == {"private", "no-cache"}
    assert directives(again["Content-Security-Policy"]) == PAGE_POLICY


def test_conditional_get_of_a_compressed_guide_page_is_a_304(client):
    """The ETag is the uncompressed page's (gzip bodies differ every time), made weak by gzip."""
    first = client.get("/es/mixco/", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and first["ETag"].startswith('W/"')
    assert gzip.decompress(first.content).startswith(b"<!doctype html>")
    again = client.get("/es/mixco/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_changed_guide_page_is_sent_again(client):
    from cms.models import GuidePage

    first = client.get("/es/mixco/")
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    guide.summary = "Un resumen nuevo."
    guide.save_revision().publish()
    again = client.get("/es/mixco/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "Un resumen nuevo." in again.content.decode()


def test_admin_sign_in_page_loads_with_x_frame_options_and_no_csp(client, editor):
    response = client.get("/admin/login/")
    assert response.status_code == 200 and b'name="csrfmiddlewaretoken"' in response.content
    # The admin's inline scripts would be blocked by the pages' policy: it is left out.
    assert not response.has_header("Content-Security-Policy")
    assert response["X-Frame-Options"] == "DENY"
    # The Permissions-Policy does apply (its copy buttons need only clipboard-write).
    assert permissions(response["Permissions-Policy"])["camera"] == "()"
    # No page caching or ETags for the admin: its pages carry sessions and CSRF tokens.
    assert not response.has_header("ETag")
    sign_in(client, editor)
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and not dashboard.has_header("ETag")


@pytest.mark.parametrize(
    "url",
    [
        "/api/schema/",
        "/api/v2/guides/?locale=es",
        "/api/no-such-endpoint/",
        "/feeds/es/podcast.xml",
    ],
)
def test_api_and_feeds_are_data_whose_policy_allows_nothing(client, url):
    response = client.get(url)
    assert directives(response["Content-Security-Policy"]) == DATA_POLICY
    assert permissions(response["Permissions-Policy"])["camera"] == "()"


def test_api_docs_page_gets_the_page_policy_so_its_stylesheet_loads(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == PAGE_POLICY


def test_service_worker_keeps_its_own_policy_and_revalidates_with_a_304(client):
    first = client.get("/sw.js")
    assert first["Content-Security-Policy"] == "default-src 'self'"
    assert first["Cache-Control"] == "no-cache"
    assert client.get("/sw.js", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
