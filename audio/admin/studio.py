"""The recording studio: a translator records a guide's sections with the microphone.

``studio`` lists the sections of one page (a translation, usually Kaqchikel) with the
guide's progress ("9 de 14 secciones grabadas, 2 desactualizadas"); ``studio_section``
shows one section's text large, for reading aloud on a phone, with the recorder
(``audio/static/audio/admin/studio.js``: MediaRecorder, listen back, record again, keep);
``keep_take`` receives the take kept. A take is stored exactly as an uploaded file is
(``keeping.keep_recording``: the same checks, the audio queued, the history entry), so a
refused take leaves the section's recording as it was. Only accounts that may edit the
page reach any of it: a translator, her locale's guides.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_permissions_policy import PermissionsPolicyMiddleware

from audio.recordings import recording_progress, recording_statuses, source_page
from audio.text import speech_sections
from audio.uploads import RECORDING_EXTENSIONS, take_name
from audio.voices import uses_recordings

from .keeping import RECORDED_IN_STUDIO, keep_recording
from .views import editable_page
from .wording import progress_words


def allows_microphone(view):
    """The site's Permissions-Policy turns the microphone off everywhere; the page that records
    asks for it, for our own origin only."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        policy = {**settings.PERMISSIONS_POLICY, "microphone": ["self"]}
        response._permissions_policy_override = PermissionsPolicyMiddleware.compute_header_value(
            policy, name="PERMISSIONS_POLICY"
        )
        return response

    return wrapped


def studio(request, page_id):
    """Every section of the page, its recording's state, and the guide's progress."""
    page = editable_page(request, page_id)
    statuses = recording_statuses(page)
    progress = recording_progress(statuses)
    return TemplateResponse(
        request,
        "audio/admin/studio.html",
        {
            "page": page,
            "statuses": statuses,
            "progress": progress,
            "progress_words": progress_words(progress),
            "recordings_used": uses_recordings(page.locale.language_code),
            "title": _("Estudio de grabación: %(title)s") % {"title": page.title},
        },
    )


@allows_microphone
def studio_section(request, page_id, section_id):
    """One section to read aloud, its current recording, and the recorder."""
    page = editable_page(request, page_id)
    statuses = recording_statuses(page)
    position = _position(statuses, section_id)
    status = statuses[position]
    progress = recording_progress(statuses)
    return TemplateResponse(
        request,
        "audio/admin/studio_section.html",
        {
            "page": page,
            "status": status,
            "source_section": _source_section(page, section_id),
            "number": position + 1,
            "previous": statuses[position - 1].section if position > 0 else None,
            "next": statuses[position + 1].section if position + 1 < len(statuses) else None,
            "progress": progress,
            "progress_words": progress_words(progress),
            "title": _("Estudio de grabación: %(title)s") % {"title": page.title},
        },
    )


@require_POST
def keep_take(request, page_id, section_id):
    """Keep the take sent (field ``audio``, named by its MIME type) as the section's recording.

    Answers JSON to the studio's script (``Accept: application/json``), otherwise redirects
    back to the section with a message (the file-picker form, without the script).
    """
    page = editable_page(request, page_id)
    _position(recording_statuses(page), section_id)
    uploaded = request.FILES.get("audio")
    try:
        if uploaded is None:
            raise ValidationError(_("No llegó ninguna grabación: grabe de nuevo."))
        uploaded.name = _take_file_name(uploaded)
        recording = keep_recording(
            page, section_id, uploaded, request.user, action=RECORDED_IN_STUDIO
        )
    except ValidationError as error:
        return _answer(request, page, section_id, " ".join(error.messages), ok=False)
    message = _("Grabación guardada (%(seconds)s s).") % {"seconds": round(recording.duration)}
    return _answer(request, page, section_id, message, ok=True, recording=recording)


def _answer(request, page, section_id, message, ok, recording=None):
    if "application/json" in request.headers.get("Accept", ""):
        progress = recording_progress(recording_statuses(page))
        body = {"ok": ok, "message": message, "progress": progress_words(progress)}
        if recording is not None:
            body.update(recording_url=recording.audio.url, duration=round(recording.duration))
        return JsonResponse(body, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, message)
    return redirect("altavoz_audio:studio_section", page.pk, section_id)


def _take_file_name(uploaded):
    """A take from the recorder is named by its type; a file picked on the phone (the form
    without the script) keeps its own name when its extension is one we take."""
    name = uploaded.name or ""
    if "." in name and "." + name.rsplit(".", 1)[1].lower() in RECORDING_EXTENSIONS:
        return name
    return take_name(uploaded.content_type)


def _position(statuses, section_id):
    """The index of the section among the page's; 404 for a section the page does not have."""
    for position, status in enumerate(statuses):
        if status.section.id == section_id:
            return position
    raise Http404(_("Esa sección no existe en esta guía."))


def _source_section(page, section_id):
    """The source-language (Spanish) text of the section, when ``page`` is a translation."""
    source = source_page(page)
    if source.pk == page.pk:
        return None
    return next((s for s in speech_sections(source) if s.id == section_id), None)
