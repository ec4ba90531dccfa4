"""Headers and errors for everything under /api/.

- CORS, read-only: origins listed in ``ALTAVOZ_API_CORS_ORIGINS`` may GET and
  HEAD; preflight requests are answered here. Other origins get no CORS
  headers (the browser then refuses the response to the page).
- No cookies and no language negotiation: API responses are the same for
  everyone (each document says its own language), so ``Vary:
  Accept-Language`` and ``Content-Language`` from the locale middleware are
  dropped.
- An unexpected exception becomes a JSON 500 (logged without the client's
  address).
- Our own endpoints (``endpoints.Endpoint``) are called straight from here for
  GET and HEAD, past the site's session, locale, CSRF, auth and message
  middleware: they use none of it, and skipping it halves the cost of a
  request. Everything else goes through the whole stack.
"""

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from .http import error_response

logger = logging.getLogger("cms.api")

API_PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_REQUEST_HEADERS = "Accept, If-None-Match, If-Modified-Since, Cache-Control"
EXPOSED_HEADERS = "ETag, Last-Modified, Retry-After"
PREFLIGHT_MAX_AGE = "86400"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        allowed = origin is not None and origin in settings.ALTAVOZ_API_CORS_ORIGINS
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ALLOWED_METHODS
            if allowed:
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
                response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        else:
            response = self.direct_response(request) or self.get_response(request)
        return self.finish(request, response, origin if allowed else None)

    def direct_response(self, request):
        """Call one of our endpoints directly (see module docstring), or None."""
        if request.method not in ("GET", "HEAD"):
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        endpoint = getattr(match.func, "endpoint", None)
        if endpoint is None or not endpoint.bypass_site_middleware:
            return None
        try:
            request.get_host()  # the check CommonMiddleware would make
        except DisallowedHost:
            return error_response(400, "This Host header is not served here.", "invalid_host")
        request.resolver_match = match
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as exception:
            response = self.process_exception(request, exception)
            if response is None:
                raise
        response["X-Frame-Options"] = "DENY"
        return response

    def finish(self, request, response, cors_origin):
        if cors_origin and request.method in ("GET", "HEAD", "OPTIONS"):
            response["Access-Control-Allow-Origin"] = cors_origin
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if settings.ALTAVOZ_API_CORS_ORIGINS:
            patch_vary_headers(response, ["Origin"])
        if response.has_header("Vary"):
            kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "accept-language"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        if response.has_header("Content-Language"):
            del response["Content-Language"]
        response.cookies.clear()
        return response

    def process_exception(self, request, exception):
        if not request.path_info.startswith(API_PREFIX) or settings.DEBUG:
            return None
        logger.error("API error on %s %s", request.method, request.path, exc_info=exception)
        return error_response(500, "Something went wrong on our side; please try again later.")
