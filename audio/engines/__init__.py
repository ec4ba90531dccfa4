"""Text-to-speech engines behind one interface (see `base`).

from audio.engines import get_engine
clip = get_engine("espeak", voice="es-419").synthesize("Hola.")
"""

from audio.engines.base import (
    EngineError,
    EngineReplyError,
    EngineUnavailable,
    SpeechAudio,
    SpeechEngine,
    engine_names,
    get_engine,
)

__all__ = [
    "EngineError",
    "EngineReplyError",
    "EngineUnavailable",
    "SpeechAudio",
    "SpeechEngine",
    "engine_names",
    "get_engine",
]
