"""The interface every text-to-speech engine implements (the registry is in `__init__`).

An engine turns ONE short text (a sentence) into audio. Splitting a page into
sentences, normalizing numbers and concatenating clips happen in other stages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "AUDIO_CONTAINERS",
    "EngineError",
    "EngineReplyError",
    "EngineUnavailable",
    "SpeechAudio",
    "SpeechEngine",
]

AUDIO_CONTAINERS = ("mp3", "wav")


@dataclass(frozen=True)
class SpeechAudio:
    """Audio of one short text, in a container PyAV can decode.

    `container` names the format of `data`: "mp3" or "wav".
    """

    data: bytes
    container: str

    def __post_init__(self) -> None:
        if self.container not in AUDIO_CONTAINERS:
            raise ValueError(
                f"Unknown audio container {self.container!r}; expected one of {AUDIO_CONTAINERS}"
            )
        if not self.data:
            raise ValueError("SpeechAudio needs at least one byte of audio")


class EngineError(Exception):
    """An engine could not turn text into audio. The message says why.

    ``kind`` says what the engine met, when it knows, so that editors can be told in
    plain words (``audio.failures``): "unreachable" (network down, DNS, refused,
    timeouts), "rate_limited" (429), "overloaded" (5xx), "bad_reply" (an answer
    that is not audio), "refused" (another 4xx).
    """

    def __init__(self, message: str = "", kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind


class EngineUnavailable(EngineError):
    """The engine could not be reached or stayed overloaded (network down,
    timeouts, repeated 429/5xx). The caller may fall back to another engine
    and try this one again later."""


class EngineReplyError(EngineError):
    """The engine answered, but not with usable audio (garbage, no audio,
    a refused request), even after the allowed retries."""


class SpeechEngine(ABC):
    """One text-to-speech engine with one voice.

    Subclasses set `name` (the registry key) and implement `voice` and
    `synthesize`. Instances must be safe to share between threads.
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def voice(self) -> str:
        """A stable string naming the voice and every setting that changes the
        sound (e.g. "es/com.mx", "es-419@rate=150,pitch=50").

        Used in cache keys (same voice string, same text -> same sound) and shown
        to editors.
        """

    @abstractmethod
    def synthesize(self, text: str) -> SpeechAudio:
        """Speak one short text.

        Raises ValueError for empty or whitespace-only text (an engine may also
        refuse text with nothing to say: gTTS refuses punctuation alone), and
        EngineUnavailable / EngineReplyError as documented on those classes.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} voice={self.voice!r}>"
