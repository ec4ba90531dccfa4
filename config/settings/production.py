"""Production: everything from the environment, and refuse unsafe defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ALTAVOZ_ADMIN_2FA, DEFAULT_SECRET_KEY, SECRET_KEY, env_bool, env_int

DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 32 characters.")

# One guessed or reused password must not open the drafts and the recordings.
if not ALTAVOZ_ADMIN_2FA:
    raise ImproperlyConfigured(
        "ALTAVOZ_ADMIN_2FA must be on in production (two-factor sign-in for the admin)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"

# HTTPS only: on a shared or watched network, plain HTTP would show which
# guide a listener reads. Behind a proxy that terminates TLS, it must send
# X-Forwarded-Proto. HSTS covers this host only (no subdomains, no preload).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600)
# Load balancers probe over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# A connection kept open (DATABASE_CONN_MAX_AGE) is checked before a request reuses it: after
# a database restart or failover, web processes reconnect instead of answering 500 once per
# stale connection (make cluster-check restarts PostgreSQL under load).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Static files from the web process itself (WhiteNoise): compressed (gzip, Brotli when
# installed) and hashed names cached for a year, so no separate static server is needed.
# `manage.py collectstatic` must run at each deploy (make serve-prod does).
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": MEDIA_STORAGE,  # local disk or S3 (ALTAVOZ_S3_BUCKET), as in base
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
