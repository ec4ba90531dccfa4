"""A guide's rendered body, remembered per published version (the "pages" cache).

Rendering a guide (its sentence marks, sections, player, organizations) was most of
a page's cost. The body is the same for every visitor of one published version, so
it is rendered once and kept under a key naming everything it is made of:

- the page and its live revision, and the shown text's page, live revision and
  language (a translation falling back to its source);
- the active language (the interface's words) and the templates' text;
- what other apps add through ``GUIDE_CONTEXT_HOOK`` (audio: the live renditions,
  the low-data choice);
- the content token (``CONTENT_TOKEN_HOOK``): organizations, recordings and
  translations edited on their own change it, seen at once in this process and
  within ``ALTAVOZ_API_FRESHNESS_SECONDS`` in others, as the API's documents are.

Only a body served through the route is kept, never a preview's (the editor's draft).
Whether the visitor may see the page is never cached: the route asks
``cms.visibility`` on every request, before a key is made. A guide whose text links
to other pages is rendered every time, since those links follow the other pages'
visibility, expiry included; so is every guide in development (``DEBUG``), where templates
are edited under a running server. The body holds nothing per response (no CSRF token,
no CSP nonce), so one copy serves everyone.
"""

import hashlib
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import get_template
from django.utils.translation import get_language
from wagtail import hooks

from .models.guide import CONTENT_TOKEN_HOOK
from .translations import DisplayVersion

if TYPE_CHECKING:
    from .models.guide import GuidePage

CACHE_ALIAS = "pages"
# Keys change with every version, so old bodies are never served; this only bounds how
# long an unvisited one takes room (and how long a deploy's reworded catalog waits).
BODY_SECONDS = 60 * 60
# Bump when what the body shows changes outside the templates below.
BODY_FORMAT = "1"
BODY_TEMPLATES = (
    "cms/guide_body.html",
    "includes/player.html",
    "includes/translation_notice.html",
)
# Rich text's internal page links are written only for pages the public may open.
PAGE_LINK = 'linktype="page"'


@cache
def templates_digest() -> str:
    """The body templates' text: a deploy that changes them starts new keys."""
    digest = hashlib.blake2b(digest_size=8)
    for name in BODY_TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()


def body_cache_key(page: "GuidePage", content: DisplayVersion, varies_on: Iterable) -> str | None:
    """The cache key of ``page``'s body as ``content`` shows it, or None when it is not kept."""
    if settings.DEBUG:
        return None  # development: a template edit shows on the next request
    if getattr(page, "shown_version", None) is not content:
        # Only what the route chose for a visitor (the live revision) is kept: a preview
        # shows the editor's draft, which under the live version's key would go public.
        return None
    shown = content.object
    if page.live_revision_id is None or shown.live_revision_id is None:
        return None  # content saved without a revision (fixtures): nothing names its version
    if PAGE_LINK in str(shown.sections.raw_data):
        return None
    parts = [
        BODY_FORMAT,
        templates_digest(),
        get_language(),
        page.pk,
        page.live_revision_id,
        shown.pk,
        shown.live_revision_id,
        content.language,
        *(token() for token in hooks.get_hooks(CONTENT_TOKEN_HOOK)),
        *varies_on,
    ]
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
