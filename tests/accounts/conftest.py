import re

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def member(db):
    """An editor who signs in with a password (the real form), before any second factor."""
    return get_user_model().objects.create_superuser(
        "member", "member@example.invalid", "correct horse"
    )


def password_sign_in(client, username="member", password="correct horse"):
    return client.post("/admin/login/", {"username": username, "password": password})


def secret_on(page):
    """The TOTP key as the enrolment page shows it (base32, spaced), as bytes."""
    from base64 import b32decode

    text = (
        re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page.content.decode())
        .group(1)
        .replace(" ", "")
    )
    return b32decode(text + "=" * (-len(text) % 8))


@pytest.fixture
def groups(db):
    from cms.accounts.groups import setup_groups

    setup_groups()


@pytest.fixture
def account_in(groups):
    """account_in("Traductores (cak)") -> a signed-in client of a new account in that group only."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.signing_in import sign_in

    def make(group_name):
        user = get_user_model().objects.create_user(group_name.split()[0].lower(), password="pw")
        user.groups.add(Group.objects.get(name=group_name))
        client = sign_in(Client(), user)
        client.user = user
        return client

    return make


from tests.radio.conftest import spanish_audio  # noqa: E402,F401  (a fixture)
