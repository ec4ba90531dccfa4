"""No caller number is kept: not in the database, not in the logs, not in an error report."""

import logging

import pytest
from django.db import connection
from django.views.debug import ExceptionReporter

from .conftest import give_phone_audio
from .twiml import CALLER, TOKEN, press, signed_post

NUMBER_DIGITS = CALLER["From"].lstrip("+")  # however it might be written


@pytest.fixture
def voiced(settings, spanish_menu, phone_guide):
    settings.ALTAVOZ_PHONE_AUTH_TOKEN = TOKEN
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    give_phone_audio(spanish_menu)
    give_phone_audio(phone_guide)


def every_table_as_text():
    text = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            text.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(text)


def test_a_call_leaves_the_number_in_no_table_and_no_log(client, voiced, caplog):
    caplog.set_level(logging.DEBUG)
    answer = press(client, signed_post(client, "/telefono/voz/"), "1")
    press(client, answer, "#")
    signed_post(client, "/telefono/voz/", signature="bm8=")  # refused, and logged as a 403
    from audio.phone.models import PhoneListen

    assert PhoneListen.objects.exists()  # the call went into a guide: something was written
    assert NUMBER_DIGITS not in every_table_as_text()
    for record in caplog.records:
        assert NUMBER_DIGITS not in record.getMessage()
        assert NUMBER_DIGITS not in repr(record.args)
    assert any(
        record.status_code == 403 for record in caplog.records if hasattr(record, "status_code")
    )


def test_an_error_report_hides_the_number(client, voiced, monkeypatch, caplog):
    from audio.phone import lines

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(lines, "current_line", broken)
    client.raise_request_exception = False
    caplog.set_level(logging.ERROR, logger="django.request")
    answer = signed_post(client, "/telefono/voz/")
    assert answer.status == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    report = ExceptionReporter(record.request, *record.exc_info)
    assert "the database went away" in report.get_traceback_text()
    assert NUMBER_DIGITS not in report.get_traceback_text()
    assert NUMBER_DIGITS not in report.get_traceback_html()
