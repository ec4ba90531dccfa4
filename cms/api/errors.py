"""JSON answers for /api/ URLs that no view of ours answers: unknown URLs, bad hosts, crashes.

``api_not_found`` is the URLconf's last /api/ route; ``bad_request`` and
``server_error`` are the project's ``handler400``/``handler500`` (config/urls.py):
the API's format under /api/, Django's own pages elsewhere.
"""

from typing import Any

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .http import error_response

API_PREFIX = "/api/"


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """404 for an unknown API URL, in the API's error format."""
    return error_response(404, "There is no API endpoint at this address. See /api/docs/.")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not request.path_info.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        return error_response(400, "This Host header is not served here.", "invalid_host")
    return error_response(400, "Bad request.")


def server_error(request: HttpRequest) -> HttpResponse:
    if not request.path_info.startswith(API_PREFIX):
        return defaults.server_error(request)
    return error_response(500, "Something went wrong on our side; please try again later.")
