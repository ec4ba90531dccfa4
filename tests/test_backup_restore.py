"""Backup and restore (README "Production", "Backups"): the database plus the media.

A site with published audio is backed up (the database with SQLite's online
backup, or ``pg_dump`` on PostgreSQL; the media with ``backup_media``), then
restored into an emptied database (SQLite's backup back, or ``pg_restore
--clean``) and a new, empty media storage (``restore_media``). The restored
site must serve the same audio, byte for byte (the SHA-256 its rendition rows
record), and the same API documents.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from audio.jobs import run_job
from audio.models import Rendition
from tests.audio.test_workers import make_guide

API_DOCUMENTS = ["/api/v2/guides/", "/api/v2/renditions/"]


# pg_dump must not be older than the server: PostgreSQL 15's, else the one on PATH.
PG_BIN = Path(os.environ.get("ALTAVOZ_PG_BIN", "/usr/lib/postgresql/15/bin"))


def pg_tool(name):
    tool = PG_BIN / name
    return str(tool) if tool.exists() else shutil.which(name)


def pg_run(tool, *args):
    database = connection.settings_dict
    env = dict(os.environ, PGPASSWORD=database["PASSWORD"] or "")
    target = [
        f"--host={database['HOST'] or 'localhost'}",
        f"--port={database['PORT'] or 5432}",
        f"--username={database['USER']}",
        f"--dbname={database['NAME']}",
    ]
    subprocess.run([pg_tool(tool), *target, *args], env=env, check=True, capture_output=True)


def back_up_database(path):
    """SQLite: its online backup (``sqlite3 db ".backup file"``); PostgreSQL: pg_dump."""
    if connection.vendor == "postgresql":
        pg_run("pg_dump", "--format=custom", "--no-owner", f"--file={path}")
        return
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    copy.close()


def restore_database(path):
    if connection.vendor == "postgresql":
        connection.close()  # pg_restore --clean drops every table
        pg_run("pg_restore", "--clean", "--if-exists", "--no-owner", str(path))
        return
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        copy.backup(connection.connection)
    copy.close()


def snapshot(client, guide_id):
    """What a client sees: the API documents, and every live audio file's bytes as served."""
    cache.clear()  # nothing from before may answer for the restored site
    documents = {}
    for url in API_DOCUMENTS + [f"/api/v2/guides/{guide_id}/"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        documents[url] = response.json()
    served = {}
    for rendition in Rendition.objects.filter(state="live").order_by("pk"):
        response = client.get(f"/media/{rendition.audio.name}")
        assert response.status_code == 200, rendition.audio.name
        data = b"".join(response.streaming_content)
        assert hashlib.sha256(data).hexdigest() == rendition.sha256
        served[rendition.audio.name] = data
    return documents, served


@pytest.mark.django_db(transaction=True)
def test_a_site_backed_up_and_restored_serves_the_same_audio_and_api(client, settings, tmp_path):
    if connection.vendor == "postgresql" and not (pg_tool("pg_dump") and pg_tool("pg_restore")):
        pytest.skip("pg_dump and pg_restore are needed on PostgreSQL (postgresql-client)")
    settings.MEDIA_ROOT = tmp_path / "media"  # only this site's files
    guide = make_guide("respaldo", sections=1)
    run_job(guide.pk)
    assert Rendition.objects.filter(page=guide, state="live").exists()
    before = snapshot(client, guide.pk)
    assert before[1]  # audio is published

    # Back up: the database ...
    database_copy = tmp_path / "backup" / "altavoz.db"
    database_copy.parent.mkdir()
    back_up_database(database_copy)
    # ... and the media, through the storage (a local folder or an S3 bucket alike).
    call_command("backup_media", str(tmp_path / "backup" / "media"))

    # A fresh site: an empty database, an empty media storage.
    call_command("flush", interactive=False)
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    assert not Rendition.objects.exists()
    assert not default_storage.exists(next(iter(before[1])))

    # Restore.
    restore_database(database_copy)
    call_command("restore_media", str(tmp_path / "backup" / "media"))

    for rendition in Rendition.objects.all():
        with default_storage.open(rendition.audio.name, "rb") as file:
            assert hashlib.sha256(file.read()).hexdigest() == rendition.sha256
    after = snapshot(client, guide.pk)
    assert after[1] == before[1]  # the same files, byte for byte
    assert after[0] == before[0]  # the same API documents


def test_restore_media_checks_every_sum_before_writing_and_never_overwrites_silently(
    settings, tmp_path
):
    from django.core.files.base import ContentFile
    from django.core.management.base import CommandError

    settings.MEDIA_ROOT = tmp_path / "media"
    default_storage.save("audio/a.mp3", ContentFile(b"first"))
    default_storage.save("documents/b.pdf", ContentFile(b"second"))
    backup = tmp_path / "backup"
    call_command("backup_media", str(backup))
    assert set((backup / "SHA256SUMS").read_text().splitlines()) == {
        f"{hashlib.sha256(b'first').hexdigest()}  audio/a.mp3",
        f"{hashlib.sha256(b'second').hexdigest()}  documents/b.pdf",
    }
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup_media", str(backup))

    # A damaged copy: nothing is written, not even the files that are fine.
    settings.MEDIA_ROOT = tmp_path / "fresh"
    (backup / "documents/b.pdf").write_bytes(b"damaged")
    with pytest.raises(CommandError, match="documents/b.pdf"):
        call_command("restore_media", str(backup))
    assert not default_storage.exists("audio/a.mp3")
    (backup / "documents/b.pdf").write_bytes(b"second")

    # A file already there with other bytes stops the restore, unless --replace.
    default_storage.save("audio/a.mp3", ContentFile(b"changed since"))
    with pytest.raises(CommandError, match="other bytes"):
        call_command("restore_media", str(backup))
    call_command("restore_media", str(backup), replace=True)
    for name, data in (("audio/a.mp3", b"first"), ("documents/b.pdf", b"second")):
        with default_storage.open(name, "rb") as file:
            assert file.read() == data
    call_command("restore_media", str(backup))  # again: everything already in place


def test_media_in_an_s3_bucket_is_backed_up_and_restored_into_a_new_bucket(s3_server, tmp_path):
    """The same commands through the S3 storage (a real SeaweedFS server): bucket → folder →
    a fresh bucket, every object under its own key with its bytes."""
    from django.core.files.base import ContentFile

    from tests.object_storage import use_bucket

    files = {
        "audio/renditions/guia-listen.mp3": b"ID3" + bytes(range(256)) * 40,
        "radio/packages/altavoz-guia-es.zip": b"PK\x03\x04 zip",
        "original_images/foto.jpg": b"\xff\xd8\xff jpeg",
    }
    with use_bucket(s3_server, s3_server.new_bucket()) as old:
        for name, data in files.items():
            assert default_storage.save(name, ContentFile(data)) == name
        call_command("backup_media", str(tmp_path / "backup"))
    with use_bucket(s3_server, s3_server.new_bucket()) as new:
        assert not s3_server.keys(new)
        call_command("restore_media", str(tmp_path / "backup"))
        assert sorted(s3_server.keys(new)) == sorted(s3_server.keys(old)) == sorted(files)
        for name, data in files.items():
            with default_storage.open(name, "rb") as file:
                assert file.read() == data
