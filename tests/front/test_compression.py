"""Pages go out gzip-compressed (with cms.middleware.PublicGZipMiddleware); audio and admin
never."""

import gzip

import pytest

pytestmark = pytest.mark.django_db

GZIP = "cms.middleware.PublicGZipMiddleware"


@pytest.fixture
def compressing(settings):
    if GZIP not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(
            middleware.index("django.middleware.security.SecurityMiddleware") + 1, GZIP
        )
        settings.MIDDLEWARE = middleware
    return settings


def test_guide_page_is_compressed_about_five_fold(compressing, client):
    response = client.get("/es/mixco/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content)
    assert b'<html lang="es">' in html
    assert len(response.content) * 4 < len(html)
    assert not response.cookies


def test_service_worker_is_compressed(compressing, client):
    response = client.get("/sw.js", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_audio_and_admin_are_left_alone(compressing, client, admin_client, small_guide):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tests.audio.fixtures import rendition_for

    data = b"ID3" + bytes(5000)
    name = default_storage.save("audio/renditions/9/x-listen.mp3", ContentFile(data))
    rendition_for(small_guide, name, data)
    response = client.get(f"/media/{name}", HTTP_ACCEPT_ENCODING="gzip", HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206 and not response.has_header("Content-Encoding")
    default_storage.delete(name)
    response = admin_client.get("/admin/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")


def test_without_accept_encoding_nothing_changes(compressing, client):
    response = client.get("/es/mixco/")
    assert not response.has_header("Content-Encoding")
