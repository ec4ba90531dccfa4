"""Backup and restore (README "Production", "Backups"): the database plus the media.

A site with published audio is backed up (the SQLite database with SQLite's
online backup, the media with ``backup_media``), then restored into an emptied
database and a new, empty media storage (``restore_media``). The restored
site must serve the same audio, byte for byte (the SHA-256 its rendition rows
record), and the same API documents.
"""

import hashlib
import sqlite3

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from audio.jobs import run_job
from audio.models import Rendition
from tests.audio.test_workers import make_guide

API_DOCUMENTS = ["/api/v2/guides/", "/api/v2/renditions/"]


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
    if connection.vendor != "sqlite":
        pytest.skip("the database half here is SQLite's backup; PostgreSQL's is pg_dump (README)")
    settings.MEDIA_ROOT = tmp_path / "media"  # only this site's files
    guide = make_guide("respaldo", sections=1)
    run_job(guide.pk)
    assert Rendition.objects.filter(page=guide, state="live").exists()
    before = snapshot(client, guide.pk)
    assert before[1]  # audio is published

    # Back up: the database (SQLite's online backup, like `sqlite3 db ".backup file"`) ...
    connection.ensure_connection()
    database_copy = tmp_path / "backup" / "altavoz.sqlite3"
    database_copy.parent.mkdir()
    with sqlite3.connect(database_copy) as copy:
        connection.connection.backup(copy)
    copy.close()
    # ... and the media, through the storage (a local folder or an S3 bucket alike).
    call_command("backup_media", str(tmp_path / "backup" / "media"))

    # A fresh site: an empty database, an empty media storage.
    call_command("flush", interactive=False)
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    assert not Rendition.objects.exists()
    assert not default_storage.exists(next(iter(before[1])))

    # Restore.
    with sqlite3.connect(database_copy) as copy:
        copy.backup(connection.connection)
    copy.close()
    call_command("restore_media", str(tmp_path / "backup" / "media"))

    for rendition in Rendition.objects.all():
        with default_storage.open(rendition.audio.name, "rb") as file:
            assert hashlib.sha256(file.read()).hexdigest() == rendition.sha256
    after = snapshot(client, guide.pk)
    assert after[1] == before[1]  # the same files, byte for byte
    assert after[0] == before[0]  # the same API documents
