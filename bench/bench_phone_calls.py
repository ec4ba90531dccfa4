"""Benchmark: how many calls the self-hosted SIP line holds at once on this machine, and the
CPU each costs.

    .venv/bin/python -m bench.bench_phone_calls            # a few minutes
    .venv/bin/python -m bench.bench_phone_calls --smoke    # CI: 1 and 2 calls, ~30 s

The line is the SIP service (``audio.phone.sip``) as production runs it, on the tests'
line of seeded-noise WAV files (``tests.phone.sounds``, no database): one process up to
four calls, ``ceil(calls / 4)`` processes behind Kamailio above that
(``audio.phone.dispatch``). Callers are pjsua2 processes (``tests.phone.caller``, four
calls each) on the same two cores; each caller presses 1 (a guide) and then 2 (repeat)
every 2.4 s, so the line plays all the time.

For each number of calls, held ``--hold`` seconds:

- **underruns**: the frames each caller's jitter buffer (a desk phone's: 60 ms, fixed)
  had to invent because their packet was not there in time (``empty`` + ``lost``) or
  never came (RTP loss), from one second after the call's audio started to its end, as a
  share of the 50 frames a second a call plays. One call alone, measured in the same run,
  is the baseline; a level **holds** while its share stays at or under ``--limit`` (0 %
  by default: no underrun at all). The buffer is fixed (``tests.phone.caller``): PJSIP's
  default one shrinks itself by dropping a frame now and then when packets come steadily,
  which it conceals and counts as ``lost`` -- the receiver's choice, not the line's gap;
- **CPU per call**: the line's processes' CPU seconds (every process of its group:
  workers and Kamailio) over the calls, less what the line uses idle in that time,
  divided by call-seconds; as % of one core ("gross": without taking idle off).

Baseline, in the same run: the line idle (CPU per second with no call) and one call
alone; each level's CPU per call is shown as a ratio to one call's. The ramp stops at the
first level that does not hold; the answer is the level before it (and the calls with
any invented frame are shown too). The load average is
printed before and after: other work on the machine makes gaps too.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SMOKE, SMOKE_HELP, exit_code

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.phone.calls import free_udp_port, place  # noqa: E402
from tests.servers import stop, wait_for_output  # noqa: E402

LEVELS = [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 160, 192]
CALLS_PER_PROCESS = 4
TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(group: int) -> float:
    """CPU seconds (user + system) of every live process in process group ``group``."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


class Line:
    """The line's processes for ``calls`` calls, in their own process group."""

    def __init__(self, folder: Path, calls: int):
        self.processes = max(1, math.ceil(calls / CALLS_PER_PROCESS))
        self.port = free_udp_port(self.processes + 1)
        self.out = folder / f"line-{calls}.out"
        command = [sys.executable, "-m", "tests.phone.sounds", str(folder / "sounds")]
        command += ["--listen", f"127.0.0.1:{self.port}", "--silence", "2"]
        command += ["--workers", str(self.processes)]
        with self.out.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True
            )
        wait_for_output(self.process, self.out, "line ready" if self.processes > 1 else "ready")

    def cpu(self) -> float:
        return group_cpu(self.process.pid)

    def stop(self) -> None:
        stop(self.process)


def call_plans(port: int, calls: int, hold: float) -> list[dict]:
    keys = [[0.5, "1"]] + [[0.5 + 2.4 * n, "2"] for n in range(1, int(hold / 2.4) + 1)]
    return [
        {
            "to": f"sip:es@127.0.0.1:{port}",
            "seconds": hold,
            "start": 0.05 * (number // CALLS_PER_PROCESS),  # each caller process's own clock
            "script": keys,
        }
        for number in range(calls)
    ]


def invented(result: dict) -> int:
    """Frames the caller's jitter buffer invented over the measured part of the call."""
    first, last = result["first_stats"], result["last_stats"]
    if not first or not last:
        return -1  # never measured: counted as broken
    return sum(last[key] - first[key] for key in ("empty", "lost", "loss"))


def measure(folder: Path, calls: int, hold: float) -> dict:
    line = Line(folder, calls)
    try:
        time.sleep(1)
        idle_start, idle_cpu = time.monotonic(), line.cpu()
        time.sleep(3)
        idle_rate = (line.cpu() - idle_cpu) / (time.monotonic() - idle_start)
        started, cpu = time.monotonic(), line.cpu()
        results = place(folder, call_plans(line.port, calls, hold), timeout=hold + 60)
        wall, used = time.monotonic() - started, line.cpu() - cpu
    finally:
        line.stop()
    per_call = [invented(result) for result in results]
    jitter = [r["last_stats"]["jitter_max_ms"] for r in results if r["last_stats"]]
    frames = 50 * (hold - 1) * calls  # 20 ms frames from the end of the warm-up second
    return {
        "calls": calls,
        "processes": line.processes,
        "idle_per_second": idle_rate,
        "cpu_per_call": max(0.0, used - idle_rate * wall) / (calls * hold),
        "cpu_gross": used / (calls * hold),
        "invented_share": sum(count for count in per_call if count > 0) / frames,
        "calls_with_underruns": sum(1 for count in per_call if count != 0),
        "broken": sum(1 for count in per_call if count < 0),
        "jitter_max_ms": max(jitter, default=0.0),
        "connected": sum(1 for result in results if result["connected"]),
    }


def show(row: dict, one_call: dict) -> None:
    ratio = row["cpu_per_call"] / one_call["cpu_per_call"] if one_call["cpu_per_call"] else 0
    print(
        f"{row['calls']:>5} {row['processes']:>9} {100 * row['cpu_per_call']:>13.2f} "
        f"{100 * row['cpu_gross']:>9.2f} "
        f"{ratio:>8.2f}x {100 * row['invented_share']:>15.3f} "
        f"{row['calls_with_underruns']:>5}/{row['calls']:<5} {row['jitter_max_ms']:>9.1f}"
        f" {100 * row['idle_per_second']:>10.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--hold", type=float, default=5 if SMOKE else 20)
    parser.add_argument("--limit", type=float, default=0.0, help="%% of frames invented")
    parser.add_argument("--levels", type=int, nargs="*", default=[1, 2] if SMOKE else LEVELS)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="altavoz-bench-phone-"))
    print(f"Calls held {arguments.hold:.0f} s each; CPU as % of one core; {os.cpu_count()} cores")
    print("load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    print(
        "calls processes CPU/call (%) gross (%)  vs 1 call frames invented % "
        "calls with jitter ms idle CPU %"
    )
    rows, best = [], 0
    for calls in arguments.levels:
        rows.append(measure(folder, calls, arguments.hold))
        show(rows[-1], rows[0])
        if rows[-1]["invented_share"] > arguments.limit / 100:
            break
        best = calls
    print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    print(f"Most calls held at once with at most {arguments.limit} % of frames invented: {best}")
    checks = [
        ("every call was answered", all(r["connected"] == r["calls"] for r in rows)),
        ("every call's audio was measured", not any(r["broken"] for r in rows)),
    ]
    return exit_code(checks)


if __name__ == "__main__":
    sys.exit(main())
