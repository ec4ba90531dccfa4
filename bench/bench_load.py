"""Benchmark: the whole site under load, through nginx, in steps of users (issue #13, "Load").

    .venv/bin/python -m bench.bench_load            # ~12 minutes on 2 shared cores
    .venv/bin/python -m bench.bench_load --steps 10,20,40 --seconds 30
    .venv/bin/python -m bench.bench_load --smoke    # CI: ~2 minutes, no timing judged

The cluster of ``make cluster-check`` (tests/cluster/harness.py: PostgreSQL, Redis, a
SeaweedFS bucket, two gunicorn instances and two audio workers with the production settings,
nginx with docs/deploy/nginx.conf, media served by X-Accel-Redirect from the bucket) gets,
besides its two short guides, a long one (~14 minutes of speech: a 2G download of it lasts
minutes). Then locust (as a library, in this process) sends, at each step of users:

- listeners (4 in 5): a guide's page, its captions, its audio by Range (a first 64 KB
  chunk, timed to its first byte, then two chunks further on), 0.5-1.5 s apart;
- apps (1 in 5): the API sync (``changed_since`` from the last ``meta.as_of``) every 2-4 s;

while, all along, ``--slow`` phones (200) download the long guide's audio at 2G speed
(~250 kbit/s, a 4 KB receive buffer; one after another, so that as many are open at once)
and an editor publishes every 30 s (its own Django process; bench/load_traffic.py). Each
step runs ``--seconds``, measured after a few seconds of settling; per kind: requests/s,
p50, p99 and errors. The knee is the last step whose throughput (the locust users'
requests/s) still grew by ≥ 10 % over the step before without errors (the knee of
capacity). The latency knee, where the page's or the audio's p99 first more
than doubles past 200 ms (with its median up by half: the whole distribution moved, not two
or three slow requests), is printed too; the targets are judged at half the capacity knee.

Then the same audio, by 64 KB Range chunks with no pause, through four single-instance
fronts (gunicorn 1 × 4 threads, nginx, the cluster's database): the bucket and a copy of
it on the local disk, each sent by nginx after the app's check (X-Accel-Redirect, as in
production) and streamed by the app itself; the rounds alternate.

Targets: 0 errors below the knee; at half the knee page p99 ≤ 200 ms and audio first byte
p99 ≤ 200 ms with 200 slow downloads open at once; audio from S3 at ≥ 50 % of the
requests/s from the disk. The load generator shares the machine's cores with the cluster
(its CPU share is shown per step). ``--smoke`` (bench/common.py): the short guides only,
2 steps of a few users, 4 slow phones, a publish every 4 s, 3 s per comparison; it fails
only if something broke (an error, or a kind with no successful request).
"""

from gevent import monkey

monkey.patch_all()  # before any socket or thread: locust's users and the phones are greenlets

import argparse  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.common import SMOKE, SMOKE_HELP, exit_code, throwaway_database  # noqa: E402

# The harness reads a few Django settings (never this database): a throwaway one.
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
throwaway_database("altavoz-bench-load-")

import django  # noqa: E402

django.setup()

import gevent  # noqa: E402
from locust.env import Environment  # noqa: E402

from bench import load_traffic as traffic  # noqa: E402
from tests import servers  # noqa: E402
from tests.cluster.harness import (  # noqa: E402
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    Cluster,
    Process,
    missing_tools,
    wait_for,
)

LONG_SLUG = "larga"
USER_KINDS = ("page", "captions", "audio first byte", "audio chunk", "API first sync", "API sync")
OTHER_KINDS = ("2G audio first byte", "2G download", "publish")
TARGET_P99_MS = 200.0
TARGET_SLOW_OPEN = 200
TARGET_S3_SHARE = 0.5
# The harness's nginx holds 256 connections: 200 slow downloads and 160 users need more
# (Debian's nginx.conf: 768 per worker, a worker per core).
NGINX_WORKER_CONNECTIONS = 4096
VARIANTS = (  # label, media on disk?, X-Accel-Redirect?
    ("S3, nginx sends (X-Accel)", False, True),
    ("disk, nginx sends (X-Accel)", True, True),
    ("S3, app streams", False, False),
    ("disk, app streams", True, False),
)


@dataclass
class Plan:
    steps: tuple[int, ...] = (5, 10, 20, 40, 80, 160, 320)
    seconds: float = 40.0
    settle: float = 5.0
    slow: int = TARGET_SLOW_OPEN
    publish_every: float = 30.0
    long_guide: tuple[int, int] | None = (14, 14)  # sections, sentences
    compare_users: int = 16
    compare_seconds: float = 15.0
    rounds: int = 2


SMOKE_PLAN = Plan(
    steps=(3, 6),
    seconds=8.0,
    settle=2.0,
    slow=4,
    publish_every=4.0,
    long_guide=None,
    compare_users=2,
    compare_seconds=3.0,
    rounds=1,
)


@dataclass
class Step:
    users: int
    start: float
    end: float
    slow_open: list[int]
    cpu: float  # this process's CPU seconds over the step
    load: float  # the machine's 1-minute load average at its end
    kinds: dict = field(default_factory=dict)  # kind -> Figures

    @property
    def throughput(self) -> float:
        return sum(self.kinds[k].rate for k in USER_KINDS if k in self.kinds)

    @property
    def errors(self) -> int:
        return sum(figures.errors for figures in self.kinds.values())

    def p99(self, kind: str) -> float:
        return self.kinds[kind].p99 if kind in self.kinds else math.nan


@dataclass
class Figures:
    rate: float
    p50: float
    p99: float
    errors: int
    ok: int


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def figures_between(start: float, end: float) -> dict[str, Figures]:
    """Per kind, the requests that started in [start, end)."""
    times, errors = defaultdict(list), Counter()
    with traffic.LOCK:
        records = list(traffic.RECORDS)
    for started, kind, milliseconds, error in records:
        if start <= started < end:
            if error:
                errors[kind] += 1
            else:
                times[kind].append(milliseconds)
    seconds = end - start
    return {
        kind: Figures(
            rate=(len(times[kind]) + errors[kind]) / seconds,
            p50=percentile(times[kind], 0.50),
            p99=percentile(times[kind], 0.99),
            errors=errors[kind],
            ok=len(times[kind]),
        )
        for kind in sorted(set(times) | set(errors))
    }


# --- the cluster ---------------------------------------------------------------------------
def start_cluster(plan: Plan) -> Cluster:
    missing = missing_tools()
    if missing:
        sys.exit(f"not installed: {', '.join(missing)}")
    servers.NGINX_WORKER_CONNECTIONS = NGINX_WORKER_CONNECTIONS
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="altavoz-bench-load-")))
    print(f"Starting the cluster in {cluster.folder} ...", flush=True)
    try:
        cluster.start()
        if plan.long_guide:
            print("Voicing the long guide ...", flush=True)
            cluster.shell(traffic.long_guide_code(LONG_SLUG, *plan.long_guide))
            wait_for(cluster.audio_settled, 900, "the long guide's audio", interval=2)
    except BaseException:
        print(cluster.report())
        cluster.stop()
        raise
    return cluster


def start_editor(cluster: Cluster, every: float) -> Process:
    code = traffic.EDITOR.format(interval=every, slugs=["mixco", "patzun"])
    return cluster.add("editor", [sys.executable, "manage.py", "shell", "-c", code])


def runner_for(front: str, user_classes: list):
    environment = Environment(user_classes=user_classes, host=front)
    environment.events.request.add_listener(traffic.on_request)
    return environment.create_local_runner()


def run_steps(front: str, plan: Plan, phones: traffic.SlowPhones) -> list[Step]:
    runner = runner_for(front, [traffic.Listener, traffic.AppSync])
    steps = []
    try:
        for users in plan.steps:
            runner.start(users, spawn_rate=min(100, max(10, users)))
            wait_for(lambda n=users: runner.user_count == n, 120, f"{users} users", interval=0.5)
            gevent.sleep(plan.settle)
            start, cpu, opened = time.time(), time.process_time(), []
            while time.time() < start + plan.seconds:
                gevent.sleep(1)
                opened.append(phones.open)
            step = Step(users, start, time.time(), opened, time.process_time() - cpu, 0.0)
            step.load = os.getloadavg()[0]
            steps.append(step)
            step.kinds = figures_between(step.start, step.end)
            print(
                f"  {users} users: {step.throughput:.1f} req/s, {step.errors} errors, "
                f"page p99 {step.p99('page'):.0f} ms, 2G open {min(opened)}-{max(opened)}",
                flush=True,
            )
            index = knee_index(steps)
            if index is not None and len(steps) - index > 2:
                break  # two steps past the knee show it
    finally:
        runner.quit()
    return steps


# --- S3 against the disk -------------------------------------------------------------------
def copy_bucket(cluster: Cluster, folder: Path) -> None:
    """Every object of the cluster's bucket as a file under ``folder`` (same names)."""
    client = cluster.s3.client()
    for key in cluster.s3.keys(cluster.bucket):
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(cluster.bucket, key, str(target))


def start_variant(cluster: Cluster, name: str, disk: Path | None, accel: bool) -> str:
    """One gunicorn instance on the cluster's database with media in the bucket or on the
    disk, X-Accel-Redirect or not, behind an nginx of its own; its front's URL."""
    env = dict(cluster.environment())
    storage = cluster.storage_environment()
    if disk is not None:
        env = {key: value for key, value in env.items() if not key.startswith("ALTAVOZ_S3_")}
        env["ALTAVOZ_MEDIA_ROOT"] = str(disk)
        storage = {"ALTAVOZ_MEDIA_ROOT": str(disk)}
    if not accel:
        env.pop("ALTAVOZ_MEDIA_ACCEL_REDIRECT")
    port = servers.free_port()
    argv = servers.gunicorn_command(port, GUNICORN_WORKERS, GUNICORN_THREADS)
    process = Process(name, argv, env, cluster.logs / f"{name}.log")
    cluster.processes[name] = process.start()
    cluster.apps[name] = f"http://127.0.0.1:{port}"
    cluster.wait_web(name)
    nginx = servers.nginx_in_front_of([cluster.apps[name]], cluster.folder / name, storage)
    return cluster.exits.enter_context(nginx)


def compare(cluster: Cluster, plan: Plan) -> dict[str, Figures]:
    """Audio requests/s per variant (VARIANTS), the rounds alternating."""
    disk = cluster.folder / "disk-media"
    copy_bucket(cluster, disk)
    fronts = {
        label: start_variant(cluster, f"web-{n}", disk if on_disk else None, accel)
        for n, (label, on_disk, accel) in enumerate(VARIANTS)
    }
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _round in range(plan.rounds):
        for label, front in fronts.items():
            runner = runner_for(front, [traffic.audio_user(f"compare {label}")])
            runner.start(plan.compare_users, spawn_rate=100)
            gevent.sleep(2)
            start = time.time()
            gevent.sleep(plan.compare_seconds)
            spans[label].append((start, time.time()))
            runner.quit()
    results = {}
    for label, windows in spans.items():
        parts = [figures_between(*window).get(f"compare {label}") for window in windows]
        parts = [part for part in parts if part is not None]
        results[label] = Figures(
            rate=sum(p.rate for p in parts) / len(windows),
            p50=percentile([p.p50 for p in parts], 0.5),
            p99=max((p.p99 for p in parts), default=math.nan),
            errors=sum(p.errors for p in parts),
            ok=sum(p.ok for p in parts),
        )
    return results


# --- the report ----------------------------------------------------------------------------
def knee_index(steps: list[Step], latency: bool = False) -> int | None:
    """The last step that still scaled (see the module's docstring); None if all did."""
    found = knee_reason(steps, latency)
    return None if found is None else found[0]


def p99_jumped(before: Step, step: Step, kind: str) -> bool:
    """The p99 more than doubled past 200 ms, and the median moved too (by half): the
    whole distribution, not a tail of two or three requests (a step has ~100-400 of each)."""
    if kind not in before.kinds or kind not in step.kinds:
        return False
    doubled = step.p99(kind) > max(2 * before.p99(kind), TARGET_P99_MS)
    return doubled and step.kinds[kind].p50 > 1.5 * before.kinds[kind].p50


def knee_reason(steps: list[Step], latency: bool) -> tuple[int, str] | None:
    """(the knee's index, what the next step showed), or None if every step scaled.
    The capacity knee (``latency`` false): requests/s stop growing, or errors; the
    latency knee: the page's or the audio's p99 jumps (``p99_jumped``)."""
    for i in range(1, len(steps)):
        before, step = steps[i - 1], steps[i]
        reasons = [
            f"{kind} p99 {before.p99(kind):.0f} → {step.p99(kind):.0f} ms "
            f"(p50 {before.kinds[kind].p50:.0f} → {step.kinds[kind].p50:.0f})"
            for kind in ("page", "audio first byte")
            if latency and p99_jumped(before, step, kind)
        ]
        if not latency and step.throughput < 1.10 * before.throughput:
            reasons.append(f"req/s {before.throughput:.1f} → {step.throughput:.1f}")
        if not latency and step.errors:
            reasons.append(f"{step.errors} errors")
        if reasons:
            return i - 1, f"at {step.users} users: " + ", ".join(reasons)
    return None


def print_steps(steps: list[Step]) -> None:
    print("\n| users | kind | req/s | p50 ms | p99 ms | errors |")
    print("|---:|---|---:|---:|---:|---:|")
    for step in steps:
        for kind in (*USER_KINDS, *OTHER_KINDS):
            f = step.kinds.get(kind)
            if f is not None:
                print(
                    f"| {step.users} | {kind} | {f.rate:.2f} | {f.p50:.0f} | {f.p99:.0f} "
                    f"| {f.errors} |"
                )
    print("\n| users | users' req/s | errors | 2G open (min–max) | generator CPU | load avg |")
    print("|---:|---:|---:|---|---:|---:|")
    for step in steps:
        seconds = step.end - step.start
        print(
            f"| {step.users} | {step.throughput:.1f} | {step.errors} "
            f"| {min(step.slow_open)}–{max(step.slow_open)} | {100 * step.cpu / seconds:.0f} % "
            f"| {step.load:.1f} |"
        )


def print_comparison(results: dict[str, Figures]) -> dict[str, float]:
    print("\n| audio by 64 KB Range chunks | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for label, f in results.items():
        print(f"| {label} | {f.rate:.1f} | {f.p50:.0f} | {f.p99:.0f} | {f.errors} |")
    ratios = {}
    for how in ("nginx sends (X-Accel)", "app streams"):
        disk = results[f"disk, {how}"].rate
        ratios[how] = results[f"S3, {how}"].rate / disk if disk else math.nan
        print(f"S3 / disk, {how}: {ratios[how]:.2f}")
    return ratios


def half_of(steps: list[Step], knee: Step) -> Step:
    half = min(steps, key=lambda step: abs(step.users - knee.users / 2))
    if half.users > knee.users / 2:
        print(f"half of {knee.users} users not measured: read at {half.users}")
    return half


def targets(steps: list[Step], ratios: dict[str, float]) -> list[tuple[str, bool]]:
    """The issue's targets, each printed with PASS or FAIL."""
    latency = knee_reason(steps, latency=True)
    if latency is not None:
        index, reason = latency
        half = half_of(steps, steps[index])
        print(
            f"\nlatency knee: {steps[index].users} users; {reason}; at {half.users} users "
            f"page p99 {half.p99('page'):.0f} ms, audio first byte p99 "
            f"{half.p99('audio first byte'):.0f} ms (not judged: see the capacity knee)"
        )
    found = knee_reason(steps, latency=False)
    if found is None:
        print(f"knee: not reached (throughput still grew at {steps[-1].users} users)")
        index = len(steps) - 1
    else:
        index, reason = found
        print(f"knee: {steps[index].users} users ({steps[index].throughput:.1f} req/s); {reason}")
    knee = steps[index]
    half = half_of(steps, knee)
    below = [step for step in steps if step.users < knee.users]
    results = [
        ("0 errors below the knee", all(step.errors == 0 for step in below)),
        (
            f"page p99 ≤ 200 ms at half the knee ({half.users} users): {half.p99('page'):.0f} ms",
            half.p99("page") <= TARGET_P99_MS,
        ),
        (
            f"audio first byte p99 ≤ 200 ms at {half.users} users: "
            f"{half.p99('audio first byte'):.0f} ms",
            half.p99("audio first byte") <= TARGET_P99_MS,
        ),
        (
            f"{TARGET_SLOW_OPEN} slow downloads open at once at {half.users} users (median of "
            f"1 s samples; min–max {min(half.slow_open)}–{max(half.slow_open)})",
            percentile(half.slow_open, 0.5) >= TARGET_SLOW_OPEN,
        ),
    ]
    for how, ratio in ratios.items():
        results.append((f"S3 ≥ 50 % of the disk's req/s, {how}: {ratio:.0%}", ratio >= 0.5))
    for name, passed in results:
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    return results


def print_phones(phones: traffic.SlowPhones) -> None:
    """The 2G downloads over the whole run (they span steps)."""
    everything = figures_between(0, time.time() + 3600)
    none = Figures(0, math.nan, math.nan, 0, 0)
    first = everything.get("2G audio first byte", none)
    done = everything.get("2G download", none)
    print(
        f"\n2G: {phones.count} phones, {phones.kbit_per_phone():.0f} kbit/s each on average "
        f"(paced at {traffic.RATE_BYTES * 8 / 1000:.0f}); downloads opened "
        f"{first.ok + first.errors} (first byte p50 {first.p50:.0f} ms, p99 {first.p99:.0f} "
        f"ms), completed {done.ok} (p50 {done.p50 / 1000:.0f} s)"
    )


def print_errors() -> None:
    with traffic.LOCK:
        found = Counter((kind, error) for _s, kind, _ms, error in traffic.RECORDS if error)
    for (kind, error), count in found.most_common(10):
        print(f"  {count} × {kind}: {error}")


def functional_checks(steps: list[Step], comparison: dict[str, Figures]):
    everything = figures_between(0, time.time() + 3600)
    kinds = [*USER_KINDS, "2G audio first byte", "publish"]
    checks = [(f"a successful {k}", k in everything and everything[k].ok > 0) for k in kinds]
    checks += [(f"a successful compare {label}", f.ok > 0) for label, f in comparison.items()]
    if SMOKE:
        errors = sum(f.errors for f in everything.values())
        checks.append((f"no failed request (found {errors})", errors == 0))
    return checks


def run(plan: Plan) -> int:
    cluster = start_cluster(plan)
    stop = threading.Event()
    try:
        traffic.CATALOG.front, traffic.CATALOG.long_slug = cluster.front, LONG_SLUG
        traffic.CATALOG.refresh()
        gevent.spawn(traffic.CATALOG.keep_fresh, stop)
        for path, size in traffic.CATALOG.long_audio:
            minutes = size / traffic.RATE_BYTES / 60
            print(f"2G downloads: {path}, {size / 1e6:.1f} MB, {minutes:.1f} min each", flush=True)
        phones = traffic.SlowPhones(cluster.front, plan.slow)
        phones.start()
        editor = start_editor(cluster, plan.publish_every)
        # Short files (smoke) end within seconds: then one open download is enough.
        opened = plan.slow if plan.long_guide else 1
        wait_for(lambda: phones.open >= opened, 120, "the slow downloads", interval=0.5)
        print(f"Steps of {plan.seconds:.0f} s: {plan.steps} users", flush=True)
        steps = run_steps(cluster.front, plan, phones)
        phones.halt()
        editor.stop()
        traffic.publishes((cluster.logs / "editor.log").read_text())
        for step in steps:  # again, with the publishes and the downloads that ended since
            step.kinds = figures_between(step.start, step.end)
        wait_for(cluster.audio_settled, 300, "the last publish's audio", interval=1)
        traffic.CATALOG.refresh()
        print("S3 against the disk ...", flush=True)
        comparison = compare(cluster, plan)
    except BaseException:
        print(cluster.report())
        print(f"Logs kept in {cluster.folder}")
        raise
    finally:
        stop.set()
        cluster.stop()
    shutil.rmtree(cluster.folder, ignore_errors=True)  # logs, static files, the disk copy
    print_steps(steps)
    print_phones(phones)
    ratios = print_comparison(comparison)
    print_errors()
    checks = functional_checks(steps, comparison)
    if not SMOKE:
        checks += targets(steps, ratios)
    return exit_code(checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", help="comma-separated user counts (default 5,10,…,320)")
    parser.add_argument("--seconds", type=float, help="measured seconds per step (40)")
    parser.add_argument("--slow", type=int, help="slow 2G downloads open all along (200)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    plan = SMOKE_PLAN if args.smoke else Plan()
    if args.steps:
        plan.steps = tuple(int(n) for n in args.steps.split(","))
    if args.seconds:
        plan.seconds = args.seconds
    if args.slow is not None:
        plan.slow = args.slow
    sys.exit(run(plan))


if __name__ == "__main__":
    main()
