"""Hear before publishing: one section of a draft, or an unsaved lexicon entry, read now.

An editor's "Escuchar" goes through the stages a publish does, with nothing of its
own: the text stage's reading of a section (``audio.text``), the voice policy
(``voices``: the first voice of the language that works, Google then espeak for
Spanish, only human recordings for Kaqchikel) and the clip cache (``clips``). So
the clip heard is the clip a later publish of the same text finds, and a second
"Escuchar" of the same text costs no engine call.

Synthesis runs in the web request, bounded so that it cannot hold a worker long:
one section at most ``PREVIEW_MAX_CHARACTERS`` of spoken text, Google with short
timeouts and one retry (a failing Google falls back to espeak, as a publish would,
and rests as in the worker), and at most ``PREVIEW_SYNTHESES`` at once per process.
A queued job would survive longer texts, but it would wait behind whole guides in
the audio worker's queue, while espeak reads a section in a fraction of a second
and the whole first answer takes 0.3 to 3.4 s (``bench/bench_draft_listening.py``).
"""

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from .clips import SectionAudio, recorded_clip, section_clip
from .engines import EngineError, get_engine
from .mastering.working import MASTER_SAMPLE_RATE
from .text import SpeechSection, lexicon_for, spoken_form
from .variants import LISTEN
from .voices import RECORDED, can_read, mark_failed, voices_for

# Spoken characters in one preview: a long section in Google's voice is ~30
# requests at 3 a second. Longer sections are heard once published.
PREVIEW_MAX_CHARACTERS = 3000
# Syntheses at once in one web process; more wait this long for a turn, then are told to retry.
PREVIEW_SYNTHESES = 2
PREVIEW_WAIT_SECONDS = 5
# An editor is waiting: Google gets short timeouts and one retry, then espeak reads
# (worst case about 2 × (3 + 6) s per request instead of the worker's 104 s).
PREVIEW_ENGINE_OPTIONS = {
    "gtts": {"connect_timeout": 3, "read_timeout": 6, "max_attempts": 2, "backoff_max": 1}
}
LEXICON_SECTION_ID = "lexicon"
# Encoding a minute of speech for the browser costs more CPU than espeak reading it: an
# editor's replays come from Django's cache (shared by the web processes when it is Redis).
PREVIEW_CACHE_SECONDS = 3600

_slots = threading.BoundedSemaphore(PREVIEW_SYNTHESES)


class CannotHear(Exception):
    """Why there is nothing to play, in the editor's language (``status``: the HTTP status)."""

    def __init__(self, code, message, status, detail=""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail  # for whoever maintains the server: engines' own words


@dataclass(frozen=True)
class DraftAudio:
    """A section's clip as the editor's browser plays it, and how it was made."""

    audio: bytes
    engine: str
    voice: str
    synthesized: bool  # False: from the clip cache (or a recording)
    spoken: str  # what the engine was asked to say, after the normalizer and lexicon


def hear_section(language_code, section, recording=None) -> DraftAudio:
    """A draft section in the voice a publish of ``language_code`` would use now.

    ``recording`` is the page's ``SectionRecording`` for this section, if any: a
    language read by recordings plays it, and never falls back to a synthetic voice.
    Raises ``CannotHear``.
    """
    if section is None or not section.sentences:
        raise CannotHear("empty", _("Esta parte no tiene nada que leer todavía."), 400)
    voices = voices_for(language_code)
    if voices and voices[0].is_recorded:
        return _recording(section, recording)
    return _synthesized(language_code, section, lexicon_for(language_code), voices)


def hear_lexicon_entry(language_code, written, spoken, replacing=None) -> DraftAudio:
    """``written`` as it would be read with the unsaved entry (``written`` → ``spoken``) applied.

    ``replacing`` is the written form the entry has now, when an existing entry is
    edited: its old form no longer applies. Raises ``CannotHear``.
    """
    lexicon = lexicon_for(language_code)
    if replacing is not None:
        lexicon.pop(replacing, None)
    lexicon[written] = spoken
    voices = [v for v in voices_for(language_code) if not v.is_recorded]
    if not _synthetic_voices_configured(language_code):
        raise CannotHear(
            "no_voice",
            _(
                "Este idioma no se lee con voz sintética (solo con grabaciones): "
                "la pronunciación no cambia su audio."
            ),
            409,
        )
    section = SpeechSection(LEXICON_SECTION_ID, written, (written,))
    return _synthesized(language_code, section, lexicon, voices)


def _recording(section, recording):
    if recording is None:
        raise CannotHear(
            "no_recording",
            _(
                "Esta parte no tiene grabación todavía. En este idioma el audio sale solo de "
                "grabaciones de personas: ninguna voz sintética la lee."
            ),
            404,
        )
    return _as_draft_audio(recorded_clip(section, recording), spoken="")


def _synthesized(language_code, section, lexicon, voices):
    spoken = " ".join(spoken_form(s, language_code, lexicon) for s in section.sentences)
    if not voices and not _synthetic_voices_configured(language_code):
        raise CannotHear("no_voice", _("Ninguna voz está configurada para leer este idioma."), 409)
    if len(spoken) > PREVIEW_MAX_CHARACTERS:
        raise CannotHear(
            "too_long",
            _(
                "Esta parte es demasiado larga para escucharla aquí (más de %(limit)s "
                "caracteres). Divídala en partes o escúchela después de publicar."
            )
            % {"limit": PREVIEW_MAX_CHARACTERS},
            413,
        )
    failures = []
    for voice in voices:
        options = {**voice.options, **PREVIEW_ENGINE_OPTIONS.get(voice.engine_name, {})}
        try:
            with _synthesis_slot():
                heard = section_clip(
                    section, get_engine(voice.engine_name, **options), language_code, lexicon
                )
        except EngineError as error:
            # As in the worker: a voice that failed rests, and the next one reads.
            mark_failed(voice, language_code)
            failures.append(f"{voice.engine_name}: {error}")
            continue
        return _as_draft_audio(heard, spoken=spoken)
    # Also when every voice is resting after failing moments ago (``voices_for`` skips them).
    raise CannotHear(
        "engines_failed",
        _(
            "No se pudo generar el audio: ninguna voz respondió. Inténtelo de nuevo en unos "
            "minutos; lo publicado no cambia."
        ),
        503,
        detail="; ".join(failures),
    )


def _synthetic_voices_configured(language_code):
    """Whether a synthetic voice may read the language, resting after a failure or not."""
    names = settings.ALTAVOZ_VOICES.get(language_code, [])
    return any(n != RECORDED and can_read(n, language_code) for n in names)


@contextmanager
def _synthesis_slot():
    """A turn among the process's preview syntheses (``CannotHear`` 429 when none frees up)."""
    if not _slots.acquire(timeout=PREVIEW_WAIT_SECONDS):
        raise CannotHear(
            "busy",
            _("Se están preparando otras escuchas. Inténtelo de nuevo en unos segundos."),
            429,
        )
    try:
        yield
    finally:
        _slots.release()


def _as_draft_audio(heard: SectionAudio, spoken) -> DraftAudio:
    cache_key = f"altavoz:draft-mp3:{heard.clip.key}"
    audio = cache.get(cache_key)
    if audio is None:
        audio = _listener_mp3(heard.pcm())
        cache.set(cache_key, audio, PREVIEW_CACHE_SECONDS)
    return DraftAudio(audio, heard.clip.engine, heard.clip.voice, heard.synthesized, spoken)


def _listener_mp3(pcm):
    """As listeners get it (the listen variant's MP3, without the loudness work): the clip's
    FLAC would be ten times the bytes, and a 48 kHz MP3 twice the encoding time."""
    # Here, not at the top: web processes load SciPy and PyAV only when an editor listens.
    from scipy.signal import resample_poly

    from .mastering.encode import encode_variant

    rate = LISTEN.sample_rate
    divisor = math.gcd(MASTER_SAMPLE_RATE, rate)
    return encode_variant(
        resample_poly(pcm, rate // divisor, MASTER_SAMPLE_RATE // divisor), LISTEN
    )
