from urllib.parse import urlparse

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django import http
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.middleware.gzip import GZipMiddleware
from django.middleware.http import ConditionalGetMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import get_language_from_path
from wagtail.contrib.redirects.middleware import RedirectMiddleware, get_redirect
from wagtail.contrib.redirects.models import Redirect

from . import visibility
from .languages import looks_like_language_prefix

# URL spaces that live outside i18n_patterns (see config/urls.py).
API_PREFIX = "/api/"
API_LANGUAGE = "en"
UNLOCALIZED_PREFIXES = (
    "/admin/",
    "/api/",
    "/documents/",
    "/media/",
    "/static/",
    "/feeds/",
    "/guardado/",
    "/telefono/",  # the phone line's TwiML webhooks (audio.phone)
)


class PublicLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, minus redirects that lead to a second 404.

    On a 404 without a language prefix Django redirects ``/x/`` to ``/es/x/``
    whenever that path resolves, and Wagtail's catch-all URL resolves
    everything. We answer with the 404 itself when the first segment already
    looks like a language code (``/fr/mixco/``) or belongs to an unlocalized
    space (a missing admin or API URL must not become ``/es/admin/...``). The
    404 is rendered in the language the browser asked for.

    The API skips negotiation: its answers are the same for everyone (each
    document names its own language), so it needs no ``Vary:
    Accept-Language`` nor ``Content-Language``, and its messages are English.
    """

    def process_request(self, request):
        if request.path_info.startswith(API_PREFIX):
            translation.activate(API_LANGUAGE)
            request.LANGUAGE_CODE = API_LANGUAGE
            return None
        return super().process_request(request)

    def process_response(self, request, response):
        path = request.path_info
        if path.startswith(API_PREFIX):
            return response
        if (
            response.status_code == 404
            and not get_language_from_path(path)
            and (looks_like_language_prefix(path) or path.startswith(UNLOCALIZED_PREFIXES))
        ):
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
            return response
        return super().process_response(request, response)


class PublicGZipMiddleware(GZipMiddleware):
    """gzip for what listeners download as text: pages and the service worker.

    A guide page shrinks about five-fold, and listeners pay for every byte. Left
    alone: the admin (its pages carry CSRF tokens, the BREACH attack needs
    compression plus a secret), /media/ (audio is already compressed, and Range
    requests need the bytes as stored), /api/ (its ETags name the exact
    bytes; a proxy in front may compress it) and streaming responses. Place it right
    after SecurityMiddleware so it compresses the final body.
    """

    COMPRESSIBLE_TYPES = (
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
    )

    def process_response(self, request, response):
        if (
            request.path_info.startswith(("/admin/", "/media/", "/api/"))
            or response.streaming
            or not response.get("Content-Type", "").startswith(self.COMPRESSIBLE_TYPES)
        ):
            return response
        return super().process_response(request, response)


# --- Security headers and caching of public pages ------------------------------

# Where responses are data (JSON, RSS), not pages.
# /guardado/: what a saved guide compares itself with (cms.views.saved_guide).
# /telefono/: the phone line's TwiML for hosted providers (audio.phone.views).
DATA_PREFIXES = ("/api/", "/feeds/", "/guardado/", "/telefono/")


def is_html(response: http.HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy header, plus a stricter policy for data.

    Pages get ``CONTENT_SECURITY_POLICY`` (the admin is excluded there). The
    API's JSON and the feeds' XML are never meant to be shown as pages: if a
    browser shows one anyway, ``ALTAVOZ_DATA_CSP_DIRECTIVES`` lets nothing in it
    load, run or be framed. HTML under those prefixes (the API's docs page,
    styled by our stylesheet) is a page like any other. A header a view set
    itself (/sw.js, Wagtail's documents) is left alone by django-csp.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and serves_data(request, response):
            parts.config = settings.ALTAVOZ_DATA_CSP_DIRECTIVES
        return parts

    def process_response(self, request, response):
        # The API's JSON is most of our traffic: django-csp's general path (two
        # dataclasses.asdict and two policy builds per response) was ~15 % of a
        # request's cost. Data responses with nothing per-response to merge get the same
        # header straight from the data directives; everything else goes the general way.
        if not self._plain_data_response(request, response):
            return super().process_response(request, response)
        response[HEADER] = build_policy(config=settings.ALTAVOZ_DATA_CSP_DIRECTIVES)
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @staticmethod
    def _plain_data_response(request, response) -> bool:
        return (
            serves_data(request, response)
            and HEADER not in response
            and HEADER_REPORT_ONLY not in response
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and getattr(request, "_csp_nonce", None) is None
            and not getattr(response, "_csp_exempt", False)
            and not any(
                getattr(response, name, None)
                for name in ("_csp_config", "_csp_update", "_csp_replace")
            )
        )


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages, with the storage made only when a view or template uses it.

    Django builds the cookie and session storage for every request; the API and the
    listening pages never show a message, and for them that was ~8 % of a JSON request.
    Storage nobody touched has nothing to save, so skipping its update changes nothing.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


def serves_data(request: http.HttpRequest, response: http.HttpResponse) -> bool:
    return request.path_info.startswith(DATA_PREFIXES) and not is_html(response)


class PublicPageCachingMiddleware(ConditionalGetMiddleware):
    """Public pages: browsers may keep them but ask again each time, and an unchanged page costs a
    304.

    ``Cache-Control: private, no-cache``: a guide its editors hide (unpublish,
    expiry, a restriction) must be gone at once, so no shared cache (a proxy,
    a cybercafé's) keeps a copy and the listener's own browser revalidates.
    Django's ConditionalGetMiddleware adds the ETag and answers a matching
    ``If-None-Match`` with 304: on 2G, a few hundred bytes instead of the page.

    Place it after (inside) PublicGZipMiddleware: the ETag must be taken from
    the uncompressed page, which is the same every time; the gzip body is not
    (Django pads it with random bytes against BREACH). GZip then marks the
    ETag weak, and ``If-None-Match`` compares weakly, so compressed and plain
    copies both revalidate. A Cache-Control a view set itself is kept.

    Left alone: the unlocalized spaces. The admin's pages carry sessions and
    CSRF tokens; the API and the feeds send their own ETags and caching; media
    and documents are files whose visibility is checked one by one.
    """

    def process_response(self, request, response):
        if request.path_info.startswith(UNLOCALIZED_PREFIXES):
            return response
        if is_html(response) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return super().process_response(request, response)


class PublicRedirectMiddleware(RedirectMiddleware):
    """Wagtail's redirects (an editor's, or automatic after a slug change), only to what the public
    may see.

    A redirect to a hidden page (expired, unpublished, private, a fallback to
    a hidden source) answers the 404 it replaces: its Location would name the
    page's slug, and a translation's slug can hold its hidden title.
    """

    def process_response(self, request, response):
        if response.status_code != 404:
            return response
        path = Redirect.normalise_path(request.get_full_path(), decode_unicode=False)
        redirect = get_redirect(request, path)
        path_without_query = urlparse(path).path
        if redirect is None and path != path_without_query:
            redirect = get_redirect(request, path_without_query)
        if redirect is None:
            return response
        if (
            redirect.redirect_page_id is not None
            and visibility.shown_version(redirect.redirect_page.specific) is None
        ):
            return response
        link = redirect.link
        if link is None:
            return response
        if redirect.is_permanent:
            return http.HttpResponsePermanentRedirect(link)
        return http.HttpResponseRedirect(link)
