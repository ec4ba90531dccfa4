"""The fixed set of pictograms a guide section can carry.

A closed set (not uploads) keeps every icon simple, high-contrast, inline SVG
with an accessible label, and costs listeners no extra download.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Pictogram:
    key: str
    label: str
    # Path data on a 24×24 grid, drawn with currentColor.
    path: str


PICTOGRAMS = {
    p.key: p
    for p in [
        Pictogram(
            "info",
            _("Información"),
            "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-6h2zm0-8h-2V7h2z",
        ),
        Pictogram(
            "law",
            _("Leyes y derechos"),
            "M12 2 3 6v2h18V6zM5 10v7h2v-7zm6 0v7h2v-7zm6 0v7h2v-7zM3 19v3h18v-3z",
        ),
        Pictogram("health", _("Salud"), "M10 3h4v7h7v4h-7v7h-4v-7H3v-4h7z"),
        Pictogram(
            "safety",
            _("Seguridad"),
            "M12 1 4 5v6c0 5.5 3.4 10.3 8 12 4.6-1.7 8-6.5 8-12V5z"
            "m-1.2 15.2-3.5-3.5 1.4-1.4 2.1 2.1 4.9-4.9 1.4 1.4z",
        ),
        Pictogram(
            "support",
            _("Apoyo"),
            "M12 21.4 10.6 20C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1"
            "C13.1 3.8 14.8 3 16.5 3 19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.6 11.5z",
        ),
        Pictogram(
            "money",
            _("Dinero y trabajo"),
            "M2 6h20v12H2zm10 3a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM5 9v6h2V9zm12 0v6h2V9z",
        ),
        Pictogram(
            "community",
            _("Comunidad"),
            "M8 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm8 0a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z"
            "M8 13c-3.3 0-6 1.7-6 4v3h12v-3c0-2.3-2.7-4-6-4z"
            "m8 0c-.7 0-1.4.1-2 .3 1.2.9 2 2.2 2 3.7v3h6v-3c0-2.3-2.7-4-6-4z",
        ),
        Pictogram("alert", _("Alerta"), "M12 2 1 21h22zm1 16h-2v-2h2zm0-4h-2V9h2z"),
        Pictogram("path", _("Caminos y opciones"), "M13 3v4h6l3 3-3 3h-6v8h-2v-8H5l-3-3 3-3h6V3z"),
    ]
}

PICTOGRAM_CHOICES = [(p.key, p.label) for p in PICTOGRAMS.values()]
