"""Radio views: the public podcast feeds and the admin's package download.

Thin: feeds are built in ``feeds``, packages in ``downloads``/``packages``.
"""

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from wagtail.log_actions import log
from wagtail.models import Locale, Page

from audio import reach
from cms import visibility
from cms.models import GuidePage
from config import storage

from .downloads import current_package, is_stalled, request_package
from .feeds import cached_feed, podcast_feed, radio_feed
from .models import RadioPackage
from .packages import package_name
from .sources import PackageError


@require_safe  # HEAD too: podcast apps and feed checkers probe with it
def podcast(request, locale):
    """``/feeds/<locale>/podcast.xml``: for listeners' podcast apps, discreet titles only (see
    ``feeds``)."""
    return _feed(request, locale, podcast_feed, "podcast")


@require_safe
def radio(request, locale):
    """``/feeds/<locale>/radio.xml``: for stations, with the guides' real titles (see ``feeds``)."""
    return _feed(request, locale, radio_feed, "radio")


def _feed(request, locale, build, name):
    """A feed of ``locale`` made by ``build``: RSS 2.0 + iTunes + Podcasting 2.0, with ETag and
    304."""
    found = Locale.objects.filter(language_code=locale).first()
    if found is None:
        raise Http404("Unknown locale")
    body = cached_feed(
        build, found, request.build_absolute_uri, request.build_absolute_uri(request.path)
    )
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        body, content_type="application/rss+xml; charset=utf-8"
    )
    response["ETag"] = etag
    # Revalidated every time (an unchanged feed costs a 304): a guide its editors
    # hide leaves the feed at once, even from a shared cache.
    patch_cache_control(response, public=True, no_cache=True)
    return reach.count_feed_fetch(request, response, found, name)


def package(request, page_id):
    """A guide's radio package in this page's locale: status, "prepare" (POST), download link."""
    page = _guide(request, page_id)
    if request.method == "POST":
        try:
            request_package(page)
        except PackageError as error:
            messages.error(request, str(error))
        return redirect("radio_admin:package", page.pk)
    try:
        _source, _key, built = current_package(page)
        problem = ""
    except PackageError as error:
        built, problem = None, str(error)
    # A stalled build (its worker died) is not waited for: "Preparar" asks again.
    waiting = (
        built is not None
        and built.state in (RadioPackage.State.QUEUED, RadioPackage.State.BUILDING)
        and not is_stalled(built)
    )
    return TemplateResponse(
        request,
        "radio/admin/package.html",
        {
            "page": page,
            "package": built,
            "problem": problem,
            "waiting": waiting,
            "radio_feed_url": request.build_absolute_uri(
                reverse("radio_feed", args=[page.locale.language_code])
            ),
            "title": _("Paquete para radio: %(title)s (%(locale)s)")
            % {"title": page.title, "locale": page.locale.language_code},
        },
    )


def download(request, page_id):
    """The ZIP of the current package, once built; otherwise back to its status page."""
    page = _guide(request, page_id)
    try:
        source, _key, built = current_package(page)
    except PackageError:
        return redirect("radio_admin:package", page.pk)
    if built is None or built.state != RadioPackage.State.READY:
        return redirect("radio_admin:package", page.pk)
    try:
        size = storage.stat(built.file.storage, built.file.name).size
        # Streamed from the storage a chunk at a time (an S3 file object would fetch it all).
        chunks = storage.read_chunks(built.file.storage, built.file.name)
    except FileNotFoundError:
        return redirect("radio_admin:package", page.pk)
    except storage.StorageUnavailable:
        messages.error(
            request,
            _(
                "El almacenamiento de audio no responde en este momento. El paquete sigue "
                "guardado: intente descargarlo de nuevo en unos minutos."
            ),
        )
        return redirect("radio_admin:package", page.pk)
    log(page, "altavoz.radio_package_download", user=request.user, data={"package": built.key[:12]})
    response = FileResponse(chunks, content_type="application/zip")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{package_name(source)}.zip"
    )
    return reach.count_package_download(response, page)


def stations(request):
    """Radio stations' starting point: every public guide, each linking to its package."""
    if not can_download_packages(request.user):
        raise PermissionDenied
    guides = visibility.published_many(
        visibility.public_pages(
            GuidePage.objects.order_by("locale__language_code", "path")
        ).select_related("locale")
    )
    return TemplateResponse(
        request, "radio/admin/stations.html", {"guides": guides, "title": _("Paquetes para radio")}
    )


# Radio stations' accounts hold this and no page permission (setup_groups):
# they get the packages of public guides, never a draft.
DOWNLOAD_PERMISSION = "radio.view_radiopackage"


def can_download_packages(user):
    return user.has_perm(DOWNLOAD_PERMISSION)


def _guide(request, page_id):
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        if not (can_download_packages(request.user) and visibility.is_public(page)):
            raise PermissionDenied
        page = visibility.published(page)  # a station never sees a draft's title
    if not isinstance(page, GuidePage):
        raise Http404("Not a guide")
    return page
