"""Thin views of the listening front that live at the site root."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

# The one cache a listener's saved guides go in; listen.js and sw.js both use it.
# Change the suffix when the saved files' layout changes.
OFFLINE_CACHE = "altavoz-guardado-v1"


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
