"""Benchmark: generating the Mixco guide's audio with espeak, against raw synthesis.

    .venv/bin/python -m bench.bench_espeak_generation

Reads the Spanish Mixco guide from the demo content (no database: the page is
a stand-in object fed to the real ``speech_sections``), then times in one run:

(a) baseline: espeak synthesizing every spoken sentence, plus one plain encode
    of the joined audio per published variant (same codec, bitrate, rate and
    encoder settings, no loudness work);
(b) pipeline: the real stages as ``audio.clips`` and ``audio.publishing`` run
    them: per section synthesize -> decode -> trim -> join -> FLAC clip; then
    decode the clips, join the sections and ``master()`` every variant.

Each mastered file is then decoded again and measured here, independently of
the mastering code (pyloudnorm; true peak from 4x oversampling), and the
targets are reported as PASS/MISS. Benchmarks report; tests assert.
"""

import io
import math
import os
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# No query runs here; an in-memory database makes sure none could touch real data.
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django  # noqa: E402

django.setup()

import av  # noqa: E402
import numpy as np  # noqa: E402
import pyloudnorm  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

from audio.clips import encode_flac, sentence_pauses, spoken_form  # noqa: E402
from audio.engines import get_engine  # noqa: E402
from audio.mastering import (  # noqa: E402
    MASTER_SAMPLE_RATE,
    Chapter,
    Cue,
    Metadata,
    chapters_json,
    decode_audio,
    join_with_pauses,
    master,
    trim_silence,
    webvtt,
)
from audio.publishing import PAUSE_BETWEEN_SECTIONS  # noqa: E402
from audio.speech_text import speech_sections  # noqa: E402
from audio.variants import encoder_options, published_variants  # noqa: E402

CONTENT = Path(__file__).resolve().parent.parent / "cms" / "demo" / "content" / "mixco.es.toml"
RATIO_TARGET = 2.0
LOUDNESS_TOLERANCE_LU = 0.5  # listen/lowdata; EBU R128 allows 1 LU for radio


class Timer:
    def __init__(self):
        self.seconds = {}

    @contextmanager
    def __call__(self, name):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def guide_sections():
    """The guide's SpeechSections, from the TOML through the real speech_text stage."""
    with open(CONTENT, "rb") as file:
        data = tomllib.load(file)
    page = SimpleNamespace(
        title=data["title"],
        summary=data.get("summary", ""),
        sections=[
            SimpleNamespace(id=s["id"], value={k: s.get(k, "") for k in ("heading", "key_point", "body")})
            for s in data["sections"]
        ],
    )
    return speech_sections(page)


def wav_samples(data):
    """int16 WAV bytes (espeak's output) -> float32 samples and rate, without PyAV."""
    import wave

    with wave.open(io.BytesIO(data)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768, rate


def plain_encode(pcm, rate, variant):
    """One encode with PyAV: resample to the variant's rate and layout, nothing else."""
    codec_options, muxer_options = encoder_options(variant)
    layout = "mono" if variant.channels == 1 else "stereo"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=variant.container, options=muxer_options) as output:
        stream = output.add_stream(variant.codec, rate=variant.sample_rate, layout=layout, options=codec_options)
        if variant.bitrate:
            stream.bit_rate = variant.bitrate
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=variant.sample_rate)
        for start in range(0, len(pcm), rate):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + rate], format="flt", layout="mono")
            frame.sample_rate = rate
            for converted in resampler.resample(frame):
                converted.pts = None
                output.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            converted.pts = None
            output.mux(stream.encode(converted))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def baseline(sections, spoken, engine, variants, timer):
    """Raw espeak for every sentence, then one plain encode per variant."""
    pieces, rate = [], None
    with timer("a. espeak synthesis"):
        for section in sections:
            for text in spoken[section.id]:
                pcm, rate = wav_samples(engine.synthesize(text).data)
                pieces.append(pcm)
    joined = np.concatenate(pieces)
    for variant in variants:
        with timer(f"a. plain encode {variant.name}"):
            plain_encode(joined, rate, variant)
    return len(joined) / rate


def pipeline(sections, spoken, engine, variants, timer):
    """The real stages, as audio.clips and audio.publishing run them, minus the database."""
    clips = []
    for section in sections:
        said = [(index, text) for index, text in enumerate(spoken[section.id]) if text]
        with timer("b. synthesize sentences"):
            audio = [engine.synthesize(text).data for _index, text in said]
        with timer("b. decode + trim + join clip"):
            parts = [trim_silence(decode_audio(data)) for data in audio]
            pcm, spans = join_with_pauses(parts, sentence_pauses(len(parts)))
        with timer("b. FLAC-encode clips"):
            clips.append((section, encode_flac(pcm), [(i, a, b) for (i, _t), (a, b) in zip(said, spans)]))

    with timer("b. decode clips + join sections"):
        guide, section_spans = join_with_pauses(
            [decode_audio(flac) for _s, flac, _spans in clips], [PAUSE_BETWEEN_SECTIONS] * (len(clips) - 1)
        )
    with timer("b. chapters + captions"):
        chapters = [Chapter(s.id, s.heading, a, b) for (s, _f, _sp), (a, b) in zip(clips, section_spans)]
        cues = [
            Cue(a + start, a + end, s.sentences[index], id=f"{s.id}-{index}")
            for (s, _f, spans), (a, _b) in zip(clips, section_spans)
            for index, start, end in spans
        ]
        webvtt(cues)
        chapters_json(chapters, sections[0].heading)
    metadata = Metadata(title=sections[0].heading, album=sections[0].heading, artist="Altavoz",
                        language="spa", year=2026, chapters=chapters)
    outputs = {}
    for variant in variants:
        with timer(f"b. master {variant.name}"):
            outputs[variant.name] = master(guide, variant, metadata)
    return len(guide) / MASTER_SAMPLE_RATE, outputs


def independent_measure(data):
    """Decode a file with PyAV and measure it without audio.mastering: (LUFS, dBTP, seconds)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        planes, rate = [], None
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if not frame.format.is_planar:
                array = array.reshape(-1, frame.layout.nb_channels).T
            planes.append(array.astype(np.float64))
            rate = frame.sample_rate
    samples = np.concatenate(planes, axis=1)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(samples.T)
    peak = 0.0
    block = 1 << 18
    for channel in samples:
        for start in range(0, channel.size, block):  # overlapping blocks keep memory flat
            lo = max(start - 256, 0)
            piece = resample_poly(channel[lo : start + block + 256], 4, 1)
            peak = max(peak, float(np.abs(piece).max()))
    return lufs, 20 * math.log10(peak) if peak else -math.inf, samples.shape[1] / rate


def main():
    timer = Timer()
    variants = published_variants()
    sections = guide_sections()
    engine = get_engine("espeak")
    with timer("normalize text"):
        spoken = {s.id: [spoken_form(text, "es", {}) for text in s.sentences] for s in sections}
    sentences = sum(len(v) for v in spoken.values())

    base_audio = baseline(sections, spoken, engine, variants, timer)
    guide_audio, outputs = pipeline(sections, spoken, engine, variants, timer)

    base_total = sum(v for k, v in timer.seconds.items() if k.startswith("a."))
    pipe_total = sum(v for k, v in timer.seconds.items() if k.startswith("b.")) + timer.seconds["normalize text"]
    ratio = pipe_total / base_total

    print(f"Mixco guide: {len(sections)} sections, {sentences} sentences; "
          f"espeak audio {base_audio / 60:.1f} min raw, {guide_audio / 60:.1f} min with pauses; "
          f"master rate {MASTER_SAMPLE_RATE} Hz; {os.cpu_count()} CPUs\n")
    print(f"| {'stage':<36} | {'seconds':>8} |")
    print(f"|{'-' * 38}|{'-' * 10}|")
    for name, seconds in timer.seconds.items():
        print(f"| {name:<36} | {seconds:8.2f} |")
    print(f"| {'**baseline total (a)**':<36} | {base_total:8.2f} |")
    print(f"| {'**pipeline total (b)**':<36} | {pipe_total:8.2f} |")
    verdict = "PASS" if ratio <= RATIO_TARGET else "MISS"
    print(f"\nratio pipeline/baseline: {ratio:.2f}x (target <= {RATIO_TARGET:.1f}x) {verdict}\n")

    print("| variant | duration s | size KiB | LUFS (target) | dBTP (ceiling) | loudness | peak |")
    print("|---|---:|---:|---:|---:|---|---|")
    for variant in variants:
        result = outputs[variant.name]
        lufs, dbtp, seconds = independent_measure(result.data)
        tolerance = 1.0 if variant.loudness_lufs <= -23 else LOUDNESS_TOLERANCE_LU
        loud_ok = "PASS" if abs(lufs - variant.loudness_lufs) <= tolerance else "MISS"
        peak_ok = "PASS" if dbtp <= variant.true_peak_dbtp else "MISS"
        print(f"| {variant.name} | {seconds:.2f} | {len(result.data) / 1024:.0f} | "
              f"{lufs:.2f} ({variant.loudness_lufs:g} ±{tolerance:g}) | "
              f"{dbtp:.2f} ({variant.true_peak_dbtp:g}) | {loud_ok} | {peak_ok} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
