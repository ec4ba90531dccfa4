"""Packages built in the background for admin downloads (``RadioPackage`` rows).

A package takes minutes to master for a long guide, longer than a web request
should wait: the admin asks for it, a task builds it (the audio worker runs
it), and the download serves the stored ZIP. A package's key hashes
everything that shapes it, so a stored package is served until the guide's
audio, text, the station IDs or the licence change.
"""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audio.jobs.lease import side_heartbeat

from .models import RadioPackage
from .packages import (
    PackageOptions,
    build_package,
    load_station_ids,
    package_key,
    package_name,
)
from .sources import gather_clips, plan_source

logger = logging.getLogger(__name__)

# A request still queued or building after this long lost its worker: ask again.
STALLED_AFTER = timedelta(hours=1)


def admin_options():
    """The admin download is the default package: MP3, EBU R128, station IDs."""
    return PackageOptions()


def current_package(page):
    """(source, key, RadioPackage or None) for the package ``page`` would give now.

    Raises PackageError when the page cannot be packaged. No engine is called.
    """
    source = plan_source(page)
    options = admin_options()
    key = package_key(source, options, load_station_ids(options.station_ids, decode=False))
    return source, key, RadioPackage.objects.filter(key=key).first()


def is_stalled(package, now=None):
    """True when ``package`` is queued or building but nobody is on it any more.

    A build touches its heartbeat every ``ALTAVOZ_AUDIO_STALL_SECONDS / 4``; a
    worker killed mid-build stops, and after ``ALTAVOZ_AUDIO_STALL_SECONDS`` the
    package may be asked for again. A queued request waits ``STALLED_AFTER`` (the
    queue may be long; asking again only adds a task that finds nothing to claim).
    """
    now = now or timezone.now()
    if package.state == RadioPackage.State.BUILDING:
        beat = package.heartbeat_at or package.requested_at
        return beat < now - timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    if package.state == RadioPackage.State.QUEUED:
        return package.requested_at < now - STALLED_AFTER
    return False


def request_package(page):
    """Make sure the current package of ``page`` is built or being built; returns its row.

    Two requests at once get the same row (its key is unique, and the row is
    locked while it is read): one task is queued, and a package built or being
    built is never queued again, unless its build stalled.
    """
    _source, key, _existing = current_package(page)
    with transaction.atomic():
        package, created = RadioPackage.objects.select_for_update().get_or_create(
            key=key, defaults={"page": page}
        )
        retry = (
            package.state == RadioPackage.State.FAILED
            or (package.state == RadioPackage.State.READY and not _file_exists(package))
            or is_stalled(package)
        )
        if retry:
            package.state, package.error, package.requested_at = (
                RadioPackage.State.QUEUED,
                "",
                timezone.now(),
            )
            package.save(update_fields=["state", "error", "requested_at"])
    if created or retry:
        transaction.on_commit(lambda: _enqueue(package.pk))
    return package


def recover_stalled_packages():
    """Queue again the packages whose build stopped beating (the worker's sweep runs this).

    Each row is taken back only if its attempt is still the stalled one, so two
    sweeps queue it once; returns the ids queued again.
    """
    limit = timezone.now() - timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    stalled = RadioPackage.objects.filter(state=RadioPackage.State.BUILDING).filter(
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, requested_at__lt=limit)
    )
    recovered = []
    for package_id, attempt in stalled.values_list("pk", "attempt"):
        if RadioPackage.objects.filter(
            pk=package_id, state=RadioPackage.State.BUILDING, attempt=attempt
        ).update(state=RadioPackage.State.QUEUED, requested_at=timezone.now(), error=""):
            logger.warning("Radio package %s: its build stalled, queued again", package_id)
            _enqueue(package_id)
            recovered.append(package_id)
    return recovered


def build_requested_package(package_id):
    """Build a queued package (the task's body). Returns its state, or None if not ours.

    The claim is a conditional UPDATE (queued → building, one more attempt): of
    two workers running the task, one builds. The result is recorded only if
    this attempt still holds the package: a worker taken for dead (its build
    stalled and was asked for again) that comes back throws its ZIP away.
    """
    with transaction.atomic():
        claimed = RadioPackage.objects.filter(
            pk=package_id, state=RadioPackage.State.QUEUED
        ).update(
            state=RadioPackage.State.BUILDING,
            attempt=F("attempt") + 1,
            heartbeat_at=timezone.now(),
        )
        if not claimed:
            return None  # built, being built, or gone
        package = RadioPackage.objects.select_related("page").get(pk=package_id)
    attempt = package.attempt
    mine = RadioPackage.objects.filter(
        pk=package_id, state=RadioPackage.State.BUILDING, attempt=attempt
    )
    try:
        with _beating_heart(mine):
            page = package.page.specific
            options = admin_options()
            station_ids = load_station_ids(options.station_ids)
            source = plan_source(page)
            if package_key(source, options, station_ids) != package.key:
                raise RuntimeError("La guía cambió después de pedir el paquete: pídalo de nuevo.")
            with tempfile.TemporaryDirectory(prefix="altavoz-radio-") as directory:
                built = build_package(gather_clips(source), directory, options, station_ids)
                with open(built.path, "rb") as file:
                    package.file.save(
                        f"{package_name(source)}-{package.key[:12]}.zip", File(file), save=False
                    )
    except Exception as error:  # the admin shows why; the next request retries
        logger.exception("Radio package %s failed", package_id)
        mine.update(state=RadioPackage.State.FAILED, error=str(error), finished_at=timezone.now())
        return RadioPackage.State.FAILED
    recorded = mine.update(
        state=RadioPackage.State.READY,
        file=package.file.name,
        size_bytes=package.file.size,
        error="",
        finished_at=timezone.now(),
        heartbeat_at=None,
    )
    if not recorded:  # taken over after a stall: the newer attempt's ZIP counts
        logger.warning("Radio package %s: attempt %s was taken over", package_id, attempt)
        package.file.delete(save=False)
        return None
    for old in RadioPackage.objects.filter(page=package.page).exclude(pk=package.pk):
        if old.file:
            old.file.delete(save=False)
        old.delete()
    return RadioPackage.State.READY


def _beating_heart(rows):
    """Touch ``rows``' heartbeat from a side thread while the build runs (as audio jobs do)."""
    return side_heartbeat(
        lambda: rows.update(heartbeat_at=timezone.now()), "radio-package-heartbeat"
    )


def _file_exists(package):
    return bool(package.file) and package.file.storage.exists(package.file.name)


def _enqueue(package_id):
    # Here, not at the top: the task module imports this one for what the task runs.
    from .tasks import build_radio_package_task

    build_radio_package_task.enqueue(package_id)
