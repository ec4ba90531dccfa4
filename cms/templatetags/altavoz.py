from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from audio.listening import ListeningAudio, listening_audio
from audio.recordings import recording_statuses
from audio.voices import RECORDED

from .. import visibility
from ..languages import language_name
from ..pictograms import PICTOGRAMS
from ..reading import MarkedGuide, mark_guide
from ..translations import DisplayVersion
from ..views import OFFLINE_CACHE

if TYPE_CHECKING:
    from audio.models import Rendition

    from ..models import GuidePage

# Interface icons (not content): 24×24 paths drawn with currentColor, always next
# to a text label, so they are hidden from screen readers.
ICONS = {
    "play": "M8 5v14l11-7z",
    "pause": "M6 5h4v14H6zm8 0h4v14h-4z",
    "previous": "M6 6h2v12H6zm3.5 6 8.5 6V6z",
    "next": "M16 6h2v12h-2zM6 18l8.5-6L6 6z",
    "listen": (
        "M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z"
        "M14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z"
    ),
    "save": "M12 3v10.6l3.3-3.3 1.4 1.4-5.7 5.7-5.7-5.7 1.4-1.4 3.3 3.3V3zM5 19h14v2H5z",
    "share": (
        "M18 16a3 3 0 0 0-2.4 1.2l-7.1-4.1a3 3 0 0 0 0-2.2l7.1-4.1A3 3 0 1 0 15 5l.1.7"
        "-7.1 4.1a3 3 0 1 0 0 4.4l7.1 4.1-.1.7a3 3 0 1 0 3-3z"
    ),
    "place": (
        "M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7z"
        "m0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"
    ),
    "check": "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
    "delete": "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6zM19 4h-3.5l-1-1h-5l-1 1H5v2h14z",
    "lowdata": "M3 16h4v5H3zm7-5h4v10h-4zm7-6h4v16h-4z",
}

register = template.Library()


@register.inclusion_tag("includes/language_switcher.html")
def language_switcher(page: Page | None = None) -> dict[str, list[dict[str, Any]]]:
    """Links to this page in every language, each named in its own language.

    Where a page has no live translation, the link goes to that language's home.
    """
    current = get_language()
    translations = {}
    if isinstance(page, Page):
        for translation in visibility.shown_translations(page):
            translations[translation.locale.language_code] = translation
    links = []
    for code, _name in settings.LANGUAGES:
        target = translations.get(code)
        url = target.url if target else f"/{code}/"
        links.append(
            {"code": code, "name": language_name(code), "url": url, "is_current": code == current}
        )
    return {"links": links}


@register.simple_tag
def pictogram(key: str, size: int = 48, decorative: bool = False) -> SafeString | str:
    """Inline SVG for a pictogram key: no extra request, scales, uses currentColor.

    ``decorative`` hides it from screen readers where a text next to it says the same.
    """
    picto = PICTOGRAMS.get(key)
    if picto is None:
        return ""
    if decorative:
        return format_html(
            '<svg class="pictogram" width="{}" height="{}" viewBox="0 0 24 24" aria-hidden="true" '
            'focusable="false"><path fill="currentColor" d="{}"/></svg>',
            size,
            size,
            picto.path,
        )
    return format_html(
        '<svg class="pictogram" width="{}" height="{}" viewBox="0 0 24 24" role="img" '
        'aria-label="{}" focusable="false"><path fill="currentColor" d="{}"/></svg>',
        size,
        size,
        picto.label,
        picto.path,
    )


@register.simple_tag
def icon(name: str, size: int = 24) -> SafeString:
    """An interface icon (see ICONS), hidden from screen readers: its button says it in words."""
    return format_html(
        '<svg class="icon icon-{}" width="{}" height="{}" viewBox="0 0 24 24" aria-hidden="true" '
        'focusable="false"><path fill="currentColor" d="{}"/></svg>',
        name,
        size,
        size,
        ICONS[name],
    )


@register.simple_tag
def reading_marks(guide: "GuidePage") -> MarkedGuide:
    """The guide's title, summary and sections with each sentence marked by its caption cue id."""
    return mark_guide(guide)


@register.simple_tag
def guide_card(version: DisplayVersion) -> dict[str, Any]:
    """What the home page shows of a guide: its topics' pictograms and how long it plays."""
    guide = version.object
    keys = []
    for block in guide.sections:
        key = block.value.get("pictogram")
        if key and key in PICTOGRAMS and key not in keys:
            keys.append(key)
    audio = listening_audio(version.requested)
    main = audio.main if audio else None
    return {"pictograms": keys[:5], "minutes": max(1, round(main.duration / 60)) if main else None}


@register.simple_tag
def recording_notes(page: Page, audio: ListeningAudio | None) -> dict[str, str]:
    """Section id → "missing" or "stale" when the page plays human recordings of its own.

    Kaqchikel audio only comes from recordings: a listener must hear plainly that a part
    was not recorded yet, or was recorded from an older text.
    """
    main = audio.main if audio else None
    if main is None or main.engine != RECORDED or audio.language != page.locale.language_code:
        return {}
    notes = {}
    for status in recording_statuses(page):
        if status.missing:
            notes[status.section.id] = "missing"
        elif status.stale:
            notes[status.section.id] = "stale"
    return notes


@register.simple_tag
def offline_cache_name() -> str:
    return OFFLINE_CACHE


@register.simple_tag
def quick_exit_url() -> str:
    return settings.ALTAVOZ_QUICK_EXIT_URL


@register.simple_tag
def locale_home_url(language_code: str) -> str:
    locale = Locale.objects.filter(language_code=language_code).first()
    return f"/{language_code}/" if locale else "/"


@register.filter
def listening_length(rendition: "Rendition") -> str:
    """ "3 min · 0.7 MB": what a listener on a data plan needs to decide."""
    minutes = max(1, round(rendition.duration / 60))
    return f"{minutes} min · {file_size(rendition.size_bytes)}"


@register.filter
def file_size(size_bytes: int) -> str:
    """ "0.7 MB" or "85 KB"."""
    megabytes = size_bytes / (1024 * 1024)
    return f"{megabytes:.1f} MB" if megabytes >= 0.1 else f"{round(size_bytes / 1024)} KB"


@register.filter
def span_duration(span: tuple[float, float]) -> str:
    """(start, end) seconds → "1:05"."""
    seconds = int(round(span[1] - span[0]))
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def get_item(mapping: Mapping | None, key: Any) -> Any:
    return mapping.get(key) if mapping else None
