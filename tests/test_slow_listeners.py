"""Slow listeners must not hold the site (#13).

A listener on 2G downloads a guide's audio for minutes. Behind nginx as shipped
(docs/deploy/nginx.conf), Django checks each file and hands it to nginx with
X-Accel-Redirect, so those downloads hold nginx connections, not gunicorn threads: pages
still answer while more phones are downloading than gunicorn has threads. Phones are
emulated with a small receive buffer and a slow read loop (on loopback the kernel would
otherwise take a whole file at once).
"""

import os
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests import servers
from tests.audio.fixtures import rendition_for, spanish_home

pytestmark = pytest.mark.django_db(transaction=True)

if servers.NGINX is None:
    pytestmark = [
        pytestmark,
        pytest.mark.skipif(
            not os.environ.get("ALTAVOZ_REQUIRE_NGINX"),
            reason="nginx is not installed (CI installs it)",
        ),
    ]

GUNICORN_THREADS = 2 * 2  # workers x threads, as bench_api and make serve-prod
SLOW_PHONES = GUNICORN_THREADS + 2
AUDIO_BYTES = 4 * 1024 * 1024


@pytest.fixture
def home_page(transactional_db):
    """A transactional test starts from an emptied database: the site's home comes back first."""
    return spanish_home()


@pytest.fixture
def live_audio(home_page, small_guide):
    data = os.urandom(AUDIO_BYTES)
    name = default_storage.save("audio/renditions/9/slow-listen.mp3", ContentFile(data))
    rendition_for(small_guide, name, data)
    yield name, data
    default_storage.delete(name)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    return servers.collect_static(tmp_path_factory.mktemp("static"))


@pytest.fixture
def stack(tmp_path, static_root):
    """gunicorn (2 workers x 2 threads) behind nginx, as in production."""
    env = servers.production_environment(
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS is nginx's job
        ALTAVOZ_MEDIA_ACCEL_REDIRECT="/protected-media/",
        ALTAVOZ_STATIC_ROOT=str(static_root),
    )
    with (
        servers.gunicorn(env, tmp_path / "gunicorn.log") as app,
        servers.nginx(app, tmp_path / "nginx") as front,
    ):
        yield app, front


class SlowPhone(threading.Thread):
    """Downloads a URL a little at a time through a 4 KB receive buffer, until told to stop."""

    def __init__(self, base, path):
        super().__init__(daemon=True)
        host, port = base.removeprefix("http://").split(":")
        self.address, self.path = (host, int(port)), path
        self.received = 0
        self.started_receiving = threading.Event()
        self.stop = threading.Event()

    def run(self):
        with socket.socket() as phone:
            phone.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            phone.connect(self.address)
            phone.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            while not self.stop.is_set():
                chunk = phone.recv(1024)
                if not chunk:
                    return
                self.received += len(chunk)
                self.started_receiving.set()
                time.sleep(0.05)  # about 20 KB/s: a 4 MB guide takes minutes


def get(url, **headers):
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=headers), timeout=20
    ) as response:
        return response.status, response.headers, response.read()


def test_pages_answer_while_more_phones_download_than_gunicorn_has_threads(
    live_audio, stack, small_guide
):
    name, _ = live_audio
    _, front = stack
    phones = [SlowPhone(front, f"/media/{name}") for _ in range(SLOW_PHONES)]
    for phone in phones:
        phone.start()
    try:
        assert all(phone.started_receiving.wait(20) for phone in phones)
        # Every gunicorn thread would be busy sending audio if gunicorn sent it; it does not.
        status, _, page = get(f"{front}/es/")
        assert status == 200 and small_guide.title.encode() in page
        assert all(phone.is_alive() and phone.received < AUDIO_BYTES for phone in phones)
    finally:
        for phone in phones:
            phone.stop.set()


def test_nginx_sends_the_checked_file_whole_and_by_range(live_audio, stack):
    name, data = live_audio
    app, front = stack

    status, headers, body = get(f"{front}/media/{name}")
    partial_status, partial_headers, partial = get(f"{front}/media/{name}", Range="bytes=1000-1999")
    # What the app itself answered: a redirect for nginx, no file bytes.
    direct_status, direct_headers, direct_body = get(f"{app}/media/{name}")

    assert status == 200 and body == data
    assert headers["Content-Type"] == "audio/mpeg"
    assert "private" in headers["Cache-Control"]
    assert partial_status == 206 and partial == data[1000:2000]
    assert partial_headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert direct_status == 200 and direct_body == b""
    assert direct_headers["X-Accel-Redirect"] == f"/protected-media/{name}"


def test_nginx_never_sends_what_the_check_refuses(live_audio, stack, small_guide):
    name, _ = live_audio
    _, front = stack
    small_guide.unpublish()

    for path in (f"/media/{name}", f"/protected-media/{name}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(f"{front}{path}")
        assert refused.value.code == 404, path
