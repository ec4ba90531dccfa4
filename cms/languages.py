"""Locales Altavoz publishes in, and how to present them."""

import re

from django.conf import settings
from django.utils.translation import get_language

LANGUAGE_PREFIX_RE = re.compile(r"^/([a-z]{2,3})(?:-[a-z0-9]+)?/", re.IGNORECASE)


def looks_like_language_prefix(path: str) -> bool:
    """True for paths such as ``/fr/...`` or ``/pt-br/...`` (a would-be locale)."""
    return bool(LANGUAGE_PREFIX_RE.match(path))


def language_name(code: str) -> str:
    """The language's name in that language (what a switcher should show)."""
    return dict(settings.LANGUAGES).get(code, code)


def is_source_language(code: str) -> bool:
    return code == settings.SOURCE_LANGUAGE_CODE


def active_language() -> str:
    return get_language() or settings.LANGUAGE_CODE
