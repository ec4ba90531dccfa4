import re

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def member(db):
    """An editor who signs in with a password (the real form), before any second factor."""
    return get_user_model().objects.create_superuser("member", "member@example.invalid", "correct horse")


def password_sign_in(client, username="member", password="correct horse"):
    return client.post("/admin/login/", {"username": username, "password": password})


def secret_on(page):
    """The TOTP key as the enrolment page shows it (base32, spaced), as bytes."""
    from base64 import b32decode

    text = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page.content.decode()).group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))

