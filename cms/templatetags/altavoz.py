from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from ..languages import language_name
from ..pictograms import PICTOGRAMS

register = template.Library()


@register.inclusion_tag("includes/language_switcher.html")
def language_switcher(page=None):
    """Links to this page in every language, each named in its own language.

    Where a page has no live translation, the link goes to that language's home.
    """
    current = get_language()
    translations = {}
    if isinstance(page, Page):
        for translation in page.get_translations(inclusive=True).live().public().select_related("locale"):
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
def pictogram(key, size=48):
    """Inline SVG for a pictogram key: no extra request, scales, uses currentColor."""
    picto = PICTOGRAMS.get(key)
    if picto is None:
        return ""
    return format_html(
        '<svg class="pictogram" width="{}" height="{}" viewBox="0 0 24 24" role="img" '
        'aria-label="{}" focusable="false"><path fill="currentColor" d="{}"/></svg>',
        size,
        size,
        picto.label,
        picto.path,
    )


@register.simple_tag
def quick_exit_url():
    return settings.ALTAVOZ_QUICK_EXIT_URL


@register.simple_tag
def locale_home_url(language_code):
    locale = Locale.objects.filter(language_code=language_code).first()
    return f"/{language_code}/" if locale else "/"


@register.filter
def listening_length(rendition):
    """ "3 min · 0.7 MB": what a listener on a data plan needs to decide."""
    minutes = max(1, round(rendition.duration / 60))
    megabytes = rendition.size_bytes / (1024 * 1024)
    size = f"{megabytes:.1f} MB" if megabytes >= 0.1 else f"{round(rendition.size_bytes / 1024)} KB"
    return f"{minutes} min · {size}"


@register.filter
def span_duration(span):
    """(start, end) seconds → "1:05"."""
    seconds = int(round(span[1] - span[0]))
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
