"""Thin views of the listening front that live at the site root."""

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from audio import saved

# The one cache a listener's saved guides go in; listen.js and sw.js both use it.
# Change the suffix when the saved files' layout changes.
OFFLINE_CACHE = "altavoz-guardado-v1"
# A guide the public may not see is described exactly as one that never existed.
NOT_FOUND_BODY = b'{"error": "not found"}'


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: at the root so its scope can be the whole site (saved pages of every language)."""
    script = render_to_string(
        "front/sw.js",
        {
            "cache_name": OFFLINE_CACHE,
            "media_url": settings.MEDIA_URL,
            "static_url": settings.STATIC_URL,
        },
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers look for a new worker on each visit; never serve a stale one.
    response["Cache-Control"] = "no-cache"
    response["Content-Security-Policy"] = "default-src 'self'"
    return response


@require_safe
def saved_guide(request: HttpRequest, page_id: int) -> HttpResponse:
    """/guardado/<id>.json: what a saved copy compares itself with (``audio.saved``).

    A guide the public may not see (``cms.visibility``) is a 404 with the same bytes and
    headers as an id that never existed; the saved copy then says it is no longer here.
    """
    manifest = saved.saved_guide_manifest(page_id)
    if manifest is None:
        response = HttpResponse(NOT_FOUND_BODY, status=404, content_type="application/json")
    else:
        body = json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        response = get_conditional_response(request, etag=etag) or HttpResponse(
            body, content_type="application/json"
        )
        response["ETag"] = etag
    # Asked again every time (a hidden guide must stop being described at once); a 304 is cheap.
    patch_cache_control(response, private=True, no_cache=True)
    return response
