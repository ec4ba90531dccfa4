"""`/healthz` for load balancers and monitoring.

Each check is one cheap round trip to a service a web process needs: the database, the
cache (the API's snapshot and throttle counts live there once ALTAVOZ_CACHE_URL is set),
media storage, and the task queue (its oldest waiting job says whether any worker runs).
Anyone gets ok / not ok; the failing check and its error only go to a caller that sends
`Authorization: Bearer <ALTAVOZ_HEALTH_TOKEN>`, since error text names hosts and paths.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ""


def check_cache() -> str:
    # A fresh key each time: a stale value left by a crashed probe cannot pass for a live cache.
    key, value = f"healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)
    return ""


def check_storage() -> str:
    # A read (HEAD on S3, stat on disk) proves the storage answers with our credentials
    # without writing a file on every probe.
    default_storage.exists("healthz-probe")
    return ""


def check_queue() -> str:
    """Fails when a job has waited longer than ALTAVOZ_HEALTH_QUEUE_MAX_AGE_SECONDS:
    no worker is taking jobs, so publishing would never be voiced."""
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
        return "not a database queue: not checked"
    from django_tasks_db.models import DBTaskResult  # only installed with the database queue

    oldest = (
        DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True)
    )
    enqueued_at = oldest.first()
    if enqueued_at is None:
        return "empty"
    age = (timezone.now() - enqueued_at).total_seconds()
    if age > settings.ALTAVOZ_HEALTH_QUEUE_MAX_AGE_SECONDS:
        raise RuntimeError(f"the oldest waiting job has waited {age:.0f} s: is a worker running?")
    return f"oldest job waiting {age:.0f} s"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "queue": check_queue,
}


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as error:  # any failure of a dependency is "not ok", never a 500
            detail, ok = f"{type(error).__name__}: {error}", False
        results.append(CheckResult(name, ok, time.perf_counter() - started, detail))
    return results


def may_see_details(request: HttpRequest) -> bool:
    token = settings.ALTAVOZ_HEALTH_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    healthy = all(result.ok for result in results)
    body: dict = {"status": "ok" if healthy else "unavailable"}
    if may_see_details(request):
        body["checks"] = {
            result.name: {
                "ok": result.ok,
                "ms": round(result.seconds * 1000, 1),
                "detail": result.detail,
            }
            for result in results
        }
    return JsonResponse(body, status=200 if healthy else 503)
