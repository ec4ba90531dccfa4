"""Benchmark: a one-section edit, from "Publicar" to its new audio live in the API.

    .venv/bin/python -m bench.bench_section_edit
    .venv/bin/python -m bench.bench_section_edit --smoke   # CI: 4 sections, 5 ms replies

On a throwaway database with the demo guides, the Spanish Mixco guide is voiced with
Google TTS against a local stand-in (``bench/fake_google.py``: 150 ms per request, one
second of MP3 per reply). A real audio worker (``manage.py audio_worker``, the database
task queue) runs beside this process. Then, in one run:

(a) baseline: that section's engine calls alone (the Google engine with the production
    rate limit, saying the section's spoken sentences, nothing else);
(b) the edit: one sentence added to one section and published, timed until the API
    (``/api/v2/guides/<id>/``) shows every rendition of the guide new and ready.

Target (issue #14): (b) ≤ 1.2 × (a) + 2 s of queue pick-up.
Checks (exit code): the edit reaches the API, and it costs only that section's calls.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import SMOKE, SMOKE_HELP, exit_code, load_demo_database, throwaway_database
from bench.fake_google import FakeGoogle, start_fake_google

# A worker is another process: it needs the database task queue and the same media
# folder, so the development settings (the test settings record tasks and use a temporary
# media folder per process).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
os.environ["DJANGO_DEBUG"] = "0"
os.environ["ALTAVOZ_VOICES_ES"] = "gtts"
WORKDIR = throwaway_database("altavoz-bench-edit-")
DELAY_SECONDS = 0.005 if SMOKE else 0.150
FAKE_GOOGLE, ENDPOINT = start_fake_google(DELAY_SECONDS)
os.environ["ALTAVOZ_GTTS_ENDPOINT"] = ENDPOINT

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from audio.engines.gtts import GoogleTTSEngine  # noqa: E402
from audio.pipeline import generate_page_audio  # noqa: E402
from audio.text import speech_sections, spoken_form  # noqa: E402
from audio.voices import engine_options  # noqa: E402
from bench.common import shorten_guide  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SLACK_FACTOR, PICKUP_SECONDS = 1.2, 2.0
WAIT_LIMIT_SECONDS = 300
EDITED_SECTION = 3  # the 4th section: a smoke run keeps four


def start_idle_worker():
    """``manage.py audio_worker`` on the same database and media folder, once it is waiting.

    Loading the demo queued tasks (search index, every guide's audio): they are dropped
    first, so that the worker is idle when the edit is published, as on a settled site.
    """
    from django_tasks_db.models import DBTaskResult

    from audio.models import AudioJob

    DBTaskResult.objects.all().delete()
    AudioJob.objects.all().delete()
    log_path = WORKDIR / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "audio_worker"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = time.perf_counter()
    while b"Starting worker" not in log_path.read_bytes():
        if worker.poll() is not None or time.perf_counter() - started > WAIT_LIMIT_SECONDS:
            raise RuntimeError(f"the audio worker did not start; see {log_path}")
        time.sleep(0.1)
    return worker


def renditions_in_api(client, guide_id):
    """(sha256, status) of each of the guide's renditions, as the API shows them."""
    response = client.get(f"/api/v2/guides/{guide_id}/", HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        return None
    audio = response.json()["audio"]
    return {r["variant"]: (r["sha256"], r["status"]) for r in audio["renditions"]}


def wait_until_new(client, guide_id, before):
    """Seconds until every rendition in the API differs from ``before`` and is ready."""
    started = time.perf_counter()
    while time.perf_counter() - started < WAIT_LIMIT_SECONDS:
        now = renditions_in_api(client, guide_id)
        if now and set(now) >= set(before):
            if all(now[v][0] != before[v][0] and now[v][1] == "ready" for v in before):
                return time.perf_counter()
        time.sleep(0.05)
    return None


def engine_calls_alone(sentences):
    """Seconds and requests for the engine to say ``sentences``, with production options."""
    engine = GoogleTTSEngine(**engine_options("gtts", "es"))
    before = FakeGoogle.count
    started = time.perf_counter()
    for sentence in sentences:
        engine.synthesize(spoken_form(sentence, "es", {}))
    return time.perf_counter() - started, FakeGoogle.count - before


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.parse_args(argv)

    print("Setting up a throwaway database with the demo guides…", file=sys.stderr)
    load_demo_database()
    from cms.models import GuidePage

    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    if SMOKE:
        guide = shorten_guide(guide)
    # The first voicing is not what is measured: lift the rate limit for it only.
    fast = {**settings.ALTAVOZ_ENGINE_OPTIONS["gtts"]["es"], "requests_per_second": 1000.0}
    production_options = settings.ALTAVOZ_ENGINE_OPTIONS
    settings.ALTAVOZ_ENGINE_OPTIONS = {
        **production_options,
        "gtts": {**production_options["gtts"], "es": fast},
    }
    print("Voicing the guide once (not timed)…", file=sys.stderr)
    generate_page_audio(guide)
    settings.ALTAVOZ_ENGINE_OPTIONS = production_options

    client = Client()
    before = renditions_in_api(client, guide.pk)
    worker = start_idle_worker()
    try:
        raw = guide.sections.get_prep_value()
        raw[EDITED_SECTION]["value"]["body"] += "<p>Una frase nueva para medir la edición.</p>"
        guide.sections = raw
        calls_before = FakeGoogle.count
        published = time.perf_counter()
        guide.save_revision().publish()
        live = wait_until_new(client, guide.pk, before)
        edit_calls = FakeGoogle.count - calls_before
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()

    edited = next(s for s in speech_sections(guide) if s.id == raw[EDITED_SECTION]["id"])
    alone_seconds, alone_calls = engine_calls_alone(edited.sentences)
    FAKE_GOOGLE.shutdown()

    print(
        f"\nFake Google endpoint: {DELAY_SECONDS * 1000:.0f} ms per request; "
        f"section {EDITED_SECTION + 1} of {len(raw)}, {len(edited.sentences)} sentences\n"
    )
    print(f"| {'run':44} | {'engine calls':>12} | {'wall s':>7}")
    print(f"|{'-' * 46}|{'-' * 14}|{'-' * 9}")
    print(
        f"| {'baseline: the section engine calls alone':44} | {alone_calls:>12} | "
        f"{alone_seconds:>7.2f}"
    )
    if live is None:
        print(f"| {'publish → new audio live in the API':44} | {edit_calls:>12} | never")
        print(f"worker log: {WORKDIR / 'worker.log'}", file=sys.stderr)
    else:
        edit_seconds = live - published
        limit = SLACK_FACTOR * alone_seconds + PICKUP_SECONDS
        print(
            f"| {'publish → new audio live in the API':44} | {edit_calls:>12} | "
            f"{edit_seconds:>7.2f}"
        )
        print(
            f"\nedit / engine calls alone: {edit_seconds / alone_seconds:.2f}×; "
            f"over them: {edit_seconds - alone_seconds:.2f} s"
        )
        verdict = "PASS" if edit_seconds <= limit else "MISS"
        print(
            f"{verdict}  edit ≤ {SLACK_FACTOR} × engine calls + {PICKUP_SECONDS:.0f} s "
            f"({limit:.2f} s)"
        )
    return exit_code(
        [
            ("the edit's new audio reaches the API", live is not None),
            ("the edit costs only that section's engine calls", edit_calls == alone_calls),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
