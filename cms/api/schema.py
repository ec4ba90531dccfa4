"""The OpenAPI 3 schema (``/api/schema/``) and the human docs (``/api/docs/``).

drf-spectacular describes our views (``views``, routed in ``config/api.py``)
from the views themselves: their declared parameters, docstrings and
serializers. Wagtail's v2 pages viewset defeats it (wagtail#6209), so the
preprocessing hook keeps spectacular to our endpoints and the postprocessing
hook adds a hand-written description of ``/api/v2/pages/``. The schema is
generated once per process: it depends only on code and settings.
"""

import threading
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import OpenApiParameter

from .base import DEFAULT_LIMIT, ApiView
from .http import InvalidParameter, conditional_json, etag_of

OWN_PATH_PREFIXES = ("/api/v2/guides/", "/api/v2/renditions/")
_memo = {}
_lock = threading.Lock()


def keep_own_endpoints(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """Preprocessing hook: only the endpoints whose views we wrote."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(OWN_PATH_PREFIXES)]


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _query(name, schema, description, **extra):
    return {"in": "query", "name": name, "schema": schema, "description": description, **extra}


PAGE_TYPES = ["wagtailcore.Page", "cms.HomePage", "cms.GuidePage"]
PAGES_LISTING_PARAMETERS = [
    _query(
        "type",
        {"type": "string", "enum": PAGE_TYPES},
        "Only pages of this type; needed to filter or select a type's own fields (cms.GuidePage).",
    ),
    _query(
        "fields",
        {"type": "string", "maxLength": 200},
        "Comma-separated fields to add; `*` for all, `-name` to remove, `_` to start from none.",
    ),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 20}, "Page size (at most 20)."),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 1000000}, "Items to skip."),
    _query(
        "order",
        {
            "type": "string",
            "enum": [
                "id",
                "-id",
                "title",
                "-title",
                "first_published_at",
                "-first_published_at",
                "random",
            ],
        },
        "Sort order (`random` cannot be combined with offset).",
    ),
    _query("search", {"type": "string", "maxLength": 100}, "Full-text search."),
    _query(
        "search_operator", {"type": "string", "enum": ["and", "or"]}, "How search terms combine."
    ),
    _query("locale", {"type": "string", "enum": ["es", "en", "cak"]}, "Only this locale."),
    _query("translation_of", {"type": "integer", "minimum": 1}, "Only translations of this page."),
    _query("child_of", {"type": "integer", "minimum": 1}, "Only children of this page."),
    _query("ancestor_of", {"type": "integer", "minimum": 1}, "Only ancestors of this page."),
    _query("descendant_of", {"type": "integer", "minimum": 1}, "Only descendants of this page."),
    _query(
        "rich_text_format",
        {"type": "string", "enum": ["html", "raw"]},
        "How rich text is returned.",
    ),
]
PAGE_SCHEMA = {
    "type": "object",
    "description": (
        "A page as Wagtail serializes it; the fields present depend on `type` and `fields`."
    ),
    "required": ["id", "meta"],
    "properties": {
        "id": {"type": "integer"},
        "meta": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "detail_url": {"type": "string"},
                "html_url": {"type": "string", "nullable": True},
                "slug": {"type": "string"},
                "first_published_at": {"type": "string", "format": "date-time", "nullable": True},
                "locale": {"type": "string"},
            },
        },
        "title": {"type": "string"},
    },
}
PAGES_PATHS = {
    "/api/v2/pages/": {
        "get": {
            "operationId": "pages_list",
            "summary": "List pages (Wagtail API v2)",
            "description": (
                "Wagtail's own pages endpoint: live, public pages of every type. "
                "Incomplete translations are left out (their text would be the source's). "
                "Prefer /api/v2/guides/ for guides."
            ),
            "tags": ["pages"],
            "parameters": PAGES_LISTING_PARAMETERS,
            "responses": {
                "200": {
                    "description": "Pages.",
                    "content": {"application/json": {"schema": _ref("PageListing")}},
                },
                "400": _error_response("A parameter is unknown or invalid."),
                "429": _error_response("Too many requests."),
            },
        }
    },
    "/api/v2/pages/{id}/": {
        "get": {
            "operationId": "pages_retrieve",
            "summary": "A page (Wagtail API v2)",
            "tags": ["pages"],
            "parameters": [
                {
                    "in": "path",
                    "name": "id",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                _query(
                    "fields",
                    {"type": "string", "maxLength": 200},
                    "Fields to add or remove (see the listing).",
                ),
            ],
            "responses": {
                "200": {
                    "description": "The page.",
                    "content": {"application/json": {"schema": _ref("Page")}},
                },
                "400": _error_response("A parameter is invalid."),
                "404": _error_response("No such public page."),
                "429": _error_response("Too many requests."),
            },
        }
    },
}
PAGES_PATHS["/api/v2/pages/find/"] = {
    "get": {
        "operationId": "pages_find",
        "summary": "Find a page by its front URL (Wagtail API v2)",
        "description": "Redirects to the page's detail URL.",
        "tags": ["pages"],
        "parameters": [
            _query(
                "html_path",
                {"type": "string", "maxLength": 200},
                "The page's path on the front, e.g. /es/mixco/.",
            ),
            _query("id", {"type": "integer", "minimum": 1}, "The page's id."),
        ],
        "responses": {
            "302": {"description": "Found: see the Location header."},
            "400": _error_response("A parameter is invalid."),
            "404": _error_response("No such public page."),
            "429": _error_response("Too many requests."),
        },
    }
}
PAGES_COMPONENTS = {
    "Page": PAGE_SCHEMA,
    "PageListing": {
        "type": "object",
        "required": ["meta", "items"],
        "properties": {
            "meta": {"type": "object", "properties": {"total_count": {"type": "integer"}}},
            "items": {"type": "array", "items": _ref("Page")},
        },
    },
}


def add_pages_endpoint(
    result: dict[str, Any],
    generator: SchemaGenerator,
    request: HttpRequest | None,
    public: bool,
) -> dict[str, Any]:
    """Postprocessing hook: describe Wagtail's pages endpoint by hand."""
    result.setdefault("paths", {}).update(PAGES_PATHS)
    result.setdefault("components", {}).setdefault("schemas", {}).update(PAGES_COMPONENTS)
    return result


def openapi_document() -> dict:
    """The schema as a dict, generated once per process from the URLconf's views."""
    with _lock:
        if "schema" not in _memo:
            _memo["schema"] = SchemaGenerator().get_schema(request=None, public=True)
        return _memo["schema"]


def _schema_bytes():
    with _lock:
        cached = _memo.get("bytes")
    if cached is None:
        body = OpenApiJsonRenderer().render(openapi_document(), renderer_context={})
        cached = (body, etag_of(body))
        with _lock:
            _memo["bytes"] = cached
    return cached


class SchemaView(ApiView):
    """The OpenAPI 3 document (JSON; ``?format=json``, DRF's usual spelling, is accepted)."""

    parameters = (
        OpenApiParameter("format", str, enum=["json"], description="Only JSON is served."),
    )

    def get(self, request) -> HttpResponse:
        if self.params.get("format", "json") != "json":
            raise InvalidParameter("format must be json (the only form served).")
        body, etag = _schema_bytes()
        response = conditional_json(request, body, etag, None)
        if response.status_code == 200:
            response["Content-Type"] = "application/vnd.oai.openapi+json"
        return response


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    """Human-readable docs, rendered on the server from the schema (no scripts, no CDN)."""
    document = openapi_document()
    response = render(
        request,
        "api/docs.html",
        {
            "info": document.get("info", {}),
            "operations": docs_operations(document),
            "schemas": docs_schemas(document),
            "default_limit": DEFAULT_LIMIT,
        },
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


def _type_label(schema):
    """("type words", component name or None) for a property schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, name
    if schema.get("allOf"):
        return _type_label(schema["allOf"][0])
    if schema.get("type") == "array":
        label, ref = _type_label(schema.get("items", {}))
        return f"list of {label}", ref
    label = schema.get("type", "any")
    if schema.get("format"):
        label = f"{label} ({schema['format']})"
    return label, None


def docs_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations in path order, with parameters and responses made template-friendly."""
    operations = []
    for url, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = []
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                label, _ref_name = _type_label(schema)
                parameters.append(
                    {
                        "name": parameter["name"],
                        "where": parameter["in"],
                        "type": label,
                        "enum": schema.get("enum"),
                        "description": parameter.get("description", ""),
                    }
                )
            responses = []
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                label, ref = _type_label(schema) if schema else ("", None)
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "type": label,
                        "ref": ref,
                    }
                )
            operations.append(
                {
                    "id": operation.get("operationId", ""),
                    "method": method.upper(),
                    "path": url,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    return operations


def docs_schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Components with their fields, for the docs' reference section."""
    schemas = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = []
        for field_name, field_schema in schema.get("properties", {}).items():
            label, ref = _type_label(field_schema)
            fields.append(
                {
                    "name": field_name,
                    "type": label,
                    "ref": ref,
                    "required": field_name in required,
                    "nullable": field_schema.get("nullable", False),
                    "enum": field_schema.get("enum"),
                    "description": field_schema.get("description", ""),
                }
            )
        schemas.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "enum": schema.get("enum"),
                "fields": fields,
            }
        )
    return schemas
