"""Where media lives: the local disk (MEDIA_ROOT) or a private S3 bucket (ALTAVOZ_S3_*).

Code reads and writes media only through Django's storage (``default_storage``
or a FileField's ``.storage``); this module adds what the storage API lacks for
serving: one call for size and date, and reading a byte range as a stream
without loading the whole file (an S3 file object downloads all of it first).

A bucket is private: no ACL is set on objects and no URL to the bucket is ever
handed out. ``S3MediaStorage.url`` gives the site's own ``/media/`` address, so
listeners fetch every file from the site (``audio.serving`` checks, then streams).
"""

import posixpath
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

CHUNK = 64 * 1024
# botocore's defaults wait a minute and more on a bucket that is down (60 s reads, retries
# with back-off): a listener's request would hold a web worker that long. A few seconds,
# then the visitor gets 503 and the worker's job fails cleanly (the live audio stays).
CLIENT_LIMITS = Config(
    connect_timeout=3, read_timeout=15, retries={"mode": "standard", "max_attempts": 3}
)


# Files under these folders are named by their content and never rewritten in place (a
# new publish writes new names), so what the bucket said of one holds until it is deleted:
# a listener's chunk requests skip the HEAD that would otherwise precede each GET.
CONTENT_NAMED = ("audio/renditions/", "audio/phone/")
# Long enough to cover a listener's chunk requests, short enough that a deleted file is
# forgotten soon; a deleted one is also caught by its GET (404) and by the visibility rule.
HEAD_MEMORY_SECONDS = 60
HEAD_MEMORY_SIZE = 4096


class StorageUnavailable(Exception):
    """The storage did not answer (an S3 outage): not the same as a missing file."""


class S3MediaStorage(S3Storage):
    """A private bucket whose files are addressed at the site's own MEDIA_URL."""

    def __init__(self, **settings):
        super().__init__(**settings)
        self.client_config = self.client_config.merge(CLIENT_LIMITS)

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    modified: datetime

    @property
    def etag(self):
        return f'"{self.size:x}-{int(self.modified.timestamp()):x}"'


def is_s3(storage):
    return isinstance(storage, S3Storage)


def valid_name(name):
    """True for a plain relative name ("audio/x.mp3"): no NUL, no "..", ".", "//" or leading "/"."""
    return (
        bool(name)
        and "\0" not in name
        and "\\" not in name
        and not name.startswith("/")
        and posixpath.normpath(name) == name
        and not name.startswith("..")
    )


def stat(storage, name):
    """StoredFile for ``name``; FileNotFoundError if there is none (or no file can have it),
    StorageUnavailable if the bucket does not answer."""
    if not valid_name(name):
        raise FileNotFoundError(name)
    if is_s3(storage):
        return _remembered_heads.get(_key_in(storage, name)) or _stat_object(storage, name)
    try:
        path = storage.path(name)
    except (NotImplementedError, SuspiciousOperation):
        raise FileNotFoundError(name) from None
    if not storage.exists(name):
        raise FileNotFoundError(name)
    try:
        if not _is_regular_file(storage, path):
            raise FileNotFoundError(name)
        return StoredFile(name, storage.size(name), storage.get_modified_time(name))
    except OSError as error:  # ENAMETOOLONG and the like
        raise FileNotFoundError(name) from error


def _stat_object(storage, name):
    head = _ask_bucket(
        name,
        storage.connection.meta.client.head_object,
        Bucket=storage.bucket_name,
        Key=_key(storage, name),
    )
    found = StoredFile(name, head["ContentLength"], head["LastModified"])
    if name.startswith(CONTENT_NAMED):
        _remembered_heads.put(_key_in(storage, name), found)
    return found


def _key_in(storage, name):
    return (storage.bucket_name, _key(storage, name))


class _HeadMemory:
    """The last few thousand content-named files' HEAD answers, each for a minute."""

    def __init__(self):
        self._lock = threading.Lock()
        self._files = {}  # name -> (StoredFile, monotonic time it was asked)

    def get(self, key):
        with self._lock:
            remembered = self._files.get(key)
        if remembered is None or time.monotonic() - remembered[1] > HEAD_MEMORY_SECONDS:
            return None
        return remembered[0]

    def put(self, key, found):
        with self._lock:
            if len(self._files) >= HEAD_MEMORY_SIZE:
                self._files.clear()  # rare, and cheaper than keeping an order
            self._files[key] = (found, time.monotonic())

    def forget(self, key):
        with self._lock:
            self._files.pop(key, None)


_remembered_heads = _HeadMemory()


def read_chunks(storage, name, start=0, end=None):
    """The bytes of ``name`` from ``start`` to ``end`` (inclusive; None: to the end), in chunks.

    On S3 one ranged GET whose body is read as it arrives; on disk a seek. The GET is
    made here, before any byte is sent, so that an outage can still be answered (503).
    """
    if is_s3(storage):
        params = {"Bucket": storage.bucket_name, "Key": _key(storage, name)}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = _ask_bucket(name, storage.connection.meta.client.get_object, **params)["Body"]
        except FileNotFoundError:
            _remembered_heads.forget(_key_in(storage, name))  # deleted since its HEAD
            raise
        return _body_chunks(body)
    return _file_chunks(storage, name, start, end)


def _body_chunks(body):
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _ask_bucket(name, call, **params):
    """``call(**params)``, its failures sorted: no such object, or the bucket is unavailable."""
    try:
        return call(**params)
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        # 404: no such object; 400: a key S3 refuses (too long).
        if status in (400, 404):
            raise FileNotFoundError(name) from error
        if status >= 500:
            raise StorageUnavailable(name) from error
        raise
    except BotoCoreError as error:  # refused, timed out, reset: the bucket is not there
        raise StorageUnavailable(name) from error


def _file_chunks(storage, name, start, end):
    with storage.open(name, "rb") as file:
        file.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            chunk = file.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def save_once(storage, name, data):
    """Save ``data`` as ``name`` (or a free variant of it): (the name stored, whether created).

    Names carry what made the file (a content hash, a clip key), so a same-named
    file from an earlier run is reused if its bytes are identical. A file is
    never overwritten in place: a listener may be reading it (and ``stat``
    remembers content-named files).
    """
    if storage.exists(name):
        with storage.open(name, "rb") as existing:
            if existing.read() == data:
                return name, False
    return storage.save(name, ContentFile(data)), True


def object_key(storage, name):
    """The key of ``name`` in its bucket (None on a local disk): what nginx fetches for S3."""
    return _key(storage, name) if is_s3(storage) else None


def _key(storage, name):
    return storage._normalize_name(clean_name(name))


def _is_regular_file(storage, path):
    """Local disk: a directory is no file, and a link out of the media folder is not served."""
    root = Path(storage.location).resolve()
    target = Path(path).resolve()
    return root in target.parents and target.is_file()
