"""Admin sessions end when idle, end when the password changes, and ride on safe cookies."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.signing_in import sign_in

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_each_admin_request_restarts_the_idle_clock(client, member, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600  # the default ALTAVOZ_ADMIN_SESSION_HOURS
    sign_in(client, member)
    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert client.get("/admin/").status_code == 200
    left = session_row(client).expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < left <= timedelta(hours=8)


def test_an_idle_session_has_ended(client, member):
    sign_in(client, member)
    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_password_change_ends_the_other_sessions(client, member):
    sign_in(client, member)
    member.set_password("a new long passphrase")
    member.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_public_pages_do_not_touch_an_editors_session(client, member):
    """No Set-Cookie on a public page a cache might keep, even for a signed-in editor."""
    sign_in(client, member)
    response = client.get("/es/mixco/")
    assert response.status_code == 200 and not response.cookies


PRODUCTION_COOKIES = """
import json, django
from django.conf import settings
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

def view(request):
    request.session["signed_in"] = True
    get_token(request)
    return HttpResponse()

request = RequestFactory().get("/admin/", secure=True)
# Only the session's storage changes (no database here); its cookie comes from production's
# settings.
settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
response = SessionMiddleware(CsrfViewMiddleware(view))(request)
print(json.dumps({name: dict(morsel.items()) for name, morsel in response.cookies.items()}))
"""


def test_production_cookies_are_secure_http_only_and_same_site():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_COOKIES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "s" * 50,
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    assert result.returncode == 0, result.stderr
    cookies = json.loads(result.stdout)
    session, csrf = cookies["sessionid"], cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["max-age"] == 8 * 3600
    assert csrf["secure"] and csrf["samesite"] == "Lax"
