"""The API's views: guides (listing, detail), audio renditions, and Wagtail's pages.

Guide and rendition responses come from the snapshot (``snapshot``): their
bytes were serialized when it was built, so a request is a throttle count, a
parameter check, a dictionary lookup and, for listings, a join of byte
strings. Views stay thin: ``base`` parses parameters and builds listings.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import get_page_models

from cms.models import GuidePage

from . import snapshot as snapshots
from .audio import variant_names
from .base import (
    CHANGED_SINCE_PARAMETER,
    INTEGER_RE,
    LIMIT_PARAMETER,
    LOCALE_PARAMETER,
    OFFSET_PARAMETER,
    SLUG_RE,
    ApiView,
    documented,
    language_codes,
    paginate,
    parse_changed_since,
    parse_integer,
    parse_locale,
    sync_listing,
)
from .http import (
    InvalidParameter,
    JSONOnlyNegotiation,
    NotFound,
    api_exception_handler,
    conditional_json,
    error_body,
    format_datetime,
)
from .serializers import GuideListingSerializer, GuideSerializer, RenditionListingSerializer
from .throttling import HashedAnonRateThrottle


@documented(
    operation_id="guides_list", summary="List guides", response=GuideListingSerializer, tag="guides"
)
class GuideListView(ApiView):
    """Every public guide in every locale (filter with `locale`), in site-tree order.

    Items have the listing fields; `fields=*` returns whole guides, as the
    detail does. To sync, pass `changed_since` (the previous `meta.as_of`):
    only guides whose document changed are returned, and `removed` lists the
    guides that went away (unpublished, deleted, made private).
    """

    parameters = (
        LOCALE_PARAMETER,
        OpenApiParameter(
            "translation_of",
            int,
            description="Only the translations of this guide (id), not itself.",
        ),
        OpenApiParameter("slug", str, description="Only guides with this slug (one per locale)."),
        CHANGED_SINCE_PARAMETER,
        OpenApiParameter(
            "fields", str, enum=["*"], description="`*`: whole guides instead of listing fields."
        ),
        LIMIT_PARAMETER,
        OFFSET_PARAMETER,
    )

    def get(self, request):
        params = self.params
        locale = parse_locale(params)
        translation_of = parse_integer(params, "translation_of", minimum=1)
        slug = params.get("slug")
        since = parse_changed_since(params)
        limit, offset = paginate(params)
        full = params.get("fields")
        if full not in (None, "*"):
            raise InvalidParameter("fields must be * (whole guides) or left out (listing fields).")
        snap = snapshots.get_snapshot()
        # Like any filter, one that matches nothing (a guide that is not public) gives an empty
        # list.
        source = snap.guides.get(translation_of) if translation_of is not None else None

        def is_translation(entry):
            return (
                source is not None
                and entry.translation_key == source.translation_key
                and entry.id != source.id
            )

        return sync_listing(
            request,
            snap,
            ("guides", locale, translation_of, slug, since, bool(full), limit, offset),
            entries=lambda: (
                entry
                for entry in snap.guides.values()
                if (locale is None or entry.locale == locale)
                and (slug is None or entry.slug == slug)
                and (translation_of is None or is_translation(entry))
            ),
            removals=lambda: (
                r for r in snap.removed_guides if locale is None or r.locale == locale
            ),
            since=since,
            limit=limit,
            offset=offset,
            item=lambda entry: entry.full if full else entry.summary,
            removal=lambda r: {
                "id": r.id,
                "locale": r.locale,
                "removed_at": format_datetime(r.removed_at),
            },
        )


@documented(
    operation_id="guides_retrieve",
    summary="A guide",
    response=GuideSerializer,
    tag="guides",
    not_found=True,
)
class GuideDetailView(ApiView):
    """A whole guide: sections with plain text, HTML and their offsets in each
    audio rendition; organizations; audio renditions with what is needed to
    download and verify them; translations and, for a translation, how far
    along it is. While a translation is incomplete the source text is
    returned, and `language` says so.
    """

    def get(self, request, pk):
        entry = snapshots.get_snapshot().guides.get(pk)
        if entry is None:
            raise NotFound("There is no public guide with this id.")
        return guide_response(request, entry)


@documented(
    operation_id="guides_retrieve_by_slug",
    summary="A guide, by locale and slug",
    response=GuideSerializer,
    tag="guides",
    not_found=True,
    path_parameters=[
        OpenApiParameter("locale", str, OpenApiParameter.PATH, enum=["es", "en", "cak"]),
        OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=SLUG_RE.pattern),
    ],
)
class GuideBySlugView(ApiView):
    """The same document as /api/v2/guides/{id}/, addressed like the front (/cak/mixco/)."""

    def get(self, request, locale, slug):
        snap = snapshots.get_snapshot()
        entry = next(
            (e for e in snap.guides.values() if e.locale == locale and e.slug == slug), None
        )
        if entry is None:
            raise NotFound("There is no public guide with this locale and slug.")
        return guide_response(request, entry)


@documented(
    operation_id="renditions_list",
    summary="List audio renditions (sync)",
    response=RenditionListingSerializer,
    tag="audio",
)
class RenditionListView(ApiView):
    """Audio files of public guides, for radios and offline apps that sync files.

    Every live rendition of every public guide (a guide's own audio only: a
    Kaqchikel guide without recordings lists none here, while its document
    offers the Spanish files). With ``changed_since``, only new or changed
    ones, and in ``removed`` those replaced or withdrawn since.
    """

    parameters = (
        LOCALE_PARAMETER,
        OpenApiParameter("guide", int, description="Only this guide's renditions."),
        OpenApiParameter("variant", str, description="Only this variant (listen, lowdata)."),
        CHANGED_SINCE_PARAMETER,
        LIMIT_PARAMETER,
        OFFSET_PARAMETER,
    )

    def get(self, request):
        params = self.params
        locale = parse_locale(params)
        guide = parse_integer(params, "guide", minimum=1)
        variant = params.get("variant")
        if variant is not None and variant not in variant_names():
            raise InvalidParameter(f"variant must be one of: {', '.join(variant_names())}.")
        since = parse_changed_since(params)
        limit, offset = paginate(params)
        snap = snapshots.get_snapshot()

        return sync_listing(
            request,
            snap,
            ("renditions", locale, guide, variant, since, limit, offset),
            entries=lambda: (
                entry
                for entry in snap.renditions.values()
                if (locale is None or entry.locale == locale)
                and (guide is None or entry.guide == guide)
                and (variant is None or entry.variant == variant)
            ),
            removals=lambda: (
                r
                for r in snap.removed_renditions
                if (locale is None or r.locale == locale) and (guide is None or r.guide == guide)
            ),
            since=since,
            limit=limit,
            offset=offset,
            item=lambda entry: entry.body,
            removal=lambda r: {
                "id": r.id,
                "guide": r.guide,
                "locale": r.locale,
                "removed_at": format_datetime(r.removed_at),
            },
        )


# --- Wagtail's own pages endpoint -----------------------------------------------

# What the stock endpoint shows of a guide with fields=*: the model's fields as
# Wagtail serializes them (StreamField JSON, snippet ids). Declared here rather
# than as GuidePage.api_fields so the endpoint's whole surface is in the API code.
STOCK_GUIDE_FIELDS = (
    "place_name",
    "department",
    "summary",
    "last_reviewed",
    "discreet_title",
    "sections",
    "organizations",
)
STOCK_INTEGER_PARAMETERS = (
    "limit",
    "offset",
    "child_of",
    "ancestor_of",
    "descendant_of",
    "translation_of",
    "id",
)


def not_on_the_web():
    """Content types of pages that are no web pages (``on_the_web = False``: the phone menus)."""
    return [
        ContentType.objects.get_for_model(model)
        for model in get_page_models()
        if not getattr(model, "on_the_web", True)
    ]


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's v2 pages endpoint, kept for tools that speak it (and as the benchmark's baseline).

    Changes from stock: incomplete translations (which would show source text
    under their own locale) and expired pages are left out, errors use the
    API's format, it is throttled like the rest, and parameters that stock
    Wagtail would pass to the database unchecked (huge integers, unknown
    locales) are a 400.
    """

    throttle_classes = (HashedAnonRateThrottle,)
    authentication_classes = ()
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = JSONOnlyNegotiation
    # rich_text_format=markdown expands page links to their URLs, hidden pages' slugs included.
    known_query_parameters = PagesAPIViewSet.known_query_parameters - {"format", "rich_text_format"}

    @classmethod
    def get_body_fields(cls, model):
        fields = super().get_body_fields(model)
        if issubclass(model, GuidePage) and not getattr(model, "api_fields", None):
            fields = fields + cls._convert_api_fields(list(STOCK_GUIDE_FIELDS))
        return fields

    def get_exception_handler(self):
        return api_exception_handler

    def get_base_queryset(self):
        hidden = snapshots.get_snapshot().hidden_from_stock
        now = timezone.now()
        queryset = (
            super()
            .get_base_queryset()
            .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
            .exclude(content_type__in=not_on_the_web())
        )
        return queryset.exclude(pk__in=hidden) if hidden else queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "rich_text_format" in request.GET:  # detail views do not check known_query_parameters
            raise BadRequestError(
                "rich_text_format is not supported: page links would name hidden pages."
            )
        for name in STOCK_INTEGER_PARAMETERS:
            value = request.GET.get(name)
            if value is not None and not INTEGER_RE.match(value):
                raise BadRequestError(f"{name} must be a whole number of at most 15 digits.")
        locale = request.GET.get("locale")
        if locale is not None and locale not in language_codes():
            # Stock Wagtail answers an unknown locale with a 404.
            raise BadRequestError(f"locale must be one of: {', '.join(language_codes())}.")

    def handle_exception(self, exc):
        if isinstance(exc, BadRequestError):
            return self.error(400, exc)
        if isinstance(exc, Http404):
            return self.error(404, exc)
        if isinstance(exc, (DatabaseError, OverflowError)):
            # A search expression or value the database refuses is the client's mistake.
            return self.error(400, "The database could not run this query; check the parameters.")
        return super().handle_exception(exc)

    def error(self, status_code: int, message: Exception | str) -> Response:
        response = Response(
            error_body(status_code, str(message) or "Not found."), status=status_code
        )
        response["Cache-Control"] = "no-store"
        return response


def guide_response(request, entry):
    """A whole guide's document, sent as stored (gzipped) to clients that take gzip."""
    return conditional_json(
        request, lambda: entry.full, entry.full_etag, entry.changed_at, compressed=entry.full_gzip
    )
