"""The admin report "Línea telefónica": daily counts per guide section, and each line's state.

Counts are ``PhoneListen`` rows (a day, a page, a section: nothing about a
caller), shown like the audio report's reach counts: below
``ALTAVOZ_REACH_MIN_COUNT`` as "< 5". An account sees the counts of the guides
it may edit, and the state of the lines whose language's home page it may edit.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from audio.reach import shown
from audio.text import speech_sections
from cms import visibility
from cms.models import HomePage

from . import lines
from .menu import Prompt
from .models import PROMPT_FIELDS, PhoneListen

DAYS = 30


def phone_report(request):
    """Counts of the last 30 days and what each language's line still lacks."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied
    since = timezone.localdate() - timedelta(days=DAYS - 1)
    return TemplateResponse(
        request,
        "phone/admin/report.html",
        {
            "title": _("Línea telefónica"),
            "since": since,
            "days": DAYS,
            "rows": count_rows(request.user, since),
            "lines": line_rows(request.user),
            "threshold": settings.ALTAVOZ_REACH_MIN_COUNT,
        },
    )


def count_rows(user, since):
    """One row per day, guide and section the account may see, newest day first."""
    listens = PhoneListen.objects.filter(day__gte=since).order_by("-day")
    pages = {
        page.pk: page
        for page in Page.objects.filter(pk__in=listens.values("page_id"))
        .specific()
        .select_related("locale")
        if page.permissions_for_user(user).can_edit()
    }
    headings = {pk: _headings(page) for pk, page in pages.items()}
    rows = []
    for listen in listens:
        page = pages.get(listen.page_id)
        if page is None:
            continue
        position, heading = headings[page.pk].get(listen.section_id, (999, listen.section_id))
        rows.append(
            {
                "day": listen.day,
                "page": page,
                "language": page.locale.language_code,
                "section": heading,
                "position": position,
                "count": shown(listen.count),
            }
        )
    rows.sort(key=lambda row: (-row["day"].toordinal(), row["page"].title, row["position"]))
    return rows


def _headings(page):
    content = visibility.content_version(page).object
    return {
        section.id: (position, section.heading or section.id)
        for position, section in enumerate(speech_sections(content))
    }


def line_rows(user):
    """Each language's line as the account may see it: ready, or what it lacks, in words."""
    homes = {
        home.locale.language_code: home
        for home in HomePage.objects.select_related("locale")
        if home.permissions_for_user(user).can_edit()
    }
    return [
        {
            "language": state.language.code,
            "digit": state.language.digit,
            "ready": state.ready,
            "missing": [_describe(kind, detail) for kind, detail in state.missing],
        }
        for state in lines.line_states()
        if state.language.code in homes
    ]


def _describe(kind, detail):
    words = {
        "menu": _("No hay una página «menú telefónico» publicada y pública en este idioma."),
        "guide-hidden": _(
            "«%(detail)s»: su guía no es pública en este idioma, o aún se muestra en español."
        ),
        "guide-unvoiced": _("«%(detail)s»: no todas sus secciones tienen audio telefónico."),
        "entry-unvoiced": _("«%(detail)s»: esta frase del menú no tiene audio."),
        "no-guides": _("Ninguna guía se puede ofrecer todavía."),
    }
    if kind == "prompt":
        return _("Mensaje sin audio: %(prompt)s.") % {"prompt": PROMPT_FIELDS[Prompt(detail)][1]}
    return words[kind] % {"detail": detail}
