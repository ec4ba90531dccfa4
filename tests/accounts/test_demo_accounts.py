"""`load_demo --admin` gives one account per group and says how to sign in."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def load_demo_admin():
    out = StringIO()
    call_command("load_demo", "--admin", stdout=out)
    return out.getvalue()


def test_demo_accounts_are_in_their_groups_and_the_output_says_how_to_sign_in():
    output = load_demo_admin()
    groups = {
        user.username: [g.name for g in user.groups.all()]
        for user in get_user_model().objects.filter(is_superuser=False)
    }
    assert groups == {
        "editora": ["Editores"],
        "traductora-en": ["Traductores (en)"],
        "traductora-cak": ["Traductores (cak)"],
        "emisora": ["Emisoras de radio"],
    }
    assert "scan the QR code" in output
    assert load_demo_admin().count("user 'emisora'") == 1  # runs again without duplicates


@override_settings(ALTAVOZ_ADMIN_2FA=False)
def test_with_two_factor_off_the_demo_says_the_password_is_enough():
    assert "the password is enough" in load_demo_admin()
