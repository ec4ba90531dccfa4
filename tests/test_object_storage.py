"""Media in an S3 bucket (a real SeaweedFS server, tests/object_storage.py).

Uploads, generated audio and radio packages land in the bucket and nowhere on
disk; listeners still get every file from the site's own /media/ after the
visibility check, with Range, 304 and 416 as from the disk.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from audio.jobs import run_job
from audio.models import Rendition
from audio.radio.downloads import build_requested_package
from audio.radio.models import RadioPackage
from config.storage import S3MediaStorage
from tests.audio.fixtures import live, make_audio_file, rendition_for
from tests.audio.test_audio_admin import upload
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db
FIRST = "11111111-1111-4111-8111-111111111111"
THIRD = "33333333-3333-4333-8333-333333333333"


def files_on_disk():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def stored_in_s3(s3_storage, small_guide):
    data = bytes(range(256)) * 40  # 10,240 bytes
    name = default_storage.save("audio/renditions/1/s3-listen.mp3", ContentFile(data))
    rendition_for(small_guide, name, data)
    return name, data


def test_the_default_storage_is_the_bucket_and_urls_stay_on_the_site(s3_storage):
    server, bucket = s3_storage
    name = default_storage.save("audio/renditions/1/x.mp3", ContentFile(b"abc"))
    assert isinstance(default_storage._wrapped, S3MediaStorage)
    assert server.keys(bucket) == [name]
    assert default_storage.url(name) == f"/media/{name}"  # no bucket address, no signature
    acl = server.client().get_object_acl(Bucket=bucket, Key=name)
    assert not [g for g in acl.get("Grants", []) if "AllUsers" in str(g.get("Grantee"))]


def test_serving_from_the_bucket_whole_ranges_304_and_416(client, stored_in_s3):
    name, data = stored_in_s3
    whole = client.get(f"/media/{name}")
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == data
    assert whole["Content-Length"] == str(len(data))
    assert whole["Content-Type"] == "audio/mpeg"
    assert whole["Accept-Ranges"] == "bytes"

    part = client.get(f"/media/{name}", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == data[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(f"/media/{name}", HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]

    again = client.get(f"/media/{name}", HTTP_IF_NONE_MATCH=whole["ETag"])
    assert again.status_code == 304 and again["ETag"] == whole["ETag"]
    since = client.get(f"/media/{name}", HTTP_IF_MODIFIED_SINCE=whole["Last-Modified"])
    assert since.status_code == 304

    beyond = client.get(f"/media/{name}", HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(data)}"
    assert client.get("/media/audio/renditions/1/missing.mp3").status_code == 404
    assert client.get("/media/audio/../audio/renditions/1/s3-listen.mp3").status_code == 404


def test_a_rendition_that_is_not_public_is_404_from_the_bucket_too(client, s3_storage, small_guide):
    run_job(small_guide.pk)
    name = live(small_guide)["listen"].audio.name
    server, bucket = s3_storage
    assert name in server.keys(bucket)
    assert client.get(f"/media/{name}").status_code == 200
    small_guide.unpublish()
    assert client.get(f"/media/{name}").status_code == 404
    # An object in the bucket that no rendition names is never served either.
    other = default_storage.save("radio/packages/x.zip", ContentFile(b"zip"))
    assert client.get(f"/media/{other}").status_code == 404


def test_behind_nginx_the_answer_names_the_object_key(client, stored_in_s3, settings):
    settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    name, _data = stored_in_s3
    response = client.get(f"/media/{name}")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{name}"


def test_uploaded_recordings_and_published_audio_go_to_the_bucket_only(
    admin_client, s3_storage, small_guide, settings, client
):
    server, bucket = s3_storage
    before = files_on_disk()
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": ["recorded", "espeak"]}
    for section_id in ["intro", FIRST, THIRD]:
        response = upload(admin_client, small_guide, section_id, make_audio_file(1.5))
        assert response.status_code == 200
    run_job(small_guide.pk)
    renditions = Rendition.objects.filter(page=small_guide, state="live")
    assert {r.variant for r in renditions} >= {"listen", "lowdata"}
    keys = set(server.keys(bucket))
    for rendition in renditions:
        for field in (rendition.audio, rendition.captions, rendition.chapters):
            if field:
                assert field.name in keys
    assert any(key.endswith(".wav") for key in keys)  # the recordings themselves
    assert files_on_disk() == before  # nothing written under MEDIA_ROOT

    client.logout()
    listen = renditions.get(variant="listen").audio.name
    response = client.get(f"/media/{listen}", HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == default_storage.open(listen).read(4)


def test_a_radio_package_is_built_into_the_bucket_and_downloaded_from_it(
    admin_client, s3_storage, small_guide, django_capture_on_commit_callbacks
):
    server, bucket = s3_storage
    before = files_on_disk()
    run_job(small_guide.pk)
    spanish_audio = small_guide
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("radio_admin:package", args=[spanish_audio.pk]))
    package = RadioPackage.objects.get(page=spanish_audio)
    assert build_requested_package(package.pk) == "ready"
    package.refresh_from_db()
    assert package.file.name in server.keys(bucket)
    response = admin_client.get(reverse("radio_admin:download", args=[spanish_audio.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    downloaded = b"".join(response.streaming_content)
    assert len(downloaded) == package.size_bytes
    with default_storage.open(package.file.name) as stored:
        assert downloaded == stored.read()
    assert downloaded[:2] == b"PK"
    assert files_on_disk() == before


def test_production_keeps_media_on_disk_unless_a_bucket_is_named():
    show = (
        "import json, config.settings.production as s; "
        "print(json.dumps(s.STORAGES['default'], sort_keys=True))"
    )
    secret = "x" * 50
    on_disk = run_python("-c", show, DJANGO_SECRET_KEY=secret, ALTAVOZ_S3_BUCKET=None)
    assert on_disk.stdout.strip() == (
        '{"BACKEND": "django.core.files.storage.FileSystemStorage"}'
    ), on_disk.stderr
    in_s3 = run_python(
        "-c",
        show,
        DJANGO_SECRET_KEY=secret,
        ALTAVOZ_S3_BUCKET="media",
        ALTAVOZ_S3_ENDPOINT_URL="https://s3.example.org",
        ALTAVOZ_S3_ACCESS_KEY_ID="key",
        ALTAVOZ_S3_SECRET_ACCESS_KEY="secret",
        ALTAVOZ_S3_REGION="region-1",
    )
    assert json.loads(in_s3.stdout) == {
        "BACKEND": "config.storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": "media",
            "endpoint_url": "https://s3.example.org",
            "access_key": "key",
            "secret_key": "secret",
            "region_name": "region-1",
            "default_acl": None,  # private: the bucket's own (no public ACL)
            "querystring_auth": False,  # no signed URLs handed out
            "file_overwrite": False,
        },
    }, in_s3.stderr


def test_a_range_is_one_ranged_get_not_the_whole_object(client, stored_in_s3, monkeypatch):
    name, data = stored_in_s3
    s3 = default_storage.connection.meta.client
    asked = []
    get_object = s3.get_object

    def recording(**params):
        asked.append(params.get("Range"))
        return get_object(**params)

    monkeypatch.setattr(s3, "get_object", recording)
    response = client.get(f"/media/{name}", HTTP_RANGE="bytes=1000-1099")
    assert b"".join(response.streaming_content) == data[1000:1100]
    assert asked == ["bytes=1000-1099"]


def head_requests(monkeypatch):
    """The HEAD requests the site's S3 client makes from now on (a list of keys)."""
    s3 = default_storage.connection.meta.client
    asked = []
    head_object = s3.head_object

    def recording(**params):
        asked.append(params["Key"])
        return head_object(**params)

    monkeypatch.setattr(s3, "head_object", recording)
    return asked


def test_a_listeners_next_chunks_of_a_content_named_file_skip_the_head(
    client, stored_in_s3, monkeypatch
):
    name, data = stored_in_s3
    heads = head_requests(monkeypatch)
    for start in (0, 4096, 8192):
        response = client.get(f"/media/{name}", HTTP_RANGE=f"bytes={start}-{start + 2047}")
        assert response.status_code == 206
        assert b"".join(response.streaming_content) == data[start : start + 2048]
        assert response["Content-Range"] == f"bytes {start}-{start + 2047}/{len(data)}"
    assert len(heads) == 1


def test_a_file_deleted_after_its_head_was_remembered_is_404_not_a_crash(
    client, stored_in_s3, monkeypatch
):
    name, _data = stored_in_s3
    assert client.get(f"/media/{name}", HTTP_RANGE="bytes=0-99").status_code == 206
    default_storage.delete(name)  # as the cleanup sweep does, in another process
    assert client.get(f"/media/{name}", HTTP_RANGE="bytes=0-99").status_code == 404
    heads = head_requests(monkeypatch)
    assert client.get(f"/media/{name}").status_code == 404
    assert len(heads) == 1  # forgotten at the failed read: asked again


def test_files_that_may_be_rewritten_in_place_are_asked_every_time(
    client, s3_storage, small_guide, monkeypatch
):
    data = b"x" * 3000
    name = default_storage.save("audio/recordings/1/take.wav", ContentFile(data))
    rendition_for(small_guide, name, data)  # public, so the view reaches the storage
    heads = head_requests(monkeypatch)
    for _ in range(2):
        assert client.get(f"/media/{name}", HTTP_RANGE="bytes=0-9").status_code == 206
    assert len(heads) == 2
