"""One rule for what the public can reach.

A visitor (a listener, an app, a radio station, a caller) may see a page when it is

- **live**, and then only as its *live revision*: wagtail-localize writes a
  translation's unpublished draft straight into the page row, so the row is
  not always what was published;
- **not expired** (``expire_at`` in the past hides it at once, before the
  worker's scheduled-publishing sweep unpublishes it);
- **public**: no view restriction (password, groups, login) on it or an
  ancestor;
- and, when it is an incomplete translation shown in its source language
  (``cms.translations``), its **source passes the same rule**: otherwise the
  fallback would publish the source's hidden text.

A file may be served to the public when it belongs to a rendition (or a phone
line's section file) of a page that passes the rule: a live one, or one retired
by a newer one less than ``ALTAVOZ_AUDIO_GRACE_SECONDS`` ago (clients
mid-download finish).

Every public surface asks this module, and no other code repeats the rule:
front pages and home listings, the language switcher, rich-text page links,
both feeds, the API, media serving, the audio jobs and the stale-audio sweep
(a draft is never voiced), and radio packages.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction, Revision
from wagtail.query import PageQuerySet

from .translations import DisplayVersion, display_versions

if TYPE_CHECKING:
    from audio.models import Rendition


def not_expired_q(now: datetime | None = None) -> Q:
    return Q(expire_at__isnull=True) | Q(expire_at__gt=now or timezone.now())


def public_pages(queryset: PageQuerySet | None = None, now: datetime | None = None) -> PageQuerySet:
    """The pages of ``queryset`` (default: all pages) that pass the rule, as a queryset.

    The page rows still hold what was last saved: pass them through
    ``published`` (or ``published_many``) before reading their content.
    """
    queryset = Page.objects.all() if queryset is None else queryset
    return queryset.live().filter(not_expired_q(now)).public()


def restricted_paths() -> list[str]:
    """Tree paths of the pages with a view restriction: they and their descendants are private."""
    return list(PageViewRestriction.objects.values_list("page__path", flat=True))


def is_expired(page: Page, now: datetime | None = None) -> bool:
    return page.expire_at is not None and page.expire_at <= (now or timezone.now())


def is_restricted(page: Page, restricted: list[str] | None = None) -> bool:
    paths = restricted_paths() if restricted is None else restricted
    return any(page.path.startswith(prefix) for prefix in paths)


def is_public(page: Page, now: datetime | None = None, restricted: list[str] | None = None) -> bool:
    """Does ``page`` itself pass the rule (live, not expired, no view restriction)?"""
    return bool(page.live) and not is_expired(page, now) and not is_restricted(page, restricted)


# Whole-page status the row holds, not the revision (an expiry set on the row
# after publishing, the publish dates): copied onto the published content.
ROW_STATUS_FIELDS = ("expire_at", "go_live_at", "expired", "live_revision_id", "last_published_at")


def _with_live_content(page, content):
    version = page.specific.with_content_json(content)
    for name in ROW_STATUS_FIELDS:
        setattr(version, name, getattr(page, name))
    return version


def published(page: Page) -> Page:
    """``page`` as its live revision (``page`` itself when the row holds it, or it never went live).

    The result keeps the page's id, tree position and status; only the
    content comes from the revision.
    """
    if getattr(page, "_altavoz_published", False):
        return page
    if page.has_unpublished_changes and page.live_revision_id:
        revision = (
            Revision.objects.filter(pk=page.live_revision_id)
            .values_list("content", flat=True)
            .first()
        )
        if revision is not None:
            page = _with_live_content(page, revision)
    page._altavoz_published = True
    return page


def published_many(pages: Iterable[Page]) -> list[Page]:
    """``published`` for many pages, with one query for all their revisions."""
    pages = list(pages)
    drafted = {
        page.live_revision_id: page
        for page in pages
        if page.has_unpublished_changes
        and page.live_revision_id
        and not getattr(page, "_altavoz_published", False)  # already its live revision
    }
    replaced = {}
    if drafted:
        for revision_id, content in Revision.objects.filter(pk__in=drafted).values_list(
            "pk", "content"
        ):
            page = drafted[revision_id]
            replaced[page.pk] = _with_live_content(page, content)
    result = [replaced.get(page.pk, page) for page in pages]
    for page in result:
        page._altavoz_published = True
    return result


def content_version(page: Page) -> DisplayVersion:
    """The published content of ``page`` and its language, whatever its visibility.

    For what editors see of the audio (status, content hashes): the text that
    is, or would be, voiced. Whether it may be voiced is ``shown_version``'s
    question.
    """
    return content_versions([page])[0]


def content_versions(pages: Iterable[Page]) -> list[DisplayVersion]:
    """``content_version`` for many pages, in a fixed number of queries."""
    versions = display_versions(published_many(pages))
    fallbacks = [version for version in versions if version.is_fallback]
    live_sources = iter(published_many(version.object for version in fallbacks))
    return [
        version.with_object(next(live_sources)) if version.is_fallback else version
        for version in versions
    ]


def reader_version(
    page: Page, now: datetime | None = None, restricted: list[str] | None = None
) -> DisplayVersion | None:
    """What a reader who may open ``page`` sees: a ``DisplayVersion`` of published content, or None.

    ``page``'s own view restriction is not checked here: Wagtail asks for the
    password or sign-in before serving it. None when ``page`` is not live or
    expired, or when it falls back to a source that does not pass the rule.
    """
    if not page.live or is_expired(page, now):
        return None
    version = content_version(page)
    if version.is_fallback and not is_public(version.object, now, restricted):
        return None
    return version


def shown_version(
    page: Page, now: datetime | None = None, restricted: list[str] | None = None
) -> DisplayVersion | None:
    """What any visitor may see of ``page`` (the whole rule), or None when nothing."""
    restricted = restricted_paths() if restricted is None else restricted
    if not is_public(page, now, restricted):
        return None
    return reader_version(page, now, restricted)


def public_versions(queryset: PageQuerySet, now: datetime | None = None) -> list[DisplayVersion]:
    """``shown_version`` for every page of ``queryset`` that passes the rule, in queryset order."""
    restricted = restricted_paths()
    versions = content_versions(public_pages(queryset, now))
    # A fallback shows its source's text: only if the source passes the rule too.
    return [
        version
        for version in versions
        if not version.is_fallback or is_public(version.object, now, restricted)
    ]


# --- Files ----------------------------------------------------------------------


def rendition_is_public(rendition: "Rendition", now: datetime | None = None) -> bool:
    """May a visitor download this rendition's files (audio, captions, chapters)?

    The phone line's section files (``audio.models.PhoneAudio``: a page, a state, a
    retirement time) are asked the same question.
    """
    now = now or timezone.now()
    if rendition.state == rendition.State.RETIRED:
        grace = timedelta(seconds=settings.ALTAVOZ_AUDIO_GRACE_SECONDS)
        if rendition.retired_at is None or rendition.retired_at < now - grace:
            return False
    return shown_version(rendition.page, now) is not None
