"""Has anything the API shows changed? The content token answers cheaply.

Every cached API document is keyed by a token: a digest of a few aggregates
over the tables the documents are made from (live pages, view restrictions,
renditions, audio jobs, recordings, translations) plus ``ContentVersion``,
which signal handlers bump for changes those aggregates cannot see (an
organization edited, a page moved). Which tables, which aggregates and which
signals is declared once, in ``dependencies``. The aggregates are what
make invalidation work across processes with a per-process cache: renditions
are written by the audio worker with ``bulk_create``, which sends no signal,
and a local-memory cache in one web worker never hears about a publish
handled by another.

Reading the token is one query. A process reuses it for
``ALTAVOZ_API_FRESHNESS_SECONDS`` (1 s by default); changes made in the same
process are seen at once, because the signal handlers forget it on commit.
"""

import hashlib
import threading
import time
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audio.variants import published_variants

from .dependencies import DEPENDENCIES
from .models import ContentVersion

# Bump when the shape of the documents changes: old cache entries then miss.
DOCUMENT_FORMAT = "1"

_lock = threading.Lock()
_memo = {"token": None, "checked_at": float("-inf")}


def _aggregates() -> list[tuple[type, tuple[str, ...]]]:
    """(model, SQL aggregate expressions) the token is made of: see ``dependencies``."""
    return [
        (apps.get_model(dependency.model), dependency.aggregates)
        for dependency in DEPENDENCIES
        if dependency.aggregates
    ]


def _fingerprint_sql() -> str:
    quote = connection.ops.quote_name
    columns = []
    for model, expressions in _aggregates():
        table = quote(model._meta.db_table)
        for expression in expressions:
            # Column names in the expressions are plain identifiers in both
            # SQLite and PostgreSQL; "live" and "enabled" are booleans in both.
            columns.append(f"(SELECT {expression} FROM {table})")
    return "SELECT " + ", ".join(columns)


def _settings_digest() -> str:
    """Settings that change documents without touching the database."""
    parts = [
        DOCUMENT_FORMAT,
        api_base_url(),
        settings.MEDIA_URL,
        repr(sorted(getattr(settings, "ALTAVOZ_VOICES", {}).items())),
        repr([v.name for v in published_variants()]),
    ]
    return "|".join(parts)


def read_token() -> str:
    """The current token, straight from the database (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        row = cursor.fetchone()
    payload = (
        _settings_digest() + "|" + "|".join("" if value is None else str(value) for value in row)
    )
    return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


def current_token() -> str:
    """The token, re-read from the database at most every freshness interval."""
    now = time.monotonic()
    ttl = settings.ALTAVOZ_API_FRESHNESS_SECONDS
    with _lock:
        if _memo["token"] is not None and now - _memo["checked_at"] < ttl:
            return _memo["token"]
    token = read_token()
    with _lock:
        _memo.update(token=token, checked_at=now)
    return token


def remember(token: str | None) -> None:
    """Use ``token`` (just read) as this process's current one."""
    with _lock:
        _memo.update(token=token, checked_at=time.monotonic())


def forget() -> None:
    """Make the next request re-read the token (after this transaction commits)."""

    def reset():
        with _lock:
            _memo.update(token=None, checked_at=float("-inf"))
        # Imported here: snapshot imports this module.
        from .snapshot import forget_local

        forget_local()

    transaction.on_commit(reset)


def bump() -> None:
    """Record a change the token's aggregates cannot see, and forget the token."""
    if not ContentVersion.objects.filter(pk=1).update(value=F("value") + 1):
        ContentVersion.objects.get_or_create(pk=1, defaults={"value": 1})
    forget()


def api_base_url() -> str:
    """Scheme and host that absolute URLs in documents start with (no trailing slash)."""
    return settings.ALTAVOZ_API_BASE_URL.rstrip("/")


def now() -> datetime:
    return timezone.now()
