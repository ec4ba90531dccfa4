"""Benchmark: the guides API against Wagtail's stock v2 pages endpoint, same data, same run.

    .venv/bin/python -m bench.bench_api            # ~3 minutes with a new database
    .venv/bin/python -m bench.bench_api --seconds 20 --var-dir var   # longer runs, an existing demo
    # CI: seconds, figures printed, only failures judged
    .venv/bin/python -m bench.bench_api --smoke

A throwaway SQLite database gets the demo guides (``fill_guides 6``: the demo, 6 guides in
es/en/cak) and, unless it already has audio, two renditions per Spanish and
English guide described as the pipeline would (files are not needed: the API
only describes them; ``audio/management/commands/fill_guides.py``). Then gunicorn
serves it on loopback with the production settings (2 workers × 2 threads, one per
core, the embedded local-memory cache, SQLite, anonymous throttling on with a rate no
client reaches), and a load generator in this process keeps 32 keep-alive connections
busy, one endpoint at a time:

- ours: ``/api/v2/guides/?fields=*`` (whole guides) and ``/api/v2/guides/4/``;
- stock: ``/api/v2/pages/?type=cms.GuidePage&fields=*`` and ``/api/v2/pages/4/?fields=*``.

Warm: after a warm-up, for ``--seconds`` each. Cold: a fresh server (empty
caches) for each endpoint, measured from its first request, for 3 s; the
first request's own latency is shown too.

Target (issue #12, the API on Django's normal stack): ours ≥ 20× the stock
requests/s with ``--identity``, p99 ≤ 50 ms (warm). The load generator shares
the machine's 2 cores with the server. ``--smoke`` (see ``bench.common``)
skips the cold runs and measures half a second per endpoint with 4
connections; it fails only if a request does.
"""

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import SMOKE_HELP

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONNECTIONS = 32
COLD_SECONDS = 3.0
TARGET_RATIO = 20.0
SMOKE_SECONDS = 0.5
SMOKE_CONNECTIONS = 4
TARGET_P99_MS = 50.0

ENDPOINTS = [
    ("listing", "ours", "/api/v2/guides/?fields=*"),
    ("listing", "stock", "/api/v2/pages/?type=cms.GuidePage&fields=*"),
    ("detail", "ours", "/api/v2/guides/{id}/"),
    ("detail", "stock", "/api/v2/pages/{id}/?fields=*"),
]


def server_environment(var_dir):
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ALTAVOZ_VAR_DIR": str(var_dir),
            "ALTAVOZ_API_ANON_RATE": "1000000000/minute",
            "ALTAVOZ_LOG_LEVEL": "WARNING",
            # Plain HTTP on loopback, as behind a TLS-terminating proxy (no redirect to https).
            "DJANGO_SECURE_SSL_REDIRECT": "0",
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("ALTAVOZ_CACHE_URL", None)
    return env


def manage(env, *args):
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


MIXCO_ID = (
    "from cms.models import GuidePage; "
    "print(GuidePage.objects.live().get(locale__language_code='es', slug='mixco').pk)"
)


def prepare(var_dir, env):
    """Migrate, load the demo, describe its audio; returns the Spanish Mixco guide's id."""
    var_dir.mkdir(parents=True, exist_ok=True)
    print(f"Preparing the database in {var_dir} ...", flush=True)
    manage(env, "migrate", "--noinput")
    # The demo's 6 guide pages, no more, with audio described (rows, no files).
    manage(env, "fill_guides", "6", "--throwaway")
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", MIXCO_ID],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on loopback; started fresh for each cold measurement."""

    def __init__(self, env, workers=2, threads=2):
        self.env, self.workers, self.threads = env, workers, threads
        self.process = None
        self.port = None

    def start(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--keep-alive",
                "10",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    # Give every worker time to boot before measuring.
                    time.sleep(1.0)
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def cpu_seconds(self):
        """CPU time (user + system) used so far by the server's worker processes."""
        children = (
            Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        )
        ticks = 0
        for pid in children:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class _Client(asyncio.Protocol):
    """One keep-alive connection sending the same request as soon as the last answer is in.

    A bare protocol (no stream reader) keeps the load generator's own CPU use
    low: it shares the machine with the server.
    """

    def __init__(self, request, deadline, latencies, failures, done):
        self.request, self.deadline = request, deadline
        self.latencies, self.failures, self.done = latencies, failures, done
        self.buffer = bytearray()
        self.expected = None  # bytes of the current response (head + body)
        self.status = None
        self.started = 0.0

    def connection_made(self, transport):
        self.transport = transport
        self.send()

    def send(self):
        if time.perf_counter() >= self.deadline:
            self.transport.close()
            return
        self.started = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data):
        self.buffer += data
        while True:
            if self.expected is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buffer[:end]).lower()
                self.status = int(head[9:12])
                index = head.find(b"content-length:")
                length = (
                    int(
                        head[
                            index + 15 : head.find(b"\r\n", index)
                            if head.find(b"\r\n", index) > 0
                            else None
                        ]
                    )
                    if index >= 0
                    else 0
                )
                self.expected = end + 4 + length
            if len(self.buffer) < self.expected:
                return
            del self.buffer[: self.expected]
            self.expected = None
            self.latencies.append(time.perf_counter() - self.started)
            if self.status != 200:
                self.failures.append(self.status)
            self.send()

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result(None)


ACCEPT_ENCODING = {"value": "gzip"}
LOAD = {"connections": CONNECTIONS}


def load(port, path, seconds, connections=None):
    """Requests/s, latencies (s) and non-200 statuses for `seconds` of closed-loop load."""
    # As phones' HTTP clients do (--identity: plain JSON): ours answers gzip, stock Wagtail plain
    # JSON.
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        f"Accept-Encoding: {ACCEPT_ENCODING['value']}\r\n\r\n"
    ).encode()
    latencies, failures = [], []
    connections = connections or LOAD["connections"]

    async def run():
        loop = asyncio.get_running_loop()
        deadline = time.perf_counter() + seconds
        waiters = []
        for _ in range(connections):
            done = loop.create_future()
            await loop.create_connection(
                lambda done=done: _Client(request, deadline, latencies, failures, done),
                "127.0.0.1",
                port,
            )
            waiters.append(done)
        await asyncio.gather(*waiters)

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, failures


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_request(port, path):
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        response.read()
        assert response.status == 200, (path, response.status)
    return time.perf_counter() - started


def measured(server, path, seconds):
    """One load run, with the server's CPU time per request (robust to a busy machine)."""
    cpu_before = server.cpu_seconds()
    rate, latencies, failures = load(server.port, path, seconds)
    cpu = server.cpu_seconds() - cpu_before
    return dict(row(rate, latencies, failures), cpu_ms=cpu * 1000 / max(1, len(latencies)))


def row(rate, latencies, failures):
    return {
        "rps": rate,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "requests": len(latencies),
        "failures": len(failures),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="warm measurement per endpoint")
    parser.add_argument(
        "--var-dir", type=Path, help="use (and fill if empty) this var dir instead of a new one"
    )
    parser.add_argument("--identity", action="store_true", help="ask for uncompressed responses")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.identity:
        ACCEPT_ENCODING["value"] = "identity"
    if args.smoke:
        args.seconds, LOAD["connections"] = SMOKE_SECONDS, SMOKE_CONNECTIONS

    var_dir = (args.var_dir or Path(tempfile.mkdtemp(prefix="altavoz-bench-api-"))).resolve()
    env = server_environment(var_dir)
    guide_id = prepare(var_dir, env)
    endpoints = [(kind, who, path.format(id=guide_id)) for kind, who, path in ENDPOINTS]

    results = {}
    server = Server(env)
    try:
        if not args.smoke:
            print("Cold: a fresh server for each endpoint ...", flush=True)
            for kind, who, path in endpoints:
                server.start()
                first = one_request(server.port, path)
                results[("cold", kind, who)] = dict(
                    measured(server, path, COLD_SECONDS), first=first * 1000
                )
                server.stop()

        print("Warm ...", flush=True)
        server.start()
        for kind, who, path in endpoints:
            load(
                server.port, path, min(2.0, args.seconds)
            )  # warm-up: every worker has built its caches
            results[("warm", kind, who)] = measured(server, path, args.seconds)
    finally:
        server.stop()

    passed = report(results, endpoints, args.seconds)
    if args.smoke:
        # Timings on a shared CI machine judge nothing; a failed request does.
        sys.exit(0 if all(r["failures"] == 0 and r["requests"] for r in results.values()) else 1)
    sys.exit(0 if passed else 1)


def report(results, endpoints, seconds):
    load1, load5, _ = os.getloadavg()
    print()
    print(
        f"{LOAD['connections']} connections, Accept-Encoding: {ACCEPT_ENCODING['value']}, "
        f"gunicorn 2 workers × 2 threads, SQLite, local-memory cache; "
        f"warm runs {seconds:g} s, cold runs {COLD_SECONDS:g} s; "
        f"load average {load1:.1f}/{load5:.1f}"
    )
    print()
    print(
        "| run | endpoint | URL | req/s | p50 ms | p99 ms "
        "| server CPU ms/req | first request ms | non-200 |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for phase in ("warm", "cold"):
        for kind, who, path in endpoints:
            r = results.get((phase, kind, who))
            if r is None:
                continue
            first = f"{r['first']:.0f}" if "first" in r else ""
            print(
                f"| {phase} | {kind}, {who} | `{path}` | {r['rps']:.0f} "
                f"| {r['p50']:.1f} | {r['p99']:.1f} "
                f"| {r['cpu_ms']:.2f} | {first} | {r['failures']} |"
            )
    print()
    passed = True
    for kind in ("listing", "detail"):
        ours, stock = results[("warm", kind, "ours")], results[("warm", kind, "stock")]
        ratio = ours["rps"] / stock["rps"]
        ok = ratio >= TARGET_RATIO and ours["p99"] <= TARGET_P99_MS and ours["failures"] == 0
        passed &= ok
        print(
            f"{kind}: ours/stock = {ratio:.1f}× (target ≥ {TARGET_RATIO:.0f}×), "
            f"ours p99 {ours['p99']:.1f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f} ms): {'PASS' if ok else 'FAIL'}"
        )
        cpu = stock["cpu_ms"] / ours["cpu_ms"]
        print(f"{kind}: server CPU per request, stock/ours = {cpu:.0f}×")
        if ("cold", kind, "ours") in results:
            cold = results[("cold", kind, "ours")]["rps"] / results[("cold", kind, "stock")]["rps"]
            print(f"{kind} cold: ours/stock = {cold:.1f}×")
    return passed


if __name__ == "__main__":
    main()
