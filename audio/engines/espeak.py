"""Offline voice: espeak-ng through ctypes, from the espeakng-loader wheel.

The wheel ships `libespeak-ng.so` (1.52) and its `espeak-ng-data`; nothing is
installed system-wide and nothing goes over the network.

Why the library is loaded afresh for every utterance: espeak-ng keeps hidden
state between utterances (the pitch "flutter" phase and other statics in
wavegen.c that `espeak_Initialize` does not reset), so the same sentence said
twice in one process came out 70,899, then 71,196, then 71,427 samples long.
A fresh copy of the library's memory (dlopen, initialize, speak, terminate,
dlclose) makes the audio a pure function of text, voice, rate, pitch and the
library version, which cache keys rely on. It costs about 1 ms of
initialization per utterance, plus about 3 KB of memory per utterance that
espeak-ng's voice loading allocates and `espeak_Terminate` never frees
(measured: 900 utterances, +2.5 MB). The random generator espeak-ng seeds from
the clock is reseeded with a constant for the same reason.

All calls hold one process-wide lock: the library, its callback and the sample
buffer are global. If other code in the process loads the same libespeak-ng,
dlclose cannot unload it and repeated utterances may differ by a few samples.
"""

from __future__ import annotations

import _ctypes
import ctypes
import io
import os
import sys
import threading
import wave
from array import array
from collections.abc import Iterator
from contextlib import contextmanager

import espeakng_loader

from audio.engines.base import (
    EngineError,
    EngineReplyError,
    EngineUnavailable,
    SpeechAudio,
    SpeechEngine,
)

__all__ = ["EspeakEngine"]

# Constants from espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # without it, a bad data path makes espeak call exit()
POS_CHARACTER = 1
CHARS_UTF8 = 1
PARAMETER_RATE = 1
PARAMETER_PITCH = 3
EE_OK = 0
EE_NOT_FOUND = 2
RATE_RANGE = (80, 450)  # words per minute, espeakRATE_MINIMUM..espeakRATE_MAXIMUM
PITCH_RANGE = (0, 100)

RANDOM_SEED = 1

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

# Held for every use of the library; guards `_pcm_chunks` too.
_espeak_lock = threading.Lock()
_pcm_chunks: list[bytes] = []


@_SynthCallback
def _collect_pcm(samples, sample_count, events):
    if sample_count > 0:
        _pcm_chunks.append(ctypes.string_at(samples, sample_count * 2))
    return 0  # 0 = carry on synthesizing


def _declare_signatures(library: ctypes.CDLL) -> None:
    library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    library.espeak_Initialize.restype = ctypes.c_int
    library.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    library.espeak_SetSynthCallback.restype = None
    library.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    library.espeak_SetVoiceByName.restype = ctypes.c_int
    library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    library.espeak_SetParameter.restype = ctypes.c_int
    library.espeak_Synth.argtypes = [
        ctypes.c_char_p,  # text
        ctypes.c_size_t,  # size in bytes, terminator included
        ctypes.c_uint,  # position
        ctypes.c_int,  # position type
        ctypes.c_uint,  # end position (0 = none)
        ctypes.c_uint,  # flags
        ctypes.POINTER(ctypes.c_uint),  # unique identifier (unused)
        ctypes.c_void_p,  # user data (unused)
    ]
    library.espeak_Synth.restype = ctypes.c_int
    library.espeak_Synchronize.restype = ctypes.c_int
    library.espeak_Terminate.restype = ctypes.c_int


@contextmanager
def _fresh_espeak() -> Iterator[tuple[ctypes.CDLL, int]]:
    """Load and initialize a fresh espeak-ng; yield (library, sample rate); unload it.

    The caller must hold `_espeak_lock`.
    """
    try:
        data_path = espeakng_loader.get_data_path()
        library = ctypes.CDLL(espeakng_loader.get_library_path())
    except (OSError, RuntimeError) as error:
        raise EngineUnavailable(f"espeak-ng is not available: {error}") from error
    initialized = False
    try:
        _declare_signatures(library)
        sample_rate = library.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, os.fsencode(data_path), INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise EngineUnavailable(f"espeak-ng failed to initialize with its data at {data_path}")
        initialized = True
        library.espeak_SetSynthCallback(_collect_pcm)
        library.espeak_ng_SetRandSeed(RANDOM_SEED)
        yield library, sample_rate
    finally:
        if initialized:
            library.espeak_Terminate()
        handle = library._handle
        del library
        _ctypes.dlclose(handle)


def _wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    if sys.byteorder == "big":
        # espeak hands out native-endian samples; WAV stores little-endian.
        samples = array("h", pcm)
        samples.byteswap()
        pcm = samples.tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


class EspeakEngine(SpeechEngine):
    """espeak-ng speaking with `voice` (e.g. "es-419", Latin-American Spanish).

    `rate` is in words per minute (80-450), `pitch` 0-100 (50 is the voice's
    default). Output: WAV, mono, 16-bit, at espeak's sample rate (22,050 Hz).
    An unknown voice raises EngineError when the engine is built.
    """

    name = "espeak"

    def __init__(self, voice: str = "es-419", rate: int = 150, pitch: int = 50) -> None:
        if not isinstance(voice, str) or not voice.strip() or "\x00" in voice:
            raise ValueError(f"Not an espeak-ng voice name: {voice!r}")
        if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
            raise ValueError(f"rate must be within {RATE_RANGE} words per minute, got {rate!r}")
        if not PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1]:
            raise ValueError(f"pitch must be within {PITCH_RANGE}, got {pitch!r}")
        self.voice_name = voice
        self.rate = int(rate)
        self.pitch = int(pitch)
        # Fail now, not at the first sentence, on a voice espeak does not have.
        with _espeak_lock, _fresh_espeak() as (library, sample_rate):
            self._select_voice(library)
        self.sample_rate = sample_rate

    @property
    def voice(self) -> str:
        return f"{self.voice_name}@rate={self.rate},pitch={self.pitch}"

    def synthesize(self, text: str) -> SpeechAudio:
        """Speak `text` as a WAV clip. The same text gives the same bytes."""
        if not text or not text.strip():
            raise ValueError("Cannot speak empty text")
        # A NUL would end the C string early and drop the rest of the text.
        encoded = text.replace("\x00", " ").encode("utf-8") + b"\x00"
        with _espeak_lock:
            _pcm_chunks.clear()
            try:
                with _fresh_espeak() as (library, sample_rate):
                    self._select_voice(library)
                    library.espeak_SetParameter(PARAMETER_RATE, self.rate, 0)
                    library.espeak_SetParameter(PARAMETER_PITCH, self.pitch, 0)
                    status = library.espeak_Synth(
                        encoded, len(encoded), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None
                    )
                    if status != EE_OK:
                        raise EngineError(
                            f"espeak-ng ({self.voice}) failed to synthesize (error {status})"
                        )
                    library.espeak_Synchronize()
                pcm = b"".join(_pcm_chunks)
            finally:
                _pcm_chunks.clear()
        if not pcm:
            raise EngineReplyError(f"espeak-ng ({self.voice}) produced no audio for {text[:60]!r}")
        return SpeechAudio(data=_wav_bytes(pcm, sample_rate), container="wav")

    def _select_voice(self, library: ctypes.CDLL) -> None:
        status = library.espeak_SetVoiceByName(self.voice_name.encode("utf-8"))
        if status == EE_NOT_FOUND:
            raise EngineError(
                f"espeak-ng has no voice {self.voice_name!r}; for Spanish use 'es-419' "
                f"(Latin America) or 'es' (Spain)"
            )
        if status != EE_OK:
            raise EngineError(
                f"espeak-ng could not load voice {self.voice_name!r} (error {status})"
            )
