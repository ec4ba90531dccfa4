"""Calls for the SIP line's tests and benchmark: placed by caller processes
(``tests.phone.caller``), four per process, and what each recording heard."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.phone import hearing
from tests.servers import ROOT

MAX_CALLS = 4  # calls per caller process, as tests.phone.caller (pjsua2 holds four)
CALLER_NUMBER = "50255501234"  # the From user of every call placed: it must be in no log


def free_udp_port(count: int = 1) -> int:
    """A loopback UDP port with the ``count - 1`` after it free too (a line's processes)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count < 65536 and all(free(port) for port in range(first, first + count)):
            return first


def free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def place(
    tmp_path: Path,
    calls: list[dict],
    timeout: float = 60,
    require_connected=True,
    codec: str = "PCMU",
) -> list[dict]:
    """Place ``calls`` (their ``record`` a file name in tmp_path), four per caller process
    (pjsua2's most per process), the processes side by side; their results in order.

    ``codec`` is the only one the callers offer: ``PCMU`` (G.711 μ-law, the Americas' phone
    network) or ``PCMA`` (A-law, many SIP trunks and PBXs)."""
    for call in calls:
        if call.get("record"):
            call["record"] = str(tmp_path / call["record"])
    callers = []
    for first in range(0, len(calls), MAX_CALLS):
        plan = tmp_path / f"plan-{first}.json"
        group = {"from_user": CALLER_NUMBER, "codec": codec}
        group["calls"] = calls[first : first + MAX_CALLS]
        plan.write_text(json.dumps({**group, "timeout": timeout}))
        command = [sys.executable, "-m", "tests.phone.caller", str(plan)]
        callers.append(
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    results = []
    try:
        for caller in callers:
            # A hung SIP stack is killed (by its own pid), never hangs CI.
            out, err = caller.communicate(timeout=timeout + 30)
            assert caller.returncode == 0, err.decode()[-2000:]
            results += json.loads(out.decode().strip().splitlines()[-1])
    finally:
        for caller in callers:
            if caller.poll() is None:
                caller.kill()
                caller.wait()
    if require_connected:
        assert all(result["connected"] for result in results), results
    return results


class Recording:
    """One call's recording; ``samples(sound)`` gives a sound's expected audio."""

    def __init__(self, path: str, samples):
        self.audio, self.rate = read_wav(Path(path))
        self.samples = samples

    def find(self, sound, after: float = 0.0) -> hearing.Match:
        """Where the whole sound best matches."""
        return hearing.find(self.audio, self.samples(sound), self.rate, after)

    def heard_whole_at(self, sound, after: float = 0.0) -> float:
        """When a long sound (speech) started, heard whole (``hearing.find_in_pieces``)."""
        match = hearing.find_in_pieces(self.audio, self.samples(sound), self.rate, after)
        assert match.score >= hearing.HEARD, f"{sound} not heard whole after {after}s: {match}"
        return match.at

    def heard_at(self, sound, after: float = 0.0) -> float:
        """When the sound first started after ``after`` (it may have been cut short)."""
        match = hearing.first(self.audio, self.samples(sound), self.rate, after)
        assert match.score >= hearing.HEARD, f"{sound} not heard after {after}s: {match}"
        return match.at

    def not_heard(self, sound) -> bool:
        """Never heard whole."""
        return self.find(sound).score < hearing.HEARD


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV file's samples as floats in [-1, 1], and its rate."""
    import wave

    with wave.open(str(path), "rb") as recording:
        rate = recording.getframerate()
        frames = recording.readframes(recording.getnframes())
    return np.frombuffer(frames, "<i2").astype(np.float64) / 32768, rate
