"""Serve stored media (audio, captions, chapters) with HTTP Range support.

iPhones will not play audio from a server that ignores Range (206 Partial
Content); slow connections resume downloads with it too. Used for /media/
in the embedded set-up; a production web server may serve MEDIA_ROOT itself.
"""

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# A byte position of more digits than this is past the end of any file; it is
# read as such instead of converted (int() refuses over 4,300 digits).
POSITION_MAX_DIGITS = 18
PAST_ANY_FILE = 10**POSITION_MAX_DIGITS
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".opus": "audio/ogg; codecs=opus",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
}
CHUNK = 64 * 1024


def resolve(path):
    """The file under MEDIA_ROOT at ``path``; Http404 for anything else.

    A path no file can have (a NUL byte, a name too long for the file
    system) is a 404 too, rather than the ValueError or OSError it raises.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    if "\0" in path:
        raise Http404("No such file.")
    try:
        target = (root / path).resolve()
        found = root in target.parents and target.is_file()
    except OSError:
        found = False
    if not found:
        raise Http404("No such file.")
    return target


def content_type(path):
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@require_safe
def serve_media(request, path):
    target = resolve(path)
    stat = target.stat()
    etag = f'"{stat.st_size:x}-{int(stat.st_mtime):x}"'
    # Rendition files are named by their content: they never change in place.
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(stat.st_mtime),
        "Accept-Ranges": "bytes",
        "Cache-Control": "public, max-age=31536000, immutable" if "/renditions/" in f"/{path}" else "public, max-age=3600",
    }
    conditional = conditional_response(request, etag, stat.st_mtime, headers)
    if conditional is not None:
        return conditional

    byte_range = parse_range(request.headers.get("Range"), stat.st_size)
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{stat.st_size}"
        return response
    file = open(target, "rb")
    if byte_range is None:
        response = FileResponse(file, content_type=content_type(target))
        response["Content-Length"] = str(stat.st_size)
    else:
        start, end = byte_range
        file.seek(start)
        response = FileResponse(_limited(file, end - start + 1), status=206, content_type=content_type(target))
        response["Content-Range"] = f"bytes {start}-{end}/{stat.st_size}"
        response["Content-Length"] = str(end - start + 1)
    for name, value in headers.items():
        response[name] = value
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


def _limited(file, length):
    try:
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()
