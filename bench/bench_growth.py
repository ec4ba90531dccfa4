"""Benchmark: how Altavoz grows with the number of guides (issue #13, "Growth").

    .venv/bin/python -m bench.bench_growth          # N = 6, 60, 600 (~15 min, mostly filling)
    .venv/bin/python -m bench.bench_growth --sizes 6,60
    .venv/bin/python -m bench.bench_growth --smoke  # CI: N = 6 and 12, no timing judged

One throwaway SQLite database grows from the demo's 6 guide pages to each N in
turn (``manage.py fill_guides N --throwaway``: varied text, three locales, audio
described as the pipeline writes it). At each N:

- **queries per request**, counted in this process with Django's test client on
  a cold cache (API listing, detail and sync, the renditions listing, a guide's
  page, the podcast feed) and once warm;
- **times** from gunicorn with the production settings (2 workers × 2 threads,
  local-memory cache), as in ``bench_api``: the API's cold build (the first
  listing request of a fresh server), warm p50/p99 under load for listing and
  detail, the podcast feed (first and warm), a guide's page;
- the worker's **hourly sweep** (``queue_stale_audio``), in this process;
- **memory**: the largest resident size of a web worker after the load.

Targets: queries per request the same at every N; times and memory at most
linear in N (at most N_big/N_small times the small figure, plus 50% for noise);
at the largest N ≥ 600, API warm p99 ≤ 50 ms and ≤ 300 MB per web process.
(No sitemap is measured: Altavoz publishes none, see bench/README.md.)
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SMOKE, SMOKE_HELP, exit_code

WORKDIR = Path(tempfile.mkdtemp(prefix="altavoz-bench-growth-"))
# The in-process client and the gunicorn servers read the same database file.
from bench.bench_api import (  # noqa: E402  (after the --smoke switch is read)
    Server,
    load,
    one_request,
    percentile,
    server_environment,
)

ENVIRONMENT = server_environment(WORKDIR)
os.environ.update({k: v for k, v in ENVIRONMENT.items() if k.startswith(("DJANGO_", "ALTAVOZ_"))})
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from audio.jobs import queue_stale_audio  # noqa: E402
from cms.api import state  # noqa: E402
from cms.models import GuidePage  # noqa: E402

SIZES = (6, 60, 600)
SMOKE_SIZES = (6, 12)
WARM_SECONDS = 3.0
SMOKE_WARM_SECONDS = 0.5
LOAD_CONNECTIONS = 16
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 300.0
NOISE = 1.5  # linear growth allowed, times this, for a shared 2-core machine


def paths():
    """The URLs measured, for the Spanish Mixco guide (always there: the demo's own)."""
    guide = GuidePage.objects.live().get(locale__language_code="es", slug="mixco")
    return {
        "API listing": "/api/v2/guides/?fields=*",
        "API detail": f"/api/v2/guides/{guide.pk}/",
        "API sync": "/api/v2/guides/?changed_since=2000-01-01T00:00:00Z",
        "API renditions": "/api/v2/renditions/",
        "guide page": guide.url,
        "podcast feed": "/feeds/es/podcast.xml",
    }


def forget_caches():
    cache.clear()
    state.forget()


def counted(client, url):
    """The queries of one request. Django keeps the last 9,000 queries and counts by index
    into that log: once it is full (filling 600 guides fills it) every count reads 0."""
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def queries_per_request(urls):
    """URL name → (cold queries, warm queries), counted with the test client."""
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for name, url in urls.items():
        # Once first, so that the sync log already knows every guide: its first inserts
        # come in batches of SQLite's 999 variables, a one-off that grows with N.
        client.get(url)
        forget_caches()
        cold = counted(client, url)
        # Warm is the steady state: after a cold build longer than the API's freshness
        # interval the next request re-reads the content token (one query per interval and
        # process, not per request), so the request after that one is counted.
        client.get(url)
        counts[name] = (cold, counted(client, url))
    return counts


def sweep_seconds():
    started = time.perf_counter()
    queued = queue_stale_audio()
    elapsed = time.perf_counter() - started
    assert not queued, f"described audio should be current, the sweep queued {queued}"
    return elapsed


def worker_rss_mb(server):
    """The largest resident set of the server's worker processes, in MB."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    sizes = []
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes)


def served_times(urls, seconds):
    """Cold build, warm latencies and memory from a fresh gunicorn on this database."""
    server = Server(ENVIRONMENT).start()
    try:
        times = {"API cold build s": one_request(server.port, urls["API listing"])}
        times["podcast feed first s"] = one_request(server.port, urls["podcast feed"])
        failures = 0
        for name in ("API listing", "API detail", "guide page", "podcast feed"):
            load(server.port, urls[name], min(1.0, seconds), LOAD_CONNECTIONS)  # every worker warm
            _rate, latencies, failed = load(server.port, urls[name], seconds, LOAD_CONNECTIONS)
            failures += len(failed)
            times[f"{name} p50 ms"] = percentile(latencies, 0.50) * 1000
            times[f"{name} p99 ms"] = percentile(latencies, 0.99) * 1000
        times["web process MB"] = worker_rss_mb(server)
        times["non-200"] = failures
        return times
    finally:
        server.stop()


def measure(size, seconds):
    started = time.perf_counter()
    call_command("fill_guides", size, throwaway=True, verbosity=0)
    fill = time.perf_counter() - started
    urls = paths()
    result = {
        "pages": GuidePage.objects.count(),
        "fill s": fill,
        "queries": queries_per_request(urls),
        "sweep s": sweep_seconds(),
    }
    result.update(served_times(urls, seconds))
    return result


def report(results):
    sizes = list(results)
    print()
    print("| figure | " + " | ".join(f"N = {results[n]['pages']}" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    names = [k for k in results[sizes[0]] if k not in ("pages", "queries")]
    for name in names:
        cells = []
        for n in sizes:
            value = results[n][name]
            cells.append(f"{value:.3f}" if isinstance(value, float) else str(value))
        print(f"| {name} | " + " | ".join(cells) + " |")
    for url_name in results[sizes[0]]["queries"]:
        cells = ["{} cold / {} warm".format(*results[n]["queries"][url_name]) for n in sizes]
        print(f"| queries, {url_name} | " + " | ".join(cells) + " |")
    print()


def judged(results):
    """(check, passed) pairs: functional ones always, targets only in full runs."""
    sizes = list(results)
    first, last = results[sizes[0]], results[sizes[-1]]
    checks = [(f"no failed request at N = {n}", results[n]["non-200"] == 0) for n in sizes]
    checks += [
        (
            f"queries per request constant in N: {name}",
            all(results[n]["queries"][name] == first["queries"][name] for n in sizes),
        )
        for name in first["queries"]
    ]
    if SMOKE:
        return checks
    growth = last["pages"] / first["pages"]
    for name in ("API cold build s", "sweep s", "podcast feed first s", "web process MB"):
        ratio = last[name] / first[name]
        print(f"{name}: ×{ratio:.1f} for ×{growth:.0f} pages (linear allows ×{growth * NOISE:.0f})")
        checks.append((f"{name} at most linear in N", ratio <= growth * NOISE))
    if last["pages"] >= 600:
        for name in ("API listing p99 ms", "API detail p99 ms"):
            print(f"{name} at N = {last['pages']}: {last[name]:.1f} (target ≤ {TARGET_P99_MS:.0f})")
            checks.append((f"{name} ≤ {TARGET_P99_MS:.0f} at N ≥ 600", last[name] <= TARGET_P99_MS))
        print(f"web process at N = {last['pages']}: {last['web process MB']:.0f} MB")
        checks.append(("web process ≤ 300 MB", last["web process MB"] <= TARGET_RSS_MB))
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated guide page counts (default 6,60,600)")
    parser.add_argument("--seconds", type=float, default=WARM_SECONDS, help="warm load per URL")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    sizes = SMOKE_SIZES if args.smoke else SIZES
    if args.sizes:
        sizes = tuple(int(n) for n in args.sizes.split(","))
    seconds = SMOKE_WARM_SECONDS if args.smoke else args.seconds

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # pages name hashed files
    results = {}
    for size in sizes:
        print(f"N = {size} ...", flush=True)
        results[size] = measure(size, seconds)
    report(results)
    sys.exit(exit_code(judged(results)))


if __name__ == "__main__":
    main()
