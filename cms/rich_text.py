"""Rich-text links to pages: a target only when the public may open the page.

Wagtail's own ``page`` link handler writes the URL of whatever page is
linked — a draft, a private page, an expired one — so its slug would show on
public pages. This handler gives an ``href`` only to pages that pass
``cms.visibility``'s rule (a translation falling back to a hidden source
included); any other link keeps its text and loses its target (``<a>``).

Used by every expansion of rich text (``expand_db_html``: front pages, the
stock pages endpoint's ``rich_text_format=html``) through the hook in
``cms.wagtail_hooks``, and by the API's documents (``public_page_urls``).
"""

from collections.abc import Iterable

from django.utils.html import escape
from wagtail.models import Page
from wagtail.rich_text.pages import PageLinkHandler

from . import visibility


def public_page_urls(pages: Iterable[Page | None]) -> dict[int, str]:
    """``{page id: URL}`` for those of ``pages`` a visitor may open; the others are left out."""
    ids = {page.pk for page in pages if page is not None}
    if not ids:
        return {}
    return {
        version.requested.pk: version.requested.url
        for version in visibility.public_versions(Page.objects.filter(pk__in=ids))
    }


class PublicPageLinkHandler(PageLinkHandler):
    """``<a linktype="page" id="…">``: the page's URL, in the reader's language where Wagtail would
    pick it."""

    @classmethod
    def expand_db_attributes_many(cls, attrs_list):
        # Wagtail links to the live translation in the active language (``localized``)
        # when there is one; that translation must be public too, else the page itself.
        candidates = [
            (page.localized, page) if page is not None else () for page in cls.get_many(attrs_list)
        ]
        urls = public_page_urls([page for pair in candidates for page in pair])
        tags = []
        for pair in candidates:
            url = next((urls[page.pk] for page in pair if urls.get(page.pk)), None)
            tags.append(f'<a href="{escape(url)}">' if url else "<a>")
        return tags
