"""Audio files are served with Range support (iPhones need 206) and right headers.

Only files of renditions the public may see are served (``cms.visibility``);
``tests/test_visibility.py`` covers what is refused.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.audio.fixtures import rendition_for


@pytest.fixture
def stored_file(small_guide):
    data = bytes(range(256)) * 40  # 10,240 bytes
    name = default_storage.save("audio/renditions/1/test-listen.mp3", ContentFile(data))
    rendition_for(small_guide, name, data)
    yield name, data
    default_storage.delete(name)


def test_whole_file_with_type_length_and_cache_headers(client, stored_file):
    name, data = stored_file
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert "immutable" in response["Cache-Control"]
    assert not response.cookies


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=0-1", 0, 1),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_range_requests_get_206_with_exactly_those_bytes(client, stored_file, header, start, end):
    name, data = stored_file
    response = client.get(f"/media/{name}", HTTP_RANGE=header)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert response["Content-Length"] == str(end - start + 1)


def test_unsatisfiable_range_is_416(client, stored_file):
    name, data = stored_file
    response = client.get(f"/media/{name}", HTTP_RANGE="bytes=20000-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize(
    "header, status, start, end",
    [
        # A first byte past any file: unsatisfiable, as for any start past the end.
        ("bytes=" + "9" * 5000 + "-", 416, None, None),
        ("bytes=0000000000000000000000000000100-199", 206, 100, 199),
        # A last byte past the end means "to the end"; a suffix longer than the file, all of it.
        ("bytes=10000-" + "9" * 5000, 206, 10000, 10239),
        ("bytes=-" + "9" * 5000, 206, 0, 10239),
    ],
)
def test_range_numbers_of_any_length_are_read_as_rfc_9110_says(
    client, stored_file, header, status, start, end
):
    """Python refuses int() of over 4,300 digits; such a Range is still answered, not a 500."""
    name, data = stored_file
    response = client.get(f"/media/{name}", HTTP_RANGE=header)
    assert response.status_code == status
    if status == 206:
        assert b"".join(response.streaming_content) == data[start : end + 1]
        assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    else:
        assert response["Content-Range"] == f"bytes */{len(data)}"


def test_conditional_get_is_304(client, stored_file):
    name, _data = stored_file
    etag = client.get(f"/media/{name}")["ETag"]
    assert client.get(f"/media/{name}", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize(
    "if_none_match", ["*", '"other", {etag}', '"a","b" ,{etag}', "W/{etag}", '"x", W/{etag}']
)
def test_if_none_match_is_read_as_rfc_9110_says(client, stored_file, if_none_match):
    """`*` matches any existing file; a list matches if any member does; weak comparison."""
    name, _data = stored_file
    first = client.get(f"/media/{name}")
    response = client.get(
        f"/media/{name}", HTTP_IF_NONE_MATCH=if_none_match.format(etag=first["ETag"])
    )
    assert response.status_code == 304
    assert response.content == b""
    for header in ("ETag", "Last-Modified", "Cache-Control"):
        assert response[header] == first[header]


def test_if_none_match_that_matches_nothing_gets_the_file_whatever_if_modified_since_says(
    client, stored_file
):
    """RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present."""
    name, data = stored_file
    first = client.get(f"/media/{name}")
    response = client.get(
        f"/media/{name}",
        HTTP_IF_NONE_MATCH='"older", W/"other"',
        HTTP_IF_MODIFIED_SINCE=first["Last-Modified"],
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data


@pytest.mark.django_db  # a 404 consults Wagtail's redirects
@pytest.mark.parametrize(
    "path",
    [
        "../config/settings/base.py",
        "audio/../../../etc/passwd",
        "nothing-here.mp3",
        "%00",
        "audio/x%00.mp3",
        "a" * 300 + ".mp3",
    ],
)
def test_paths_outside_media_or_missing_are_404(client, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_only_safe_methods(client, stored_file):
    name, _data = stored_file
    assert client.post(f"/media/{name}").status_code == 405


def test_a_failed_if_match_is_412_and_a_passing_one_gets_the_file(client, stored_file):
    """A download resumed with If-Match never gets bytes of another file."""
    name, data = stored_file
    etag = client.get(f"/media/{name}")["ETag"]
    assert (
        client.get(
            f"/media/{name}", HTTP_IF_MATCH='"another-file"', HTTP_RANGE="bytes=0-1"
        ).status_code
        == 412
    )
    response = client.get(f"/media/{name}", HTTP_IF_MATCH=etag, HTTP_RANGE="bytes=0-1")
    assert response.status_code == 206 and b"".join(response.streaming_content) == data[:2]


def test_if_range_resumes_only_the_same_file(client, stored_file):
    """A download resumed after the file changed gets the whole new file, not a splice of two."""
    name, data = stored_file
    first = client.get(f"/media/{name}")
    same = client.get(f"/media/{name}", HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=first["ETag"])
    assert same.status_code == 206 and b"".join(same.streaming_content) == data[100:200]
    by_date = client.get(
        f"/media/{name}", HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=first["Last-Modified"]
    )
    assert by_date.status_code == 206
    changed = client.get(
        f"/media/{name}", HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE='"another-file"'
    )
    assert changed.status_code == 200 and b"".join(changed.streaming_content) == data


def test_a_bucket_that_does_not_answer_is_503_with_retry_after_not_404_or_500(client):
    """An S3 outage (nothing listens at the endpoint): the visitor is told to come back,
    with a limited wait in the client (botocore's default is a minute of retries)."""
    from tests.object_storage import unreachable_bucket

    with unreachable_bucket():
        assert default_storage.client_config.connect_timeout <= 5
        response = client.get("/media/audio/renditions/1/test-listen.mp3")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
