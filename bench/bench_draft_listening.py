"""Benchmark: hearing a draft's section before publishing ("Escuchar"), against the engine alone.

    .venv/bin/python -m bench.bench_draft_listening
    .venv/bin/python -m bench.bench_draft_listening --smoke   # CI: two sections

On a throwaway database, the Spanish Mixco guide (``cms/demo/content/mixco.es.toml``)
is published with the offline espeak voice. For each section, in one run:

(a) baseline: espeak saying the section's spoken sentences (the engine calls alone);
(b) the first "Escuchar": the admin's POST, signed in, with an empty clip cache
    (normalize, synthesize, join, FLAC clip stored, MP3 for the browser);
(c) a second "Escuchar" of the same text (from the clip cache);
then the guide's audio is generated, as the worker does after a publish, and the
engine calls it makes are counted: a previewed section must cost none.

Figures: seconds per stage, (b) / (a), the MP3's size per minute of speech.
Checks (exit code): every answer is audio, (c) and the publish call no engine.
"""

import argparse
import os
import sys
import time
import tomllib
from pathlib import Path

from bench.common import SMOKE, SMOKE_HELP, exit_code, throwaway_database

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
WORKDIR = str(throwaway_database("altavoz-bench-listen-"))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from audio.engines.espeak import EspeakEngine  # noqa: E402
from audio.mastering import decode_audio  # noqa: E402
from audio.mastering.decode import MASTER_SAMPLE_RATE  # noqa: E402
from audio.pipeline import generate_page_audio  # noqa: E402
from audio.text import lexicon_for, speech_sections, spoken_form  # noqa: E402
from audio.voices import engine_options  # noqa: E402

CONTENT = Path(__file__).resolve().parent.parent / "cms" / "demo" / "content" / "mixco.es.toml"
SMOKE_SECTIONS = 2


def publish_mixco():
    from cms.models import GuidePage
    from cms.site_setup import ensure_home_page, ensure_locales

    ensure_locales()
    home, _ = ensure_home_page("Guías para escuchar")
    with open(CONTENT, "rb") as file:
        data = tomllib.load(file)
    sections = data["sections"][:SMOKE_SECTIONS] if SMOKE else data["sections"]
    guide = home.add_child(
        instance=GuidePage(
            title=data["title"],
            slug=data["slug"],
            place_name=data["place_name"],
            department=data["department"],
            summary=data["summary"],
            last_reviewed=data["last_reviewed"],
            discreet_title=data["discreet_title"],
            sections=[
                {
                    "type": "section",
                    "id": s["id"],
                    "value": {k: s.get(k, "") for k in ("heading", "key_point", "body")},
                }
                for s in sections
            ],
        )
    )
    guide.save_revision().publish()
    return guide


def signed_in_client():
    from tests.signing_in import sign_in

    user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "pw")
    return sign_in(Client(), user)


def counting_engine_calls():
    """Count espeak calls (the engine still runs): the checks are about what is synthesized."""
    calls = []
    original = EspeakEngine.synthesize

    def counting(self, text):
        calls.append(text)
        return original(self, text)

    EspeakEngine.synthesize = counting
    return calls


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def synthesize_all(engine, sentences):
    return [engine.synthesize(text) for text in sentences if text]


def measure_sections(guide, client, calls):
    """Per section: (a) engine alone, (b) first Escuchar, (c) second; sizes; checks."""
    engine = EspeakEngine(**engine_options("espeak", "es"))
    lexicon = lexicon_for("es")
    url = reverse("altavoz_audio:listen_draft", args=[guide.pk])
    rows, checks = [], []
    for section in speech_sections(guide):
        spoken = [spoken_form(s, "es", lexicon) for s in section.sentences]
        _none, engine_seconds = timed(synthesize_all, engine, spoken)
        before = len(calls)
        first, first_seconds = timed(client.post, url, {"section": section.id})
        second, second_seconds = timed(client.post, url, {"section": section.id})
        checks += [
            (f"{section.id}: audio", first.get("Content-Type") == "audio/mpeg"),
            (f"{section.id}: second from the cache", second.get("X-Altavoz-Clip") == "cached"),
            (f"{section.id}: engine called once per sentence", len(calls) - before == len(spoken)),
        ]
        seconds = len(decode_audio(first.content)) / MASTER_SAMPLE_RATE
        rows.append(
            (section.id, engine_seconds, first_seconds, second_seconds, len(first.content), seconds)
        )
    return rows, checks


def report(rows, publish_calls, publish_seconds):
    print(
        f"{'section':<38} {'(a) engine':>10} {'(b) 1st':>8} {'(b)/(a)':>7} {'(c) 2nd':>8} "
        f"{'MP3':>8}"
    )
    for section_id, engine, first, second, size, seconds in rows:
        print(
            f"{section_id:<38} {engine:>9.2f}s {first:>7.2f}s {first / engine:>6.2f}x "
            f"{second:>7.3f}s {size / 1024:>6.0f}kB  ({seconds:.0f} s of speech)"
        )
    engine, first, second = (sum(r[i] for r in rows) for i in (1, 2, 3))
    size, speech = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print(
        f"{'all ' + str(len(rows)) + ' sections':<38} {engine:>9.2f}s {first:>7.2f}s "
        f"{first / engine:>6.2f}x {second:>7.3f}s {size / 1024:>6.0f}kB"
    )
    print(
        f"first Escuchar per section: median {sorted(r[2] for r in rows)[len(rows) // 2]:.2f} s, "
        f"max {max(r[2] for r in rows):.2f} s; second: max {max(r[3] for r in rows) * 1000:.0f} ms"
    )
    print(f"MP3 for the editor: {size / 1024 / (speech / 60):.0f} kB per minute of speech")
    print(f"publish after the previews: {publish_calls} engine calls, {publish_seconds:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.parse_args(argv)
    print("Setting up a throwaway database…", file=sys.stderr)
    call_command("migrate", verbosity=0)
    guide = publish_mixco()
    client = signed_in_client()
    calls = counting_engine_calls()
    rows, checks = measure_sections(guide, client, calls)
    before = len(calls)
    summary, publish_seconds = timed(generate_page_audio, guide)
    report(rows, len(calls) - before, publish_seconds)
    checks += [
        ("the publish made audio", bool(summary.get("published"))),
        ("the publish reused every previewed clip", len(calls) == before),
    ]
    return exit_code(checks)


if __name__ == "__main__":
    sys.exit(main())
