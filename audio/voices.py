"""Which voice reads which locale, and when to stop trying one that fails.

Settings name the voices per locale in order of preference
(``ALTAVOZ_VOICES``). A synthetic voice reads a language only if
``ALTAVOZ_ENGINE_OPTIONS`` says which of its voices to use for it: an engine
is never left to its default voice, which would read Kaqchikel (no engine
has it) with a Spanish or English voice. Human recordings read any language.
A voice that fails (Google unreachable, 429s that do
not stop) is skipped for ``ALTAVOZ_VOICE_RETRY_AFTER_SECONDS`` so that every
job does not wait for the same timeouts again; the next voice is used instead.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from .engines import get_engine

RECORDED = "recorded"  # the engine name of human recordings
RECORDED_VOICE = "human"  # and their voice name, in renditions and packages

_failed_until = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class VoiceChoice:
    engine_name: str
    options: dict

    @property
    def is_recorded(self):
        return self.engine_name == RECORDED

    def engine(self):
        return get_engine(self.engine_name, **self.options)


def uses_recordings(language_code) -> bool:
    """Whether a language's audio may come from human recordings (Kaqchikel)."""
    return RECORDED in settings.ALTAVOZ_VOICES.get(language_code, [])


def only_recordings(language_code) -> bool:
    """Whether only people read this language: no synthetic voice is ever listed for it."""
    return set(settings.ALTAVOZ_VOICES.get(language_code, [])) == {RECORDED}


def reads_honestly(engine_name, version) -> bool:
    """Whether audio by this voice is honestly in the language of the version shown.

    Recordings are made per section of the page itself. A synthetic voice reads
    the text it is given: over a fallback (an incomplete translation showing the
    source text) it would read Spanish in an English or Kaqchikel page's name.
    """
    return engine_name == RECORDED or not version.is_fallback


def engine_options(engine_name, language_code):
    per_engine = settings.ALTAVOZ_ENGINE_OPTIONS.get(engine_name, {})
    options = {k: v for k, v in per_engine.get("*", {}).items() if v is not None}
    options.update(per_engine.get(language_code, {}))
    return options


def can_read(engine_name, language_code):
    """Whether a voice may read this language: recordings always, an engine only with a voice set
    for it."""
    return engine_name == RECORDED or language_code in settings.ALTAVOZ_ENGINE_OPTIONS.get(
        engine_name, {}
    )


def voices_for(language_code):
    """Voices configured for a language, in order, skipping ones in a cool-down and ones that cannot
    read it."""
    now = time.monotonic()
    names = [
        n for n in settings.ALTAVOZ_VOICES.get(language_code, []) if can_read(n, language_code)
    ]
    with _lock:
        available = [n for n in names if _failed_until.get((n, language_code), 0) <= now]
    return [VoiceChoice(name, engine_options(name, language_code)) for name in available]


def mark_failed(choice, language_code):
    with _lock:
        _failed_until[(choice.engine_name, language_code)] = (
            time.monotonic() + settings.ALTAVOZ_VOICE_RETRY_AFTER_SECONDS
        )


def reset_failures():
    with _lock:
        _failed_until.clear()
