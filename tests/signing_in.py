"""Signing a test client in to the admin as a real session would be: password and second factor.

Two-factor sign-in stays on in every test (as in production). This helper skips
typing the password and the code, which tests/accounts/ do through the real
forms: it logs the user in and records an enrolled authenticator in the
session, exactly what the verify view does with a correct code.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def enrolled_device(user):
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "app"}
    )
    return device


def sign_in(client, user):
    """Log ``user`` in on ``client`` with a verified second factor; returns the client."""
    device = enrolled_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
