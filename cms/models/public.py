"""Serving a page to visitors through ``cms.visibility``."""

from django.http import Http404
from wagtail.url_routing import RouteResult

from .. import visibility


class PublishedContentMixin:
    """Serve the live revision, never the row's draft; expired pages and hidden fallbacks are 404s.

    ``route`` is only used to serve visitors (previews call ``serve_preview``
    with the draft), so the rule is applied there. The page's own view
    restriction is left to Wagtail's password and sign-in forms.
    """

    def route(self, request, path_components):
        if path_components:
            return super().route(request, path_components)
        version = visibility.reader_version(self)
        if version is None:
            raise Http404
        page = version.requested
        page.shown_version = version
        return RouteResult(page)

    def displayed(self):
        """What the template shows: the version the route chose, or the reader's version (previews)."""
        version = getattr(self, "shown_version", None)
        return version or visibility.content_version(self)
