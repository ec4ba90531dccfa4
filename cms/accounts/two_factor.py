"""Two-factor sign-in: enrolment, verification, recovery codes and resets (django-otp).

Every admin account has one authenticator app (a TOTP device) and a set of
single-use recovery codes (a static device). Views stay thin; the rules live here.
"""

from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "app"
RECOVERY_DEVICE_NAME = "recovery"


def required() -> bool:
    return settings.ALTAVOZ_ADMIN_2FA


def is_enrolled(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


PENDING_SESSION_KEY = "altavoz_pending_device"


def pending_device(request: HttpRequest, fresh: bool) -> TOTPDevice | None:
    """The authenticator this session is setting up: a new key when ``fresh`` (the page is shown),
    else the one last shown to this session (the code is checked against it).

    The key lives with the session that saw it: another session with the same password
    (someone who looked at the page earlier) can neither reuse nor confirm it.
    """
    user = request.user
    if not fresh:
        device_id = request.session.get(PENDING_SESSION_KEY)
        return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    TOTPDevice.objects.filter(
        pk=request.session.get(PENDING_SESSION_KEY), user=user, confirmed=False
    ).delete()
    device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    request.session[PENDING_SESSION_KEY] = device.pk
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in (base32, in groups of four)."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code: made here, no image service sees the key."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title="otpauth")


def confirm(request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a first code from the app; returns the new recovery codes or None."""
    if not device.verify_token("".join(token.split())):
        return None
    with transaction.atomic():
        # The old app (a new phone) and keys other sessions were shown stop working.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
        codes = new_recovery_codes(device.user)
    request.session.pop(PENDING_SESSION_KEY, None)
    mark_verified(request, device)
    log(device.user, "altavoz.two_factor_enrol", user=device.user)
    return codes


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace ``user``'s recovery codes with fresh ones (each works once) and return them."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(request: HttpRequest, token: str) -> TOTPDevice | StaticDevice | None:
    """Check a code from the app, or a recovery code (used up), for the signed-in user.

    Each device is asked on its own (django-otp's throttling counts per device):
    six digits are the app's, anything else a recovery code.
    """
    user, token = request.user, "".join(token.split()).lower()
    if token.isdigit() and len(token) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    with transaction.atomic():
        device = next((d for d in devices.select_for_update() if d.verify_token(token)), None)
    if device is None:
        return None
    mark_verified(request, device)
    if isinstance(device, StaticDevice):
        # device.user, not request.user: the log registry skips a lazy user it has not unwrapped.
        log(
            device.user,
            "altavoz.recovery_code_used",
            user=device.user,
            data={"left": device.token_set.count()},
        )
    return device


def mark_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    # A new session key at the change of privilege: a key seen before is worthless (session
    # fixation).
    request.session.cycle_key()
    django_otp.login(request, device)


def reset(user: AbstractBaseUser, by: AbstractBaseUser | None = None) -> None:
    """Forget ``user``'s authenticator and recovery codes (a lost phone): they enrol again at next
    sign-in.

    Also ends their sessions' verification: a stolen, signed-in laptop stops at the second factor.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        log(user, "altavoz.two_factor_reset", user=by)
