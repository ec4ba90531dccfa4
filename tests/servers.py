"""Real production processes for tests: gunicorn with the production settings, and nginx in
front of it as docs/deploy/nginx.conf sets it up. Each is stopped by its own process id."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# Connections nginx's one worker may hold: enough for the tests. The load benchmark
# (bench/bench_load.py) raises it: 200 slow downloads and hundreds of users, with an
# upstream connection for each request being answered.
NGINX_WORKER_CONNECTIONS = 256
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, for processes the test starts (they must see its rows)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def production_environment(**extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        ALTAVOZ_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        ALTAVOZ_LOG_LEVEL="WARNING",
    )
    env.pop("ALTAVOZ_CACHE_URL", None)
    env.update(extra)
    return env


def collect_static(static_root: Path) -> Path:
    """What each deploy does before starting gunicorn: pages name hashed static files."""
    env = production_environment(ALTAVOZ_STATIC_ROOT=str(static_root))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return static_root


def wait_until_answering(
    url: str, process: subprocess.Popen, log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is up
        except OSError:  # refused, reset or timed out while the server starts
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} never answered: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)


def wait_for_output(
    process: subprocess.Popen, out: Path, text: str, timeout: float = 30, log: Path | None = None
) -> None:
    """Until ``text`` is in ``out``, the file the process writes its output to; a
    RuntimeError with the end of ``log`` (default ``out``) if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while text not in out.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            said = (log or out).read_text()[-3000:]
            raise RuntimeError(f"{process.args[:4]} never said {text!r}: {said}")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """The web process as production starts it, on a loopback port."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2, threads: int = 2):
    """gunicorn on a free loopback port, its errors in ``log`` (a pipe nobody reads would
    fill and block it); yields its base URL."""
    port = free_port()
    with log.open("wb") as errors:
        process = subprocess.Popen(
            gunicorn_command(port, workers, threads),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", process, log)
        yield base
    finally:
        stop(process)


def nginx_configuration(upstream: str, port: int, prefix: Path) -> str:
    """docs/deploy/nginx.conf's HTTPS server, on plain HTTP and a free port, for loopback."""
    shipped = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    # Its locations, as shipped: a test of another configuration would prove nothing.
    locations = shipped[shipped.index("    # No request log") : shipped.rindex("}")]
    locations = re.sub(
        r"alias /srv/altavoz/var/media/;", f"alias {settings.MEDIA_ROOT}/;", locations
    )
    assert f"alias {settings.MEDIA_ROOT}/;" in locations
    user = (
        "user root;" if os.geteuid() == 0 else ""
    )  # workers must read the test's private media folder
    return f"""
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections {NGINX_WORKER_CONNECTIONS}; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream altavoz {{ server {upstream.removeprefix("http://")}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{locations}
    }}
}}
"""


@contextmanager
def nginx(upstream: str, prefix: Path):
    """nginx in front of ``upstream`` with the shipped locations; yields its base URL."""
    port = free_port()
    with _running_nginx(nginx_configuration(upstream, port, prefix), port, prefix) as base:
        yield base


@contextmanager
def _running_nginx(configuration_text: str, port: int, prefix: Path):
    """nginx with this configuration until the block ends; yields its base URL."""
    prefix.mkdir(parents=True, exist_ok=True)
    configuration = prefix / "nginx.conf"
    configuration.write_text(configuration_text)
    process = subprocess.Popen(
        [NGINX, "-c", str(configuration), "-p", str(prefix)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", process, prefix / "error.log")
        yield base
    finally:
        stop(process)


def nginx_cluster_configuration(
    upstreams: list[str], port: int, prefix: Path, media_root: Path | str
) -> str:
    """nginx_configuration's server, in front of several gunicorn instances, with the media
    alias pointing at ``media_root`` (a cluster's shared media folder)."""
    configuration = nginx_configuration(upstreams[0], port, prefix)
    configuration = configuration.replace(
        f"alias {settings.MEDIA_ROOT}/;", f"alias {str(media_root).rstrip('/')}/;"
    )
    servers = " ".join(f"server {upstream.removeprefix('http://')};" for upstream in upstreams)
    first = f"server {upstreams[0].removeprefix('http://')};"
    assert configuration.count(first) == 1
    return configuration.replace(first, servers)


def bucket_location(endpoint_url: str, bucket: str) -> str:
    """docs/deploy/nginx.conf's commented bucket location, uncommented, for ``bucket`` at
    ``endpoint_url`` (plain HTTP on loopback)."""
    shipped = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    start = shipped.index("    # location /protected-media/ {")
    end = shipped.index("    # }\n", start) + len("    # }\n")
    location = "\n".join(
        "    " + line.removeprefix("    # ") for line in shipped[start:end].splitlines()
    )
    host = endpoint_url.split("://", 1)[1]
    example = "s3.example-region.example.com"
    assert location.count(f"https://{example}/altavoz-media/") == 1
    location = location.replace(f"https://{example}/altavoz-media/", f"{endpoint_url}/{bucket}/")
    assert location.count(f"Host {example};") == 1
    return location.replace(f"Host {example};", f"Host {host};") + "\n"


@contextmanager
def nginx_in_front_of(upstreams: list[str], prefix: Path, storage: dict[str, str]):
    """nginx with the shipped locations in front of several upstreams; yields its base URL.
    ``storage`` is the processes' storage environment: with ALTAVOZ_S3_BUCKET the internal
    location is the shipped bucket one, else its ALTAVOZ_MEDIA_ROOT is aliased."""
    port = free_port()
    text = nginx_cluster_configuration(upstreams, port, prefix, storage["ALTAVOZ_MEDIA_ROOT"])
    if storage.get("ALTAVOZ_S3_BUCKET"):
        disk = text.index("    location /protected-media/ {")
        disk_end = text.index("    }\n", disk) + len("    }\n")
        bucket = bucket_location(storage["ALTAVOZ_S3_ENDPOINT_URL"], storage["ALTAVOZ_S3_BUCKET"])
        text = text[:disk] + bucket + text[disk_end:]
    with _running_nginx(text, port, prefix) as base:
        yield base
