"""Real workers: two never make the same page's audio, and a killed one is replaced.

Most tests here commit data (other threads and processes must see it), so they
run as transactional tests, after the others.
"""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audio.jobs import WORKER_ID, claim, prune_task_results, recover_stalled_jobs, run_job
from audio.models import AudioJob, Rendition
from tests.concurrency import at_once, require_row_locks

from .fixtures import audio_tasks_for, publish_guide, section_value

ROOT = Path(__file__).resolve().parents[2]
LONG_BODY = "".join(
    f"<p>Este es el párrafo número {n} de una sección larga. "
    "Sirve para que el trabajo dure unos segundos.</p>"
    for n in range(1, 9)
)


def make_guide(slug, sections=3):
    from cms.models import HomePage
    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home = (
        HomePage.objects.filter(locale__language_code="es").first() or ensure_home_page("Inicio")[0]
    )
    return publish_guide(
        slug,
        [section_value(f"Parte {i}", LONG_BODY) for i in range(sections)],
        summary="Resumen.",
        home=home,
    )


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def manage(*args, **popen):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        ALTAVOZ_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        ALTAVOZ_VOICES_ES="espeak",
        # Short, so that the rescuer takes the dead worker's job over soon.
        ALTAVOZ_AUDIO_STALL_SECONDS="1",
        ALTAVOZ_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, start_new_session=True, **popen
    )


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def job_state(page):
    return AudioJob.objects.filter(page=page).values_list("state", flat=True).first()


def only_this_job_waits(page):
    """The demo guides' jobs stay queued from loading (no task ran): out of the way."""
    AudioJob.objects.exclude(page=page).update(state="ready", finished_at=F("requested_at"))


def running_since_long_ago(page, worker, settings):
    settings.ALTAVOZ_AUDIO_STALL_SECONDS = 60
    only_this_job_waits(page)
    long_ago = timezone.now() - timedelta(seconds=120)
    AudioJob.objects.filter(page=page).update(
        state="running",
        worker=worker,
        started_at=long_ago,
        heartbeat_at=long_ago,
        requested_at=long_ago,
    )
    return long_ago


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_beating_is_queued_again(small_guide, task_backend, settings):
    long_ago = running_since_long_ago(small_guide, "another-host:4242:0badcafe", settings)
    assert recover_stalled_jobs() == [small_guide.pk]
    job = AudioJob.objects.get(page=small_guide)
    assert job.state == "queued" and job.requested_at > long_ago
    assert len(audio_tasks_for(small_guide)) == 1

    # The next sweeps, while the workers are busy elsewhere, queue no more tasks for it.
    assert recover_stalled_jobs() == []
    assert len(audio_tasks_for(small_guide)) == 1
    assert claim(small_guide.pk, worker="rescuer") is not None  # a worker takes it over


@pytest.mark.django_db
def test_a_queued_job_whose_task_was_lost_is_queued_again_once_per_stall_period(
    small_guide, task_backend, settings
):
    settings.ALTAVOZ_AUDIO_STALL_SECONDS = 60
    only_this_job_waits(small_guide)
    AudioJob.objects.filter(page=small_guide).update(
        state="queued", requested_at=timezone.now() - timedelta(seconds=90)
    )
    assert recover_stalled_jobs() == [small_guide.pk]
    assert recover_stalled_jobs() == []
    assert len(audio_tasks_for(small_guide)) == 1


@pytest.mark.django_db
def test_a_worker_never_takes_its_own_running_job_for_dead(small_guide, task_backend, settings):
    """Its heartbeat can be late (a busy database); the sweep runs in the same, living process."""
    long_ago = running_since_long_ago(small_guide, WORKER_ID, settings)
    assert recover_stalled_jobs() == []
    job = AudioJob.objects.get(page=small_guide)
    assert (job.state, job.requested_at) == ("running", long_ago)
    assert audio_tasks_for(small_guide) == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_page():
    require_row_locks()
    guide = make_guide("concurrencia", sections=1)
    workers = [f"w{number}" for number in range(4)]
    claims = at_once(lambda worker: claim(guide.pk, worker=worker), len(workers), workers)
    assert len([c for c in claims if c is not None]) == 1


@pytest.mark.django_db
def test_task_records_finished_long_ago_are_pruned(settings):
    from audio.jobs.tasks import generate_page_audio_task

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "audio"]}
    }
    settings.ALTAVOZ_TASK_RESULTS_DAYS = 14
    now = timezone.now()
    done_long_ago, done_lately, failed_long_ago, waiting_long, orphan, running = (
        generate_page_audio_task.enqueue(page_id).id for page_id in (1, 2, 3, 4, 5, 6)
    )
    finished = {
        done_long_ago: ("SUCCESSFUL", 15),
        done_lately: ("SUCCESSFUL", 13),
        failed_long_ago: ("FAILED", 15),
    }
    for task_id, (status, days_ago) in finished.items():
        DBTaskResult.objects.filter(id=task_id).update(
            status=status, finished_at=now - timedelta(days=days_ago)
        )
    DBTaskResult.objects.filter(id=waiting_long).update(enqueued_at=now - timedelta(days=30))
    # A worker killed mid-task leaves its record running.
    DBTaskResult.objects.filter(id=orphan).update(
        status="RUNNING", started_at=now - timedelta(days=15)
    )
    DBTaskResult.objects.filter(id=running).update(
        status="RUNNING", started_at=now - timedelta(minutes=5)
    )

    assert prune_task_results(now) == 3
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert kept == {done_lately, waiting_long, running}


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_synthesize_each_section_once(monkeypatch):
    from audio.engines.espeak import EspeakEngine

    guide = make_guide("dos-trabajadores", sections=2)
    calls = []
    original = EspeakEngine.synthesize

    def slow_counting(self, text):
        calls.append(text)
        time.sleep(0.01)
        return original(self, text)

    monkeypatch.setattr(EspeakEngine, "synthesize", slow_counting)
    errors = []

    def work(worker):
        try:
            run_job(guide.pk, worker=worker)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    from audio.text import speech_sections

    sentences = [sentence for section in speech_sections(guide) for sentence in section.sentences]
    assert len(calls) == len(sentences)  # every sentence synthesized once, by one worker
    assert Rendition.objects.filter(page=guide, state="live").count() == 2


@pytest.mark.django_db(transaction=True)
def test_killed_worker_is_replaced_and_nothing_half_made_is_served(settings):
    # One long section: the job still runs for seconds (time to kill the worker mid-job),
    # and the rescuer, which makes the whole audio again, has a quarter of the work.
    guide = make_guide("trabajador-muerto", sections=1)
    AudioJob.objects.update(
        state="ready", finished_at=F("requested_at")
    )  # this one is queued below
    # A real DB task, queued here as `manage.py generate_audio --page` queues it (without
    # starting one more Django process for it).
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "audio"]}
    }
    call_command("generate_audio", "--page", str(guide.pk), stdout=io.StringIO())
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    doomed = manage(
        "audio_worker",
        "--sweep-interval",
        "0.5",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: job_state(guide) == "running", timeout=60)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
    assert job_state(guide) == "running"
    assert not Rendition.objects.filter(page=guide).exists()

    rescuer = manage(
        "audio_worker",
        "--sweep-interval",
        "0.5",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: job_state(guide) == "ready", timeout=240, interval=0.2)
    finally:
        os.killpg(rescuer.pid, signal.SIGTERM)
        rescuer.wait(30)
    job = AudioJob.objects.get(page=guide)
    assert job.attempts == 2
    live = Rendition.objects.filter(page=guide, state="live")
    assert {r.variant for r in live} == {"listen", "lowdata"}
    for rendition in live:
        assert rendition.audio.storage.size(rendition.audio.name) == rendition.size_bytes


def test_the_worker_waits_for_a_database_that_went_away(monkeypatch):
    """pg_ctl restart under a running worker: db_worker raises, audio_worker runs it again."""
    from django.db import OperationalError

    from audio.management.commands import audio_worker

    calls = []

    def db_worker(name, **options):
        calls.append(name)
        if len(calls) == 1:
            raise OperationalError("connection failed: the database system is shutting down")

    monkeypatch.setattr(audio_worker, "call_command", db_worker)
    monkeypatch.setattr(audio_worker, "DATABASE_RETRY_SECONDS", 0)
    monkeypatch.setattr(audio_worker.Command, "sweep", lambda self, hourly=True: None)

    audio_worker.Command().handle(sweep_interval=3600)

    assert calls == ["db_worker", "db_worker"]
