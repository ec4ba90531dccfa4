"""JSON answers for /api/ URLs that match no endpoint."""

from .http import error_response


def api_not_found(request, *args, **kwargs):
    """404 for an unknown API URL, in the API's error format."""
    return error_response(404, "There is no API endpoint at this address. See /api/docs/.")
