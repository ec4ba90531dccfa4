"""The self-hosted phone line: a SIP user agent that answers calls and plays the menu.

Built on PJSIP's Python binding (``pjsua2``, GPL v2 or commercial: README, "Self-hosted SIP
line"). It answers every call to its address, plays each ``menu.Turn``'s sounds with
one ``AudioMediaPlayer`` playlist (8 kHz 16-bit PCM WAV, the ``phone`` variant), takes
RFC 2833 digits, and drives ``menu.start``/``menu.step``: a key stops what is playing at
once (barge-in), silence after the prompts is a ``TIMEOUT``. One ``CallState`` per call.

pjsua2 calls back from its media thread (digits, end of file) as well as from the loop
that polls SIP (``libHandleEvents``, this module's only thread into PJSIP, with
``threadCnt=0``). Callbacks only queue an event; the loop does every PJSIP call, so no
PJSIP object is touched from two threads.

Privacy: the caller's number is in the From header. PJSIP logs it at log level 4 and
up; here the library logs nothing (level 0, no message logging, a writer that drops
lines) and this module never reads the remote URI: only the user part of the address
called (the To header: ``sip:cak@...`` is the Kaqchikel line).

Nothing here touches the database or storage: the service takes three callables (the
line now, a sound's local WAV file, the count of a section heard) from
``manage.py phone_line``, so tests run it on files they make.
"""

from __future__ import annotations

import logging
import queue
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pjsua2 as pj

from audio.phone import menu

logger = logging.getLogger(__name__)

LineSource = Callable[[], menu.PhoneLine]
SoundPath = Callable[[menu.Sound], "str | None"]
CountHeard = Callable[[menu.Sound], None]

DEFAULT_LISTEN = "127.0.0.1:5060"
# After the last prompt, how long a caller may think before the menu is said again.
DEFAULT_SILENCE = 8.0
# Telephone codecs only: G.711 both ways; speex, GSM, iLBC and wideband are off.
CODECS = {"PCMU/8000/1": 255, "PCMA/8000/1": 254}
POLL_MS = 10


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 5060
    silence: float = DEFAULT_SILENCE
    # The pjsua2-python wheel is built with PJSUA_MAX_CALLS 4: a fifth caller gets 486 Busy
    # Here, which a dispatcher in front of several processes takes as "try the next".
    max_calls: int = 4


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` into its parts: an IPv4 address (or name) and a port."""
    match = re.fullmatch(r"\[?([^\[\]]+?)\]?:(\d+)", listen.strip())
    if not match:
        raise ValueError(f"expected host:port, got {listen!r}")
    if ":" in match.group(1):
        # pjsua2-python's wheel is built without PJ_HAS_IPV6: PJSIP would abort on it.
        raise ValueError(
            f"{listen!r} is an IPv6 address: this SIP stack (the pjsua2-python wheel) is "
            "built without IPv6. Listen on an IPv4 address; a PBX can bridge IPv6 callers."
        )
    return match.group(1), int(match.group(2))


def called_user(local_uri: str) -> str:
    """The user part of the address called (``<sip:cak@host>`` → ``cak``); never the caller."""
    match = re.search(r"sips?:([^@;>:]+)@", local_uri)
    return match.group(1).lower() if match else ""


class _SilentWriter(pj.LogWriter):
    """Drops every line PJSIP would log: a line may carry a caller's number."""

    def write(self, entry):
        pass


@dataclass
class CallState:
    """One caller: where they are in the menu and what they hear now."""

    call: _Call
    call_id: int
    language: str
    state: menu.State | None = None
    player: _Player | None = None
    hang_up_after: bool = False
    confirmed: bool = False
    waiting_since: float | None = None  # prompts over, waiting for a key
    media: pj.AudioMedia | None = field(default=None, repr=False)


class _Player(pj.AudioMediaPlayer):
    def __init__(self, events: queue.SimpleQueue, call_id: int):
        super().__init__()
        self.events, self.call_id = events, call_id

    def onEof2(self):  # noqa: N802 -- pjsua2 names it; called from the media thread
        self.events.put(("eof", self.call_id, self))


class _Call(pj.Call):
    def __init__(self, account, call_id, events: queue.SimpleQueue):
        super().__init__(account, call_id)
        self.events = events

    def onCallState(self, prm):  # noqa: N802
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.events.put(("confirmed", info.id, None))
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.events.put(("ended", info.id, None))

    def onCallMediaState(self, prm):  # noqa: N802
        info = self.getInfo()
        if any(
            m.type == pj.PJMEDIA_TYPE_AUDIO and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE
            for m in info.media
        ):
            self.events.put(("media", info.id, None))

    def onDtmfDigit(self, prm):  # noqa: N802 -- called from the media thread
        self.events.put(("key", self.getId(), prm.digit))


class _Account(pj.Account):
    def __init__(self, service: PhoneService):
        super().__init__()
        self.service = service

    def onIncomingCall(self, prm):  # noqa: N802
        self.service.answer(_Call(self, prm.callId, self.service.events))


class PhoneService:
    """The SIP line. ``run()`` answers calls until ``stop()``; ``close()`` frees PJSIP."""

    def __init__(
        self,
        line: LineSource,
        sound_path: SoundPath,
        count: CountHeard,
        settings: Settings | None = None,
    ):
        self.line, self.sound_path, self.count = line, sound_path, count
        self.settings = settings or Settings()
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.calls: dict[int, CallState] = {}
        self.answered = 0
        self._stopping = False
        self._endpoint = pj.Endpoint()
        self._account: _Account | None = None
        self._writer = _SilentWriter()
        self._retired: list[_Player] = []  # freed on the loop, never inside their callback

    # Start and stop

    def open(self) -> None:
        ep = self._endpoint
        ep.libCreate()
        config = pj.EpConfig()
        config.logConfig.writer = self._writer
        config.logConfig.level = config.logConfig.consoleLevel = 0
        config.logConfig.msgLogging = 0
        config.uaConfig.threadCnt = 0  # SIP runs on our loop (libHandleEvents)
        config.uaConfig.maxCalls = self.settings.max_calls
        config.uaConfig.userAgent = "Altavoz"
        config.medConfig.clockRate = config.medConfig.sndClockRate = 8000
        config.medConfig.channelCount = 1
        config.medConfig.ecTailLen = 0  # nothing to cancel: we only play
        config.medConfig.noVad = True
        config.medConfig.maxMediaPorts = 2 * self.settings.max_calls + 16
        ep.libInit(config)
        ep.audDevManager().setNullDev()
        transport = pj.TransportConfig()
        transport.port = self.settings.port
        transport.boundAddress = self.settings.host
        ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        ep.libStart()
        for codec in ep.codecEnum2():
            ep.codecSetPriority(codec.codecId, CODECS.get(codec.codecId, 0))
        account = pj.AccountConfig()
        account.idUri = f"sip:altavoz@{self.settings.host}:{self.settings.port}"
        account.mediaConfig.transportConfig.boundAddress = self.settings.host
        self._account = _Account(self)
        self._account.create(account, True)
        logger.info("Phone line listening on %s:%s (UDP)", self.settings.host, self.settings.port)

    def stop(self) -> None:
        """Ask ``run()`` to return (safe from a signal handler)."""
        self._stopping = True

    def run(self, until: Callable[[], bool] = lambda: False) -> None:
        while not (self._stopping or until()):
            self.poll()

    def poll(self) -> None:
        self._endpoint.libHandleEvents(POLL_MS)
        while True:
            try:
                kind, call_id, value = self.events.get_nowait()
            except queue.Empty:
                break
            self._safely(call_id, self._handle, kind, call_id, value)
        self._check_silences()
        self._retired.clear()

    def close(self) -> None:
        """Hang up every call, free calls before the library (or PJSIP aborts)."""
        self._endpoint.hangupAllCalls()
        deadline = time.monotonic() + 2
        while self.calls and time.monotonic() < deadline:
            self.poll()
        for call_state in list(self.calls.values()):
            self._forget(call_state)
        self._retired.clear()
        if self._account is not None:
            self._account.shutdown()
            self._account = None
        self._endpoint.libDestroy()

    # Calls

    def answer(self, call: _Call) -> None:
        language = called_user(call.getInfo().localUri)
        self.calls[call.getId()] = CallState(call, call.getId(), language)
        self.answered += 1
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)
        logger.info("Call answered (%d now)", len(self.calls))

    def _handle(self, kind: str, call_id: int, value) -> None:
        call_state = self.calls.get(call_id)
        logger.debug("%s on call %s", kind, call_id)  # never which keys: what was heard
        if call_state is None:
            return
        if kind == "ended":
            self._forget(call_state)
        elif kind == "media" and call_state.media is None:
            call_state.media = call_state.call.getAudioMedia(-1)
            # Silence underneath, so RTP never pauses between sounds: a receiver would hear
            # a pause as lost packets, and trunks hang up calls whose RTP stops.
            self._endpoint.audDevManager().getCaptureDevMedia().startTransmit(call_state.media)
            self._begin(call_state)
        elif kind == "confirmed":
            call_state.confirmed = True
            self._begin(call_state)
        elif kind == "key" and call_state.state is not None:
            self._turn(call_state, menu.step(self.line(), call_state.state, value))
        elif kind == "eof" and value is call_state.player:
            self._finished_playing(call_state)

    def _begin(self, call_state: CallState) -> None:
        """The greeting, once the caller has our answer (ACK) and the audio flows: a greeting
        started on sending the answer would lose its first words to the answer's trip."""
        if call_state.state is None and call_state.confirmed and call_state.media is not None:
            self._turn(call_state, menu.start(self.line(), call_state.language))

    def _safely(self, call_id: int, handle, *args) -> None:
        """One call's failure (the database away, a file gone) ends that call, not the line."""
        try:
            handle(*args)
        except Exception:
            logger.exception("Phone line: a call failed and is hung up")
            call_state = self.calls.get(call_id)
            if call_state is not None:
                self._silence(call_state)
                call_state.waiting_since = None
                try:
                    call_state.call.hangup(pj.CallOpParam(True))
                except pj.Error:
                    pass  # already ending

    def _check_silences(self) -> None:
        now = time.monotonic()
        for call_id, call_state in list(self.calls.items()):
            since = call_state.waiting_since
            if since is not None and now - since >= self.settings.silence:
                self._safely(call_id, self._timed_out, call_state)

    def _timed_out(self, call_state: CallState) -> None:
        self._turn(call_state, menu.step(self.line(), call_state.state, menu.TIMEOUT))

    def _turn(self, call_state: CallState, turn: menu.Turn) -> None:
        """Stop what plays (barge-in), then play the turn's sounds; count what starts."""
        self._silence(call_state)
        call_state.state, call_state.hang_up_after = turn.state, turn.hang_up
        call_state.waiting_since = None
        if turn.heard is not None:
            self.count(turn.heard)
        files = [path for path in map(self.sound_path, turn.play) if path]
        if not files:
            self._finished_playing(call_state)
            return
        player = _Player(self.events, call_state.call_id)
        player.createPlaylist(files, "turn", pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(call_state.media)
        call_state.player = player

    def _finished_playing(self, call_state: CallState) -> None:
        self._silence(call_state)
        if call_state.hang_up_after:
            hang_up = pj.CallOpParam()
            hang_up.statusCode = pj.PJSIP_SC_OK
            call_state.call.hangup(hang_up)
        else:
            call_state.waiting_since = time.monotonic()

    def _silence(self, call_state: CallState) -> None:
        player, call_state.player = call_state.player, None
        if player is not None:
            if call_state.media is not None:
                try:
                    player.stopTransmit(call_state.media)
                except pj.Error:
                    pass  # the call's media went away first
            self._retired.append(player)

    def _forget(self, call_state: CallState) -> None:
        self._silence(call_state)
        call_state.waiting_since = None
        self.calls.pop(call_state.call_id, None)
        call_state.media = None
        logger.info("Call ended (%d now)", len(self.calls))
