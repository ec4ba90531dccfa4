"""Benchmark: generating the Mixco guide's audio with espeak, against raw synthesis.

    .venv/bin/python -m bench.bench_espeak_generation
    # CI: the first 4 sections, no verdicts judged
    .venv/bin/python -m bench.bench_espeak_generation --smoke

Reads the Spanish Mixco guide from the demo content (no database: the page is
a stand-in object fed to the real ``speech_sections``), then times in one run:

(a) baseline: espeak synthesizing every spoken sentence, plus one plain encode
    of the joined audio per published variant (same codec, bitrate, rate and
    encoder settings as ``audio.variants.encoder_options``, no loudness work);
(b) pipeline: the real stages as ``audio.clips``, ``audio.segments`` and
    ``audio.publishing`` run them with an empty cache: per section synthesize
    -> decode -> trim (side by side, as clips.py does) -> join -> FLAC clip;
    then per published variant (``master_joined``, as ``audio.segments``
    calls it: the variants side by side, a thread each) every section
    mastered and encoded on its own, each segment decoded and measured once
    (a section off target would be mastered again), the segments joined
    without re-encoding, captions and chapters from where the segments
    landed, tags;
(c) a one-section edit: that section synthesized, mastered and measured
    again, joined with the other sections' segments as they were (aiming by
    the codec change they showed and reusing their readings, as the cache
    does), tagged.

Target (issue "mastering is slow"): (b) takes at most 2x (a). Each published
file is then decoded again and measured here, independently of the mastering
code (pyloudnorm; true peak from 4x oversampling of the whole file), against
the variant's loudness target (+/-0.5 LU; 1 LU for -23 LUFS broadcast
variants, as EBU R128 allows) and its true-peak ceiling. Results are reported
as PASS/MISS; benchmarks report, tests assert.

Timings are wall-clock; CPU seconds of this process are shown beside them,
since on a shared machine other work inflates wall time (and the pipeline's
variants run side by side, so its CPU time can exceed its wall time).
"""

import dataclasses
import io
import os
import statistics
import sys
import time
import tomllib
import wave
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# No query runs here; an in-memory database makes sure none could touch real data.
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from audio.clips import SYNTHESIS_THREADS, encode_flac, sentence_pauses  # noqa: E402
from audio.engines import get_engine  # noqa: E402
from audio.mastering import (  # noqa: E402
    MASTER_SAMPLE_RATE,
    Chapter,
    Cue,
    Metadata,
    chapters_json,
    decode_audio,
    join_with_pauses,
    master_joined,
    tag,
    trim_silence,
    webvtt,
)
from audio.publishing import PAUSE_BETWEEN_SECTIONS  # noqa: E402
from audio.text import speech_sections, spoken_form  # noqa: E402
from audio.variants import published_variants  # noqa: E402
from bench.baseline import independent_measure, plain_encode  # noqa: E402
from bench.common import SMOKE_HELP, SMOKE_SECTIONS  # noqa: E402

CONTENT = Path(__file__).resolve().parent.parent / "cms" / "demo" / "content" / "mixco.es.toml"
RATIO_TARGET = 2.0
LOUDNESS_TOLERANCE_LU = 0.5
BROADCAST_TOLERANCE_LU = 1.0  # EBU R128 for -23 LUFS programmes


class Timer:
    """Wall and process CPU seconds per named stage, summed over repeats."""

    def __init__(self):
        self.wall = {}
        self.cpu = {}

    @contextmanager
    def __call__(self, name):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def total(self, prefix):
        return (
            sum(v for k, v in self.wall.items() if k.startswith(prefix)),
            sum(v for k, v in self.cpu.items() if k.startswith(prefix)),
        )


def guide_sections():
    """The guide's SpeechSections, from the TOML through the real audio.text stage."""
    with open(CONTENT, "rb") as file:
        data = tomllib.load(file)
    page = SimpleNamespace(
        title=data["title"],
        summary=data.get("summary", ""),
        sections=[
            SimpleNamespace(
                id=s["id"], value={k: s.get(k, "") for k in ("heading", "key_point", "body")}
            )
            for s in data["sections"]
        ],
    )
    return speech_sections(page)


def wav_samples(data):
    """espeak's int16 WAV bytes -> float32 samples and rate (the standard library reads it)."""
    with wave.open(io.BytesIO(data)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768, rate


def baseline(sections, spoken, engine, variants, timer):
    """Raw espeak for every sentence, then one plain encode per variant."""
    pieces, rate = [], None
    with timer("a. espeak synthesis"):
        for section in sections:
            for text in spoken[section.id]:
                if text:
                    pcm, rate = wav_samples(engine.synthesize(text).data)
                    pieces.append(pcm)
    joined = np.concatenate(pieces)
    for variant in variants:
        with timer(f"a. plain encode {variant.name}"):
            plain_encode(joined, rate, variant)
    return len(joined) / rate


def pipeline(sections, spoken, engine, variants, timer):
    """The real stages, as audio.clips, audio.segments and audio.publishing run them, minus the
    database."""
    clips = [synthesized_clip(section, spoken, engine, timer, "b.") for section in sections]
    with timer("b. decode clips"):
        samples = [decode_audio(flac) for _s, flac, _spans in clips]
    with (
        timer("b. master + measure + join, variants side by side"),
        ThreadPoolExecutor(len(variants)) as pool,
    ):
        made = dict(
            zip(
                (v.name for v in variants),
                pool.map(
                    lambda v: master_joined(samples, v, pause_seconds=PAUSE_BETWEEN_SECTIONS),
                    variants,
                ),
                strict=True,
            )
        )
    outputs = {v.name: publish(clips, made[v.name].joined, v, timer, "b.") for v in variants}
    return outputs, clips, made


def synthesized_clip(section, spoken, engine, timer, stage):
    """One section's clip, as audio.clips makes it: (section, FLAC bytes, sentence spans)."""

    def sentence_audio(text):
        return trim_silence(decode_audio(engine.synthesize(text).data))

    said = [(index, text) for index, text in enumerate(spoken[section.id]) if text]
    with (
        timer(f"{stage} synthesize + decode + trim"),
        ThreadPoolExecutor(SYNTHESIS_THREADS) as pool,
    ):
        parts = list(pool.map(sentence_audio, [text for _index, text in said]))
    with timer(f"{stage} join + FLAC-encode clips"):
        pcm, spans = join_with_pauses(parts, sentence_pauses(len(parts)))
        flac = encode_flac(pcm)
    return section, flac, [(i, a, b) for (i, _text), (a, b) in zip(said, spans, strict=True)]


def publish(clips, joined, variant, timer, stage):
    """Captions and chapters from where sections landed, tags: the file's bytes."""
    with timer(f"{stage} captions + chapters + tags"):
        spans = joined.clip_seconds()
        chapters = [
            Chapter(s.id, s.heading, a, b)
            for (s, _f, _sp), (a, b) in zip(clips, spans, strict=True)
        ]
        cues = [
            Cue(offset + start, offset + end, s.sentences[index], id=f"{s.id}-{index}")
            for (s, _f, sentence_spans), (offset, _end) in zip(clips, spans, strict=True)
            for index, start, end in sentence_spans
        ]
        webvtt(cues)
        chapters_json(chapters, clips[0][0].heading)
        metadata = Metadata(
            title=clips[0][0].heading,
            album="Altavoz",
            artist="Altavoz",
            language="spa",
            year=2026,
            chapters=chapters,
        )
        data = tag(joined.data, variant, metadata)
    return SimpleNamespace(data=data, seconds=joined.duration_seconds)


def edit(sections, spoken, engine, variants, clips, made, timer, index=3):
    """A one-section edit: the section re-read and re-mastered, the others' segments reused."""
    added = "Una frase nueva para medir la edición."
    section = dataclasses.replace(sections[index], sentences=(*sections[index].sentences, added))
    spoken = {**spoken, section.id: [*spoken[section.id], spoken_form(added, "es", {})]}
    clips = list(clips)
    clips[index] = synthesized_clip(section, spoken, engine, timer, "c.")
    with timer("c. decode clip"):
        pcm = decode_audio(clips[index][1])

    def remaster(variant):
        before = made[variant.name]
        changes = [
            s.codec_change_lu(heard, variant)
            for s, heard in zip(before.segments, before.heard.segments, strict=True)
        ]
        return master_joined(
            [pcm if i == index else None for i in range(len(clips))],
            variant,
            pause_seconds=PAUSE_BETWEEN_SECTIONS,
            made=[None if i == index else s for i, s in enumerate(before.segments)],
            readings=[None if i == index else r for i, r in enumerate(before.readings)],
            codec_change_lu=statistics.median(c for c in changes if c is not None),
        )

    with (
        timer("c. master + measure + join, variants side by side"),
        ThreadPoolExecutor(len(variants)) as pool,
    ):
        results = list(pool.map(remaster, variants))
    for variant, result in zip(variants, results, strict=True):
        assert result.mastered == result.read == {index}, (result.mastered, result.read)
        publish(clips, result.joined, variant, timer, "c.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    timer = Timer()
    variants = published_variants()
    sections = guide_sections()
    if args.smoke:
        sections = sections[:SMOKE_SECTIONS]
    engine = get_engine("espeak")
    with timer("b. normalize text"):
        spoken = {s.id: [spoken_form(text, "es", {}) for text in s.sentences] for s in sections}
    sentences = sum(len(v) for v in spoken.values())

    base_audio = baseline(sections, spoken, engine, variants, timer)
    outputs, clips, made = pipeline(sections, spoken, engine, variants, timer)
    edit(sections, spoken, engine, variants, clips, made, timer)
    guide_audio = max(output.seconds for output in outputs.values())

    (base_wall, base_cpu), (pipe_wall, pipe_cpu) = timer.total("a."), timer.total("b.")
    edit_wall, edit_cpu = timer.total("c.")
    ratio, cpu_ratio = pipe_wall / base_wall, pipe_cpu / base_cpu

    print(
        f"Mixco guide: {len(sections)} sections, {sentences} sentences; espeak audio "
        f"{base_audio / 60:.1f} min, {guide_audio / 60:.1f} min with pauses; master rate "
        f"{MASTER_SAMPLE_RATE} Hz; {os.cpu_count()} CPUs\n"
    )
    print("| stage | wall s | CPU s |")
    print("|---|---:|---:|")
    for name in timer.wall:
        print(f"| {name} | {timer.wall[name]:.2f} | {timer.cpu[name]:.2f} |")
    print(f"| **(a) baseline total** | **{base_wall:.2f}** | {base_cpu:.2f} |")
    print(f"| **(b) pipeline total** | **{pipe_wall:.2f}** | {pipe_cpu:.2f} |")
    print(f"| **(c) one-section edit total** | **{edit_wall:.2f}** | {edit_cpu:.2f} |")
    verdict = "PASS" if ratio <= RATIO_TARGET else "MISS"
    print(
        f"\nratio pipeline/baseline: {ratio:.2f}x wall (CPU {cpu_ratio:.2f}x); "
        f"target <= {RATIO_TARGET:.1f}x: {verdict}"
    )
    print(
        f"one-section edit / pipeline: {edit_wall / pipe_wall:.1%} wall "
        f"(CPU {edit_cpu / pipe_cpu:.1%})\n"
    )

    print(
        "| variant | duration s | size KiB | LUFS (target) | dBTP (ceiling) "
        "| loudness | true peak |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for variant in variants:
        result = outputs[variant.name]
        lufs, dbtp, seconds = independent_measure(result.data)
        tolerance = (
            BROADCAST_TOLERANCE_LU if variant.loudness_lufs <= -23 else LOUDNESS_TOLERANCE_LU
        )
        loudness_ok = "PASS" if abs(lufs - variant.loudness_lufs) <= tolerance else "MISS"
        peak_ok = "PASS" if dbtp <= variant.true_peak_dbtp else "MISS"
        print(
            f"| {variant.name} | {seconds:.2f} | {len(result.data) / 1024:.0f} | "
            f"{lufs:.2f} ({variant.loudness_lufs:g} ±{tolerance:g}) | "
            f"{dbtp:.2f} ({variant.true_peak_dbtp:g}) | {loudness_ok} | {peak_ok} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
