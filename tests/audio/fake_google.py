"""A faked Google Translate TTS endpoint, in exactly the format gTTS parses.

Replies wrap a real MP3 made with PyAV and are served by a transport adapter
mounted on a requests session: no network. Shared by the engine tests and the
pipeline tests.
"""

from __future__ import annotations

import base64
import functools
import http
import io
import threading
from dataclasses import dataclass

import av
import numpy as np
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from audio.mastering import encode_samples

GOOGLE_URL = "https://translate.google.com.mx/_/TranslateWebserverUi/data/batchexecute"


# --- A real MP3 and Google's reply format ---------------------------------------------


@functools.cache
def sine_mp3(frequency: float = 440.0, seconds: float = 0.3, sample_rate: int = 24000) -> bytes:
    """A short MP3 shaped like Google's: bare MPEG-2 layer III frames, no ID3 tag."""
    times = np.arange(int(seconds * sample_rate)) / sample_rate
    samples = (0.5 * np.sin(2 * np.pi * frequency * times)).astype(np.float32)
    return encode_samples(
        samples,
        sample_rate,
        codec="libmp3lame",
        container="mp3",
        bitrate=32000,
        muxer_options={"id3v2_version": "0", "write_xing": "0"},
    )


def decoded_seconds(data: bytes) -> float:
    """Duration of `data` after decoding every frame with PyAV (fails on bad audio)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate


def google_reply(mp3: bytes) -> bytes:
    """A `batchexecute` reply carrying `mp3`, as Google Translate sends it."""
    payload = base64.b64encode(mp3).decode("ascii")
    rpc_line = '[["wrb.fr","jQ1olc","[\\"' + payload + '\\"]",null,null,null,"generic"]]'
    return f")]}}'\n\n{len(rpc_line)}\n{rpc_line}\n".encode()


# --- A transport adapter that plays a script -------------------------------------------


def make_response(
    request: requests.PreparedRequest, status: int, body: bytes = b"", headers=None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = http.HTTPStatus(status).phrase
    response.headers = CaseInsensitiveDict(headers or {})
    response._content = body
    # Without it, iter_lines() (used by gTTS) tries to stream from `raw`, which is None.
    response._content_consumed = True
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    return response


def audio_reply(mp3: bytes):
    return lambda request: make_response(request, 200, google_reply(mp3))


def status_reply(status: int, body: bytes = b"", headers=None):
    return lambda request: make_response(request, status, body, headers)


@dataclass
class Sent:
    request: requests.PreparedRequest
    options: dict


class ScriptedAdapter(BaseAdapter):
    """Answers each send with the next step of a script; the last step repeats.

    A step is a function of the request returning a Response, or an exception
    instance to raise. Every send is recorded with its options (timeout, verify...).
    """

    def __init__(self, *steps) -> None:
        super().__init__()
        self.steps = steps
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        options = {"stream": stream, "timeout": timeout, "verify": verify, "cert": cert}
        with self._lock:
            index = len(self.sent)
            self.sent.append(Sent(request, options))
        step = self.steps[min(index, len(self.steps) - 1)]
        if isinstance(step, BaseException):
            raise step
        return step(request)

    def close(self) -> None:
        pass


def session_with(adapter: BaseAdapter) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def use_fake_google(settings, adapter):
    """Spanish read by gTTS first, its requests answered by ``adapter``."""
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": ["gtts", "espeak"]}
    settings.ALTAVOZ_ENGINE_OPTIONS = {
        **settings.ALTAVOZ_ENGINE_OPTIONS,
        "gtts": {
            "es": {
                "lang": "es",
                "tld": "com.mx",
                "session": session_with(adapter),
                "sleep": lambda seconds: None,
                "requests_per_second": 1000.0,
            }
        },
    }
