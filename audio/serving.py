"""Serve stored media (audio, captions, chapters) with HTTP Range support.

iPhones will not play audio from a server that ignores Range (206 Partial
Content); slow connections resume downloads with it too.

Nothing is served without asking first: the public gets only the files of
renditions, and the phone line's files (``phone_files``), that
``cms.visibility`` allows; editors signed in to the admin also get the
recordings, renditions and phone files of the pages they may edit (the audio
tab's players). Everything else in media storage (caches, radio
packages, documents, images) is a 404 here: documents go through Wagtail's
document view, which checks their collection's privacy, and radio packages
through their permission-checked download.
"""

import mimetypes
import posixpath
import re
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry

from config import storage

from .listening import public_rendition_for_file
from .models import PhoneAudio, Rendition, SectionRecording
from .phone_files import public_phone_file

RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# A byte position of more digits than this is past the end of any file; it is
# read as such instead of converted (int() refuses over 4,300 digits).
POSITION_MAX_DIGITS = 18
PAST_ANY_FILE = 10**POSITION_MAX_DIGITS
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".webm": 'audio/webm; codecs="opus"',  # only audio renditions are served here
    ".opus": "audio/ogg; codecs=opus",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
}


def resolve(path):
    """The stored file (``config.storage.StoredFile``) at ``path``; Http404 for anything else.

    Read through Django's storage: the local disk or the S3 bucket. A path no
    file can have (a NUL byte, "..", a name too long) is a 404 too.
    """
    try:
        return storage.stat(default_storage, path)
    except FileNotFoundError:
        raise Http404("No such file.") from None


def content_type(name):
    return (
        CONTENT_TYPES.get(posixpath.splitext(name)[1].lower())
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )


def readable_by(request, path):
    """The Cache-Control for ``path`` if this request may read it; otherwise Http404.

    Public rendition files are content-named and never change in place, but
    only the listener's own browser may keep them: a shared cache would go on
    serving a guide's audio after the guide is hidden.
    """
    rendition = public_rendition_for_file(path)
    # The reach count after the answer reads it from here instead of asking again. A phone
    # file is not a rendition: the phone line's calls are no web plays.
    request.altavoz_public_rendition = rendition
    if rendition is not None or public_phone_file(path) is not None:
        return "private, max-age=31536000, immutable"
    if editor_may_read(request.user, path):
        return "private, no-store"
    raise Http404("No such file.")


def editor_may_read(user, path):
    """What the admin shows ``user``: recordings, renditions and phone files of pages they may edit,
    image thumbnails if they may work with images, station IDs if they may change them."""
    if not user.is_authenticated or not user.has_perm("wagtailadmin.access_admin"):
        return False
    if path.startswith(("images/", "original_images/")):
        image_permissions = policy_registry.get_by_type(get_image_model())
        return image_permissions.user_has_any_permission(user, ["add", "change", "choose"])
    if path.startswith("radio/station-ids/"):
        return user.has_perm("radio.change_stationidentification")
    owners = [
        *Rendition.objects.filter(
            Q(audio=path) | Q(captions=path) | Q(chapters=path)
        ).select_related("page"),
        *SectionRecording.objects.filter(audio=path).select_related("page"),
        *PhoneAudio.objects.filter(audio=path).select_related("page"),
    ]
    return any(owner.page.permissions_for_user(user).can_edit() for owner in owners)


# How long a visitor is asked to wait when the media storage does not answer.
RETRY_AFTER_SECONDS = 30


@require_safe
def serve_media(request, path):
    try:
        return _serve_media(request, path)
    except storage.StorageUnavailable:
        # An S3 outage: say so at once (a player or nginx retries), hold no worker.
        response = HttpResponse(
            "Audio unavailable for a moment.", status=503, content_type="text/plain"
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def _serve_media(request, path):
    found = resolve(path)  # first: a path no file can have never reaches the database
    cache_control = readable_by(request, path)
    if settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT:
        return accel_redirect(path, cache_control)
    size, mtime, etag = found.size, found.modified.timestamp(), found.etag
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(mtime),
        "Accept-Ranges": "bytes",
        "Cache-Control": cache_control,
    }
    conditional = conditional_response(request, etag, mtime, headers)
    if conditional is not None:
        return conditional

    byte_range = None
    if range_still_valid(request.headers.get("If-Range"), etag, headers["Last-Modified"]):
        byte_range = parse_range(request.headers.get("Range"), size)
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if byte_range is None:
        response = FileResponse(
            storage.read_chunks(default_storage, path), content_type=content_type(path)
        )
        response["Content-Length"] = str(size)
    else:
        start, end = byte_range
        response = FileResponse(
            storage.read_chunks(default_storage, path, start, end),
            status=206,
            content_type=content_type(path),
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    for name, value in headers.items():
        response[name] = value
    return response


def accel_redirect(path, cache_control):
    """The check done, nginx sends the file (Range, ETag and all) from its internal location.

    ``ALTAVOZ_MEDIA_ACCEL_REDIRECT`` names that location (for example
    ``/protected-media/``, marked ``internal`` in nginx so no visitor can ask it
    directly); the README's production section shows the configuration. With
    media on S3 the location proxies to the bucket and gets the object's key
    (docs/deploy/nginx.conf shows that alternative).
    """
    response = HttpResponse(content_type=content_type(path))
    key = storage.object_key(default_storage, path) or path
    response["X-Accel-Redirect"] = (
        settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT.rstrip("/") + "/" + quote(key)
    )
    response["Cache-Control"] = cache_control
    return response


def conditional_response(request, etag, mtime, headers):
    """304 (or 412) when the request's preconditions say so, else None.

    Django's evaluation follows RFC 9110 §13.2.2: ``If-None-Match: *``
    matches any existing file, a list matches if any member does (weak
    comparison, so ``W/"..."`` too), and If-Modified-Since counts only without
    If-None-Match. If-Match and If-Unmodified-Since that fail give a 412.
    """
    response = get_conditional_response(request, etag=etag, last_modified=int(mtime))
    if response is not None and response.status_code == 304:
        for name in ("ETag", "Last-Modified", "Cache-Control"):
            response[name] = headers[name]
    return response


def range_still_valid(if_range, etag, last_modified):
    """RFC 9110 §13.1.5: a Range counts only if the file is still the one the client has part of.

    A resumed download of a file replaced meanwhile gets the whole new file
    instead of the new file's bytes glued to the old one's.
    """
    return not if_range or if_range.strip() in (etag, last_modified)


def parse_range(header, size):
    """(start, end) inclusive for a single byte range; None to send everything.

    Numbers of any length are read as RFC 9110 §14.1.2 says, without
    converting absurd ones: a first byte past the end is unsatisfiable (416),
    a last byte past the end means "to the end", a suffix longer than the
    file means all of it.
    """
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # multi-range or malformed: RFC 9110 lets us send the whole file
    first, last = match.groups()
    if first == "":  # suffix: the last N bytes
        length = _position(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def _position(digits):
    """A byte position from its digits; PAST_ANY_FILE when it has too many to be one."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= POSITION_MAX_DIGITS else PAST_ANY_FILE
