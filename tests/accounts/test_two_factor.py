"""Two-factor sign-in: a password alone never opens the admin (tests through the real forms)."""

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from .conftest import password_sign_in, secret_on

pytestmark = pytest.mark.django_db


def enrol(client):
    """Password, then the enrolment page: scan (read the key), type a code; returns the recovery
    codes."""
    password_sign_in(client)
    page = client.get("/admin/two-factor/enrol/?next=/admin/")
    key = secret_on(page)
    response = client.post(
        "/admin/two-factor/enrol/", {"token": f"{totp(key):06d}", "next": "/admin/"}
    )
    assert response.status_code == 200
    return key, response.context["codes"]


def fresh_step(user):
    # TOTP refuses a code of a time step already used (replays): a test that signs in
    # twice within 30 seconds forgets the last step, as if the next one had come.
    TOTPDevice.objects.filter(user=user).update(last_t=-1)


def test_a_password_alone_leads_to_enrolment_not_to_the_admin(client, member):
    response = password_sign_in(client)
    assert response.status_code == 302
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/two-factor/enrol/?next=%2Fadmin%2Fpages%2F")
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        "<svg" in body and "data-totp-secret" in body
    )  # QR drawn here, no image service sees the key
    assert "https://" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )


def test_enrolment_with_a_correct_code_opens_the_admin_and_gives_recovery_codes(client, member):
    _key, codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert ModelLogEntry.objects.filter(action="altavoz.two_factor_enrol", user=member).exists()


def test_a_wrong_code_does_not_enrol(client, member):
    password_sign_in(client)
    client.get("/admin/two-factor/enrol/")
    response = client.post("/admin/two-factor/enrol/", {"token": "000000"})
    assert "no es válido" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    assert client.get("/admin/").status_code == 302


def test_an_enrolled_editor_needs_the_code_at_every_sign_in(client, member):
    key, _codes = enrol(client)
    client.post("/admin/logout/")
    fresh_step(member)

    password_sign_in(client)
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/two-factor/verify/")
    wrong = client.post("/admin/two-factor/verify/", {"token": "123456", "next": "/admin/"})
    assert wrong.status_code == 200 and "no es válido" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    TOTPDevice.objects.filter(user=member).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )

    right = client.post(
        "/admin/two-factor/verify/", {"token": f"{totp(key):06d}", "next": "/admin/pages/"}
    )
    assert (right.status_code, right["Location"]) == (302, "/admin/pages/")
    assert client.get("/admin/").status_code == 200


def test_the_second_factor_cannot_send_you_to_another_site(client, member):
    key, _codes = enrol(client)
    client.post("/admin/logout/")
    fresh_step(member)
    password_sign_in(client)
    response = client.post(
        "/admin/two-factor/verify/", {"token": f"{totp(key):06d}", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_a_recovery_code_works_once(client, member):
    _key, codes = enrol(client)
    client.post("/admin/logout/")

    password_sign_in(client)
    response = client.post(
        "/admin/two-factor/verify/", {"token": codes[0].upper(), "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert ModelLogEntry.objects.filter(action="altavoz.recovery_code_used", user=member).exists()
    client.post("/admin/logout/")

    password_sign_in(client)
    again = client.post("/admin/two-factor/verify/", {"token": codes[0], "next": "/admin/"})
    assert again.status_code == 200 and "no es válido" in again.content.decode()
    assert client.get("/admin/").status_code == 302
    assert StaticToken.objects.filter(device__user=member).count() == 9


def test_new_recovery_codes_replace_the_old_ones(client, member):
    _key, codes = enrol(client)
    fresh = client.post("/admin/two-factor/recovery-codes/").context["codes"]
    assert set(fresh).isdisjoint(codes)
    assert set(
        StaticToken.objects.filter(device__user=member).values_list("token", flat=True)
    ) == set(fresh)


def test_an_administrator_resets_a_lost_device_and_it_is_logged(client, member):
    from django.core.management import call_command

    enrol(client)
    assert client.get("/admin/").status_code == 200
    call_command("reset_two_factor", "member")
    # The signed-in session loses its verification with the device, and enrolment starts again.
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/two-factor/enrol/")
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticToken.objects.filter(device__user=member).exists()
    assert ModelLogEntry.objects.filter(
        action="altavoz.two_factor_reset", object_id=str(member.pk)
    ).exists()


@override_settings(ALTAVOZ_ADMIN_2FA=False)
def test_with_two_factor_off_a_password_is_enough(client, member):
    """`make demo` only: production refuses to start like this (tests/test_settings.py)."""
    password_sign_in(client)
    assert client.get("/admin/").status_code == 200


def test_outside_the_admin_a_password_only_session_is_anonymous(client, member):
    """A document in a collection restricted to signed-in users needs the second factor too."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document
    from wagtail.models import Collection, CollectionViewRestriction

    collection = Collection.get_first_root_node().add_child(name="Interno")
    CollectionViewRestriction.objects.create(collection=collection, restriction_type="login")
    document = Document(title="Lista de contactos", collection=collection)
    document.file.save("contactos.txt", ContentFile(b"secreto"), save=True)
    url = document.url

    password_sign_in(client)
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]

    from tests.signing_in import sign_in

    sign_in(client, member)
    assert client.get(url).status_code == 200


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(client, member):
    enrol(client)
    client.post("/admin/logout/")
    password_sign_in(client)
    for response in (
        client.get("/admin/two-factor/enrol/"),
        client.post("/admin/two-factor/enrol/", {"token": "1"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(
            "/admin/two-factor/verify/"
        )
    assert TOTPDevice.objects.filter(user=member).count() == 1


def test_a_password_alone_cannot_get_new_recovery_codes(client, member):
    enrol(client)
    client.post("/admin/logout/")
    password_sign_in(client)
    response = client.post("/admin/two-factor/recovery-codes/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/admin/two-factor/verify/"
    )
    assert client.get("/admin/").status_code == 302


def test_a_key_shown_to_another_session_is_never_the_one_enrolled(client, member):
    """Someone who saw the enrolment page earlier with the password does not know the key that gets
    enrolled."""
    from django.test import Client

    early = Client()
    password_sign_in(early)
    early_key = secret_on(early.get("/admin/two-factor/enrol/"))

    key, _codes = enrol(client)
    assert key != early_key
    response = early.post("/admin/two-factor/enrol/", {"token": f"{totp(early_key):06d}"})
    assert response.status_code == 302 and response["Location"].startswith(
        "/admin/two-factor/verify/"
    )
    assert list(TOTPDevice.objects.filter(user=member).values_list("confirmed", flat=True)) == [
        True
    ]
    assert TOTPDevice.objects.get(user=member).bin_key == key


def test_reloading_the_enrolment_page_leaves_one_pending_key(client, member):
    password_sign_in(client)
    for _ in range(3):
        client.get("/admin/two-factor/enrol/")
    assert TOTPDevice.objects.filter(user=member, confirmed=False).count() == 1


def test_an_administrator_resets_a_lost_device_from_the_users_list(
    member, admin_client, account_in
):
    from django.test import Client
    from django.urls import reverse

    lost = Client()  # the editor's own browser (admin_client is the administrator's)
    enrol(lost)
    listing = admin_client.get(reverse("wagtailusers_users:index")).content.decode()
    url = reverse("altavoz_accounts:reset", args=[member.pk])
    assert url in listing
    assert admin_client.get(url).status_code == 200
    editor = account_in("Editores")  # no user management: no reset
    response = editor.post(url)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert TOTPDevice.objects.filter(user=member).exists()

    assert admin_client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    entry = ModelLogEntry.objects.get(action="altavoz.two_factor_reset", object_id=str(member.pk))
    assert entry.user.username == "editor"  # the administrator (tests/conftest.py's superuser)
    assert lost.get("/admin/")["Location"].startswith("/admin/two-factor/enrol/")
