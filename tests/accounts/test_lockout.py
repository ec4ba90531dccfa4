"""Lockout: repeated failed admin sign-ins stop an account, or a client, for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext, override

from cms.accounts.retention import prune_sign_in_records

from .conftest import password_sign_in

pytestmark = pytest.mark.django_db


def fail(client, times, username="member", **extra):
    for _ in range(times):
        response = client.post(
            "/admin/login/", {"username": username, "password": "wrong"}, **extra
        )
    return response


def test_an_account_is_locked_after_n_failures_even_with_the_right_password(
    client, member, settings
):
    assert fail(client, settings.AXES_FAILURE_LIMIT - 1).status_code == 200  # the form again
    locked = fail(client, 1)
    assert locked.status_code == 429
    assert "Demasiados intentos fallidos" in locked.content.decode()
    assert "15 minutos" in locked.content.decode()
    # The right password, from a different client, does not get in while the account is locked.
    response = password_sign_in(client.__class__(REMOTE_ADDR="198.51.100.7"))
    assert response.status_code == 429


def test_a_client_is_locked_after_n_failures_whatever_the_account(client, member, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail(client, 1, username=f"guess{number}")
    assert password_sign_in(client).status_code == 429
    # The account itself is not locked: from another address it signs in.
    assert password_sign_in(client.__class__(REMOTE_ADDR="198.51.100.7")).status_code == 302


def test_the_lock_is_released_after_the_cool_off(client, member, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert password_sign_in(client).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert password_sign_in(client).status_code == 302


@override_settings(ALTAVOZ_API_TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw(client, member, settings):
    """A client cannot dodge the lock by inventing X-Forwarded-For entries: only the proxy's own
    counts."""
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail(
            client,
            1,
            username=f"guess{number}",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.9",
        )
    assert (
        AccessAttempt.objects.filter(ip_address="203.0.113.9").count()
        == settings.AXES_FAILURE_LIMIT
    )
    response = client.post(
        "/admin/login/",
        {"username": "member", "password": "correct horse"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 429


def test_the_lockout_message_has_an_english_translation(client, member, settings):
    with override("en"):
        assert gettext("Acceso bloqueado") == "Access blocked"
    locked = fail(client, settings.AXES_FAILURE_LIMIT, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many failed sign-ins" in locked.content.decode()


def test_visitors_of_public_pages_are_never_recorded(client):
    response = client.get("/es/mixco/")
    assert response.status_code == 200 and not response.cookies
    assert not AccessAttempt.objects.exists() and not AccessLog.objects.exists()


def test_sign_in_records_are_deleted_after_the_retention(client, member, settings):
    fail(client, 2)
    password_sign_in(client)
    assert (
        AccessLog.objects.count() == 1 and AccessAttempt.objects.count() == 0
    )  # a success clears failures
    fail(client, 1)
    later = timezone.now() + timedelta(days=settings.ALTAVOZ_SIGN_IN_RECORDS_DAYS, seconds=1)
    assert prune_sign_in_records(now=later) == 2
    assert not AccessLog.objects.exists() and not AccessAttempt.objects.exists()
