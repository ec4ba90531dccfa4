"""Production processes: `/healthz` for load balancers, and gunicorn with the production
settings serving static files itself (WhiteNoise) as `make serve-prod` runs it."""

import gzip
import json
import re
import socket
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import servers
from tests.servers import ROOT

TOKEN = "t" * 40
DATABASE_QUEUE = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "audio"]}
}


def health(client, **headers):
    response = client.get("/healthz", **headers)
    return response, json.loads(response.content)


@pytest.mark.django_db
def test_healthz_says_ok_and_nothing_more_to_anyone(client, settings):
    settings.ALTAVOZ_HEALTH_TOKEN = TOKEN

    response, body = health(client)
    wrong_token, wrong_body = health(client, HTTP_AUTHORIZATION="Bearer " + "x" * 40)

    assert response.status_code == 200 and body == {"status": "ok"}
    assert wrong_token.status_code == 200 and wrong_body == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


@pytest.mark.django_db
def test_healthz_details_go_only_to_the_token(client, settings):
    settings.ALTAVOZ_HEALTH_TOKEN = TOKEN
    settings.TASKS = DATABASE_QUEUE

    response, body = health(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage", "queue"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["queue"]["detail"] == "empty"


@pytest.mark.django_db
def test_healthz_without_a_token_setting_never_gives_details(client, settings):
    settings.ALTAVOZ_HEALTH_TOKEN = ""

    _, body = health(client, HTTP_AUTHORIZATION="Bearer ")

    assert body == {"status": "ok"}


@pytest.mark.django_db
def test_a_job_waiting_too_long_means_no_worker_and_not_ok(client, settings):
    from django_tasks_db.models import DBTaskResult

    settings.ALTAVOZ_HEALTH_TOKEN = TOKEN
    settings.TASKS = DATABASE_QUEUE
    settings.ALTAVOZ_HEALTH_QUEUE_MAX_AGE_SECONDS = 600
    from audio.jobs.tasks import generate_page_audio_task

    result = generate_page_audio_task.enqueue(123456)
    fresh, _ = health(client)
    DBTaskResult.objects.filter(id=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=11)
    )

    stale, anonymous = health(client)
    _, detailed = health(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert fresh.status_code == 200
    assert stale.status_code == 503 and anonymous == {"status": "unavailable"}
    assert detailed["checks"]["queue"]["ok"] is False
    assert "worker" in detailed["checks"]["queue"]["detail"]
    assert all(detailed["checks"][name]["ok"] for name in ("database", "cache", "storage"))


@pytest.mark.django_db
def test_an_unreachable_cache_is_not_ok_and_is_not_a_500(client, settings):
    settings.ALTAVOZ_HEALTH_TOKEN = TOKEN
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    response, body = health(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False and body["checks"]["database"]["ok"] is True


# --------------------------------------------------------------------------
# gunicorn + production settings, as `make serve-prod` starts them


def fetch(url, **headers):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_production_settings_serves_health_and_compressed_hashed_static(tmp_path):
    static_root = servers.collect_static(tmp_path / "static")
    env = servers.production_environment(ALTAVOZ_STATIC_ROOT=str(static_root))
    with servers.gunicorn(env, tmp_path / "gunicorn.log", workers=1, threads=1) as base:
        status, _, body = fetch(f"{base}/healthz")
        hashed = json.loads((static_root / "staticfiles.json").read_text())["paths"]["js/listen.js"]
        static_status, static_headers, static_body = fetch(
            f"{base}/static/{hashed}", **{"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
        )
        page_status, page_headers, _ = fetch(f"{base}/static/{hashed}")

    # Plain HTTP from a load balancer is answered, not redirected to https.
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert re.fullmatch(r"js/listen\.[0-9a-f]{12}\.js", hashed)
    assert static_status == 200 and static_headers["Content-Encoding"] == "gzip"
    assert "immutable" in static_headers["Cache-Control"]
    assert (
        gzip.decompress(static_body) == (ROOT / "site" / "static" / "js" / "listen.js").read_bytes()
    )
    # Everything else still goes to https (static files included) unless the TLS proxy says so.
    assert page_status == 301 and page_headers["Location"].startswith("https://")
