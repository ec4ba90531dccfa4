"""Admin views for audio: regenerate, the all-guides report, section recordings.

Thin: the work is in jobs, status, recordings, uploads and keeping. The recording studio
(a take from the microphone) is in studio.py.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.log_actions import log
from wagtail.models import Page

from audio.admin.reach import reach_context
from audio.changes import latest_versions, version_summary
from audio.jobs import request_audio
from audio.models import SectionRecording
from audio.recordings import recording_statuses
from audio.status import page_audio_statuses
from audio.voices import uses_recordings
from cms.models import GuidePage

from .keeping import keep_recording
from .wording import describe


def editable_page(request, page_id):
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    return page


@require_POST
def regenerate(request, page_id):
    page = editable_page(request, page_id)
    request_audio(page, force=True)
    messages.success(request, _("Audio en cola: se generará en unos minutos."))
    return redirect(request.POST.get("next") or reverse("wagtailadmin_pages:edit", args=[page.pk]))


def report(request):
    guides = GuidePage.objects.order_by("path", "locale__language_code").select_related("locale")
    # Only guides the account may edit: a translator sees neither Spanish drafts nor another
    # locale's.
    statuses = page_audio_statuses(
        guide for guide in guides if guide.permissions_for_user(request.user).can_edit()
    )
    # Each guide's public version and what it changed, in the editor's language.
    versions = latest_versions(status.page.pk for status in statuses)
    for status in statuses:
        version = versions.get(status.page.pk)
        status.version_summary = (
            version_summary(version.number, version.changes, get_language()) if version else ""
        )
        # Guides read from recordings link to their recording studio.
        status.recorded = uses_recordings(status.page.locale.language_code)
    rows = [(status, describe(status)) for status in statuses]
    return TemplateResponse(
        request,
        "audio/admin/report.html",
        {"rows": rows, "title": _("Informe de audio"), **reach_context(request)},
    )


def recordings(request, page_id):
    page = editable_page(request, page_id)
    if request.method == "POST":
        return upload_or_delete_recording(request, page)
    statuses = recording_statuses(page)
    return TemplateResponse(
        request,
        "audio/admin/recordings.html",
        {
            "page": page,
            "statuses": statuses,
            "title": _("Grabaciones: %(title)s") % {"title": page.title},
        },
    )


def upload_or_delete_recording(request, page):
    section_id = request.POST.get("section_id", "")
    sections = {s.section.id: s for s in recording_statuses(page)}
    if section_id not in sections:
        messages.error(request, _("Esa sección no existe en esta guía."))
        return redirect("altavoz_audio:recordings", page.pk)

    existing = SectionRecording.objects.filter(page=page, section_id=section_id).first()
    if request.POST.get("action") == "delete":
        if existing:
            existing.audio.delete(save=False)
            existing.delete()
            request_audio(page)
            log(
                page, "altavoz.recording_delete", user=request.user, data={"section_id": section_id}
            )
            messages.success(request, _("Grabación eliminada."))
        return redirect("altavoz_audio:recordings", page.pk)

    uploaded = request.FILES.get("audio")
    if uploaded is None:
        messages.error(request, _("Elija un archivo de audio."))
        return redirect("altavoz_audio:recordings", page.pk)
    try:
        recording = keep_recording(page, section_id, uploaded, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("altavoz_audio:recordings", page.pk)
    messages.success(
        request,
        _("Grabación guardada (%(seconds)s s).") % {"seconds": round(recording.duration)},
    )
    return redirect("altavoz_audio:recordings", page.pk)
