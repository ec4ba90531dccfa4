"""Why making a page's audio failed, as a *kind* editors can be told about in plain words.

The engines and the pipeline raise exceptions with English, technical messages: right for
whoever maintains the server, wrong for an editor in the Spanish admin. When a job fails or
a voice gives way to the next, the kind is decided here, from the exception's type and
where it was raised (the message is kept as the folded-away detail), and stored with the job
(its ``summary``). ``audio.admin.wording`` turns a kind into sentences in the editor's
language. Jobs recorded before kinds existed are classified from their stored text.
"""

import traceback
from pathlib import Path

from django.db import DatabaseError

from .engines import EngineError, EngineReplyError

UNREACHABLE = "unreachable"  # network down, DNS failure, refused, timeouts
RATE_LIMITED = "rate_limited"  # HTTP 429: too many requests
OVERLOADED = "overloaded"  # HTTP 5xx
BAD_REPLY = "bad_reply"  # an answer that is not audio (garbage, no audio)
REFUSED = "refused"  # another 4xx: the request itself was refused
VOICE_BROKEN = "voice_broken"  # a voice on this server (espeak) could not run
TRANSLATION_INCOMPLETE = "translation_incomplete"  # a synthetic voice waits for the text
NO_VOICE = "no_voice"  # every voice failed (each with its own kind)
RECORDING_MISSING = "recording_missing"  # a recording's file is gone or unreadable
MASTERING = "mastering"  # loudness, encoding, joining
STORAGE = "storage"  # disk full, bucket unreachable
DATABASE = "database"
WORKER_STOPPED = "worker_stopped"  # not an exception: a job whose heartbeat stopped
UNKNOWN = "unknown"

# Waiting helps these: the voice is tried again after its cool-down.
PASSING_KINDS = {UNREACHABLE, RATE_LIMITED, OVERLOADED}

_AUDIO_DIR = Path(__file__).resolve().parent
_SEGMENTS = _AUDIO_DIR / "segments.py"


class NoVoiceAvailable(Exception):
    """No configured voice could read the page; the message lists why, ``failures`` how."""

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


def voice_failure(engine_name: str, error: Exception) -> dict:
    """One voice's failure, as stored in a job's summary: voice, kind and the detail."""
    detail = f"{engine_name}: {error}"[:1000]
    return {"voice": engine_name, "kind": classify(error), "detail": detail}


def incomplete_translation(engine_name: str, language: str) -> dict:
    detail = f"{engine_name}: the {language} text is not complete yet"
    return {"voice": engine_name, "kind": TRANSLATION_INCOMPLETE, "detail": detail}


def job_failure(error: Exception) -> dict:
    """What a failed job stores for editors: its kind, and each voice's failure if all failed."""
    return {"kind": classify(error), "voices": getattr(error, "failures", [])}


def classify(error: Exception) -> str:
    """The kind of a failure, from the exception's type and where it was raised."""
    if isinstance(error, NoVoiceAvailable):
        return NO_VOICE
    if isinstance(error, EngineError):
        if error.kind:
            return error.kind
        return BAD_REPLY if isinstance(error, EngineReplyError) else VOICE_BROKEN
    raised_in = _raised_in(error)
    if "recorded_clip" in raised_in.functions:
        return RECORDING_MISSING
    if isinstance(error, DatabaseError):
        return DATABASE
    if raised_in.mastering:
        return MASTERING
    if isinstance(error, OSError):
        return STORAGE
    return UNKNOWN


def classify_text(text: str) -> str:
    """The kind of a failure recorded as text only (jobs failed before kinds were stored)."""
    lowered = text.lower()
    if "no voice could read" in lowered:
        return NO_VOICE
    for words, kind in (
        (("http 429",), RATE_LIMITED),
        (("cannot reach", "too slow", "timed out", "request failed"), UNREACHABLE),
        (("http 5",), OVERLOADED),
        (("no rpc", "not mp3", "base64", "no audio", "undecodable"), BAD_REPLY),
        (("no space left", "storage", "bucket"), STORAGE),
    ):
        if any(word in lowered for word in words):
            return kind
    return UNKNOWN


class _Frames:
    def __init__(self, functions, mastering):
        self.functions = functions
        self.mastering = mastering


def _raised_in(error: Exception) -> _Frames:
    """The functions of the traceback (and its causes'), and whether mastering was among them."""
    functions, mastering = set(), False
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for frame in traceback.extract_tb(error.__traceback__):
            functions.add(frame.name)
            path = Path(frame.filename).resolve()
            mastering |= path.is_relative_to(_AUDIO_DIR / "mastering") or path == _SEGMENTS
        error = error.__cause__ or error.__context__
    return _Frames(functions, mastering)
