"""The OpenAPI schema describes every public endpoint, and the responses match it."""

import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client as WerkzeugClient

from cms.models import GuidePage

PUBLIC_ENDPOINTS = {
    "/api/v2/guides/",
    "/api/v2/guides/{id}/",
    "/api/v2/guides/{locale}/{slug}/",
    "/api/v2/renditions/",
    "/api/v2/pages/",
    "/api/v2/pages/{id}/",
    "/api/v2/pages/find/",
}
# Per operation; bounded so the suite stays fast (raise it locally to dig deeper).
FUZZ_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app(db):
    """The Django WSGI app, as a server runs it (no network).

    Like Django's test client, it must not close the test's database
    connection at the end of each request.
    """
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)


def test_schema_is_valid_openapi_3(api):
    document = api.get("/api/schema/").json()
    validate_schema(document)
    assert document["openapi"].startswith("3.")


def test_schema_describes_every_public_endpoint(api):
    assert set(api.get("/api/schema/").json()["paths"]) == PUBLIC_ENDPOINTS


def test_every_demo_guide_matches_the_schema(api_schema, wsgi_app):
    client = WerkzeugClient(wsgi_app)

    def get(url):
        return client.get(url, headers={"Host": "localhost"})

    detail = api_schema["/api/v2/guides/{id}/"]["GET"]
    for page in GuidePage.objects.live():
        detail.validate_response(get(f"/api/v2/guides/{page.pk}/"))
    api_schema["/api/v2/guides/"]["GET"].validate_response(get("/api/v2/guides/?fields=*"))
    api_schema["/api/v2/renditions/"]["GET"].validate_response(get("/api/v2/renditions/"))
    api_schema["/api/v2/pages/"]["GET"].validate_response(
        get("/api/v2/pages/?type=cms.GuidePage&fields=*")
    )


def test_docs_are_served_from_our_own_files_only(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<script" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), url
    stylesheet = re.search(r'href="/static/([^"]+\.css)"', html).group(1)
    assert finders.find(stylesheet)
    for path in PUBLIC_ENDPOINTS:
        assert f"<code>{path}</code>" in html


def load_schema():
    """The schema, read from the app at collection time (it needs no database)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


# Loaded eagerly: schemathesis' lazy (fixture) loader does not work with pytest 9.
schema = load_schema()


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_fails_and_always_matches_its_schema(case, wsgi_app):
    """Generated requests against every endpoint: no 5xx, and every response as documented."""
    # The WSGI transport does not decode gzip (tests/api/test_http.py checks it).
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})


def test_the_schema_answers_drfs_usual_format_json(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json() == api.get("/api/schema/").json()
