"""A radio package is built once: two requests or two workers at once give one build, a built
package is served and not built again, and a worker killed mid-build leaves it re-buildable."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from audio.jobs import run_job
from audio.radio import downloads
from audio.radio.downloads import (
    build_requested_package,
    recover_stalled_packages,
    request_package,
)
from audio.radio.models import RadioPackage
from tests.audio.test_workers import make_guide
from tests.concurrency import at_once, require_row_locks

from .test_radio_admin import package_url, state_of


class Builds:
    """Counts the calls to ``build_package``; ``during`` runs inside the first build."""

    def __init__(self, monkeypatch, during=None):
        self.calls = 0
        self.during = during
        real = downloads.build_package

        def counting(*args, **kwargs):
            self.calls += 1
            if self.during and self.calls == 1:
                self.during()
            return real(*args, **kwargs)

        monkeypatch.setattr(downloads, "build_package", counting)


@pytest.fixture
def guide(spanish_audio):
    """The guide as a request reads it from the database (its audio generated)."""
    return Page.objects.get(pk=spanish_audio.pk).specific


@pytest.fixture
def enqueued(monkeypatch):
    """The package ids handed to the queue (the task is run by hand in these tests)."""
    ids = []
    monkeypatch.setattr(downloads, "_enqueue", ids.append)
    return ids


@pytest.mark.django_db
def test_a_second_worker_or_request_during_the_build_does_not_build_again(
    guide, monkeypatch, enqueued, django_capture_on_commit_callbacks
):
    seen = {}

    def meanwhile():
        # Another worker picks up the same task; a station asks for the package again.
        seen["second worker"] = build_requested_package(package.pk)
        with django_capture_on_commit_callbacks(execute=True):
            seen["second request"] = request_package(guide).state

    builds = Builds(monkeypatch, during=meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        package = request_package(guide)
    assert enqueued == [package.pk]

    assert build_requested_package(package.pk) == "ready"
    assert seen == {"second worker": None, "second request": "building"}
    assert builds.calls == 1
    assert enqueued == [package.pk]  # the second request queued nothing


@pytest.mark.django_db
def test_a_built_package_is_served_not_built_again(
    admin_client, guide, monkeypatch, enqueued, django_capture_on_commit_callbacks
):
    builds = Builds(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        package = request_package(guide)
    build_requested_package(package.pk)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(package_url(guide))  # a second station asks
        again = request_package(guide)
    assert (again.pk, again.state) == (package.pk, "ready")
    assert build_requested_package(package.pk) is None  # a task run twice does nothing
    assert builds.calls == 1 and enqueued == [package.pk]
    response = admin_client.get(reverse("radio_admin:download", args=[guide.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"


def killed_mid_build(package, settings):
    """The row as a worker killed mid-build leaves it: building, heartbeat stopped long ago."""
    long_ago = timezone.now() - timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS + 1)
    RadioPackage.objects.filter(pk=package.pk).update(
        state="building", attempt=1, heartbeat_at=long_ago, requested_at=long_ago
    )


@pytest.mark.django_db
def test_a_worker_killed_mid_build_leaves_the_package_rebuildable(
    admin_client,
    guide,
    monkeypatch,
    enqueued,
    settings,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        package = request_package(guide)
    # While the worker is alive (fresh heartbeat) the admin waits and nothing is queued again.
    RadioPackage.objects.filter(pk=package.pk).update(
        state="building", attempt=1, heartbeat_at=timezone.now()
    )
    assert '<meta http-equiv="refresh"' in admin_client.get(package_url(guide)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        request_package(guide)
    assert enqueued == [package.pk]

    killed_mid_build(package, settings)
    html = admin_client.get(package_url(guide)).content.decode()
    assert '<meta http-equiv="refresh"' not in html  # not waited for: "Preparar" again
    assert "Preparar el paquete" in html
    builds = Builds(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(package_url(guide))
    assert enqueued == [package.pk, package.pk]
    assert build_requested_package(package.pk) == "ready"
    assert builds.calls == 1
    package.refresh_from_db()
    assert (package.attempt, package.heartbeat_at) == (2, None)
    assert state_of(admin_client.get(package_url(guide))) == "ready"


@pytest.mark.django_db
def test_the_workers_sweep_queues_a_stalled_build_again_once(
    guide, monkeypatch, enqueued, settings, django_capture_on_commit_callbacks
):
    from audio.management.commands.audio_worker import Command

    with django_capture_on_commit_callbacks(execute=True):
        package = request_package(guide)
    RadioPackage.objects.filter(pk=package.pk).update(
        state="building", attempt=1, heartbeat_at=timezone.now()
    )
    assert recover_stalled_packages() == []  # alive: left alone
    killed_mid_build(package, settings)
    # The test's connection outlives the sweep (the worker closes stale ones after it).
    monkeypatch.setattr(
        "audio.management.commands.audio_worker.close_old_connections", lambda: None
    )
    Command().sweep(hourly=False)  # as audio_worker runs it every minute
    assert recover_stalled_packages() == []  # a second sweep finds it queued already
    assert enqueued == [package.pk, package.pk]
    builds = Builds(monkeypatch)
    assert build_requested_package(package.pk) == "ready"
    assert builds.calls == 1


@pytest.mark.django_db
def test_a_worker_taken_for_dead_that_comes_back_throws_its_build_away(
    guide, monkeypatch, enqueued, settings, django_capture_on_commit_callbacks
):
    """Its heartbeat stopped (a frozen VM, say), the package was asked for and built again:
    the newer build's ZIP is the one kept, and the late one's file is deleted."""
    seen = {}
    # Other tests' packages of the same guide may share the folder (and the key).
    storage = RadioPackage._meta.get_field("file").storage
    try:  # (in S3 a folder never "exists": it is listed, maybe empty)
        earlier = set(storage.listdir("radio/packages")[1])
    except FileNotFoundError:
        earlier = set()

    def frozen_then_taken_over():
        killed_mid_build(package, settings)
        with django_capture_on_commit_callbacks(execute=True):
            request_package(guide)
        seen["takeover"] = build_requested_package(package.pk)

    builds = Builds(monkeypatch, during=frozen_then_taken_over)
    with django_capture_on_commit_callbacks(execute=True):
        package = request_package(guide)
    assert build_requested_package(package.pk) is None  # the late worker records nothing
    assert seen == {"takeover": "ready"} and builds.calls == 2
    package.refresh_from_db()
    assert (package.state, package.attempt) == ("ready", 2)
    stored = set(package.file.storage.listdir("radio/packages")[1]) - earlier
    assert [name for name in stored if package.key[:12] in name] == [
        os.path.basename(package.file.name)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_requests_and_two_workers_at_once_build_once(monkeypatch, enqueued):
    require_row_locks()
    # Not the small_guide fixture: an earlier transactional test may have flushed its home page.
    guide = make_guide("paquete-concurrente", sections=1)
    run_job(guide.pk)
    guide = Page.objects.get(pk=guide.pk).specific
    builds = Builds(monkeypatch)

    rows = at_once(lambda: request_package(guide).pk)
    assert len(rows) == 4 and len(set(rows)) == 1
    assert enqueued == rows[:1]  # one task queued for four requests
    (package_id,) = set(rows)
    assert sorted(at_once(lambda: build_requested_package(package_id)), key=str) == [
        None,
        None,
        None,
        "ready",
    ]
    assert builds.calls == 1
    assert RadioPackage.objects.get().state == "ready"
