"""Google Translate's speech voice (the service behind gTTS), sent carefully.

gTTS 2.5.4 builds the requests: it splits text into <=100-character parts at
punctuation and packs each into the `batchexecute` RPC Google Translate's web page
uses. We send them ourselves because gTTS sends with TLS verification off, no
timeout and no retry, and Google answers bursts with 429. `gTTS._prepare_requests`
is private API: gTTS is pinned in pyproject.toml, and the tests check that our
reading of a reply gives the same bytes as `gTTS.stream()`.

Retry policy, per request (one request per text part; attempts include the first):

    failure                                              attempts        then raise
    429, 5xx                                              max_attempts=4  EngineUnavailable
    read timeout, body cut off                            max_attempts=4  EngineUnavailable
    refused, DNS failure, connect timeout, TLS failure    2               EngineUnavailable
    200 without audio, audio that is not MP3              2               EngineReplyError
    other 4xx (400, 403, 404: bad request, blocked, tld)  1               EngineReplyError
    any other requests error (bad URL, redirect loop)     1               EngineUnavailable

Between attempts we wait Retry-After when the server sends one, else a "full
jitter" backoff: uniform(0, min(backoff_max, backoff_base * 2**(attempt-1))),
i.e. up to 0.5 s, 1 s, 2 s with the defaults. Retry-After is capped at
backoff_max (8 s) so a worker never stalls for minutes on one sentence.
Unreachable hosts get one retry only: when the network is down, waiting longer
does not help and the caller should fall back to espeak quickly. A 200 without
audio is usually permanent (unsupported text or language) but occasionally a
truncated reply, so it gets one retry.

Worst case with the defaults: 4 x (5 s connect + 20 s read) + 3.5 s of waits,
about 104 s for one part before EngineUnavailable.

Every attempt, retries included, first takes a slot (at most `max_concurrency`
requests in flight) and then a token from a process-wide bucket
(`requests_per_second`), see `audio.engines.throttle`. Backoff waits happen
outside the slot, so one struggling request does not block the others.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import logging
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from gtts import gTTS
from gtts.lang import tts_langs

from audio.engines.base import (
    EngineReplyError,
    EngineUnavailable,
    SpeechAudio,
    SpeechEngine,
)
from audio.engines.throttle import Throttle, shared_throttle

__all__ = ["GoogleTTSEngine", "extract_reply_audio"]

log = logging.getLogger(__name__)

# Throttle key for Google: it limits per client, whatever the tld we call.
GOOGLE_SERVICE = "translate.google.*"

# The RPC id and the pattern gTTS 2.5.4 uses to find audio in a reply line.
RPC_ID = gTTS.GOOGLE_TTS_RPC
AUDIO_IN_REPLY_LINE = re.compile(r'jQ1olc","\[\\"(.*)\\"]')

UNREACHABLE_ATTEMPTS = 2
BAD_REPLY_ATTEMPTS = 2

_TLD = re.compile(r"[a-z]{2,63}(\.[a-z]{2,63})*")


def extract_reply_audio(body: bytes) -> bytes:
    """Return the MP3 bytes carried by one `batchexecute` reply.

    Reads the reply the way gTTS 2.5.4 does (each line naming the RPC, the same
    regular expression, lenient base64), but where gTTS silently yields nothing
    for a reply without any RPC line, this raises ValueError; it also rejects
    audio that does not start like an MP3 stream.
    """
    audio = bytearray()
    for line in body.splitlines():
        text_line = line.decode("utf-8", errors="replace")
        if RPC_ID not in text_line:
            continue
        match = AUDIO_IN_REPLY_LINE.search(text_line)
        if match is None:
            raise ValueError(f"reply line names {RPC_ID} but carries no audio")
        try:
            audio += base64.b64decode(match.group(1).encode("ascii"))
        except (UnicodeEncodeError, binascii.Error) as error:
            raise ValueError(f"audio in reply is not valid base64 ({error})") from None
    if not audio:
        raise ValueError(f"reply has no {RPC_ID} audio line ({_preview(body)})")
    if not _looks_like_mp3(audio):
        raise ValueError(f"audio in reply is not MP3 (starts with {bytes(audio[:4])!r})")
    return bytes(audio)


def _looks_like_mp3(data: bytes | bytearray) -> bool:
    # An ID3 tag, or an MPEG audio frame sync (11 set bits). Google sends bare frames.
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def _preview(body: bytes, limit: int = 80) -> str:
    return repr(body[:limit]) + ("..." if len(body) > limit else "")


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delay or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _full_jitter(ceiling: float) -> float:
    # Random waits keep parallel workers from retrying in lockstep.
    return random.uniform(0.0, ceiling)


class _AttemptFailed(Exception):
    """One attempt failed; `kind` decides whether and how often to retry."""

    BUSY = "busy"  # 429 / 5xx
    SLOW = "slow"  # read timeout, broken body
    UNREACHABLE = "unreachable"  # refused, DNS, connect timeout, TLS
    BAD_REPLY = "bad reply"  # 200 without usable audio
    REFUSED = "refused"  # other 4xx
    FAILED = "failed"  # any other error from requests

    def __init__(self, kind: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


# What the last attempt met, as the kinds EngineError documents (editors are told by kind).
_EDITOR_KINDS = {
    _AttemptFailed.BUSY: "overloaded",
    _AttemptFailed.SLOW: "unreachable",
    _AttemptFailed.UNREACHABLE: "unreachable",
    _AttemptFailed.BAD_REPLY: "bad_reply",
    _AttemptFailed.REFUSED: "refused",
    _AttemptFailed.FAILED: "unreachable",
}


class GoogleTTSEngine(SpeechEngine):
    """Google Translate's voice for `lang`, with the accent of translate.google.<tld>.

    Spanish with a Mexican accent is lang="es", tld="com.mx" (gTTS has no
    "es-419"). `endpoint` ("http://127.0.0.1:8000") replaces Google's scheme and
    host, for a local fake server in benchmarks. `session` lets tests mount a fake
    transport adapter; `sleep` receives every wait (backoff and rate limit).
    """

    name = "gtts"

    def __init__(
        self,
        lang: str = "es",
        tld: str = "com.mx",
        endpoint: str | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 20,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8,
        requests_per_second: float = 3.0,
        max_concurrency: int = 2,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if lang not in tts_langs():
            raise ValueError(
                f"gTTS does not support language {lang!r}; for Latin-American Spanish "
                f"use lang='es' with tld='com.mx'"
            )
        if not _TLD.fullmatch(tld):
            raise ValueError(f"Not a Google top-level domain: {tld!r} (e.g. 'com.mx')")
        if endpoint is not None:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"endpoint must look like 'http://host:port', got {endpoint!r}")
            if parts.path not in ("", "/") or parts.query or parts.fragment:
                raise ValueError(f"endpoint replaces scheme and host only, got {endpoint!r}")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("connect_timeout and read_timeout must be positive")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        if backoff_base < 0 or backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")

        self.lang = lang
        self.tld = tld
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.throttle: Throttle = shared_throttle(
            self._service_name(), requests_per_second, max_concurrency
        )
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep

    @property
    def voice(self) -> str:
        return f"{self.lang}/{self.tld}"

    def synthesize(self, text: str) -> SpeechAudio:
        """Speak `text`; long texts become several requests whose MP3 parts are joined in order."""
        prepared_requests = self._prepare_requests(text)
        total = len(prepared_requests)
        parts = [
            self._fetch_part(prepared, position, total)
            for position, prepared in enumerate(prepared_requests, start=1)
        ]
        return SpeechAudio(data=b"".join(parts), container="mp3")

    def _service_name(self) -> str:
        if self.endpoint is None:
            return GOOGLE_SERVICE
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def _prepare_requests(self, text: str) -> list[requests.PreparedRequest]:
        if not text or not text.strip():
            raise ValueError("Cannot speak empty text")
        try:
            # lang was checked in __init__; lang_check=False skips a second lookup.
            prepared_requests = gTTS(
                text, tld=self.tld, lang=self.lang, lang_check=False
            )._prepare_requests()
        except AssertionError:
            # gTTS asserts when nothing is left after dropping punctuation.
            prepared_requests = []
        if not prepared_requests:
            raise ValueError(f"Nothing speakable in {text!r} (only punctuation?)")
        if self.endpoint is not None:
            for prepared in prepared_requests:
                prepared.url = self._redirect_to_endpoint(prepared.url)
        return prepared_requests

    def _redirect_to_endpoint(self, url: str) -> str:
        endpoint = urlsplit(self.endpoint)
        original = urlsplit(url)
        return urlunsplit(
            (endpoint.scheme, endpoint.netloc, original.path, original.query, original.fragment)
        )

    def _fetch_part(self, prepared: requests.PreparedRequest, position: int, total: int) -> bytes:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(prepared)
            except _AttemptFailed as failure:
                if attempt >= self._allowed_attempts(failure.kind):
                    raise self._give_up(failure, position, total, attempt) from failure
                delay = self._backoff_delay(attempt, failure.retry_after)
                log.warning(
                    "Google TTS %s: part %d/%d, attempt %d failed (%s); retrying in %.2f s",
                    self.voice,
                    position,
                    total,
                    attempt,
                    failure.reason,
                    delay,
                )
                self._sleep(delay)

    def _attempt(self, prepared: requests.PreparedRequest) -> bytes:
        response = self._send(prepared)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _AttemptFailed(
                _AttemptFailed.BUSY,
                f"HTTP {status} {response.reason or ''}".strip(),
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status >= 400:
            raise _AttemptFailed(
                _AttemptFailed.REFUSED,
                f"HTTP {status} {response.reason or ''}: {_preview(response.content)}",
            )
        try:
            return extract_reply_audio(response.content)
        except ValueError as error:
            raise _AttemptFailed(_AttemptFailed.BAD_REPLY, f"HTTP {status}: {error}") from None

    def _send(self, prepared: requests.PreparedRequest) -> requests.Response:
        # Keep proxy settings and a CA bundle from the environment, like
        # requests.get would; verify=True means a bundle can replace, never disable, checks.
        settings = self._session.merge_environment_settings(
            prepared.url, proxies={}, stream=False, verify=True, cert=None
        )
        try:
            with self.throttle.slots.hold():
                delay = self.throttle.bucket.reserve()
                if delay > 0:
                    self._sleep(delay)
                return self._session.send(
                    prepared.copy(), timeout=(self.connect_timeout, self.read_timeout), **settings
                )
        except (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError) as error:
            kind, reason = _AttemptFailed.SLOW, f"reply too slow or cut off: {error}"
        except requests.exceptions.ConnectionError as error:
            if error.args and isinstance(error.args[0], urllib3.exceptions.ReadTimeoutError):
                # requests reports a read timeout in the middle of the body this way.
                kind, reason = _AttemptFailed.SLOW, f"reply too slow: {error}"
            else:
                # Refused, DNS failure, ConnectTimeout, SSLError.
                host = urlsplit(prepared.url).netloc
                kind, reason = _AttemptFailed.UNREACHABLE, f"cannot reach {host}: {error}"
        except requests.exceptions.ContentDecodingError as error:
            kind, reason = _AttemptFailed.BAD_REPLY, f"undecodable body: {error}"
        except requests.exceptions.RequestException as error:
            # Invalid URL, too many redirects...: retrying would not help.
            kind, reason = _AttemptFailed.FAILED, f"request failed: {error}"
        raise _AttemptFailed(kind, reason)

    def _allowed_attempts(self, kind: str) -> int:
        if kind in (_AttemptFailed.BUSY, _AttemptFailed.SLOW):
            return self.max_attempts
        if kind == _AttemptFailed.UNREACHABLE:
            return min(UNREACHABLE_ATTEMPTS, self.max_attempts)
        if kind == _AttemptFailed.BAD_REPLY:
            return min(BAD_REPLY_ATTEMPTS, self.max_attempts)
        return 1

    def _backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        return _full_jitter(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    def _give_up(
        self, failure: _AttemptFailed, position: int, total: int, attempts: int
    ) -> EngineReplyError | EngineUnavailable:
        message = (
            f"Google TTS ({self.voice}) gave up on part {position}/{total} after "
            f"{attempts} attempt{'s' if attempts > 1 else ''}: {failure.reason}"
        )
        kind = _EDITOR_KINDS[failure.kind]
        if failure.kind == _AttemptFailed.BUSY and failure.reason.startswith("HTTP 429"):
            kind = "rate_limited"
        if failure.kind in (_AttemptFailed.BAD_REPLY, _AttemptFailed.REFUSED):
            return EngineReplyError(message, kind=kind)
        return EngineUnavailable(message, kind=kind)
