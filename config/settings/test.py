"""Test run: fast hashing, local-memory cache, throwaway media, tasks recorded not run."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="altavoz-test-media-"))
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Publishing queues audio jobs; tests run the ones they are about explicitly
# (audio.jobs.run_job) instead of generating audio for every page they touch.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "audio"],
    }
}
# No network in tests: Google is exercised with a faked HTTP reply in the
# tests that are about it.
ALTAVOZ_VOICES = {"es": ["espeak"], "en": ["espeak"], "cak": ["recorded"]}
# Every request re-reads the API's content token (the API and the feeds key their caches on
# it), as another process would after its freshness interval: on_commit hooks, which
# forget it in production, never run inside test transactions.
ALTAVOZ_API_FRESHNESS_SECONDS = 0

# A file (not in-memory) SQLite test database, so that the worker processes
# some tests start see the same data.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"altavoz-test-{os.getpid()}.sqlite3")
    }
    # A throwaway database: durability is not worth an fsync per commit.
    DATABASES["default"]["OPTIONS"]["init_command"] = (
        "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;"  # noqa: F405
    )
