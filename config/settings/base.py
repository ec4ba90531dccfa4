"""Settings shared by every environment.

Operators configure Altavoz through environment variables; each one read here is
listed, with its default, in the README's configuration table.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ALTAVOZ_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default, minimum=0):
    """A whole number from the environment; a bad value stops start-up naming the variable."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {minimum}, not {value!r}."
        )
    return number


def env_rate(name, default):
    """A request rate ("600/minute") from the environment; empty means none.

    A bad one stops start-up.
    """
    value = os.environ.get(name)
    if value is None:
        return default
    from cms.api.rates import parse_rate  # imports nothing from Django

    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per second, minute, hour or day "
            f"(e.g. 600/minute), or empty for no throttling, not {value!r}."
        ) from None
    return value.strip()


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# A placeholder that production refuses (see production.py).
DEFAULT_SECRET_KEY = "altavoz-insecure-development-key"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "csp",  # its system checks catch a malformed CONTENT_SECURITY_POLICY
    "cms",
    "audio",
    "audio.radio",
    "audio.phone",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security headers on every response, the API's too.
    "cms.middleware.SiteCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Compresses public pages (the 40 KB budget) but never the admin (BREACH).
    "cms.middleware.PublicGZipMiddleware",
    # Cache-Control and ETag/304 for public pages; inside gzip, so the ETag is
    # the uncompressed page's (see the class).
    "cms.middleware.PublicPageCachingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.middleware.PublicLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's messages, its storage made only when something uses it.
    "cms.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Wagtail's redirects, never to a page the public may not see.
    "cms.middleware.PublicRedirectMiddleware",
]

# --- Security headers --------------------------------------------------------
# Content-Security-Policy (django-csp 4, cms.middleware.SiteCSPMiddleware): a
# listener's page loads only from our own origin and runs no inline script,
# so nothing it loads can talk to anyone else; and no other site may frame it.
CONTENT_SECURITY_POLICY = {
    # The Wagtail admin runs inline scripts; it keeps X-Frame-Options instead.
    "EXCLUDE_URL_PREFIXES": ("/admin/",),
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the empty favicon (no favicon request)
        # blob: for the player's MediaSource (listen.js feeds the <audio> itself:
        # a small first request, so sound starts sooner on 2G); the bytes still come from SELF.
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The API's JSON and the feeds' XML are data, never pages: shown in a browser,
# nothing in them may load, run or be framed (their HTML, /api/docs/, gets the above).
ALTAVOZ_DATA_CSP_DIRECTIVES = {"default-src": [NONE], "frame-ancestors": [NONE]}

# Permissions-Policy (django-permissions-policy): every feature that reaches the
# phone's hardware, the person's identity, data or payments, or lets a page act
# without a tap is off, for our pages and any frame. Allowed, for our own origin
# only, is what the listening player uses (site/static/js/listen.js):
# - web-share: "Compartir" hands the audio file or the link to the phone's share sheet;
# - clipboard-write: where the phone cannot share, the link is copied instead.
# Playing audio needs no permission; nothing plays by itself, so autoplay is off.
# Lock-screen controls (Media Session) and saving for offline (service worker,
# Cache Storage) need none. Left at the browser's defaults: playing on while the
# screen is off (media-playback-while-not-visible: listeners lock their phones),
# sync-xhr (the admin's jQuery may load scripts synchronously) and the client
# hints (Save-Data must still reach us). A browser without one of these features
# ignores it with a console warning (desktop Linux Chromium has no web-share).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "bluetooth": [],
    "browsing-topics": [],
    "camera": [],
    "clipboard-read": [],
    "clipboard-write": ["self"],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "gamepad": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "identity-credentials-get": [],
    "idle-detection": [],
    "local-fonts": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "otp-credentials": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "storage-access": [],
    "usb": [],
    "web-share": ["self"],
    "window-management": [],
    "xr-spatial-tracking": [],
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The listening front's templates live in site/ (not a Python package:
        # a package named "site" would shadow the standard library's).
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'altavoz.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A fresh clone has no var/: SQLite cannot create its file in a missing folder.
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Take the write lock when a transaction starts, so SELECT ... FOR UPDATE
    # (a no-op on SQLite) still serializes workers claiming the same job.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages. Spanish is the source language; English and Kaqchikel (ISO 639-3
# "cak") are translations. Django does not know "cak": cms.monkey_patches adds
# it to LANG_INFO and site/locale/cak holds the catalog check_for_language needs.
LANGUAGE_CODE = "es"
LANGUAGES = WAGTAIL_CONTENT_LANGUAGES = [
    ("es", "Español"),
    ("en", "English"),
    ("cak", "Kaqchikel"),
]
SOURCE_LANGUAGE_CODE = "es"
LOCALE_PATHS = [BASE_DIR / "site" / "locale"]
WAGTAIL_I18N_ENABLED = True
USE_I18N = True
TIME_ZONE = "America/Guatemala"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("ALTAVOZ_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ALTAVOZ_MEDIA_ROOT", VAR_DIR / "media"))


def media_storage(bucket="", endpoint_url="", access_key="", secret_key="", region=""):
    """STORAGES["default"]: the local disk (MEDIA_ROOT), or a private S3 bucket when named.

    A bucket is never public: no ACL, no signed URLs; every file's URL is the
    site's own /media/ address (config.storage.S3MediaStorage), served after
    audio.serving's check. Without keys, boto3 finds credentials itself (role).
    """
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": bucket,
        "default_acl": None,
        "querystring_auth": False,
        # Like the local disk: a new file never replaces another of the same name.
        "file_overwrite": False,
    }
    for option, value in [
        ("endpoint_url", endpoint_url),
        ("access_key", access_key),
        ("secret_key", secret_key),
        ("region_name", region),
    ]:
        if value:
            options[option] = value
    return {"BACKEND": "config.storage.S3MediaStorage", "OPTIONS": options}


# Media on the local disk, or in an S3-compatible bucket when ALTAVOZ_S3_BUCKET is set.
MEDIA_STORAGE = media_storage(
    os.environ.get("ALTAVOZ_S3_BUCKET", ""),
    os.environ.get("ALTAVOZ_S3_ENDPOINT_URL", ""),
    os.environ.get("ALTAVOZ_S3_ACCESS_KEY_ID", ""),
    os.environ.get("ALTAVOZ_S3_SECRET_ACCESS_KEY", ""),
    os.environ.get("ALTAVOZ_S3_REGION", ""),
)
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Django serves /media/ itself (with HTTP Range) unless a web server does it.
ALTAVOZ_SERVE_MEDIA = env_bool("ALTAVOZ_SERVE_MEDIA", True)
# Behind nginx: after its check, Django answers /media/ with X-Accel-Redirect to
# this internal location and nginx sends the file (see README, production).
ALTAVOZ_MEDIA_ACCEL_REDIRECT = os.environ.get("ALTAVOZ_MEDIA_ACCEL_REDIRECT", "")
# The licence radio packages carry (audio.radio.packages.DEFAULT_LICENSE when unset).
if os.environ.get("ALTAVOZ_RADIO_LICENSE"):
    ALTAVOZ_RADIO_LICENSE = os.environ["ALTAVOZ_RADIO_LICENSE"]

# Anonymous listeners get no cookies: nothing public touches the session, and
# the CSRF cookie is only set on forms (the admin).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

WAGTAIL_SITE_NAME = "Altavoz"
WAGTAILADMIN_BASE_URL = os.environ.get("ALTAVOZ_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
# Documents are only served through Wagtail's view, which checks their
# collection's privacy; /media/documents/ is never served (audio.serving).
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# ASCII slugs ("patzun"): links typed or shared by listeners work everywhere.
WAGTAIL_ALLOW_UNICODE_SLUGS = False

# Background work (audio generation, Wagtail's search index) goes through a
# database queue; `manage.py audio_worker` processes it.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ALTAVOZ_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "audio"],
    }
}

# /healthz (config/health.py): a job waiting longer than this means no worker runs.
ALTAVOZ_HEALTH_QUEUE_MAX_AGE_SECONDS = env_int("ALTAVOZ_HEALTH_QUEUE_MAX_AGE_SECONDS", 900)
# Callers sending "Authorization: Bearer <token>" see which check failed; others only ok/not ok.
ALTAVOZ_HEALTH_TOKEN = os.environ.get("ALTAVOZ_HEALTH_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ALTAVOZ_LOG_LEVEL", "INFO")},
    # Request logs would carry listeners' IP addresses: keep them off by default.
    "loggers": {
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
    },
}
ALTAVOZ_QUICK_EXIT_URL = os.environ.get("ALTAVOZ_QUICK_EXIT_URL", "https://www.google.com/")

# Audio. Voices per locale, tried in order: a rendition uses exactly one of them
# (never a mix). "recorded" means human recordings uploaded per section — the
# only voice Kaqchikel has. Environment overrides: ALTAVOZ_VOICES_<LANG>, e.g.
# ALTAVOZ_VOICES_ES="espeak" to skip Google entirely.
ALTAVOZ_VOICES = {
    "es": env_list("ALTAVOZ_VOICES_ES", ["gtts", "espeak"]),
    "en": env_list("ALTAVOZ_VOICES_EN", ["gtts", "espeak"]),
    "cak": env_list("ALTAVOZ_VOICES_CAK", ["recorded"]),
}
ALTAVOZ_ENGINE_OPTIONS = {
    "gtts": {
        "es": {"lang": "es", "tld": os.environ.get("ALTAVOZ_GTTS_TLD", "com.mx")},
        "en": {"lang": "en", "tld": "com"},
        # A local stand-in for Google (benchmarks): scheme://host:port.
        "*": {"endpoint": os.environ.get("ALTAVOZ_GTTS_ENDPOINT") or None},
    },
    "espeak": {
        "es": {"voice": os.environ.get("ALTAVOZ_ESPEAK_VOICE_ES", "es-419")},
        "en": {"voice": "en-us"},
    },
}
# After a voice fails (Google unreachable), skip it for this long before trying again.
ALTAVOZ_VOICE_RETRY_AFTER_SECONDS = env_int("ALTAVOZ_VOICE_RETRY_AFTER_SECONDS", 600)
# Retired audio files stay downloadable this long after a newer rendition goes live.
ALTAVOZ_AUDIO_GRACE_SECONDS = env_int("ALTAVOZ_AUDIO_GRACE_SECONDS", 24 * 3600)
# The phone line's files: one 8 kHz WAV (PCM and μ-law) per guide section, made at publish
# (audio/phone_files.py). Off: none are made, and those made are withdrawn at the next publish.
ALTAVOZ_PHONE_LINE = env_bool("ALTAVOZ_PHONE_LINE", True)
# The phone line's menu (audio/phone/): its languages in the order callers hear them (digit =
# position + 1), the hosted providers' auth token (unset, and no Telnyx key either: the
# TwiML endpoints answer 404, the line is off), which file <Play> sends, and how long a menu
# waits for a key.
ALTAVOZ_PHONE_LANGUAGES = env_list("ALTAVOZ_PHONE_LANGUAGES", ["es", "cak", "en"])
ALTAVOZ_PHONE_AUTH_TOKEN = os.environ.get("ALTAVOZ_PHONE_AUTH_TOKEN", "")
# Telnyx signs with Ed25519 instead: its account's public key (base64, Mission Control).
ALTAVOZ_PHONE_TELNYX_PUBLIC_KEY = os.environ.get("ALTAVOZ_PHONE_TELNYX_PUBLIC_KEY", "")
ALTAVOZ_PHONE_PLAY_VARIANT = os.environ.get("ALTAVOZ_PHONE_PLAY_VARIANT", "") or "phone-ulaw"
ALTAVOZ_PHONE_KEY_TIMEOUT_SECONDS = env_int("ALTAVOZ_PHONE_KEY_TIMEOUT_SECONDS", 6, minimum=1)
# The self-hosted SIP line (manage.py phone_line; README, "Self-hosted SIP line"): its UDP
# address, how many SIP processes answer there (4 calls each; more than one puts Kamailio
# in front), and where phone files from a bucket are copied to be played.
ALTAVOZ_SIP_LISTEN = os.environ.get("ALTAVOZ_SIP_LISTEN", "") or "127.0.0.1:5060"
ALTAVOZ_SIP_PROCESSES = env_int("ALTAVOZ_SIP_PROCESSES", 1, minimum=1)
ALTAVOZ_SIP_CACHE_DIR = Path(os.environ.get("ALTAVOZ_SIP_CACHE_DIR", VAR_DIR / "phone-cache"))
ALTAVOZ_AUDIO_CACHE_DAYS = env_int(
    "ALTAVOZ_AUDIO_CACHE_DAYS", 30
)  # cached clips/segments nothing used for this long are evicted
ALTAVOZ_TASK_RESULTS_DAYS = env_int(
    "ALTAVOZ_TASK_RESULTS_DAYS", 14
)  # finished task records kept this long
# A running job whose worker has not reported for this long is taken over.
ALTAVOZ_AUDIO_STALL_SECONDS = env_int("ALTAVOZ_AUDIO_STALL_SECONDS", 300)
ALTAVOZ_AUDIO_QUEUE = "audio"
ALTAVOZ_RECORDING_MAX_BYTES = env_int("ALTAVOZ_RECORDING_MAX_BYTES", 25 * 1024 * 1024)
ALTAVOZ_RECORDING_MAX_SECONDS = env_int("ALTAVOZ_RECORDING_MAX_SECONDS", 600)
# Reach counts (audio/reach.py) below this are shown to editors as "< N".
ALTAVOZ_REACH_MIN_COUNT = env_int("ALTAVOZ_REACH_MIN_COUNT", 5, minimum=1)

# --- API (config/api.py) ---------------------------------------------------
# The public API's own app (documents, sync log) and the schema generator.
INSTALLED_APPS += ["cms.api", "drf_spectacular", "corsheaders"]
# CORS (django-cors-headers, cms/api/cors.py) before anything that can answer a request.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "cms.api.cors.ApiCorsMiddleware",
)
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["Accept", "If-None-Match", "If-Modified-Since", "Cache-Control"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 86400
CORS_ALLOW_CREDENTIALS = False

# Caches: local memory by default (nothing to run); set ALTAVOZ_CACHE_URL
# (e.g. redis://127.0.0.1:6379/1) to share API documents and throttling
# counts between server processes.
if os.environ.get("ALTAVOZ_CACHE_URL"):
    CACHES = {
        "default": {
            # Django's RedisCache, but an unreachable Redis is a miss, not a 500 (config/cache.py).
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": os.environ["ALTAVOZ_CACHE_URL"],
            "KEY_PREFIX": "altavoz",
        }
    }
else:
    # Room for per-client throttle counters beside the API's documents.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "altavoz",
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

# Guides' rendered bodies (cms/guide_body.py), in each process's own memory: keys name
# the exact published version, so nothing is shared to keep fresh, and a hit costs no
# network. Bounded: about 45 KB a body, so 4.5 MB a process at most by default.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "altavoz-pages",
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("ALTAVOZ_PAGE_CACHE_ENTRIES", "100"))},
}

REST_FRAMEWORK = {
    # Only our views are described; Wagtail's pages endpoint is written by hand (cms/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Altavoz API",
    "DESCRIPTION": (
        "Read-only API of Altavoz's harm-reduction guides: every guide in every language, "
        "its sections with text and audio offsets, its audio files, and a cheap way to sync "
        "what changed. Human docs: /api/docs/."
    ),
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["cms.api.schema.keep_own_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cms.api.schema.add_pages_endpoint",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RenditionStatusEnum": "cms.api.serializers.AUDIO_STATUSES",
        "GuideAudioStatusEnum": "cms.api.serializers.GUIDE_AUDIO_STATUSES",
        "RecordingStateEnum": "cms.api.serializers.RECORDING_STATES",
    },
    "COMPONENT_SPLIT_REQUEST": False,
}

# Absolute URLs in API documents start with this (files, guides, the front).
ALTAVOZ_API_BASE_URL = os.environ.get("ALTAVOZ_API_BASE_URL", WAGTAILADMIN_BASE_URL)
# Browsers on these origins may read the API (comma-separated, e.g. https://partner.example).
ALTAVOZ_API_CORS_ORIGINS = env_list("ALTAVOZ_API_CORS_ORIGINS", [])
# Requests per client (anonymous) per second/minute/hour/day; empty turns throttling off.
ALTAVOZ_API_ANON_RATE = env_rate("ALTAVOZ_API_ANON_RATE", "600/minute")
# Reverse proxies in front of the server: the client is the address the last of them
# saw (X-Forwarded-For). 0 (default): the connection's own address.
ALTAVOZ_API_TRUSTED_PROXIES = env_int("ALTAVOZ_API_TRUSTED_PROXIES", 0)
# How long clients and proxies may reuse a response before revalidating it (ETag).
ALTAVOZ_API_MAX_AGE = env_int("ALTAVOZ_API_MAX_AGE", 60)
# How often a server process checks the database for changes made by other processes.
ALTAVOZ_API_FRESHNESS_SECONDS = float(os.environ.get("ALTAVOZ_API_FRESHNESS_SECONDS", "1"))
# How long built API documents stay in the cache (they are keyed by content, so this only
# bounds memory).
ALTAVOZ_API_CACHE_SECONDS = env_int("ALTAVOZ_API_CACHE_SECONDS", 24 * 3600)
# --- end API ---------------------------------------------------------------

# --- Editors' accounts (cms/accounts) ----------------------------------------
# Two-factor sign-in (django-otp TOTP + recovery codes) for every admin account.
# Production refuses to start with it off; `make demo` turns it off.
ALTAVOZ_ADMIN_2FA = env_bool("ALTAVOZ_ADMIN_2FA", True)
INSTALLED_APPS += [
    "cms.accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE += [
    # Unverified admin sessions go to the second factor; admin activity keeps a session alive.
    "cms.accounts.middleware.AdminAccountMiddleware",
    # Turns a lockout during sign-in into our message (cms.accounts.views.locked_out).
    "axes.middleware.AxesMiddleware",
]
# Axes first: it refuses a locked-out account or client before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
OTP_TOTP_ISSUER = "Altavoz"

# Lockout (django-axes): after this many failed sign-ins for one account, or from
# one client, further attempts are refused until the cool-off has passed.
AXES_FAILURE_LIMIT = env_int("ALTAVOZ_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ALTAVOZ_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cms.accounts.views.locked_out"
# The same client address as the API's throttle: behind ALTAVOZ_API_TRUSTED_PROXIES proxies,
# X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "cms.clients.client_address"
AXES_VERBOSE = False  # no log line per attempt: the records below are enough
AXES_SENSITIVE_PARAMETERS = ["password", "token"]
# Sign-in records (failed attempts, successful sign-ins) are deleted after this many
# days by the worker's hourly sweep (or `manage.py prune_sign_in_records`).
ALTAVOZ_SIGN_IN_RECORDS_DAYS = env_int("ALTAVOZ_SIGN_IN_RECORDS_DAYS", 30, minimum=1)

# Admin sessions end after this many hours without admin activity (each admin
# request restarts the clock) and whenever the password changes (Django's session hash).
ALTAVOZ_ADMIN_SESSION_HOURS = env_int("ALTAVOZ_ADMIN_SESSION_HOURS", 8, minimum=1)
SESSION_COOKIE_AGE = ALTAVOZ_ADMIN_SESSION_HOURS * 3600
# The admin talks to no one else either: no avatar lookups (an editor's e-mail hash
# sent to Gravatar) and no update check to wagtail.org from editors' browsers.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# --- end accounts ------------------------------------------------------------

# --- review reminders (cms/reviews.py) ---------------------------------------
# How old a guide's "last reviewed" date and an organization's "verified on" date may get:
# the admin home lists what is overdue, and what falls due within ALTAVOZ_REVIEW_SOON_DAYS;
# the worker e-mails each guide's editors a digest once a week (manage.py send_review_reminders).
ALTAVOZ_GUIDE_REVIEW_MONTHS = env_int("ALTAVOZ_GUIDE_REVIEW_MONTHS", 6, minimum=1)
ALTAVOZ_ORGANIZATION_REVIEW_MONTHS = env_int("ALTAVOZ_ORGANIZATION_REVIEW_MONTHS", 3, minimum=1)
ALTAVOZ_REVIEW_SOON_DAYS = env_int("ALTAVOZ_REVIEW_SOON_DAYS", 30)
DEFAULT_FROM_EMAIL = os.environ.get("ALTAVOZ_FROM_EMAIL", "Altavoz <altavoz@localhost>")
# --- end review reminders ------------------------------------------------------
