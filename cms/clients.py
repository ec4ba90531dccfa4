"""Which client is asking: one rule for the admin lockout (django-axes'
AXES_CLIENT_IP_CALLABLE) and the API's throttling (cms.api.throttling)."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The connection's address or, behind ``ALTAVOZ_API_TRUSTED_PROXIES`` reverse
    proxies, the one the outermost of them saw (counted from the right of
    X-Forwarded-For, so a client cannot choose its own address by sending the header).

    Asked only during an admin sign-in and, for the API, to be hashed at once: no
    visitor's address is stored or logged.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "ALTAVOZ_API_TRUSTED_PROXIES", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return address
