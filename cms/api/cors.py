"""CORS for /api/: django-cors-headers, configured in settings (``CORS_*``), with two adjustments.

- Origins come from ``ALTAVOZ_API_CORS_ORIGINS`` (exact origins), read per
  request so that an operator's one setting (and a test's override) is the
  whole truth.
- A preflight is answered ``204 No Content`` (it has no body), with ``Allow``.

Read-only and without credentials: ``CORS_ALLOW_METHODS`` is GET, HEAD,
OPTIONS and ``CORS_ALLOW_CREDENTIALS`` stays off. Other origins get no CORS
headers (the browser then refuses the response to the page).
"""

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.utils.cache import patch_vary_headers

from .base import ALLOWED_METHODS


class ApiCorsMiddleware(CorsMiddleware):
    def origin_found_in_white_lists(self, origin, url) -> bool:
        return origin in settings.ALTAVOZ_API_CORS_ORIGINS

    def check_preflight(self, request):
        response = super().check_preflight(request)
        if response is not None:
            response.status_code = 204
            del response["Content-Length"]
            response["Allow"] = ALLOWED_METHODS
        return response

    def add_response_headers(self, request, response):
        if getattr(request, "_cors_enabled", False):
            # The usual capitalisation (the library writes "origin"; both are valid).
            patch_vary_headers(response, ["Origin"])
        return super().add_response_headers(request, response)
