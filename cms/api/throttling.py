"""DRF throttling for the API: a fixed window per client, the client known only by a keyed hash.

DRF's ``SimpleRateThrottle`` keeps every request's timestamp in the cache,
which is slow at the generous rates a public API needs; this counts requests
in fixed windows (one ``incr`` per request). The counts live in Django's
default cache, which is Redis when ``ALTAVOZ_CACHE_URL`` is set, so several
server processes share them. The client address is only used HMAC-hashed with
the secret key: it is never stored or logged as is.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from cms.clients import client_address

from .rates import parse_rate

THROTTLE_PREFIX = "altavoz-api:throttle"


def client_ident(request: HttpRequest) -> str:
    """Who is asking: the client address, hashed with the secret key.

    Behind ``ALTAVOZ_API_TRUSTED_PROXIES`` reverse proxies, the address they
    put in X-Forwarded-For is used.
    """
    address = client_address(request)
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:24]


def count_request(ident: str, limit: int, period: int, now: float) -> int:
    """Add one request to the client's current window; returns the window's count."""
    key = f"{THROTTLE_PREFIX}:{ident}:{int(now // period)}"
    if cache.add(key, 1, period + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period + 1)
        return 1


class HashedAnonRateThrottle(BaseThrottle):
    """``ALTAVOZ_API_ANON_RATE`` requests per client and window (read per request: tests change
    it)."""

    def __init__(self) -> None:
        self.wait_seconds: int | None = None

    def allow_request(self, request, view) -> bool:
        limit, period = parse_rate(settings.ALTAVOZ_API_ANON_RATE)
        if limit is None:
            return True
        now = time.time()
        if count_request(client_ident(request), limit, period, now) <= limit:
            return True
        self.wait_seconds = max(1, int((int(now // period) + 1) * period - now) + 1)
        return False

    def wait(self) -> int | None:
        return self.wait_seconds
