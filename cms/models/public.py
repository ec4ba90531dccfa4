"""Serving a page to visitors through ``cms.visibility``."""

from django.http import Http404
from wagtail.models import Revision
from wagtail.url_routing import RouteResult

from .. import visibility
from ..translations import DisplayVersion


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

    def displayed(self) -> DisplayVersion:
        """What the template shows: the version the route chose, or the reader's version
        (previews)."""
        version = getattr(self, "shown_version", None)
        return version or visibility.content_version(self)

    def save(self, *args, **kwargs):
        """Keep a live page's row slug (its public URL) the live revision's.

        wagtail-localize saves a translation's draft into the page row, slug
        included: the page would move to the draft's URL (a translator's slug
        can hold the hidden title), and Wagtail would add an automatic redirect
        to it. The row keeps the live slug; the draft slug stays in the draft
        (this instance and the revision saved from it) until it is published.
        """
        update_fields = kwargs.get("update_fields")
        live_slug = None
        if (
            self.pk
            and self.live
            and self.live_revision_id
            and (update_fields is None or "slug" in update_fields)
        ):
            live_slug = (
                Revision.objects.filter(pk=self.live_revision_id)
                .values_list("content__slug", flat=True)
                .first()
            )
        if not live_slug or live_slug == self.slug:
            return super().save(*args, **kwargs)
        draft_slug, self.slug = self.slug, live_slug
        try:
            return super().save(*args, **kwargs)
        finally:
            self.slug = draft_slug
