"""Is this webhook from our phone provider? Each provider's own signature, checked.

- Twilio and SignalWire sign the URL they requested and the POST parameters with
  the account's token (HMAC), in ``X-Twilio-Signature`` (SignalWire may name the
  header after itself): checked with the ``twilio`` package's ``RequestValidator``.
- Telnyx signs ``"<timestamp>|<raw body>"`` with its account's Ed25519 key, in
  ``telnyx-signature-ed25519`` and ``telnyx-timestamp``: checked with the public
  key, and refused when older than five minutes (a replayed request).

The caller's number is in what is signed; it is read by no one here.
"""

import base64
import binascii
import time
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

SIGNALWIRE_SIGNATURE_HEADER = "X-SignalWire-Signature"
TELNYX_SIGNATURE_HEADER = "telnyx-signature-ed25519"
TELNYX_TIMESTAMP_HEADER = "telnyx-timestamp"
TELNYX_TOLERANCE_SECONDS = 300


def line_is_on() -> bool:
    return bool(settings.ALTAVOZ_PHONE_AUTH_TOKEN or settings.ALTAVOZ_PHONE_TELNYX_PUBLIC_KEY)


def signed_origin(request) -> str | None:
    """The origin (scheme://host) the provider called, or None when no signature holds.

    The Twilio signature covers the full URL the provider requested: ours as
    ``ALTAVOZ_BASE_URL`` says, or as this request arrived (the proxy's scheme
    header respected, ``SECURE_PROXY_SSL_HEADER``).
    """
    origins = _origins(request)
    if request.headers.get(TELNYX_SIGNATURE_HEADER):
        return origins[0] if _signed_by_telnyx(request) else None
    token = settings.ALTAVOZ_PHONE_AUTH_TOKEN
    signature = request.headers.get(SIGNATURE_HEADER) or request.headers.get(
        SIGNALWIRE_SIGNATURE_HEADER, ""
    )
    if not token or not signature:
        return None
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER, ""))
    validator = RequestValidator(token)
    for origin in origins:
        if validator.validate(origin + request.get_full_path(), request.POST, signature, algorithm):
            return origin
    return None


def _signed_by_telnyx(request) -> bool:
    key = settings.ALTAVOZ_PHONE_TELNYX_PUBLIC_KEY
    stamp = request.headers.get(TELNYX_TIMESTAMP_HEADER, "")
    if not key or not stamp.isdigit() or len(stamp) > 12:
        return False
    if abs(time.time() - int(stamp)) > TELNYX_TOLERANCE_SECONDS:
        return False
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True))
        signature = base64.b64decode(request.headers[TELNYX_SIGNATURE_HEADER], validate=True)
        public_key.verify(signature, stamp.encode() + b"|" + request.body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _origins(request) -> list[str]:
    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    configured = f"{base.scheme}://{base.netloc}"
    arrived = request.build_absolute_uri("/").rstrip("/")
    return [configured] if arrived == configured else [configured, arrived]
