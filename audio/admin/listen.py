"""Admin views behind "Escuchar": a draft's section, an unsaved lexicon entry (``audio.drafts``).

Only editors who may edit the page (or the lexicon) reach them; the answer is the
audio itself, never a file under /media/ nor anything the API lists, and no cache
may keep it (``Cache-Control: private, no-store``).
"""

from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.models import Locale

from audio.drafts import CannotHear, hear_lexicon_entry, hear_section
from audio.models import PronunciationEntry, SectionRecording
from audio.text import INTRO_ID, block_section, intro_section, speech_sections
from cms.blocks import SectionBlock
from cms.models import GuidePage

from .views import editable_page

NOT_STORED = "private, no-store"
# The form fields of one section, as the editor's script sends them: "section-heading", ...
SECTION_PREFIX = "section"
WRITTEN_MAX, SPOKEN_MAX = (
    PronunciationEntry._meta.get_field(name).max_length for name in ("written", "spoken")
)


@require_POST
def listen_to_draft(request, page_id):
    """One section (``section``: a block id, or "intro") of a guide as it would be read.

    The text is the editor's unsaved form when the request carries it (the fields of
    one section, or ``title`` and ``summary`` for the intro), else the latest saved draft.
    """
    page = editable_page(request, page_id)
    if not isinstance(page, GuidePage):
        raise Http404
    section_id = request.POST.get("section", "")
    try:
        section = _posted_section(request.POST, section_id) or _saved_draft_section(
            page, section_id
        )
        recording = SectionRecording.objects.filter(page=page, section_id=section_id).first()
        heard = hear_section(page.locale.language_code, section, recording)
    except CannotHear as reason:
        return _cannot_hear(reason)
    return _audio(heard)


@require_POST
def listen_to_lexicon_entry(request):
    """``written`` as the unsaved entry (``locale``, ``written``, ``spoken``) would have it read."""
    user = request.user
    if not (
        user.has_perm("audio.add_pronunciationentry")
        or user.has_perm("audio.change_pronunciationentry")
    ):
        raise PermissionDenied
    data = request.POST
    written, spoken = data.get("written", "").strip(), data.get("spoken", "").strip()
    locale = Locale.objects.filter(pk=data.get("locale") or None).first()
    replacing = None
    if data.get("entry", "").isdigit():
        replacing = (
            PronunciationEntry.objects.filter(pk=data["entry"])
            .values_list("written", flat=True)
            .first()
        )
    try:
        _check_entry(locale, written, spoken)
        heard = hear_lexicon_entry(locale.language_code, written, spoken, replacing)
    except CannotHear as reason:
        return _cannot_hear(reason)
    return _audio(heard)


def _posted_section(data, section_id):
    """The section in the editor's unsaved form, or None when the form was not sent."""
    if section_id == INTRO_ID and "title" in data:
        return intro_section(data["title"], data.get("summary", ""))
    if f"{SECTION_PREFIX}-heading" not in data:
        return None
    value = SectionBlock().value_from_datadict(data, {}, SECTION_PREFIX)
    return block_section(section_id or "draft", value)


def _saved_draft_section(page, section_id):
    draft = page.get_latest_revision_as_object()
    for section in speech_sections(draft):
        if section.id == section_id:
            return section
    raise CannotHear(
        "no_section", _("Esa parte no existe en el último borrador guardado de la guía."), 404
    )


def _check_entry(locale, written, spoken):
    if locale is None:
        raise CannotHear("bad_entry", _("Elija el idioma de la pronunciación."), 400)
    if not written or not spoken:
        raise CannotHear("bad_entry", _("Escriba la forma escrita y la forma hablada."), 400)
    if len(written) > WRITTEN_MAX or len(spoken) > SPOKEN_MAX:
        raise CannotHear("bad_entry", _("La forma escrita o la hablada es demasiado larga."), 400)


def _audio(heard):
    response = HttpResponse(heard.audio, content_type="audio/mpeg")
    response["Cache-Control"] = NOT_STORED
    response["X-Altavoz-Voice"] = f"{heard.engine} {heard.voice}"
    response["X-Altavoz-Clip"] = "synthesized" if heard.synthesized else "cached"
    # What the engine was told to say (the lexicon's effect), for the editor to read.
    response["X-Altavoz-Spoken"] = quote(heard.spoken)
    return response


def _cannot_hear(reason):
    body = {"error": {"code": reason.code, "message": reason.message, "detail": reason.detail}}
    response = JsonResponse(body, status=reason.status)
    response["Cache-Control"] = NOT_STORED
    return response
