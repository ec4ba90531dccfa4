"""How a language's rules run over a text: clean, lexicon first, rules, restore, tidy.

Every rule runs behind a safety net: a bug in one must not stop the audio of
a whole guide, so it is logged and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from ..lexicon import _compile_lexicon, _lexicon_items, _protect_lexicon_matches, _restore_protected
from .cleaning import _clean, _tidy_spacing

logger = logging.getLogger(__name__)


def _normalize(
    text: str, lexicon: Mapping[str, str] | None, rules: tuple[Callable[[str], str], ...]
) -> str:
    """Clean, protect the lexicon's matches, run ``rules`` in order, restore, tidy."""
    try:
        text = _clean(text)
    except Exception:  # noqa: BLE001 - e.g. an object whose str() fails
        logger.exception("Could not read the text to normalize")
        return ""
    if not text:
        return ""
    spoken_forms: list[str] = []
    if lexicon:

        def apply_editors_lexicon(text: str) -> str:
            matcher = _compile_lexicon(_lexicon_items(lexicon))
            return _protect_lexicon_matches(text, matcher, spoken_forms)

        text = _run_safely(apply_editors_lexicon, text)
    for rule in rules:
        text = _run_safely(rule, text)
    text = _run_safely(lambda text: _restore_protected(text, spoken_forms), text)
    return _tidy_spacing(text)


def _run_safely(rule: Callable[[str], str], text: str) -> str:
    """Run one rule; a bug in it must not stop the audio of a whole guide."""
    try:
        return rule(text)
    except Exception:  # noqa: BLE001 - robustness is the contract here
        logger.exception("Normalization rule %s failed; skipped", getattr(rule, "__name__", rule))
        return text
