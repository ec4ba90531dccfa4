"""The API's precomputed documents for one content token, and the sync log.

A snapshot holds every public guide's document and every public rendition,
already serialized to JSON bytes, with their ETags and change times. It is
looked up in three places, fastest first:

1. this process's memory (the latest snapshot only: no unpickling on the hot path);
2. Django's cache, under the content token, when processes share it (Redis);
3. the database: ``documents.build_documents`` builds everything in a fixed
   number of queries, and ``SyncRecord`` rows are reconciled with the result.

A snapshot is keyed by the content token (``state``), so a publish,
unpublish, deletion, new audio or organization edit makes the next request
build a new one; nothing needs deleting. Time-based changes (a guide's expiry)
are covered by ``valid_until``.

Sync: each document's digest is compared with its ``SyncRecord``; a changed
or new document gets ``changed_at = R``, one that is gone gets
``removed_at = R``, where R is the moment of reconciling. Reconciling is
serialized by a row lock and only done when the content token is still the
one the documents were built from — so the documents are exactly the state
at R. R is also the snapshot's ``as_of``, the cursor a client passes back as
``changed_since``: anything that changes later is recorded with a later time.
"""

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone

from config.memory import give_back_freed_memory

from . import state
from .documents import build_documents
from .http import GZIP_LEVEL, etag_of, format_datetime, to_json
from .models import ContentVersion, SyncRecord
from .serializers import (
    GuideSerializer,
    GuideSummarySerializer,
    SyncRenditionSerializer,
)

CACHE_PREFIX = "altavoz-api"
# Listing bodies kept per snapshot (per process): whole-guide listings are
# large, and changed_since makes keys varied, so the memo is bounded by size.
LISTING_MEMO_BYTES = 32 * 1024 * 1024


@dataclass
class GuideEntry:
    id: int
    locale: str
    translation_key: str
    slug: str
    changed_at: datetime
    # The whole document is kept gzipped, as most clients take it: at 600 guides the plain
    # bytes were 80 MB in every web process (and in each snapshot pickled to Redis).
    full_gzip: bytes
    full_etag: str
    summary: bytes

    @property
    def full(self) -> bytes:
        return gzip.decompress(self.full_gzip)


@dataclass
class RenditionEntry:
    id: int
    guide: int
    locale: str
    variant: str
    changed_at: datetime
    body: bytes


@dataclass(frozen=True)
class Removal:
    id: int
    guide: int
    locale: str
    removed_at: datetime


@dataclass
class Snapshot:
    token: str
    as_of: datetime
    valid_until: datetime | None
    guides: dict  # id → GuideEntry, in tree order
    renditions: dict  # id → RenditionEntry
    removed_guides: list
    removed_renditions: list
    hidden_from_stock: frozenset
    listings: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)

    def is_current(self, token: str) -> bool:
        return self.token == token and (
            self.valid_until is None or timezone.now() < self.valid_until
        )

    def __getstate__(self):
        # Listing bodies are cheap to remake: keep them out of the shared cache.
        data = dict(self.__dict__)
        data["listings"] = OrderedDict()
        return data

    def listing(
        self, key: Hashable, make: Callable[[], tuple[bytes, datetime | None]]
    ) -> tuple[bytes, str, datetime | None]:
        """A listing response (body, ETag, last modified) memoized per snapshot."""
        found = self.listings.get(key)
        if found is None:
            body, last_modified = make()
            found = (body, etag_of(body), last_modified)
            with _listing_lock:
                self.listings[key] = found
                size = sum(len(entry[0]) for entry in self.listings.values())
                while size > LISTING_MEMO_BYTES and len(self.listings) > 1:
                    _key, (dropped, _etag, _modified) = self.listings.popitem(last=False)
                    size -= len(dropped)
        return found


_shared = {"snapshot": None}
_build_lock = threading.Lock()
_listing_lock = threading.Lock()


def forget_local() -> None:
    """Drop this process's snapshot (signals call it on commit)."""
    _shared["snapshot"] = None


def cache_key(token: str) -> str:
    return f"{CACHE_PREFIX}:snapshot:{token}"


def get_snapshot() -> Snapshot:
    """The snapshot for the current content token, building it if nobody has."""
    token = state.current_token()
    snapshot = _shared["snapshot"]
    if snapshot is not None and snapshot.is_current(token):
        return snapshot
    snapshot = cache.get(cache_key(token))
    if snapshot is not None and snapshot.is_current(token):
        _shared["snapshot"] = snapshot
        return snapshot
    with _build_lock:
        # Another thread of this process may have built it while we waited.
        snapshot = _shared["snapshot"]
        if snapshot is not None and snapshot.is_current(state.current_token()):
            return snapshot
        snapshot = build_snapshot()
        give_back_freed_memory()  # the build's garbage, else kept at its peak by malloc
        # Only a cache other processes share (Redis) helps them; a local-memory one
        # would hold a second, pickled copy of what _shared holds (83 MB at 600 guides).
        if not isinstance(caches["default"], LocMemCache):
            cache.set(cache_key(snapshot.token), snapshot, settings.ALTAVOZ_API_CACHE_SECONDS)
        _shared["snapshot"] = snapshot
        return snapshot


BUILD_ATTEMPTS = 3
# One serializer of each kind, reused: DRF copies every declared field each
# time a serializer is created, which would dominate a build.
_SERIALIZERS = {}


def serialize(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """A document through its serializer (the allow-list), as plain data."""
    serializer = _SERIALIZERS.get(kind)
    if serializer is None:
        serializer_class = {
            "guide": GuideSerializer,
            "summary": GuideSummarySerializer,
            "rendition": SyncRenditionSerializer,
        }[kind]
        serializer = _SERIALIZERS[kind] = serializer_class()
        serializer.fields  # build the field tree once  # noqa: B018
    return serializer.to_representation(document)


def build_snapshot() -> Snapshot:
    """Build documents from the database and reconcile the sync log (see module docstring)."""
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        token = state.read_token()
        build = build_documents()
        guide_payloads = {}
        rendition_payloads = {}
        placeholder = timezone.now()  # replaced by the real change time below
        for page_id, document in build.guides.items():
            full = serialize("guide", dict(document.full, changed_at=placeholder))
            summary = serialize("summary", dict(document.summary, changed_at=placeholder))
            guide_payloads[page_id] = (document, full, summary)
            for rendition in document.renditions:
                data = serialize("rendition", dict(rendition, changed_at=placeholder))
                rendition_payloads[rendition["id"]] = (document, data)
        with transaction.atomic():
            _lock_sync_log()
            if state.read_token() != token and attempt < BUILD_ATTEMPTS:
                continue  # content changed while building: build again
            as_of = timezone.now()
            changed, removed_guides = reconcile(
                SyncRecord.Kind.GUIDE,
                {
                    pid: (doc.locale, pid, _digest(full))
                    for pid, (doc, full, _summary) in guide_payloads.items()
                },
                as_of,
            )
            rendition_changed, removed_renditions = reconcile(
                SyncRecord.Kind.RENDITION,
                {
                    rid: (doc.locale, doc.page_id, _digest(data))
                    for rid, (doc, data) in rendition_payloads.items()
                },
                as_of,
            )
        break
    state.remember(token)

    guides = {}
    for page_id, (document, full, summary) in guide_payloads.items():
        changed_at = changed[page_id]
        full["changed_at"] = summary["changed_at"] = format_datetime(changed_at)
        full_bytes = to_json(full)
        guides[page_id] = GuideEntry(
            id=page_id,
            locale=document.locale,
            translation_key=document.translation_key,
            slug=document.slug,
            changed_at=changed_at,
            full_gzip=gzip.compress(full_bytes, compresslevel=GZIP_LEVEL, mtime=0),
            full_etag=etag_of(full_bytes),
            summary=to_json(summary),
        )
    renditions = {}
    for rendition_id, (document, data) in sorted(rendition_payloads.items()):
        changed_at = rendition_changed[rendition_id]
        data["changed_at"] = format_datetime(changed_at)
        renditions[rendition_id] = RenditionEntry(
            id=rendition_id,
            guide=document.page_id,
            locale=document.locale,
            variant=data["variant"],
            changed_at=changed_at,
            body=to_json(data),
        )
    return Snapshot(
        token=token,
        as_of=as_of,
        valid_until=build.valid_until,
        guides=guides,
        renditions=renditions,
        removed_guides=removed_guides,
        removed_renditions=removed_renditions,
        hidden_from_stock=build.hidden_from_stock,
    )


def _digest(data):
    content = {key: value for key, value in data.items() if key != "changed_at"}
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _lock_sync_log():
    """Serialize reconciliations between processes (a row lock; SQLite locks the database)."""
    if not ContentVersion.objects.select_for_update().filter(pk=1).exists():
        ContentVersion.objects.get_or_create(pk=1)


def reconcile(
    kind: str, items: dict[int, tuple[str, int, str]], now: datetime
) -> tuple[dict[int, datetime], list[Removal]]:
    """Update the sync log for one kind; returns ({id: changed_at}, [Removal]).

    ``items`` maps object id → (locale, guide id, digest) for what is public
    now; ``now`` is the time recorded for what changed.
    """
    records = {record.object_id: record for record in SyncRecord.objects.filter(kind=kind)}
    created, updated = [], []
    for object_id, (locale, guide_id, digest) in items.items():
        record = records.get(object_id)
        if record is None:
            record = SyncRecord(
                kind=kind,
                object_id=object_id,
                locale=locale,
                guide_id=guide_id,
                digest=digest,
                changed_at=now,
            )
            records[object_id] = record
            created.append(record)
        elif record.digest != digest or record.removed_at is not None or record.locale != locale:
            record.locale, record.guide_id, record.digest = locale, guide_id, digest
            record.changed_at, record.removed_at = now, None
            updated.append(record)
    for object_id, record in records.items():
        if object_id not in items and record.removed_at is None:
            record.removed_at = now
            updated.append(record)
    if created:
        SyncRecord.objects.bulk_create(created, ignore_conflicts=True)
    if updated:
        SyncRecord.objects.bulk_update(
            updated, ["locale", "guide_id", "digest", "changed_at", "removed_at"]
        )
    changed = {object_id: records[object_id].changed_at for object_id in items}
    removed = sorted(
        (
            Removal(record.object_id, record.guide_id, record.locale, record.removed_at)
            for record in records.values()
            if record.removed_at is not None
        ),
        key=lambda removal: (removal.removed_at, removal.id),
    )
    return changed, removed
