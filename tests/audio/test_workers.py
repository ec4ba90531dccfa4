"""Real workers: two never make the same page's audio, and a killed one is replaced.

These tests commit data (other threads and processes must see it), so they
run as transactional tests, after the others.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audio.jobs import claim, run_job
from audio.models import AudioJob, Rendition

ROOT = Path(__file__).resolve().parents[2]
LONG_BODY = "".join(
    f"<p>Este es el párrafo número {n} de una sección larga. Sirve para que el trabajo dure unos segundos.</p>"
    for n in range(1, 9)
)


def make_guide(slug, sections=3):
    from cms.models import GuidePage, HomePage
    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home = HomePage.objects.filter(locale__language_code="es").first() or ensure_home_page("Inicio")[0]
    guide = home.add_child(instance=GuidePage(
        title=f"Guía {slug}", slug=slug, place_name="Mixco", department="Guatemala",
        summary="Resumen.", last_reviewed="2026-11-01", discreet_title="Notas",
        sections=[{"type": "section", "value": {"heading": f"Parte {i}", "body": LONG_BODY, "key_point": "", "pictogram": ""}}
                  for i in range(sections)],
    ))
    guide.save_revision().publish()
    return guide


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def manage(*args, **popen):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        ALTAVOZ_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        ALTAVOZ_VOICES_ES="espeak",
        ALTAVOZ_AUDIO_STALL_SECONDS="2",
        ALTAVOZ_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
    )
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, start_new_session=True, **popen)


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def job_state(page):
    return AudioJob.objects.filter(page=page).values_list("state", flat=True).first()


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_page():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is under test: run on PostgreSQL (make test-postgres, CI)")
    guide = make_guide("concurrencia", sections=1)
    start = threading.Barrier(4)
    claims = []

    def try_claim(worker):
        start.wait()
        claims.append(claim(guide.pk, worker=worker))
        connection.close()

    threads = [threading.Thread(target=try_claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([c for c in claims if c is not None]) == 1


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
    from audio.speech_text import speech_sections

    sentences = [sentence for section in speech_sections(guide) for sentence in section.sentences]
    assert len(calls) == len(sentences)  # every sentence synthesized once, by one worker
    assert Rendition.objects.filter(page=guide, state="live").count() == 2


@pytest.mark.django_db(transaction=True)
def test_killed_worker_is_replaced_and_nothing_half_made_is_served():
    guide = make_guide("trabajador-muerto", sections=4)
    AudioJob.objects.filter(page=guide).update(state="ready", finished_at=AudioJob.objects.get(page=guide).requested_at)
    assert manage("generate_audio", "--page", str(guide.pk)).wait(60) == 0  # queues a real DB task

    doomed = manage("audio_worker", "--sweep-interval", "0.5", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: job_state(guide) == "running", timeout=60)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
    assert job_state(guide) == "running"
    assert not Rendition.objects.filter(page=guide).exists()

    rescuer = manage("audio_worker", "--sweep-interval", "0.5", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
