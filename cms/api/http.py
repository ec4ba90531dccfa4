"""HTTP behaviour shared by every API endpoint: errors, throttling, caching headers.

- Errors are ``{"error": {"code": ..., "message": ...}}`` for every status
  (400, 404, 405, 406, 412, 429, 500), never HTML.
- Unexpected exceptions in our views become a JSON 500 (logged without the
  client's address); ``errors`` does the same for the rest of /api/.
- Successful responses carry ETag, Last-Modified and Cache-Control, and a
  conditional GET gets a 304.
- Clients that accept gzip get it (a whole-guides listing shrinks ~5-fold on
  a phone's data plan). Bodies are compressed once per content and kept, so
  a request still only looks up bytes; the gzip form has its own ETag.
"""

import gzip
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .rates import parse_rate  # noqa: F401  (re-exported: tests/test_settings.py reads it here)
from .serializers import UTCDateTimeField

logger = logging.getLogger("cms.api")

_datetime_field = UTCDateTimeField()


def to_json(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every API response is encoded."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def etag_of(body: bytes) -> str:
    """A strong ETag: the body's digest."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def format_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, as in every document (None stays None)."""
    return _datetime_field.to_representation(value) if value is not None else None


ERROR_CODES = {
    400: "invalid_parameter",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    412: "precondition_failed",
    429: "throttled",
    500: "server_error",
}


class ApiError(Exception):
    """An error answered in the API's format (raised by our views; see
    ``api_exception_handler``)."""

    status = 400
    code = "invalid_parameter"

    def __init__(self, message, headers=None):
        super().__init__(message)
        self.message = str(message)
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        response = error_response(self.status, self.message, self.code)
        for name, value in self.headers.items():
            response[name] = value
        return response


class InvalidParameter(ApiError):
    status, code = 400, "invalid_parameter"


class NotFound(ApiError):
    status, code = 404, "not_found"


def error_body(status_code: int, message: str, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code or ERROR_CODES.get(status_code, "error"), "message": str(message)}
    }


def error_response(status_code: int, message: str, code: str | None = None) -> JsonResponse:
    """A JSON error response outside DRF (URL not found, server error)."""
    response = JsonResponse(error_body(status_code, message, code), status=status_code)
    response["Cache-Control"] = "no-store"
    return response


def _message(detail):
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_message(value)}" for key, value in detail.items())
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every error body in the API's one format.

    An unexpected exception is logged and answered with a JSON 500 here,
    inside the view, rather than by Django's HTML error page (DEBUG shows
    Django's page, with the traceback).
    """
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        if settings.DEBUG:
            return None
        request = context.get("request")
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(500, "Something went wrong on our side; please try again later.")
    code = ERROR_CODES.get(response.status_code) or getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.Throttled):
        message = "Too many requests; try again later."
        if exc.wait is not None:
            message = f"Too many requests; try again in {int(exc.wait)} seconds."
    else:
        message = _message(getattr(exc, "detail", exc))
    response.data = error_body(response.status_code, message, code)
    response["Cache-Control"] = "no-store"
    return response


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always JSON: no ``?format=`` switch, no browsable HTML, whatever Accept says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# Smaller bodies gain little from gzip and cost its header; the memo holds
# the compressed form of the current documents (they are keyed by content).
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
GZIP_MEMO_BYTES = 32 * 1024 * 1024
_gzip_memo = OrderedDict()
_gzip_memo_lock = threading.Lock()
# Accept-Encoding is split by hand over a bounded prefix: a backtracking
# regex here once took 16 s of CPU for a 30,000-character header. Real
# clients send a few dozen characters ("gzip, deflate, br, zstd").
ACCEPT_ENCODING_MAX_CHARS = 1024
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")  # RFC 9110 §12.4.2


def coding_qualities(header: str) -> dict[str, float]:
    """{content coding: q} from an Accept-Encoding header, in linear time.

    Only the first ACCEPT_ENCODING_MAX_CHARS characters are read. A coding
    whose q is not a valid qvalue counts as q=0: sending the body
    uncompressed is always safe. The first mention of a coding wins.
    """
    qualities = {}
    for element in header[:ACCEPT_ENCODING_MAX_CHARS].split(","):
        coding, *parameters = element.split(";")
        coding = coding.strip().lower()
        if coding:
            qualities.setdefault(coding, _quality(parameters))
    return qualities


def _quality(parameters):
    for parameter in parameters:
        name, _sep, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else 0.0
    return 1.0


def accepts_gzip(request: HttpRequest) -> bool:
    """Accept-Encoding gives gzip a q above 0, or names it not and gives * one (RFC 9110
    §12.5.3)."""
    qualities = coding_qualities(request.headers.get("Accept-Encoding", ""))
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def gzipped(body: bytes, etag: str) -> bytes:
    """The body gzipped (deterministically: no timestamp), memoized by its ETag."""
    with _gzip_memo_lock:
        found = _gzip_memo.get(etag)
        if found is not None:
            _gzip_memo.move_to_end(etag)
            return found
    compressed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    with _gzip_memo_lock:
        _gzip_memo[etag] = compressed
        size = sum(len(v) for v in _gzip_memo.values())
        while size > GZIP_MEMO_BYTES and len(_gzip_memo) > 1:
            _key, dropped = _gzip_memo.popitem(last=False)
            size -= len(dropped)
    return compressed


def conditional_json(
    request: HttpRequest,
    body: bytes | Callable[[], bytes],
    etag: str,
    last_modified: datetime | None,
    compressed: bytes | None = None,
) -> HttpResponse:
    """200 with the body, or 304 when the client's copy is current.

    ``last_modified`` is a datetime (or None). Validators and caching headers
    are set on both. ``compressed``: the body already gzipped as ``gzipped`` would
    (``body`` may then be a function making the plain bytes, called only for a client
    that does not take gzip).
    """
    # HTTP dates have whole seconds: compare as the client will send it back.
    # (Two changes within one second share a Last-Modified; the ETag tells them apart.)
    timestamp = int(last_modified.timestamp()) if last_modified else None
    if compressed is not None:
        compress = accepts_gzip(request)
    else:
        compress = len(body) >= GZIP_MIN_BYTES and accepts_gzip(request)
    if compress:
        etag = etag[:-1] + '-gzip"'  # another representation, another validator
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        if compress:
            body = compressed if compressed is not None else gzipped(body, etag)
        elif callable(body):
            body = body()
        response = HttpResponse(body, content_type="application/json")
        response["Content-Length"] = str(len(body))
        if compress:
            response["Content-Encoding"] = "gzip"
    elif response.status_code == 412:
        return error_response(412, "The resource does not match If-Match / If-Unmodified-Since.")
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = f"public, max-age={settings.ALTAVOZ_API_MAX_AGE}"
    return response
