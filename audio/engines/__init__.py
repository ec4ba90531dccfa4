"""Text-to-speech engines behind one interface (see `base`), and their registry.

from audio.engines import get_engine
clip = get_engine("espeak", voice="es-419").synthesize("Hola.")
"""

from audio.engines.base import (
    EngineError,
    EngineReplyError,
    EngineUnavailable,
    SpeechAudio,
    SpeechEngine,
)
from audio.engines.espeak import EspeakEngine
from audio.engines.gtts import GoogleTTSEngine

__all__ = [
    "EngineError",
    "EngineReplyError",
    "EngineUnavailable",
    "SpeechAudio",
    "SpeechEngine",
    "engine_names",
    "get_engine",
]

ENGINES: dict[str, type[SpeechEngine]] = {
    GoogleTTSEngine.name: GoogleTTSEngine,
    EspeakEngine.name: EspeakEngine,
}


def engine_names() -> list[str]:
    """Names accepted by `get_engine`, sorted."""
    return sorted(ENGINES)


def get_engine(name: str, **options) -> SpeechEngine:
    """Build the engine registered under `name` ("gtts" or "espeak").

    `options` go to the engine's constructor, e.g.
    `get_engine("espeak", voice="es-419", rate=160)`.
    """
    try:
        engine_class = ENGINES[name]
    except KeyError:
        raise ValueError(
            f"Unknown speech engine {name!r}; choose one of: {', '.join(sorted(ENGINES))}"
        ) from None
    return engine_class(**options)
