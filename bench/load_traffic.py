"""The traffic of ``bench.bench_load``: what listeners, apps and an editor do, and what each
request took. Imported after gevent's monkey-patching (locust's users are greenlets).

- ``Catalog``: what there is to read (every guide's page, audio files with their sizes,
  captions), from the API through the front, refreshed every few seconds as an app would.
- ``Listener`` (locust): a guide's page, its captions, its audio by Range: a first chunk
  (timed to its first byte) and two chunks further on, as a player fetches them.
- ``AppSync`` (locust): an app keeping its copy with ``changed_since`` from ``meta.as_of``.
- ``SlowPhone``: a download over 2G: one socket with a 4 KB receive buffer read at
  ``RATE_BYTES`` per second, the whole file, then the next (a greenlet each).
- ``EDITOR``: an editor's publish every few seconds, in its own Django process (the
  cluster's settings and database), one JSON line per publish on its output.

Every request goes into ``RECORDS`` as (start time, kind, milliseconds, error or None).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import urllib.parse
import urllib.request

import gevent
from locust import FastHttpUser, between, constant, task

from tests.cluster.harness import path_of

# ~250 kbit/s: a 2G (EDGE) phone's download.
RATE_BYTES = 250_000 // 8
RECEIVE_BUFFER = 4096
CHUNK = 64 * 1024
RECORDS: list[tuple[float, str, float, str | None]] = []
LOCK = threading.Lock()


def record(started: float, kind: str, milliseconds: float, error: str | None = None) -> None:
    with LOCK:
        RECORDS.append((started, kind, milliseconds, error))


def on_request(request_type, name, response_time, response_length, exception=None, **kw):
    """locust's request event: every request of its users, into ``RECORDS``."""
    start = kw.get("start_time") or time.time() - response_time / 1000
    error = None if exception is None else f"{type(exception).__name__}: {exception}"[:160]
    record(start, name, response_time, error)


class Catalog:
    """Pages, audio files (path, bytes) and captions the API lists, through the front."""

    def __init__(self) -> None:
        self.front = ""
        self.pages: list[str] = []
        self.audio: list[tuple[str, int]] = []
        self.captions: list[str] = []
        self.long_audio: list[tuple[str, int]] = []
        self.long_slug = ""

    def refresh(self) -> None:
        url = f"{self.front}/api/v2/guides/?fields=*"
        with urllib.request.urlopen(url, timeout=30) as response:
            items = json.loads(response.read())["items"]
        pages, audio, captions, long_audio = ["/es/"], [], [], []
        for guide in items:
            pages.append(path_of(guide["html_url"]))
            for rendition in (guide.get("audio") or {}).get("renditions") or []:
                entry = (path_of(rendition["url"]), int(rendition.get("bytes") or CHUNK))
                audio.append(entry)
                if guide["slug"] == self.long_slug and rendition["variant"] == "listen":
                    long_audio.append(entry)
                if rendition.get("captions_url"):
                    captions.append(path_of(rendition["captions_url"]))
        if not audio or not captions:
            raise RuntimeError(f"the API lists no audio or no captions: {items}")
        self.pages, self.audio, self.captions, self.long_audio = pages, audio, captions, long_audio

    def keep_fresh(self, stop: threading.Event, every: float = 5.0) -> None:
        """Refresh until ``stop`` (a publish gives a guide new audio URLs)."""
        while not stop.wait(every):
            try:
                self.refresh()
            except (OSError, ValueError, RuntimeError):
                pass  # the listeners keep the last list; their own requests are counted


CATALOG = Catalog()


def chunk_range(size: int, first: bool) -> str:
    start = 0 if first else random.randrange(0, max(1, size - CHUNK))
    return f"bytes={start}-{start + CHUNK - 1}"


class Listener(FastHttpUser):
    weight = 4
    wait_time = between(0.5, 1.5)

    @task(2)
    def page(self) -> None:
        self.client.get(random.choice(CATALOG.pages), name="page")

    @task(1)
    def captions(self) -> None:
        self.client.get(random.choice(CATALOG.captions), name="captions")

    @task(2)
    def audio(self) -> None:
        path, size = random.choice(CATALOG.audio)
        # Timed to the answer's head (locust's stream=True): the listener hears sooner.
        first = self.client.get(
            path, name="audio first byte", stream=True, headers={"Range": chunk_range(size, True)}
        )
        first.content  # noqa: B018  (the rest of the chunk, untimed)
        for _ in range(2):
            self.client.get(path, name="audio chunk", headers={"Range": chunk_range(size, False)})


class AppSync(FastHttpUser):
    weight = 1
    wait_time = between(2, 4)
    as_of: str | None = None

    @task
    def sync(self) -> None:
        query = f"?changed_since={urllib.parse.quote(self.as_of)}" if self.as_of else ""
        response = self.client.get(
            f"/api/v2/guides/{query}", name="API sync" if self.as_of else "API first sync"
        )
        if response.status_code == 200:
            self.as_of = response.json()["meta"]["as_of"]


class AudioOnly(FastHttpUser):
    """The S3-against-disk comparison: 64 KB Range chunks of every audio file, no pause."""

    wait_time = constant(0)
    label = "audio"

    @task
    def chunk(self) -> None:
        path, size = random.choice(CATALOG.audio)
        self.client.get(path, name=self.label, headers={"Range": chunk_range(size, False)})


def audio_user(label: str) -> type[AudioOnly]:
    return type(f"AudioOnly_{label.replace(' ', '_')}", (AudioOnly,), {"label": label})


class SlowPhones:
    """``count`` phones downloading whole audio files at 2G speed, one after another."""

    def __init__(self, front: str, count: int) -> None:
        host, port = front.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.count = count
        self.open = 0  # downloads receiving right now
        self.received = 0  # bytes, all phones together
        self.began = self.ended = 0.0
        self.stop = threading.Event()
        self.greenlets: list[gevent.Greenlet] = []

    def start(self) -> None:
        self.began = time.monotonic()
        self.greenlets = [gevent.spawn(self.phone, n) for n in range(self.count)]

    def halt(self) -> None:
        self.stop.set()
        gevent.joinall(self.greenlets, timeout=30)
        self.ended = time.monotonic()

    def kbit_per_phone(self) -> float:
        """The mean rate each phone got (its pace is RATE_BYTES)."""
        return self.received * 8 / 1000 / max(1e-9, self.ended - self.began) / self.count

    def phone(self, number: int) -> None:
        gevent.sleep(number * 0.02)  # not all in the same millisecond
        while not self.stop.is_set():
            files = CATALOG.long_audio or CATALOG.audio
            path, _size = files[number % len(files)]
            started = time.time()
            try:
                self.download(path, started)
            except OSError as error:
                record(started, "2G download", (time.time() - started) * 1000, repr(error)[:160])
                self.stop.wait(1)

    def download(self, path: str, started: float) -> None:
        with socket.socket() as phone:
            phone.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            phone.settimeout(60)
            phone.connect(self.address)
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            phone.sendall(request.encode())
            head = phone.recv(RECEIVE_BUFFER)
            first_ms = (time.time() - started) * 1000
            status = head.split(b" ", 2)[1:2]
            error = None if status == [b"200"] else f"status {head[:40]!r}"
            record(started, "2G audio first byte", first_ms, error)
            if error:
                return
            received, opened = len(head), time.monotonic()
            self.open += 1
            try:
                while not self.stop.is_set():
                    chunk = phone.recv(RECEIVE_BUFFER)
                    if not chunk:
                        break
                    received += len(chunk)
                    self.received += len(chunk)
                    ahead = received / RATE_BYTES - (time.monotonic() - opened)
                    if ahead > 0:
                        gevent.sleep(ahead)
            finally:
                self.open -= 1
            if not self.stop.is_set():
                record(started, "2G download", (time.time() - started) * 1000)


# An editor's publish every INTERVAL seconds, alternating guides (their summary changes, so
# each publish is a new revision and new audio is queued). Run with manage.py shell -c.
EDITOR = """
import json, time
from cms.models import GuidePage
interval, slugs, number = {interval!r}, {slugs!r}, 0
while True:
    time.sleep(interval)
    number += 1
    slug = slugs[number % len(slugs)]
    started, wall = time.perf_counter(), time.time()
    try:
        page = GuidePage.objects.get(slug=slug, locale__language_code="es")
        page = page.get_latest_revision_as_object()
        page.summary = f"Dónde pedir ayuda (edición {{number}})."
        page.save_revision().publish()
        error = None
    except Exception as failure:
        error = repr(failure)[:160]
    milliseconds = (time.perf_counter() - started) * 1000
    print("PUBLISH " + json.dumps([wall, milliseconds, error]), flush=True)
"""


def publishes(log_text: str) -> None:
    """The editor's publishes, from its log, into ``RECORDS``."""
    for line in log_text.splitlines():
        if line.startswith("PUBLISH "):
            wall, milliseconds, error = json.loads(line.removeprefix("PUBLISH "))
            record(wall, "publish", milliseconds, error)


def long_guide_code(slug: str, sections: int, sentences: int) -> str:
    """A guide of ``sections`` × ``sentences`` sentences (14 × 14 is ~14 minutes of
    speech): its audio is long enough that a 2G download lasts minutes."""
    return f"""
from cms.models import GuidePage
from cms.site_setup import ensure_home_page
home = ensure_home_page("Inicio")[0]
body = "".join(
    f"<p>En esta parte, la frase {{n}} explica dónde pedir ayuda, qué documentos llevar "
    f"a la oficina municipal y a qué hora abre la ventanilla {{n + 3}}.</p>"
    for n in range(1, {sentences} + 1)
)
guide = home.add_child(instance=GuidePage(
    title="Guía larga", slug={slug!r}, place_name="Mixco", department="Guatemala",
    summary="Una guía larga para las descargas lentas.", last_reviewed="2026-11-01",
    discreet_title="Notas",
    sections=[{{"type": "section", "value": {{"heading": f"Parte {{i}}", "body": body,
               "key_point": "", "pictogram": ""}}}} for i in range(1, {sections} + 1)],
))
guide.save_revision().publish()
"""
