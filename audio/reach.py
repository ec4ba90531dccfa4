"""Reach counts: how often guides were played, heard to the end, saved, downloaded, fetched.

Organizations report reach to funders; listeners must not be tracked to do it. So the
server counts, per day, guide (page + locale), variant and kind, one integer per key
(``ReachCount``), and keeps nothing else: no cookie is set, no address, browser or time
of day is read or stored, and nothing about the request is logged. What counts:

- **play**: a GET of a rendition's audio answered from byte 0 (no Range, ``bytes=0-``,
  or ``bytes=0-N`` as the front's first small request). Safari's two-byte probe
  (``bytes=0-1``), a HEAD, a 304 and a 416 are not plays; a listener who starts over
  counts again, and a plain download (the page's "Descargar", a podcast app) is a play.
- **end**: a Range request starting after byte 0 whose range includes the file's last
  byte, that is, the player fetched the end of the file. A suffix range (``bytes=-N``,
  how a player would read a tail for metadata) is not counted; our front reads MP3 and
  WebM from the start. The front fetches ahead of the sound, so "end" means the player
  got to the end of the file while the page stayed open, not that the last word was heard.
- **save**: the front's "Guardar" fetches the audio with ``?guardar=1`` (listen.js); that
  answer counts as a save and not as a play. A saved guide refreshing itself fetches a new
  version's audio with ``?actualizar=1`` (static/js/saved.js): neither a play nor a new save,
  so that one phone's copy counts once however often its guide is edited.
- **radio_package**: a station's (or editor's) download of a public guide's radio package.
- **feed**: a GET of a podcast or station feed (200 or 304: each is an app or station
  checking for news, not a person), per locale.

Only what ``cms.visibility`` serves is counted: a file of a hidden guide is a 404 and
counts nothing. Editors signed in to the admin are not counted (checking the audio
tab is not reach). Counting never fails or holds up a listener's request: it happens
once the answer has been sent (when the server closes it), and a database error is
swallowed and logged (at most once a minute per process, without the request).
"""

import functools
import logging
import re
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from cms import visibility

from .listening import public_rendition_for_file
from .models import ReachCount
from .serving import parse_range

logger = logging.getLogger(__name__)
Kind = ReachCount.Kind
CONTENT_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
# Safari asks for the first two bytes before it plays: a probe, not a play.
PROBE_BYTES = 2
SAVE_FLAG = "guardar"
REFRESH_FLAG = "actualizar"
WARNING_INTERVAL_SECONDS = 60.0
_warned_at = float("-inf")


def record(kind, locale, page=None, variant=""):
    """Add one to today's count of ``kind`` for this guide (or feed) and variant.

    One atomic UPDATE ... SET count = count + 1; the day's first request inserts the row,
    and if another request inserted it meanwhile (the unique constraint says so) the
    UPDATE runs again. Safe on SQLite and PostgreSQL with any number of processes.
    Never raises a database error: reach is not worth a listener's request. True if
    counted, False if the database refused (SQLite busy for longer than its timeout, a
    database that is down).
    """
    key = {
        "day": timezone.localdate(),
        "page": page,
        "locale": locale,
        "variant": variant,
        "kind": kind,
    }
    try:
        with transaction.atomic():
            _increment(key)
    except DatabaseError as error:
        _warn(error)
        return False
    return True


def _increment(key):
    if ReachCount.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ReachCount.objects.create(**key, count=1)
    except IntegrityError:
        ReachCount.objects.filter(**key).update(count=F("count") + 1)


def _warn(error):
    global _warned_at
    now = time.monotonic()
    if now - _warned_at >= WARNING_INTERVAL_SECONDS:
        _warned_at = now
        # The error's class and message name the table, never the visitor.
        logger.warning("Reach not counted (%s: %s)", type(error).__name__, error)


def after_response(response, count, *args):
    """Run ``count(*args)`` once ``response`` has been sent, when the server closes it.

    The listener's bytes are on their way before the database is written to: a slow
    write (SQLite's fsync, a busy PostgreSQL) holds the server's worker a moment, never
    her first byte. It runs before the response's own closing, which ends the request's
    database connection.
    """
    closing = response.close

    def close():
        try:
            count(*args)
        except Exception:  # a bug in counting must not cost the listener her audio
            logger.exception("Reach counting failed")
        finally:
            closing()

    response.close = close
    return response


def counts_reach(serve):
    """Wrap the /media/ view: once it has answered, count a play, end or save of a rendition."""

    @functools.wraps(serve)
    def counted(request, path, *args, **kwargs):
        response = serve(request, path, *args, **kwargs)
        return after_response(response, count_media_answer, request, path, response)

    return counted


def count_media_answer(request, path, response):
    """Count what this /media/ answer was (see the module's rules), if anything."""
    if request.method != "GET" or response.status_code not in (200, 206):
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return
    accel = response.has_header("X-Accel-Redirect")
    span = None if accel else served_span(response)
    if span is not None and media_kind(request, *span) is None:
        return  # a chunk from the middle: decided without a query
    rendition = (
        request.altavoz_public_rendition  # the serving view's answer, for this very path
        if hasattr(request, "altavoz_public_rendition")
        else public_rendition_for_file(path)
    )
    if rendition is None or rendition.audio.name != path:
        return  # captions, chapters, an editor's file: not reach
    if accel:
        # nginx answers the Range itself, and may answer a conditional request with a 304.
        if request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since"):
            return
        span = requested_span(request, rendition.size_bytes)
        if span is None:
            return
    kind = media_kind(request, *span)
    if kind is not None:
        page = rendition.page
        record(kind, page.locale, page, rendition.variant)


def served_span(response):
    """(first byte, last byte, file size) that a 200 or 206 answer of ours carries."""
    if response.status_code == 200:
        size = int(response["Content-Length"])
        return 0, size - 1, size
    match = CONTENT_RANGE_RE.match(response.get("Content-Range", ""))
    if match is None:
        return None
    first, last, size = (int(group) for group in match.groups())
    return first, last, size


def requested_span(request, size):
    """What nginx will send for this request's Range (behind X-Accel-Redirect), or None."""
    byte_range = parse_range(request.headers.get("Range"), size)
    if byte_range == "unsatisfiable":
        return None
    first, last = byte_range or (0, size - 1)
    return first, last, size


def media_kind(request, first, last, size):
    """PLAY, END, SAVE or None for a GET of bytes ``first``..``last`` of a ``size``-byte file."""
    if first == 0:
        if request.GET.get(SAVE_FLAG) == "1":
            return Kind.SAVE
        if request.GET.get(REFRESH_FLAG) == "1":
            return None
        if last - first + 1 <= PROBE_BYTES and size > PROBE_BYTES:
            return None
        return Kind.PLAY
    suffix = request.headers.get("Range", "").strip().startswith("bytes=-")
    if last >= size - 1 and not suffix:
        return Kind.END
    return None


def count_feed_fetch(request, response, locale, feed):
    """``response`` answers a podcast app or station reading ``feed`` ("podcast" or "radio")."""
    if request.method == "GET":
        after_response(response, record, Kind.FEED, locale, None, feed)
    return response


def count_package_download(response, page):
    """``response`` sends a radio package of ``page`` (only public guides count)."""
    if visibility.is_public(page):
        after_response(response, record, Kind.RADIO_PACKAGE, page.locale, page, "radio")
    return response


# --- What editors see ----------------------------------------------------------------

PERIODS = (7, 30, 365)
DEFAULT_PERIOD = 30


def period_start(days, today=None):
    """The first day of the last ``days`` days, today included."""
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def reach_totals(pages, locales, since):
    """Totals since ``since`` for ``pages`` and the feeds of ``locales``.

    A list of dicts: page (None for a feed), locale, variant, and one total per kind.
    """
    rows = (
        ReachCount.objects.filter(day__gte=since)
        .values("page", "locale", "variant", "kind")
        .annotate(total=Sum("count"))
        .order_by()
    )
    by_key = {}
    for row in rows:
        if row["page"] is None and row["locale"] not in locales:
            continue
        if row["page"] is not None and row["page"] not in pages:
            continue
        key = (row["page"], row["locale"], row["variant"])
        by_key.setdefault(key, {kind: 0 for kind in Kind.values})[row["kind"]] += row["total"]
    return [
        {"page": pages.get(page), "locale": locales.get(locale), "variant": variant, **totals}
        for (page, locale, variant), totals in by_key.items()
    ]


def shown(total):
    """A total as editors see it: below the threshold, "< 5" (a few people can be told apart)."""
    threshold = settings.ALTAVOZ_REACH_MIN_COUNT
    if 0 < total < threshold:
        return f"< {threshold}"
    return str(total)
