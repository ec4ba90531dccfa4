"""Reach counts: plays, ends, saves, radio downloads and feed fetches, counted per day on the
server without knowing anyone (audio/reach.py), and shown to editors with "< 5"."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Locale, PageViewRestriction

from audio import reach
from audio.models import ReachCount, Rendition
from tests.audio.fixtures import rendition_for
from tests.concurrency import at_once

SIZE = 10_240


@pytest.fixture
def audio_file(small_guide):
    """A public guide's live rendition file of SIZE bytes; yields its /media/ URL."""
    data = bytes(range(256)) * (SIZE // 256)
    name = default_storage.save("audio/renditions/1/reach-listen.mp3", ContentFile(data))
    rendition_for(small_guide, name, data)
    yield f"/media/{name}"
    default_storage.delete(name)


def counts(kind=None):
    """{kind: today's total} over every row (or the total of one kind)."""
    totals = {}
    for row in ReachCount.objects.all():
        totals[row.kind] = totals.get(row.kind, 0) + row.count
    return totals.get(kind, 0) if kind else totals


def get(client, url, **headers):
    """A GET read to its end, as a server sends it: counting happens when the answer closes."""
    response = client.get(url, **headers)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.django_db
def test_a_play_is_counted_once_from_byte_zero_and_never_for_the_middle_head_or_304(
    client, audio_file, small_guide
):
    get(client, audio_file, HTTP_RANGE="bytes=0-")
    assert counts() == {"play": 1}
    row = ReachCount.objects.get()
    assert (row.day, row.page_id, row.locale.language_code, row.variant) == (
        timezone.localdate(),
        small_guide.pk,
        "es",
        "listen",
    )

    etag = get(client, audio_file, HTTP_RANGE="bytes=100-8291")["ETag"]  # a chunk from the middle
    assert client.head(audio_file).status_code == 200
    assert get(client, audio_file, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert get(client, audio_file, HTTP_RANGE="bytes=0-1").status_code == 206  # Safari's probe
    assert get(client, audio_file, HTTP_RANGE="bytes=20000-").status_code == 416
    assert counts() == {"play": 1}

    get(client, audio_file)  # a plain download (no Range) is a play too
    get(client, audio_file, HTTP_RANGE="bytes=0-8191")  # the front's first request
    assert counts() == {"play": 3}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, counted",
    [
        (f"bytes={SIZE - 4096}-", True),  # the player's last chunk, to the end
        (f"bytes={SIZE - 4096}-{SIZE - 1}", True),  # the same, its end spelled out
        (f"bytes={SIZE - 4096}-99999999", True),  # a last byte past the end means "to the end"
        (f"bytes={SIZE - 4096}-{SIZE - 2}", False),  # stops one byte short
        ("bytes=-128", False),  # a suffix: a tail read for metadata, not listening
    ],
)
def test_listened_to_the_end_is_a_range_from_past_zero_that_includes_the_last_byte(
    client, audio_file, header, counted
):
    response = get(client, audio_file, HTTP_RANGE=header)
    assert response.status_code == 206
    assert counts() == ({"end": 1} if counted else {})


@pytest.mark.django_db
def test_the_fronts_save_is_counted_as_a_save_and_not_as_a_play(client, audio_file):
    response = get(client, audio_file + "?guardar=1")
    assert response.status_code == 200
    assert counts() == {"save": 1}
    get(client, audio_file + "?guardar=0")
    assert counts() == {"save": 1, "play": 1}


@pytest.mark.django_db
def test_a_saved_guide_refreshing_itself_is_neither_a_play_nor_a_new_save(client, audio_file):
    response = get(client, audio_file + "?actualizar=1")
    assert response.status_code == 200
    assert counts() == {}


@pytest.mark.django_db
def test_captions_chapters_and_editors_own_listening_are_not_counted(
    client, admin_client, audio_file, small_guide
):
    data = b"WEBVTT\n\n"
    captions = default_storage.save("audio/renditions/1/reach.vtt", ContentFile(data))
    Rendition.objects.filter(page=small_guide).update(captions=captions)
    assert get(client, f"/media/{captions}").status_code == 200
    get(admin_client, audio_file)  # the audio tab's player
    assert counts() == {}
    default_storage.delete(captions)


@pytest.mark.django_db
def test_a_private_guide_counts_nothing(client, audio_file, small_guide):
    PageViewRestriction.objects.create(
        page=small_guide, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    for header in ("bytes=0-", f"bytes={SIZE - 100}-"):
        assert get(client, audio_file, HTTP_RANGE=header).status_code == 404
    assert get(client, audio_file + "?guardar=1").status_code == 404
    assert not ReachCount.objects.exists()


@pytest.mark.django_db
def test_behind_nginx_the_request_decides_what_counts(client, audio_file, settings):
    settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    assert get(client, audio_file, HTTP_RANGE="bytes=0-").has_header("X-Accel-Redirect")
    get(client, audio_file, HTTP_RANGE="bytes=4000-4999")
    get(client, audio_file, HTTP_RANGE="bytes=0-", HTTP_IF_NONE_MATCH='"x"')  # nginx may 304
    get(client, audio_file, HTTP_RANGE=f"bytes={SIZE - 10}-")
    client.head(audio_file)
    assert counts() == {"play": 1, "end": 1}


@pytest.mark.django_db
def test_a_counted_answer_asks_the_visibility_rule_once(client, audio_file, settings, monkeypatch):
    """The serving view's check is reused by the count (a chunk behind nginx cost twice
    the queries before)."""
    import audio.listening
    import audio.reach
    import audio.serving

    asked = []
    rule = audio.listening.public_rendition_for_file

    def counted_rule(*args, **kwargs):
        asked.append(args[0])
        return rule(*args, **kwargs)

    monkeypatch.setattr(audio.serving, "public_rendition_for_file", counted_rule)
    monkeypatch.setattr(audio.reach, "public_rendition_for_file", counted_rule)
    settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    get(client, audio_file, HTTP_RANGE="bytes=0-")
    get(client, audio_file, HTTP_RANGE="bytes=4000-4999")
    assert len(asked) == 2 and counts() == {"play": 1}


@pytest.mark.django_db
def test_media_answers_set_no_cookie_and_the_counts_hold_nothing_about_the_client(
    client, audio_file
):
    response = get(
        client,
        audio_file,
        HTTP_RANGE="bytes=0-",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 9; moto g(7))",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        REMOTE_ADDR="198.51.100.7",
    )
    assert not response.cookies and not response.has_header("Set-Cookie")
    fields = {field.name for field in ReachCount._meta.get_fields()}
    assert fields == {"id", "day", "page", "locale", "variant", "kind", "count"}
    assert ReachCount._meta.get_field("day").get_internal_type() == "DateField"  # no time of day
    stored = [str(value) for value in ReachCount.objects.values_list().get()]
    for detail in ("203.0.113.9", "198.51.100.7", "Android", "moto"):
        assert not any(detail in value for value in stored)


@pytest.mark.django_db
def test_a_database_error_while_counting_is_swallowed_and_logged_once_without_the_visitor(
    client, audio_file, caplog, monkeypatch
):
    monkeypatch.setattr(reach, "_warned_at", float("-inf"))
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"DROP TABLE {ReachCount._meta.db_table}")
    with caplog.at_level(logging.WARNING, logger="audio.reach"):
        for _ in range(3):
            response = get(client, audio_file, HTTP_RANGE="bytes=0-", REMOTE_ADDR="198.51.100.7")
            assert response.status_code == 206
    warnings = [r for r in caplog.records if r.name == "audio.reach"]
    assert len(warnings) == 1 and "Reach not counted" in warnings[0].getMessage()
    assert "198.51.100.7" not in warnings[0].getMessage()
    assert audio_file.rsplit("/", 1)[1] not in warnings[0].getMessage()


@pytest.mark.django_db
def test_feed_fetches_are_counted_per_locale_and_feed_but_not_head(client, spanish_audio):
    first = client.get("/feeds/es/podcast.xml")
    client.get("/feeds/es/podcast.xml", HTTP_IF_NONE_MATCH=first["ETag"])  # an app polling
    client.get("/feeds/es/radio.xml")
    client.head("/feeds/es/radio.xml")
    assert client.get("/feeds/xx/radio.xml").status_code == 404
    rows = {
        (row.page_id, row.locale.language_code, row.variant, row.kind): row.count
        for row in ReachCount.objects.all()
    }
    assert rows == {(None, "es", "podcast", "feed"): 2, (None, "es", "radio", "feed"): 1}


@pytest.mark.django_db
def test_a_radio_package_download_is_counted(admin_client, spanish_audio):
    from wagtail.models import Page

    from audio.radio.downloads import build_requested_package, request_package
    from audio.radio.models import RadioPackage

    request_package(Page.objects.get(pk=spanish_audio.pk).specific)  # as a request reads it
    build_requested_package(RadioPackage.objects.get(page=spanish_audio).pk)
    download = reverse("radio_admin:download", args=[spanish_audio.pk])
    assert get(admin_client, download).status_code == 200
    row = ReachCount.objects.get()
    assert (row.page_id, row.kind, row.variant, row.count) == (
        spanish_audio.pk,
        "radio_package",
        "radio",
        1,
    )


# --- counting at the same moment ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_counts_lose_nothing(small_guide):
    """Eight threads counting the same key at once (the day's first row included)."""
    es = Locale.objects.get(language_code="es")
    threads_n, each = 8, 25

    def count():
        for _ in range(each):
            reach.record("play", page=small_guide, locale=es, variant="listen")

    at_once(count, threads_n)
    assert ReachCount.objects.get().count == threads_n * each


# --- what editors see ----------------------------------------------------------------------


def add_counts(page, **totals):
    """Rows for ``page`` today and 40 days ago (outside a 30-day period)."""
    for kind, total in totals.items():
        for day in (timezone.localdate(), timezone.localdate() - timedelta(days=40)):
            ReachCount.objects.create(
                day=day, page=page, locale=page.locale, variant="listen", kind=kind, count=total
            )


def report_cells(response):
    html = response.content.decode()
    table = html.split('id="reach-table"', 1)[1].split("</table>", 1)[0]
    return [cell.split("</td>", 1)[0] for cell in table.split("<td data-reach-count>")[1:]]


@pytest.mark.django_db
def test_the_report_and_its_csv_show_small_counts_as_below_the_threshold(
    admin_client, small_guide, settings
):
    add_counts(small_guide, play=7, end=3, save=1)
    url = reverse("altavoz_audio:report")
    cells = report_cells(admin_client.get(url + "?periodo=30"))
    # play, end, save, radio packages, feed: 7 and "< 5" for this period; 0 is no one.
    assert cells == ["7", "&lt; 5", "&lt; 5", "0", "0"]
    cells = report_cells(admin_client.get(url + "?periodo=365"))
    assert cells == ["14", "6", "&lt; 5", "0", "0"]

    response = admin_client.get(reverse("altavoz_audio:reach_csv") + "?periodo=30")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0][:4] == ["Guía corta", str(small_guide.pk), "es", "listen"]
    assert rows[0][-5:] == ["7", "< 5", "< 5", "0", "0"]

    settings.ALTAVOZ_REACH_MIN_COUNT = 10
    assert report_cells(admin_client.get(url + "?periodo=30"))[0] == "&lt; 10"


@pytest.mark.django_db
def test_a_period_other_than_7_30_or_365_days_is_refused_clearly(admin_client, small_guide):
    response = admin_client.get(reverse("altavoz_audio:reach_csv") + "?periodo=9999")
    assert response.status_code == 400 and "7, 30 o 365" in response.content.decode()
    response = admin_client.get(reverse("altavoz_audio:report") + "?periodo=abc", follow=True)
    assert response.status_code == 200 and "7, 30 o 365" in response.content.decode()


@pytest.mark.django_db
def test_reach_is_for_staff_who_may_see_the_guide_and_the_csv_is_never_public(
    client, small_guide, account_in
):
    add_counts(small_guide, play=9)
    csv_url = reverse("altavoz_audio:reach_csv")
    response = client.get(csv_url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    station = account_in("Emisoras de radio")
    assert station.get(csv_url).status_code in (302, 403)
    assert not report_cells(station.get(reverse("altavoz_audio:report")))

    translator = account_in("Traductores (cak)")  # may not see the Spanish guide
    assert not report_cells(translator.get(reverse("altavoz_audio:report")))
    editor = account_in("Editores")
    assert report_cells(editor.get(reverse("altavoz_audio:report")))[0] == "9"
    assert "Guía corta" in editor.get(csv_url).content.decode()
