"""The audio report's reach counts (audio/reach.py): a table per period, and its CSV.

Thin. An account sees the counts of the guides it may edit, and the feeds of their
locales; small totals are shown as "< 5" in the table and the CSV alike. The CSV is
an admin URL: never public, never cached.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audio import reach
from audio.models import ReachCount
from cms.models import GuidePage

FEED_NAMES = {
    "podcast": gettext_lazy("Feed de podcast"),
    "radio": gettext_lazy("Feed para emisoras"),
}
KINDS = [kind for kind, _label in ReachCount.Kind.choices]


def reach_context(request):
    """What the report page shows of reach: the period's rows and the choice of period."""
    days = reach.DEFAULT_PERIOD
    asked = request.GET.get("periodo")
    if asked is not None:
        if asked.isdigit() and int(asked) in reach.PERIODS:
            days = int(asked)
        else:
            messages.error(request, _("Elija un periodo de 7, 30 o 365 días."))
    pages, locales = readable_guides(request.user)
    return {
        "reach": {
            "days": days,
            "periods": reach.PERIODS,
            "since": reach.period_start(days),
            "today": timezone.localdate(),
            "headers": [label for _kind, label in ReachCount.Kind.choices],
            "rows": displayed_rows(pages, locales, days),
            "threshold": settings.ALTAVOZ_REACH_MIN_COUNT,
        }
    }


def reach_csv(request):
    """The same table as a CSV file, with the same "< 5"."""
    asked = request.GET.get("periodo", str(reach.DEFAULT_PERIOD))
    if not asked.isdigit() or int(asked) not in reach.PERIODS:
        return HttpResponseBadRequest(_("Elija un periodo de 7, 30 o 365 días."))
    days = int(asked)
    pages, locales = readable_guides(request.user)
    if not pages:
        raise PermissionDenied
    since, today = reach.period_start(days), timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alcance-{since}-{today}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(
        [_("Guía"), _("Página"), _("Idioma"), _("Variante"), _("Desde"), _("Hasta")]
        + [str(label) for _kind, label in ReachCount.Kind.choices]
    )
    for row in displayed_rows(pages, locales, days):
        writer.writerow(
            [row["name"], row["page_id"], row["language"], row["variant"], since, today]
            + row["counts"]
        )
    return response


def readable_guides(user):
    """({page id: guide}, {locale id: locale}) of the guides ``user`` may edit."""
    guides = GuidePage.objects.select_related("locale")
    pages = {g.pk: g for g in guides if g.permissions_for_user(user).can_edit()}
    locales = {g.locale_id: g.locale for g in pages.values()}
    return pages, locales


def displayed_rows(pages, locales, days):
    """Rows as shown: a name, the language, the variant and each kind's total, suppressed."""
    rows = []
    for totals in reach.reach_totals(pages, locales, reach.period_start(days)):
        page, variant = totals["page"], totals["variant"]
        rows.append(
            {
                "name": page.title if page else str(FEED_NAMES.get(variant, variant)),
                "page_id": page.pk if page else "",
                "language": totals["locale"].language_code,
                "variant": variant,
                "counts": [reach.shown(totals[kind]) for kind in KINDS],
            }
        )
    return sorted(rows, key=lambda row: (row["page_id"] == "", row["name"], row["language"]))
