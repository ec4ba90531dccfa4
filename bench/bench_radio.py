"""Benchmark: building the radio packages of both demo guides, against encoding the audio once.

    make demo          # once: the demo guides with their audio (stop the server after)
    .venv/bin/python -m bench.bench_radio [--jobs N] [--serial]
    # CI: its own throwaway demo, Mixco's first 4 sections voiced by espeak
    .venv/bin/python -m bench.bench_radio --smoke

Uses the configured database (``make demo``'s ``var/`` by default) and writes
only into a temporary directory. For the Spanish Mixco and Patzún guides it
times, in one run:

(a) baseline: decode the section clips, join them as the program, and encode
    that once in the package's format (MP3 128 kbps CBR 44.1 kHz stereo) with
    PyAV — no loudness work, no spots, no tags;
(b) package: ``gather_clips`` + ``build_package`` exactly as ``export_radio``
    runs them: the program and every spot mastered at -23 LUFS / -1 dBTP,
    tags, playlist, CUE, libreto, README, manifest, ZIP. Station IDs off, so
    both sides encode the same speech.

Every audio file of every package is then decoded and measured here,
independently of ``audio.mastering`` (pyloudnorm; true peak 4x oversampled).
Benchmarks report; tests assert.
"""

import argparse
import os
import sys
import tempfile
import time
import zipfile

from bench.common import SMOKE, SMOKE_HELP, load_demo_database, shorten_guide, throwaway_database

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
if SMOKE:
    throwaway_database("altavoz-bench-radio-")
    os.environ["ALTAVOZ_VOICES_ES"] = "espeak"  # offline: CI has no Google

import django  # noqa: E402

django.setup()


from audio.mastering import MASTER_SAMPLE_RATE  # noqa: E402
from audio.publishing import assemble  # noqa: E402
from audio.radio.packages import PackageOptions, StationIds, build_package  # noqa: E402
from audio.radio.sources import PackageError, gather_clips, plan_source  # noqa: E402
from bench.baseline import independent_measure, plain_encode  # noqa: E402
from cms.models import GuidePage  # noqa: E402

GUIDES = ("mixco", "patzun")
SMOKE_GUIDES = ("mixco",)


def smoke_demo():
    """A throwaway demo whose Mixco guide is short and voiced offline (smoke runs)."""
    from audio.pipeline import generate_page_audio

    load_demo_database()
    page = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    generate_page_audio(shorten_guide(page))


LOUDNESS_TOLERANCE_LU = 1.0  # EBU R128


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs", type=int, default=None, help="mastering processes (default: one per CPU)"
    )
    parser.add_argument(
        "--serial", action="store_true", help="also time the packages with one process"
    )
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        smoke_demo()

    options = PackageOptions(station_ids=False, workers=args.jobs)
    variant = options.variant()
    sources = []
    for slug in SMOKE_GUIDES if args.smoke else GUIDES:
        page = GuidePage.objects.live().filter(slug=slug, locale__language_code="es").first()
        if page is None:
            sys.exit(f"No live Spanish guide {slug!r}: run `make demo` first.")
        try:
            sources.append(plan_source(page))
        except PackageError as error:
            sys.exit(f"{error}\nRun `make demo` (it generates the demo audio) first.")

    rows, files = [], []
    with tempfile.TemporaryDirectory(prefix="bench-radio-") as out:
        for source in sources:
            started = time.perf_counter()
            gather_clips(source)
            gathered = time.perf_counter() - started

            started = time.perf_counter()
            program, _sections, _cues = assemble(source.clips)
            plain_encode(program, MASTER_SAMPLE_RATE, variant)
            baseline = time.perf_counter() - started

            started = time.perf_counter()
            built = build_package(source, out, options, StationIds())
            package = time.perf_counter() - started
            serial = None
            if args.serial:
                serial_dir = os.path.join(out, "serial")
                os.makedirs(serial_dir, exist_ok=True)
                started = time.perf_counter()
                build_package(
                    source, serial_dir, PackageOptions(station_ids=False, workers=1), StationIds()
                )
                serial = time.perf_counter() - started
            minutes = len(program) / MASTER_SAMPLE_RATE / 60
            rows.append(
                (source.page.slug, minutes, len(source.clips), gathered, baseline, package, serial)
            )
            with zipfile.ZipFile(built.path) as archive:
                for name in archive.namelist():
                    if name.endswith((".mp3", ".wav")):
                        files.append((name, archive.read(name)))

    print(
        f"{os.cpu_count()} CPUs; {variant.codec} {variant.bitrate // 1000} kbps "
        f"{variant.sample_rate} Hz x{variant.channels}; "
        f"target {variant.loudness_lufs:g} LUFS / {variant.true_peak_dbtp:g} dBTP\n"
    )
    print(
        "| guide | audio min | spots | gather s | (a) encode once s | (b) package s | ratio b/a |"
        + (" serial s |" if args.serial else "")
    )
    print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if args.serial else ""))
    for slug, minutes, spots, gathered, baseline, package, serial in rows:
        print(
            f"| {slug} | {minutes:.1f} | {spots} | {gathered:.2f} | {baseline:.1f} "
            f"| {package:.1f} | "
            f"{package / baseline:.2f}x |" + (f" {serial:.1f} |" if serial is not None else "")
        )
    total_a = sum(r[4] for r in rows)
    total_b = sum(r[5] for r in rows)
    print(
        f"| **both** | {sum(r[1] for r in rows):.1f} | {sum(r[2] for r in rows)} "
        f"| {sum(r[3] for r in rows):.2f} | "
        f"{total_a:.1f} | {total_b:.1f} | {total_b / total_a:.2f}x |"
        + (f" {sum(r[6] for r in rows):.1f} |" if args.serial else "")
    )

    measured = [(name, *independent_measure(data)) for name, data in files]
    lufs = [m[1] for m in measured]
    peaks = [m[2] for m in measured]
    loud_ok = all(abs(value - variant.loudness_lufs) <= LOUDNESS_TOLERANCE_LU for value in lufs)
    peak_ok = all(value <= variant.true_peak_dbtp for value in peaks)
    print(
        f"\n{len(measured)} files measured independently: "
        f"loudness {min(lufs):.2f} to {max(lufs):.2f} LUFS "
        f"({'PASS' if loud_ok else 'MISS'} {variant.loudness_lufs:g} ±{LOUDNESS_TOLERANCE_LU:g}), "
        f"true peak at most {max(peaks):.2f} dBTP "
        f"({'PASS' if peak_ok else 'MISS'} <= {variant.true_peak_dbtp:g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
