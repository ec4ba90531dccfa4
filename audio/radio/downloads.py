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

from django.core.files import File
from django.db import transaction
from django.utils import timezone

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


def request_package(page):
    """Make sure the current package of ``page`` is built or being built; returns its row."""
    _source, key, _existing = current_package(page)
    stalled = timezone.now() - STALLED_AFTER
    with transaction.atomic():
        package, created = RadioPackage.objects.select_for_update().get_or_create(
            key=key, defaults={"page": page}
        )
        retry = (
            package.state == RadioPackage.State.FAILED
            or (package.state == RadioPackage.State.READY and not _file_exists(package))
            or (
                package.state in (RadioPackage.State.QUEUED, RadioPackage.State.BUILDING)
                and package.requested_at < stalled
            )
        )
        if retry:
            package.state, package.error, package.requested_at = (
                RadioPackage.State.QUEUED,
                "",
                timezone.now(),
            )
            package.save()
    if created or retry:
        transaction.on_commit(lambda: _enqueue(package.pk))
    return package


def build_requested_package(package_id):
    """Build a queued package (the task's body). Returns its state."""
    claimed = RadioPackage.objects.filter(pk=package_id, state=RadioPackage.State.QUEUED).update(
        state=RadioPackage.State.BUILDING
    )
    if not claimed:
        return None  # built, being built, or gone
    package = RadioPackage.objects.select_related("page").get(pk=package_id)
    try:
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
        package.size_bytes = package.file.size
        package.state, package.error, package.finished_at = (
            RadioPackage.State.READY,
            "",
            timezone.now(),
        )
        package.save()
    except Exception as error:  # the admin shows why; the next request retries
        logger.exception("Radio package %s failed", package_id)
        RadioPackage.objects.filter(pk=package_id).update(
            state=RadioPackage.State.FAILED, error=str(error), finished_at=timezone.now()
        )
        return RadioPackage.State.FAILED
    for old in RadioPackage.objects.filter(page=package.page).exclude(pk=package.pk):
        if old.file:
            old.file.delete(save=False)
        old.delete()
    return RadioPackage.State.READY


def _file_exists(package):
    return bool(package.file) and package.file.storage.exists(package.file.name)


def _enqueue(package_id):
    # Here, not at the top: the task module imports this one for what the task runs.
    from .tasks import build_radio_package_task

    build_radio_package_task.enqueue(package_id)
