"""The one base class of the API's views, and their query parameters.

Every endpoint is a DRF ``APIView`` subclass of ``ApiView``: anonymous,
read-only, JSON only, throttled per (hashed) client, errors in the API's one
format. Each declares its query parameters once (``parameters``): they are
both what is accepted (anything else is a 400) and what drf-spectacular
documents (``documented``). Responses are mostly bytes built beforehand
(``snapshot``), returned as plain ``HttpResponse``s: DRF passes them through.
"""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .http import (
    InvalidParameter,
    JSONOnlyNegotiation,
    api_exception_handler,
    conditional_json,
    format_datetime,
    to_json,
)
from .serializers import ErrorSerializer
from .throttling import HashedAnonRateThrottle

if TYPE_CHECKING:
    from .snapshot import Snapshot

INTEGER_RE = re.compile(r"^[0-9]{1,15}$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
ALLOWED_METHODS = "GET, HEAD, OPTIONS"


def language_codes() -> list[str]:
    return [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES]


class ApiView(APIView):
    """A read-only JSON endpoint: throttled, strict about parameters, errors in the API's format.

    Subclasses declare ``parameters`` and implement ``get(request, ...)``,
    reading their parsed query parameters from ``self.params``.
    """

    parameters: tuple[OpenApiParameter, ...] = ()
    authentication_classes = ()  # anonymous: no session or user lookups
    permission_classes = ()
    throttle_classes = (HashedAnonRateThrottle,)
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = JSONOnlyNegotiation
    http_method_names = ["get", "head", "options"]

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # throttling first, then the parameters
        self.params = query_parameters(request, self.parameters)

    def options(self, request, *args, **kwargs) -> HttpResponse:
        # CORS preflights never get here (cms.api.cors answers them).
        return HttpResponse(status=204, headers={"Allow": ALLOWED_METHODS})


def query_parameters(request: HttpRequest, declared: Iterable[OpenApiParameter]) -> dict[str, str]:
    """Query parameters as a dict; unknown or repeated ones are a 400."""
    known = {parameter.name for parameter in declared}
    params = {}
    for name in request.GET:
        if name not in known:
            known_list = ", ".join(sorted(known)) or "none"
            raise InvalidParameter(
                f"Unknown query parameter: {name}. Known parameters: {known_list}."
            )
        values = request.GET.getlist(name)
        if len(values) > 1:
            raise InvalidParameter(f"Give {name} only once.")
        params[name] = values[0]
    return params


NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the client's copy (If-None-Match / If-Modified-Since) is current."
)
BAD_REQUEST = OpenApiResponse(
    ErrorSerializer, description="A query parameter is unknown, repeated or invalid."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such public guide.")
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too many requests from this client; see Retry-After."
)


def documented(
    *,
    operation_id: str,
    summary: str,
    response: type | OpenApiResponse,
    tag: str,
    not_found: bool = False,
    path_parameters: Iterable[OpenApiParameter] = (),
) -> Callable[[type[APIView]], type[APIView]]:
    """Class decorator: the view's OpenAPI operation, from its docstring and declared parameters."""

    def decorate(view_class):
        responses = {200: response, 304: NOT_MODIFIED, 400: BAD_REQUEST, 429: THROTTLED}
        if not_found:
            responses[404] = NOT_FOUND
        view_class.get = extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=" ".join((view_class.__doc__ or "").split()),
            parameters=[*view_class.parameters, *path_parameters],
            responses=responses,
            tags=[tag],
        )(view_class.get)
        return view_class

    return decorate


def parse_integer(
    params: dict[str, str],
    name: str,
    default: int | None = None,
    minimum: int = 0,
    maximum: int | None = None,
) -> int | None:
    value = params.get(name)
    if value is None:
        return default
    if (
        not INTEGER_RE.match(value)
        or int(value) < minimum
        or (maximum is not None and int(value) > maximum)
    ):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise InvalidParameter(f"{name} must be a whole number {bounds}.")
    return int(value)


def parse_changed_since(params: dict[str, str]) -> datetime | None:
    """The time as an aware datetime in UTC, or None; a 400 for anything else.

    It is converted to UTC here, where a valid ISO 8601 time whose instant
    falls outside years 1-9999 in UTC (9999-12-31T23:59:59-23:59) fails as a
    400 rather than later, in a comparison or when it is written back, as a 500.
    """
    value = params.get("changed_since")
    if value is None:
        return None
    try:
        # A "+" in an unencoded query string arrives as a space.
        parsed = parse_datetime(value.strip().replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidParameter(
            "changed_since must be an ISO 8601 date and time, e.g. 2026-11-01T12:00:00Z "
            "(pass back meta.as_of from the previous response)."
        )
    if timezone.is_naive(parsed):
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidParameter(
            "changed_since must be a time between the years 1 and 9999 in UTC."
        ) from None


def parse_locale(params: dict[str, str]) -> str | None:
    locale = params.get("locale")
    if locale is not None and locale not in language_codes():
        raise InvalidParameter(f"locale must be one of: {', '.join(language_codes())}.")
    return locale


def paginate(params: dict[str, str]) -> tuple[int, int]:
    limit = parse_integer(params, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = parse_integer(params, "offset", 0, minimum=0, maximum=10**9)
    return limit, offset


def listing_body(meta: dict[str, Any], items: list[bytes], removed: list[dict]) -> bytes:
    """A listing's JSON from pre-serialized item bytes."""
    return b"".join(
        [
            b'{"meta":',
            to_json(meta),
            b',"items":[',
            b",".join(items),
            b"]",
            b',"removed":',
            to_json(removed),
            b"}",
        ]
    )


def listing_meta(
    snap: "Snapshot", total: int, limit: int, offset: int, since: datetime | None
) -> dict[str, Any]:
    return {
        "total_count": total,
        "limit": limit,
        "offset": offset,
        "as_of": format_datetime(snap.as_of),
        "changed_since": format_datetime(since),
    }


def sync_listing(
    request: HttpRequest,
    snap: "Snapshot",
    key: tuple,
    *,
    entries: Callable[[], Iterable[Any]],
    removals: Callable[[], Iterable[Any]],
    since: datetime | None,
    limit: int,
    offset: int,
    item: Callable[[Any], bytes],
    removal: Callable[[Any], dict[str, Any]],
) -> HttpResponse:
    """A listing clients keep in sync with ``changed_since``, memoized per snapshot.

    ``entries`` and ``removals`` are callables giving everything that matches
    the request's other filters; they run only when the listing is not
    memoized yet. ``item`` gives an entry's JSON bytes, ``removal`` a
    removal's dict.
    """

    def make():
        changed = [e for e in entries() if since is None or e.changed_at > since]
        every_removal = list(removals())
        removed = [r for r in every_removal if since is not None and r.removed_at > since]
        body = listing_body(
            listing_meta(snap, len(changed), limit, offset, since),
            [item(e) for e in changed[offset : offset + limit]],
            [removal(r) for r in removed],
        )
        # Something that went away changes the listing too, whenever it went.
        return body, latest([e.changed_at for e in changed] + [r.removed_at for r in every_removal])

    body, etag, last_modified = snap.listing(key, make)
    return conditional_json(request, body, etag, last_modified)


def latest(times: Iterable[datetime | None]) -> datetime | None:
    times = [t for t in times if t is not None]
    return max(times) if times else None


LOCALE_PARAMETER = OpenApiParameter(
    "locale", str, enum=["es", "en", "cak"], description="Only this locale."
)
CHANGED_SINCE_PARAMETER = OpenApiParameter(
    "changed_since",
    OpenApiTypes.DATETIME,
    description="Only what changed after this time, plus what was removed since (in `removed`). "
    "Pass the previous response's meta.as_of.",
)
LIMIT_PARAMETER = OpenApiParameter(
    "limit", int, description=f"Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."
)
OFFSET_PARAMETER = OpenApiParameter("offset", int, description="Items to skip.")
