"""The test database with the demo guides, built once and then cloned for each pytest run.

Building it means applying ~240 migrations (Django renders the model state again and again)
and loading the demo guides through wagtail-localize: most of a run's set-up. The result
is kept as a template — a file for SQLite (``VACUUM INTO``, consistent even in WAL mode), a
database for PostgreSQL (``CREATE DATABASE ... TEMPLATE``) — and later runs start from a copy
of it. Django then runs ``migrate`` on the copy as on any kept database (nothing to apply), so
a template that somehow missed a migration would still be brought up to date.

A template is reused only while its key matches: a hash of every migration file, the demo
content, the project's Python source outside tests/, the versions of the installed packages
and the database engine. Any change there builds a new one. ``ALTAVOZ_TEST_DB_TEMPLATE=0``
builds from scratch without keeping anything (to time or check the full set-up).
"""

from __future__ import annotations

import hashlib
import os
import site
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases

ROOT = Path(__file__).resolve().parent.parent
# What the demo database depends on besides migrations (the project's own migrations are
# inside these folders too).
SOURCE_FOLDERS = ("audio", "cms", "config", "site")
SQLITE_TEMPLATES = Path(tempfile.gettempdir()) / "altavoz-test-templates"


def enabled() -> bool:
    return os.environ.get("ALTAVOZ_TEST_DB_TEMPLATE", "1") != "0"


def template_key() -> str:
    """A hash of everything that shapes the demo database's contents."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    files = {Path(sys.modules[m.__module__].__file__) for m in loader.disk_migrations.values()}
    for folder in SOURCE_FOLDERS:
        files.update((ROOT / folder).rglob("*.py"))
        files.update((ROOT / folder).rglob("*.toml"))
    for path in sorted(files):
        digest.update(str(path.relative_to(path.anchor)).encode())
        digest.update(path.read_bytes())
    # Installed packages by their metadata folders' names (name and version): listing them
    # is instant, reading every package's metadata took seconds.
    for folder in sorted({*site.getsitepackages(), site.getusersitepackages()}):
        if Path(folder).is_dir():
            names = sorted(n for n in os.listdir(folder) if n.endswith(".dist-info"))
            digest.update(" ".join(names).encode())
    digest.update(settings.DATABASES["default"]["ENGINE"].encode())
    digest.update(os.environ.get("DJANGO_SETTINGS_MODULE", "").encode())
    return digest.hexdigest()[:20]


def _test_name() -> str:
    return connection.creation._get_test_db_name()


# --- SQLite: a file --------------------------------------------------------------------


def _sqlite_template(key: str) -> Path:
    return SQLITE_TEMPLATES / f"demo-{key}.sqlite3"


def _sqlite_restore(key: str) -> bool:
    template = _sqlite_template(key)
    if not template.exists():
        return False
    target = Path(_test_name())
    for suffix in ("", "-wal", "-shm"):  # a crashed earlier run with the same pid
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    # Written to a temporary name first: a reader never sees half a database.
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(template.read_bytes())
    partial.replace(target)
    return True


def _sqlite_save(key: str) -> None:
    SQLITE_TEMPLATES.mkdir(parents=True, exist_ok=True)
    partial = SQLITE_TEMPLATES / f"demo-{key}.{os.getpid()}.partial"
    partial.unlink(missing_ok=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(partial)])
    partial.replace(_sqlite_template(key))  # another run saving the same key wrote the same data


# --- PostgreSQL: a database used as a template -------------------------------------------


def _postgres_template(key: str) -> str:
    return f"altavoz_tpl_{key}"


def _postgres_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _postgres_restore(key: str) -> bool:
    quote = connection.ops.quote_name
    with connection.creation._nodb_cursor() as cursor:
        if not _postgres_exists(cursor, _postgres_template(key)):
            return False
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(_test_name())}")
        cursor.execute(
            f"CREATE DATABASE {quote(_test_name())} TEMPLATE {quote(_postgres_template(key))}"
        )
    return True


def _postgres_save(key: str) -> None:
    from django.db import DatabaseError

    quote = connection.ops.quote_name
    source = connection.settings_dict["NAME"]  # the test database, set up by now
    connections.close_all()  # CREATE DATABASE ... TEMPLATE needs the source without sessions
    with connection.creation._nodb_cursor() as cursor:
        if _postgres_exists(cursor, _postgres_template(key)):
            return
        try:
            cursor.execute(
                f"CREATE DATABASE {quote(_postgres_template(key))} TEMPLATE {quote(source)}"
            )
        except DatabaseError:  # another run made the same template at the same moment
            if not _postgres_exists(cursor, _postgres_template(key)):
                raise


def _restore(key: str) -> bool:
    if connection.vendor == "sqlite":
        return _sqlite_restore(key)
    if connection.vendor == "postgresql":
        return _postgres_restore(key)
    return False


def _save(key: str) -> None:
    if connection.vendor == "sqlite":
        _sqlite_save(key)
    elif connection.vendor == "postgresql":
        _postgres_save(key)


@contextmanager
def demo_database(verbosity=0, aliases=None, serialized_aliases=None, keepdb=False):
    """The session's test database with the demo guides loaded; dropped at the end unless
    ``keepdb`` (pytest's --reuse-db, which keeps its own database and needs no template)."""
    from cms.demo.loader import load_demo

    key = template_key() if enabled() and not keepdb else None
    restored = key is not None and _restore(key)
    config = setup_databases(
        verbosity=verbosity,
        interactive=False,
        aliases=aliases,
        serialized_aliases=serialized_aliases,
        keepdb=keepdb or restored,  # start from the copy: Django only checks its migrations
    )
    try:
        if not restored:
            load_demo()  # idempotent: a reused database is brought up to date
            if key is not None:
                _save(key)
        yield
    finally:
        if not keepdb:
            teardown_databases(config, verbosity=verbosity)
