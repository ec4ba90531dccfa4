"""Benchmark: what counting reach adds to a listener's audio request, against not counting.

    .venv/bin/python -m bench.bench_reach             # ~20 s
    .venv/bin/python -m bench.bench_reach --smoke     # CI: a second, figures printed

On a throwaway SQLite database (the demo's set-up: one machine, the slowest place to
write) with one public guide and a stored 3 MB rendition file, the /media/ view answers
the same requests, in one run, two ways:

(a) baseline: ``audio.serving.serve_media`` alone;
(b) counted: the same view wrapped by ``audio.reach.counts_reach``, as ``config/urls.py``
    routes it: the count is written when the answer is closed, after its body is sent.

for three request shapes: a play (``bytes=0-8191``, the front's first request: one
UPDATE), a chunk from the middle (``bytes=65536-131071``: decided from the answer's
headers, no query) and the last chunk (an "end": one UPDATE). Each is timed until the
view returns (what delays the listener's first byte) and, apart, the closing after the
body is read (the server's worker time, where the count is written). Then ``--threads``
threads count plays at once: every count the database accepted must be stored once
(functional check; the exit code says if not); counts it refused (SQLite busy beyond its
5 s timeout) are dropped by design, and shown.
"""

import argparse
import os
import statistics
import sys
import threading
import time

from bench.common import SMOKE, SMOKE_HELP, exit_code, throwaway_database

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
throwaway_database("altavoz-bench-reach-")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from audio.models import ReachCount, Rendition  # noqa: E402
from audio.reach import counts_reach, record  # noqa: E402
from audio.serving import serve_media  # noqa: E402

SIZE = 3 * 1024 * 1024
SHAPES = [
    ("play (bytes=0-8191)", "bytes=0-8191"),
    ("middle chunk", "bytes=65536-131071"),
    ("last chunk (end)", f"bytes={SIZE - 65536}-"),
]


def public_rendition():
    """A published guide with one live rendition whose file is SIZE bytes; its storage name."""
    from cms.site_setup import ensure_home_page, ensure_locales
    from tests.front.conftest import add_test_guide

    call_command("migrate", verbosity=0)
    ensure_locales()
    home, _created = ensure_home_page("Guías")
    guide = add_test_guide(home)
    name = default_storage.save("audio/renditions/bench/reach.mp3", ContentFile(b"\0" * SIZE))
    Rendition.objects.create(
        page=guide,
        variant="listen",
        engine="espeak",
        voice="es-419",
        audio=name,
        chapters=name,
        mime_type="audio/mpeg",
        duration=860.0,
        size_bytes=SIZE,
        sha256="0" * 64,
        content_hash="0" * 64,
    )
    return name


def time_requests(view, name, header, count):
    """Milliseconds for ``count`` GETs with Range ``header``: ([until answered], [until closed]).

    "Answered" is what the listener waits for before her first byte; "closed" adds what
    the server does once the body is sent (where counting happens).
    """
    factory = RequestFactory()
    answered, closed = [], []
    for _ in range(count):
        request = factory.get(f"/media/{name}", HTTP_RANGE=header)
        request.user = AnonymousUser()
        started = time.perf_counter()
        response = view(request, name)
        answered.append((time.perf_counter() - started) * 1000)
        b"".join(response.streaming_content)
        body_sent = time.perf_counter()
        response.close()
        closed.append((time.perf_counter() - body_sent) * 1000)
    return answered, closed


def concurrent_plays(guide, threads_n, each):
    """``threads_n`` threads counting ``each`` plays at once; (seconds, stored, refused).

    A count the database refused (SQLite busy beyond its timeout) is dropped by design,
    and says so; every count that reported success must be stored, once.
    """
    ReachCount.objects.all().delete()
    barrier = threading.Barrier(threads_n)
    refused = []

    def count():
        barrier.wait()
        try:
            for _ in range(each):
                if not record("play", page=guide, locale=guide.locale, variant="listen"):
                    refused.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(threads_n)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return seconds, sum(ReachCount.objects.values_list("count", flat=True)), len(refused)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per shape and side")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--plays", type=int, default=100, help="plays per thread")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    count = 20 if SMOKE else args.requests
    name = public_rendition()
    counted_view = counts_reach(serve_media)
    print(f"{count} requests per shape and side, SQLite, {SIZE // 1024} KiB file")
    print("ms, p50 (p95); answered: until the view returns; close: after the body is sent")
    print(f"{'request':<22} {'(a) answered':>15} {'(b) answered':>15} {'ratio':>6} ", end="")
    print(f"{'(a) close':>13} {'(b) close':>13}")
    for label, header in SHAPES:
        time_requests(serve_media, name, header, 5)  # warm-up
        base, base_close = time_requests(serve_media, name, header, count)
        counted, counted_close = time_requests(counted_view, name, header, count)
        ratio = statistics.median(counted) / statistics.median(base)
        print(
            f"{label:<22} {_figure(base):>15} {_figure(counted):>15} {ratio:>5.2f}x "
            f"{_figure(base_close):>13} {_figure(counted_close):>13}"
        )
    guide = Rendition.objects.get().page
    each = 25 if SMOKE else args.plays
    seconds, stored, refused = concurrent_plays(guide, args.threads, each)
    expected = args.threads * each
    print(
        f"{args.threads} threads × {each} plays at once: {stored} stored of {expected}, "
        f"{refused} refused by the database (dropped, logged), in {seconds:.2f} s "
        f"({seconds / expected * 1000:.2f} ms per count)"
    )
    return exit_code([("every accepted count is stored once", stored == expected - refused)])


def _figure(values):
    p95 = sorted(values)[int(len(values) * 0.95) - 1]
    return f"{statistics.median(values):.2f} ({p95:.2f})"


if __name__ == "__main__":
    sys.exit(main())
