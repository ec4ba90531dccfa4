"""Security headers: the CSP and Permissions-Policy as HTTP headers.

Pages carry their Content-Security-Policy as a header (a meta tag cannot say
``frame-ancestors``) and a Permissions-Policy that leaves only what the player
uses.
"""

import pytest

pytestmark = pytest.mark.django_db

# The policy the pages' meta tag used to carry, plus frame-ancestors.
PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'"],
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
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


@pytest.mark.parametrize("url, status", PUBLIC_PAGES)
def test_pages_allow_only_sharing_and_copying_the_link_among_browser_features(client, url, status):
    response = client.get(url)
    policy = permissions(response["Permissions-Policy"])
    assert policy["web-share"] == "(self)" and policy["clipboard-write"] == "(self)"
    for feature in ("camera", "microphone", "geolocation", "autoplay", "payment", "clipboard-read", "usb"):
        assert policy[feature] == "()", feature
    assert {feature for feature, allowed in policy.items() if allowed != "()"} == {"web-share", "clipboard-write"}


def test_admin_sign_in_page_loads_with_x_frame_options_and_no_csp(client, editor):
    response = client.get("/admin/login/")
    assert response.status_code == 200 and b'name="csrfmiddlewaretoken"' in response.content
    # The admin's inline scripts would be blocked by the pages' policy: it is left out.
    assert not response.has_header("Content-Security-Policy")
    assert response["X-Frame-Options"] == "DENY"
    # The Permissions-Policy does apply (its copy buttons need only clipboard-write).
    assert permissions(response["Permissions-Policy"])["camera"] == "()"
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("url", ["/api/schema/", "/api/v2/guides/?locale=es", "/api/no-such-endpoint/", "/feeds/es/podcast.xml"])
def test_api_and_feeds_are_data_whose_policy_allows_nothing(client, url):
    response = client.get(url)
    assert directives(response["Content-Security-Policy"]) == DATA_POLICY
    assert permissions(response["Permissions-Policy"])["camera"] == "()"


def test_api_docs_page_gets_the_page_policy_so_its_stylesheet_loads(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == PAGE_POLICY


def test_service_worker_keeps_its_own_policy(client):
    response = client.get("/sw.js")
    assert response["Content-Security-Policy"] == "default-src 'self'"
    assert permissions(response["Permissions-Policy"])["camera"] == "()"
