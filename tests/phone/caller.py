"""A real SIP caller in its own process: pjsua2 places calls, dials RFC 2833 digits on a
schedule and records what each call hears to a WAV file.

``python -m tests.phone.caller PLAN.json`` reads a plan and prints one JSON result:

    {"from_user": "50255501234",
     "calls": [{"to": "sip:es@127.0.0.1:5070", "record": "/tmp/a.wav", "seconds": 9,
                "start": 0.0, "script": [[3.0, "1"], [6.0, "1"], [7.5, "hangup"]]}]}

Times are seconds after the call's audio started (when recording starts), but
``start``, which is after the caller began. Each result has the call's last SIP
status and, for the benchmark, its jitter buffer's counts (frames it had to invent
because none had arrived: ``empty``, ``lost``) from ``warm_up`` seconds on.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import sys
import time

import pjsua2 as pj

WARM_UP = 1.0  # the jitter buffer's first frames are prefetch, not underruns
JITTER_BUFFER_MS = 60
# Calls whose makeCall failed: never freed (freeing one aborts PJSIP); the process ends
# with os._exit.
NEVER_PLACED: list = []
MAX_CALLS = 4  # the pjsua2-python wheel is built with PJSUA_MAX_CALLS 4: calls per process


class Call(pj.Call):
    def __init__(self, account, plan: dict):
        super().__init__(account)
        self.plan = plan
        self.connected_at: float | None = None
        self.ended = False
        self.status = 0
        self.recorder: pj.AudioMediaRecorder | None = None
        self.script = sorted(plan.get("script", []))
        self.first_stats: dict | None = None
        self.last_stats: dict | None = None
        self.codec_name = ""

    def onCallState(self, prm):  # noqa: N802
        info = self.getInfo()
        self.status = info.lastStatusCode
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True

    def onCallMediaState(self, prm):  # noqa: N802
        if self.connected_at is not None:
            return
        self.connected_at = time.monotonic()
        self.codec_name = self.codec()
        media = self.getAudioMedia(-1)
        if not self.plan.get("record"):  # the benchmark's: played to the (null) speaker
            media.startTransmit(pj.Endpoint.instance().audDevManager().getPlaybackDevMedia())
            return
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(self.plan["record"])
        media.startTransmit(self.recorder)

    def codec(self) -> str:
        try:
            return self.getStreamInfo(0).codecName
        except pj.Error:
            return ""

    def stats(self) -> dict | None:
        try:
            stat = self.getStreamStat(0)
        except pj.Error:
            return None
        rx = stat.rtcp.rxStat
        return {
            "empty": stat.jbuf.empty,
            "lost": stat.jbuf.lost,
            "discard": stat.jbuf.discard,
            "packets": rx.pkt,
            "loss": rx.loss,
            "jitter_max_ms": rx.jitterUsec.max / 1000,
        }


def endpoint(codec: str = "PCMU") -> pj.Endpoint:
    ep = pj.Endpoint()
    ep.libCreate()
    config = pj.EpConfig()
    config.logConfig.level = config.logConfig.consoleLevel = 0
    config.uaConfig.threadCnt = 0
    config.uaConfig.maxCalls = MAX_CALLS
    config.medConfig.clockRate = config.medConfig.sndClockRate = 8000
    config.medConfig.channelCount = 1
    config.medConfig.ecTailLen = 0
    config.medConfig.maxMediaPorts = 1024
    # A desk phone's jitter buffer: 60 ms of audio ahead, so a packet is an underrun (a gap
    # heard) only when it is over 60 ms late; the benchmark counts those.
    config.medConfig.jbInit = config.medConfig.jbMinPre = JITTER_BUFFER_MS
    config.medConfig.jbMaxPre, config.medConfig.jbMax = 200, 500
    fixed_jitter_buffer(config.medConfig)
    ep.libInit(config)
    ep.audDevManager().setNullDev()
    transport = pj.TransportConfig()
    transport.boundAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    ep.libStart()
    for offered in ep.codecEnum2():  # only ``codec`` is offered
        ep.codecSetPriority(offered.codecId, 255 if offered.codecId == f"{codec}/8000/1" else 0)
    return ep


def fixed_jitter_buffer(media_config: pj.MediaConfig) -> None:
    """Keep the jitter buffer at its size: PJSIP's default shrinks it by dropping a frame
    now and then (concealed, counted as ``lost``) whenever packets come more steadily than
    it holds, which would count the caller's own choice as the line's underruns.

    The wheel's SWIG binding does not export the enum: the setting's copy is a C int
    (``PJMEDIA_JB_DISCARD_NONE`` is 0), written through its address.
    """
    algorithm = media_config.jbDiscardAlgo
    ctypes.c_int.from_address(int(algorithm)).value = 0  # PJMEDIA_JB_DISCARD_NONE
    media_config.jbDiscardAlgo = algorithm


def step(call: Call, now: float) -> None:
    """Start the call when due, dial what is due, stop recording when its time is up."""
    if call.connected_at is None or call.ended:
        return
    elapsed = now - call.connected_at
    if call.first_stats is None and elapsed >= WARM_UP:
        call.first_stats = call.stats()
    while call.script and call.script[0][0] <= elapsed:
        _, action = call.script.pop(0)
        if action == "hangup":
            call.last_stats = call.stats()
            call.hangup(pj.CallOpParam(True))
            return
        call.dialDtmf(action)
    if elapsed >= call.plan["seconds"]:
        call.last_stats = call.stats()
        call.hangup(pj.CallOpParam(True))


def run(plan: dict) -> list[dict]:
    ep = endpoint(plan.get("codec", "PCMU"))
    account_config = pj.AccountConfig()
    account_config.idUri = f"sip:{plan['from_user']}@127.0.0.1"
    account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    # Each caller process its own RTP ports, away from the line's (4000 up): dozens of
    # processes on one machine would otherwise all search up from 4000.
    account_config.mediaConfig.transportConfig.port = random.randrange(20000, 60000, 2)
    account = pj.Account()
    account.create(account_config)
    calls: list[Call] = []
    try:
        place_calls(ep, account, plan, calls)
        return [result(placed) for placed in calls]
    finally:
        hang_up(ep, calls)
        del calls[:]  # calls go before the library, or PJSIP aborts
        account.shutdown()
        ep.libDestroy()


def place_calls(ep: pj.Endpoint, account: pj.Account, plan: dict, calls: list[Call]) -> None:
    began = time.monotonic()
    pending = [dict(p) for p in plan["calls"]]
    deadline = began + plan.get("timeout", 120)
    while time.monotonic() < deadline:
        ep.libHandleEvents(5)
        now = time.monotonic()
        for call_plan in [p for p in pending if p.get("start", 0) <= now - began]:
            pending.remove(call_plan)
            calls.append(Call(account, call_plan))
            try:
                calls[-1].makeCall(call_plan["to"], pj.CallOpParam(True))
            except pj.Error:  # not placed (no port, no call slot): reported as never connected
                calls[-1].ended = True
                NEVER_PLACED.append(calls[-1])
        for placed in calls:
            step(placed, now)
        if not pending and all(placed.ended for placed in calls):
            break


def hang_up(ep: pj.Endpoint, calls: list[Call]) -> None:
    ep.hangupAllCalls()
    end = time.monotonic() + 1
    while time.monotonic() < end and not all(placed.ended for placed in calls):
        ep.libHandleEvents(10)
    for placed in calls:
        placed.recorder = None  # closes the WAV file


def result(call: Call) -> dict:
    return {
        "record": call.plan.get("record"),
        "connected": call.connected_at is not None,
        "codec": call.codec_name,
        "ended_by_service": call.ended and call.last_stats is None,
        "status": call.status,
        "first_stats": call.first_stats,
        "last_stats": call.last_stats,
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as plan_file:
        outcome = run(json.load(plan_file))
    print(json.dumps(outcome), flush=True)
    os._exit(0)  # no destructor after the library is gone (a call never placed would abort)
