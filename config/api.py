"""The public HTTP API: every endpoint is routed here, once (see README, "API").

Read-only, anonymous, JSON, on Django's usual middleware stack (CORS by
django-cors-headers, ``cms.api.cors``). Our guide and rendition endpoints are
DRF views (``cms.api.views``) serving precomputed documents
(``cms.api.snapshot``); the OpenAPI schema is generated from these same
routes. Wagtail's own pages endpoint is kept at /api/v2/pages/ for tools
that speak it.
"""

from django.urls import path, re_path
from wagtail.api.v2.router import WagtailAPIRouter

from cms.api.errors import api_not_found
from cms.api.schema import SchemaView, api_docs
from cms.api.views import (
    GuideBySlugView,
    GuideDetailView,
    GuideListView,
    PublicPagesAPIViewSet,
    RenditionListView,
)

wagtail_api = WagtailAPIRouter("wagtailapi")
wagtail_api.register_endpoint("pages", PublicPagesAPIViewSet)

urlpatterns = [
    # Guides: listing (with sync), detail by id, detail by locale and slug.
    path("v2/guides/", GuideListView.as_view(), name="api-guides"),
    path("v2/guides/<int:pk>/", GuideDetailView.as_view(), name="api-guide"),
    path(
        "v2/guides/<str:locale>/<slug:slug>/", GuideBySlugView.as_view(), name="api-guide-by-slug"
    ),
    # Audio renditions of every public guide (sync listing for radios and offline apps).
    path("v2/renditions/", RenditionListView.as_view(), name="api-renditions"),
    # Wagtail's stock pages endpoint (listing, detail, find).
    path("v2/", wagtail_api.urls),
    # OpenAPI 3 schema (generated from the views above) and the human docs built from it.
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    # Anything else under /api/ is a JSON 404, not the site's HTML one.
    re_path(r"^[\s\S]*$", api_not_found),
]
