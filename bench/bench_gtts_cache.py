"""Benchmark: what the per-section clip cache saves with Google TTS.

    .venv/bin/python -m bench.bench_gtts_cache
    .venv/bin/python -m bench.bench_gtts_cache --smoke   # CI: 5 ms replies; fails if the cache does

A local stand-in for Google's endpoint (loopback only) answers every request
in the format gTTS parses, after 150 ms, with one second of real MP3. Against
it, in one run, on the Mixco guide:

1. full generation through the real pipeline (empty cache);
2. an unchanged re-publish;
3. an edit of one section;
4. baseline: plain ``gTTS(whole guide text).save()`` against the same endpoint.

Targets (issue "Audio pipeline"): unchanged = 0 engine calls; one-section edit =
the calls of that section only, re-encoding only that section's mastered
segments, and ≤ 15% of the full generation's wall time.
"""

import argparse
import os
import sys
import time

from bench.common import SMOKE, SMOKE_HELP, exit_code, load_demo_database, throwaway_database
from bench.fake_google import FakeGoogle, start_fake_google

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
WORKDIR = str(throwaway_database("altavoz-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from gtts import gTTS  # noqa: E402
from gtts import tts as gtts_tts  # noqa: E402

from audio.models import SectionClip  # noqa: E402
from audio.pipeline import generate_page_audio  # noqa: E402
from audio.text import speech_sections, spoken_form  # noqa: E402
from audio.voices import reset_failures  # noqa: E402

DELAY_SECONDS = 0.005 if SMOKE else 0.150
EDIT_SHARE_TARGET = 0.15


def measured(fn):
    before = FakeGoogle.count
    started = time.perf_counter()
    result = fn()
    return result, FakeGoogle.count - before, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    server, endpoint = start_fake_google(DELAY_SECONDS)

    print("Setting up a throwaway database with the demo guides…", file=sys.stderr)
    load_demo_database()
    from cms.models import GuidePage

    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": ["gtts"]}
    # Loopback: the production rate limit (3 requests/s, for Google) would
    # measure the limiter, not the cache.
    settings.ALTAVOZ_ENGINE_OPTIONS = {
        **settings.ALTAVOZ_ENGINE_OPTIONS,
        "gtts": {
            "es": {
                "lang": "es",
                "tld": "com.mx",
                "endpoint": endpoint,
                "requests_per_second": 1000.0,
            }
        },
    }
    reset_failures()
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    SectionClip.objects.all().delete()

    full, full_calls, full_seconds = measured(lambda: generate_page_audio(guide))
    guide.save_revision().publish()
    _same, same_calls, same_seconds = measured(lambda: generate_page_audio(guide))

    raw = guide.sections.get_prep_value()
    raw[3]["value"]["body"] += "<p>Una frase nueva para medir la edición.</p>"
    guide.sections = raw
    guide.save_revision().publish()
    edited_id = raw[3]["id"]
    edited = next(s for s in speech_sections(guide) if s.id == edited_id)
    expected_calls = sum(
        len(gTTS(spoken_form(s, "es", {}), lang="es", tld="com.mx")._prepare_requests())
        for s in edited.sentences
    )
    edit, edit_calls, edit_seconds = measured(lambda: generate_page_audio(guide))

    whole_text = " ".join(
        spoken_form(s, "es", {}) for section in speech_sections(guide) for s in section.sentences
    )
    original_url = gtts_tts._translate_url
    gtts_tts._translate_url = lambda tld="com", path="": f"{endpoint}/{path}"
    try:
        _b, baseline_calls, baseline_seconds = measured(
            lambda: gTTS(whole_text, lang="es", tld="com.mx").save(
                os.path.join(WORKDIR, "baseline.mp3")
            )
        )
    finally:
        gtts_tts._translate_url = original_url
    server.shutdown()

    def encoded(summary):
        return (
            ", ".join(
                f"{n} {variant}" for variant, n in summary.get("segments_encoded", {}).items()
            )
            or "none"
        )

    rows = [
        (
            "full generation (empty cache)",
            full_calls,
            full_seconds,
            f"{full['synthesized']} of {full['sections']} sections synthesized; "
            f"segments encoded: {encoded(full)}",
        ),
        (
            "unchanged re-publish",
            same_calls,
            same_seconds,
            f"{_same['synthesized']} synthesized; segments encoded: {encoded(_same)}",
        ),
        (
            "one-section edit",
            edit_calls,
            edit_seconds,
            f"{edit['synthesized']} synthesized (that section needs {expected_calls} calls); "
            f"segments encoded: {encoded(edit)}",
        ),
        (
            "baseline: gTTS save() of whole text",
            baseline_calls,
            baseline_seconds,
            f"{len(whole_text)} characters",
        ),
    ]
    print(
        f"\nFake Google endpoint: {DELAY_SECONDS * 1000:.0f} ms per request, 1 s of MP3 per reply\n"
    )
    print(f"| {'run':38} | {'engine calls':>12} | {'wall s':>7} | notes")
    print(f"|{'-' * 40}|{'-' * 14}|{'-' * 9}|------")
    for name, calls, seconds, note in rows:
        print(f"| {name:38} | {calls:>12} | {seconds:>7.2f} | {note}")
    share = edit_seconds / full_seconds
    print(f"\none-section edit / full generation: {share:.1%} of the wall time")
    print(f"full generation / baseline gTTS save(): {full_seconds / baseline_seconds:.2f}×")
    functional = [
        ("unchanged re-publish makes 0 engine calls", same_calls == 0),
        ("one-section edit makes only that section's calls", edit_calls == expected_calls),
        (
            "one-section edit re-encodes only that section's segments",
            set(edit["segments_encoded"].values()) == {1},
        ),
    ]
    timing = [
        (
            f"one-section edit ≤ {EDIT_SHARE_TARGET:.0%} of full wall time",
            share <= EDIT_SHARE_TARGET,
        )
    ]
    for name, ok in functional + timing:
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    # A smoke run judges no timing, but a cache that stopped working is broken.
    return exit_code(functional) if args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
