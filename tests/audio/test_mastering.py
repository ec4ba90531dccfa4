"""The mastering stage: decoding uploads, joining clips, loudness, encoding, tags, side files.

Audio here is synthetic and short (a few seconds): a speech-like signal (a
voice-like harmonic tone shaped into syllables and pauses, with some hiss) at
the rates the engines produce (espeak 22,050 Hz, gTTS 24 kHz), encoded with
PyAV where a file is needed. Encoded results are checked independently: the
file is decoded again here and measured with pyloudnorm and a 4x oversampled
peak computed in this module, not with the stage's own `measure`.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zlib
from dataclasses import replace
from types import SimpleNamespace

import av
import numpy as np
import pyloudnorm
import pytest
from django.core.exceptions import ImproperlyConfigured
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3, BitrateMode
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import butter, resample_poly, sosfilt

from audio import variants as variants_module
from audio.mastering import (
    MASTER_SAMPLE_RATE,
    AudioDecodeError,
    Chapter,
    Cue,
    Metadata,
    chapters_json,
    decode_audio,
    join_with_pauses,
    master,
    measure,
    probe_audio,
    trim_silence,
    webvtt,
)
from audio.mastering import encode as encode_module
from audio.mastering import limiter as limiter_module
from audio.variants import LISTEN, LOWDATA, RADIO, Variant, load_variants, published_variants

# --------------------------------------------------------------------------
# Test audio


def speech_like(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """A voice-like signal: a gliding harmonic tone in syllables, pauses, some hiss.

    Peak-normalized to 1.0; its loudness-to-peak ratio (~17 dB) is speech's.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    f0 = 150 + 30 * np.sin(2 * np.pi * 0.3 * t) + 10 * np.sin(2 * np.pi * 2.1 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(
        np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k
        for k in range(1, 25)
        if k * 220 < rate / 2
    )
    hiss = sosfilt(butter(4, 3000, "highpass", fs=rate, output="sos"), rng.standard_normal(n))
    envelope = np.zeros(n)
    position = round(0.1 * rate)
    while position < n - round(0.3 * rate):
        length = round(rng.uniform(0.12, 0.3) * rate)
        syllable = np.sin(np.pi * np.arange(length) / length) ** 2 * rng.uniform(0.3, 1)
        end = min(position + length, n)
        envelope[position:end] = syllable[: end - position]
        pause = rng.uniform(0.3, 0.6) if rng.random() < 0.2 else rng.uniform(0.01, 0.06)
        position = end + round(pause * rate)
    signal = voiced * envelope + 0.05 * hiss * envelope
    return (signal / np.abs(signal).max()).astype(np.float32)


def encode(
    samples: np.ndarray,
    rate: int,
    container: str,
    codec: str,
    layout: str = "mono",
    bitrate: int | None = None,
) -> bytes:
    """Encode float samples (mono; copied to each channel) into a file with PyAV."""
    channels = 2 if layout == "stereo" else 1
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout)
        if bitrate:
            stream.bit_rate = bitrate
        planes = np.ascontiguousarray(np.tile(samples.astype(np.float32), (channels, 1)))
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=layout)
        frame.sample_rate = rate
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def decode_native(data: bytes) -> tuple[np.ndarray, int, str]:
    """Samples (samples, channels) at the file's own rate, and the codec name."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.codec.canonical_name
        planes = []
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if not frame.format.is_planar:
                array = array.reshape(-1, frame.layout.nb_channels).T
            planes.append(array)
            rate = frame.sample_rate
    samples = np.concatenate(planes, axis=1).T
    if samples.dtype.kind == "i":
        samples = samples / float(np.iinfo(samples.dtype).max + 1)
    return samples.astype(np.float64), rate, codec


def loudness_of(samples: np.ndarray, rate: int) -> float:
    return pyloudnorm.Meter(rate).integrated_loudness(samples)


def true_peak_of(samples: np.ndarray) -> float:
    """dBTP: the largest |sample| of the 4x oversampled signal (ITU-R BS.1770-4)."""
    peak = max(np.abs(resample_poly(channel, 4, 1)).max() for channel in np.atleast_2d(samples.T))
    return 20 * math.log10(peak)


def at_loudness(samples: np.ndarray, lufs: float, rate: int = MASTER_SAMPLE_RATE) -> np.ndarray:
    return samples * 10 ** ((lufs - loudness_of(samples.astype(np.float64), rate)) / 20)


@pytest.fixture(scope="module")
def voice() -> np.ndarray:
    """Five seconds of speech-like audio at the master rate, as a gTTS clip would decode."""
    return resample_poly(speech_like(5, 24000), 2, 1).astype(np.float32)


@pytest.fixture(scope="module")
def long_voice() -> np.ndarray:
    """A guide-length recording at the master rate: 125 s, two voices at different levels."""
    sentences = [speech_like(25, 24000, seed=seed) * gain for seed, gain in ((1, 0.5), (2, 0.3))]
    return resample_poly(np.tile(np.concatenate(sentences), 3)[: 125 * 24000], 2, 1)


@pytest.fixture(scope="module")
def quiet_voice(voice) -> np.ndarray:
    """A timid recording: -35 LUFS."""
    return at_loudness(voice, -35.0)


@pytest.fixture(scope="module")
def hot_voice(voice) -> np.ndarray:
    """A crushed recording: peaks at 0 dBFS (clipped) and -10 LUFS."""
    hot = voice
    for _ in range(3):  # clipping lowers loudness: aim again
        hot = np.clip(at_loudness(hot, -10.0), -1.0, 1.0)
    return hot


def png_bytes() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def header_only_wav() -> bytes:
    """A well-formed WAV header announcing 22,050 Hz mono and zero samples."""
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 0)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --------------------------------------------------------------------------
# Decoding uploads and engine output

# (container, codec, rate, layout, bitrate, codec name, frames of tolerance, samples per frame)
FORMATS = {
    "espeak wav": ("wav", "pcm_s16le", 22050, "mono", None, "pcm_s16le", 0, 1),
    "gtts mp3": ("mp3", "libmp3lame", 24000, "mono", 32000, "mp3", 1, 576),
    "stereo mp3": ("mp3", "libmp3lame", 44100, "stereo", 128000, "mp3", 1, 1152),
    "ogg opus": ("ogg", "libopus", 48000, "mono", 24000, "opus", 1, 960),
    "webm opus": ("webm", "libopus", 48000, "stereo", 48000, "opus", 1, 960),
    "flac": ("flac", "flac", 16000, "mono", None, "flac", 0, 1),
    # FFmpeg's mov demuxer trims AAC's 1,024-sample priming but not the last frame's padding.
    "m4a aac": ("ipod", "aac", 44100, "stereo", 96000, "aac", 2, 1024),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_upload_format_decodes_to_mono_at_the_master_rate_with_its_duration(name):
    container, codec, rate, layout, bitrate, codec_name, tolerance_frames, frame_size = FORMATS[
        name
    ]
    seconds = 2.5
    data = encode(speech_like(seconds, rate) * 0.5, rate, container, codec, layout, bitrate)

    pcm = decode_audio(data)
    info = probe_audio(data)

    assert pcm.dtype == np.float32 and pcm.ndim == 1
    tolerance = tolerance_frames * frame_size / rate + 1 / rate
    assert abs(len(pcm) / MASTER_SAMPLE_RATE - seconds) <= tolerance
    assert abs(info.duration_seconds - seconds) <= tolerance
    assert (info.sample_rate, info.channels, info.codec) == (
        rate,
        2 if layout == "stereo" else 1,
        codec_name,
    )
    assert np.abs(pcm).max() > 0.1  # the sound came through, not silence


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param("Guía de salud: llama al 1500.\n".encode() * 20, id="text"),
        pytest.param(png_bytes(), id="png"),
        pytest.param(np.random.default_rng(7).bytes(20_000), id="random bytes"),
        pytest.param(header_only_wav(), id="zero-length wav"),
    ],
)
def test_garbage_is_refused_with_a_clear_error(data):
    for read in (decode_audio, probe_audio):
        with pytest.raises(AudioDecodeError) as caught:
            read(data)
        assert str(caught.value)  # a message an editor can read
        assert isinstance(caught.value, ValueError)


def test_a_playlist_upload_cannot_make_ffmpeg_read_server_files(tmp_path, monkeypatch):
    """Left to guess, FFmpeg's ffconcat demuxer would open `secret.wav` from the working dir."""
    (tmp_path / "secret.wav").write_bytes(encode(speech_like(1, 8000), 8000, "wav", "pcm_s16le"))
    monkeypatch.chdir(tmp_path)

    with pytest.raises(AudioDecodeError):
        decode_audio(b"ffconcat version 1.0\nfile secret.wav\n")


def test_mp3s_joined_byte_by_byte_still_decode():
    """gTTS sends long texts as MP3 chunks glued together; each seam has a bad packet."""
    chunk = encode(speech_like(1.5, 24000) * 0.5, 24000, "mp3", "libmp3lame", bitrate=32000)

    info = probe_audio(chunk * 3)

    # Only the first chunk's gapless header counts: the others keep LAME's
    # delay and padding (~70 ms each). Hence: decode, join, encode once.
    assert 4.5 < info.duration_seconds < 4.5 + 2 * 0.1
    assert len(decode_audio(chunk * 3)) / MASTER_SAMPLE_RATE == pytest.approx(info.duration_seconds)


@pytest.mark.parametrize("name", ["espeak wav", "gtts mp3", "stereo mp3", "ogg opus", "flac"])
def test_decoding_gives_what_libswresample_gives_frame_by_frame(name):
    """decode_audio converts in bulk (numpy, or libswresample a second at a time): same samples."""
    container, codec, rate, layout, bitrate, *_ = FORMATS[name]
    data = encode(speech_like(2.5, rate) * 0.5, rate, container, codec, layout, bitrate)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=MASTER_SAMPLE_RATE)
    expected = []
    with av.open(io.BytesIO(data)) as source:
        for frame in [*source.decode(source.streams.audio[0]), None]:
            expected += [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]

    assert np.array_equal(decode_audio(data), np.concatenate(expected))


def test_badly_damaged_audio_says_so():
    data = bytearray(encode(speech_like(3, 22050), 22050, "mp3", "libmp3lame", bitrate=32000))
    for position in range(2000, len(data), 50):
        data[position] ^= 0xFF

    with pytest.raises(AudioDecodeError, match=r"damaged: \d+ of \d+ packets .* after \d+\.\d s"):
        decode_audio(bytes(data))


# --------------------------------------------------------------------------
# Trimming and joining clips


def test_trim_silence_keeps_a_little_silence_around_speech():
    rate = MASTER_SAMPLE_RATE
    speech = np.full(rate, 0.5, dtype=np.float32)
    clip = np.concatenate(
        [np.zeros(rate // 2), speech, np.full(rate // 4, 1e-4), np.zeros(rate // 4)]
    ).astype(np.float32)

    trimmed = trim_silence(clip, threshold_db=-50, keep_seconds=0.05)

    keep = round(0.05 * rate)
    assert len(trimmed) == len(speech) + 2 * keep
    assert np.all(trimmed[keep:-keep] == 0.5)
    assert len(trim_silence(np.zeros(1000, dtype=np.float32))) == 0


def test_join_with_pauses_reports_each_segment_exactly_to_the_sample():
    rate = MASTER_SAMPLE_RATE
    segments = [np.full(n, i + 1, dtype=np.float32) for i, n in enumerate((1001, 2000, 333))]
    pauses = [0.25, 0.0101]

    joined, spans = join_with_pauses(segments, pauses)

    # 0.25 s is 12,000 samples; 0.0101 s is 484.8, rounded to 485.
    assert len(joined) == 1001 + 12000 + 2000 + 485 + 333
    first_samples = [0, 1001 + 12000, 1001 + 12000 + 2000 + 485]
    for segment, first, (start, end) in zip(segments, first_samples, spans, strict=True):
        assert (start, end) == (first / rate, (first + len(segment)) / rate)
        assert np.array_equal(joined[round(start * rate) : round(end * rate)], segment)
    assert not np.any(joined[1001:13001])  # the pause is silence
    with pytest.raises(ValueError, match="one pause between"):
        join_with_pauses(segments, [0.25])


# --------------------------------------------------------------------------
# Measuring


def test_measure_reads_the_bs1770_reference_tone_and_inter_sample_peaks():
    rate = 48000
    t = np.arange(rate * 5) / rate
    # ITU-R BS.1770: a 997 Hz full-scale sine in one channel reads -3.01 LUFS.
    assert measure(np.sin(2 * np.pi * 997 * t), rate).integrated_lufs == pytest.approx(
        -3.01, abs=0.05
    )
    # A sine at fs/4 phased 45 degrees: samples reach 0.707 of the waveform's
    # peak. Faded in and out, or its abrupt ends would ring above it.
    fade = np.minimum(1, np.minimum(t, t[::-1]) / 0.05)
    tricky = 0.5 * np.sin(2 * np.pi * rate / 4 * t + np.pi / 4) * fade
    assert 20 * math.log10(np.abs(tricky).max()) == pytest.approx(-9.03, abs=0.01)
    assert measure(tricky, rate).true_peak_dbtp == pytest.approx(-6.02, abs=0.1)
    silent = measure(np.zeros(rate), rate)
    assert silent.integrated_lufs == -math.inf and silent.true_peak_dbtp == -math.inf


@pytest.mark.parametrize("rate", [22050, 48000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_measure_agrees_with_pyloudnorm_and_with_oversampling_everything(rate, dtype):
    """True peak is only oversampled where it can be; it must still find the loudest point,
    here a quiet burst whose inter-sample peaks (fs/4, 45 degrees) rise 3 dB above its samples."""
    speech = speech_like(30, rate, seed=3) * 0.5
    t = np.arange(rate // 2) / rate
    burst = 0.55 * np.sin(2 * np.pi * rate / 4 * t + np.pi / 4) * np.hanning(len(t))
    mono = np.concatenate([speech[: 10 * rate], burst, speech[10 * rate :]]).astype(dtype)
    stereo = np.stack([mono, 0.7 * mono[::-1]], axis=1)
    assert np.abs(burst).max() < 0.8 * np.abs(speech).max()  # its samples are 2 dB quieter

    for pcm in (mono, stereo):
        result = measure(pcm, rate)

        assert result.integrated_lufs == pytest.approx(loudness_of(pcm, rate), abs=0.005)
        assert result.true_peak_dbtp == pytest.approx(true_peak_of(pcm), abs=0.001)
        assert result.true_peak_dbtp == pytest.approx(20 * math.log10(0.55), abs=0.05)


def test_the_limiter_computed_around_peaks_is_the_limiter_over_the_whole_signal():
    """_limit only works near peaks over the ceiling; its result must be what the same
    attack and release filters give when run over every sample."""
    rate = 22050
    rng = np.random.default_rng(5)
    n = 20 * rate
    peaks = np.abs(rng.normal(0, 0.25, n))
    # Peaks over the ceiling: at the very start, isolated, in a cluster, at the very end.
    for position in [0, 3, 5 * rate, 9 * rate, 9 * rate + 400, 9 * rate + 4000, n - 2]:
        peaks[position] = 1.0 + rng.uniform(0, 1)
    ceiling = 0.9
    positions = np.arange(n)

    gain = limiter_module._limit(positions, peaks, ceiling, n, rate)

    actual = np.ones(n)
    gain.apply(actual)
    needed = np.minimum(1.0, ceiling / peaks)
    width = 2 * round(limiter_module._LIMITER_ATTACK_SECONDS * rate / 2) + 1
    release = round(limiter_module._LIMITER_RELEASE_SECONDS * rate)
    held = minimum_filter1d(needed, width, mode="nearest")
    smooth = np.minimum(uniform_filter1d(held, width, mode="nearest"), needed)
    cumulative = np.concatenate([[0.0], np.cumsum(smooth)])
    index = np.arange(n)
    first = np.maximum(index - release + 1, 0)
    expected = np.minimum(smooth, (cumulative[index + 1] - cumulative[first]) / (index + 1 - first))
    assert np.allclose(actual, expected, atol=1e-6)
    assert np.all(actual * peaks <= ceiling * (1 + 1e-6))


# --------------------------------------------------------------------------
# Mastering

# What the README promises listeners and radios, written here on its own so that a change to
# a Variant's numbers fails these tests instead of moving their target with it.
PROMISED_LOUDNESS_LUFS = {"listen": -19.0, "lowdata": -19.0, "radio": -23.0}
PROMISED_CEILING_DBTP = -1.0


@pytest.mark.parametrize("variant", [LISTEN, LOWDATA, RADIO], ids=lambda v: v.name)
@pytest.mark.parametrize("level", ["quiet_voice", "hot_voice"])
def test_master_reaches_the_variants_loudness_and_ceiling_measured_independently(
    variant, level, request
):
    pcm = request.getfixturevalue(level)

    result = master(pcm, variant)

    samples, rate, codec = decode_native(result.data)
    with av.open(io.BytesIO(result.data)) as container:
        assert variant.container in container.format.name.split(
            ","
        )  # FFmpeg reads WebM as "matroska,webm"
    assert codec == {"libmp3lame": "mp3", "libopus": "opus"}[variant.codec]
    assert (rate, samples.shape[1]) == (variant.sample_rate, variant.channels)
    assert result.mime_type == variant.mime_type
    duration = len(samples) / rate
    assert abs(duration - len(pcm) / MASTER_SAMPLE_RATE) <= 0.060
    assert result.duration_seconds == pytest.approx(duration)
    bitrate = len(result.data) * 8 / duration
    if variant.cbr:
        assert bitrate == pytest.approx(variant.bitrate, rel=0.10)
    else:  # VBR Opus spends less on pauses, never much more than asked
        assert 0.5 * variant.bitrate <= bitrate <= 1.10 * variant.bitrate
    assert loudness_of(samples, rate) == pytest.approx(
        PROMISED_LOUDNESS_LUFS[variant.name], abs=0.5
    )
    assert true_peak_of(samples) <= PROMISED_CEILING_DBTP + 0.001  # float rounding only
    # What master() reports is what the file measures.
    assert result.loudness.integrated_lufs == pytest.approx(loudness_of(samples, rate), abs=0.01)


@pytest.mark.parametrize("variant", [LISTEN, LOWDATA], ids=lambda v: v.name)
def test_a_long_guide_is_encoded_once(variant, long_voice, monkeypatch):
    """Encoding is most of mastering's time: a guide-length file is encoded once (Opus after
    a probe of a few excerpts, for its loudness change), and still lands on target."""
    pcm = long_voice
    encodes = []
    encode_once = encode_module.encode_variant
    monkeypatch.setattr(
        encode_module, "encode_variant", lambda x, v: encodes.append(len(x)) or encode_once(x, v)
    )

    result = master(pcm, variant)

    samples_at_variant_rate = len(pcm) * variant.sample_rate / MASTER_SAMPLE_RATE
    assert len([n for n in encodes if n > samples_at_variant_rate / 2]) == 1
    assert len(encodes) == (2 if variant.codec == "libopus" else 1)
    samples, rate, _ = decode_native(result.data)
    assert loudness_of(samples, rate) == pytest.approx(
        PROMISED_LOUDNESS_LUFS[variant.name], abs=0.5
    )
    assert true_peak_of(samples) <= PROMISED_CEILING_DBTP + 0.001


def test_master_encodes_silence_as_silence():
    result = master(np.zeros(MASTER_SAMPLE_RATE * 2, dtype=np.float32), LISTEN)

    samples, rate, _ = decode_native(result.data)
    assert len(samples) / rate == pytest.approx(2.0, abs=0.001)
    assert not np.any(np.abs(samples) > 1e-3)
    assert result.loudness.integrated_lufs == -math.inf


def test_master_caps_the_gain_for_near_silent_input(voice):
    whisper = at_loudness(voice, -60.0)

    result = master(whisper, LISTEN)

    samples, rate, _ = decode_native(result.data)
    assert loudness_of(samples, rate) == pytest.approx(-30.0, abs=1.0)  # +30 dB, not +41


def test_master_refuses_empty_or_broken_samples():
    with pytest.raises(ValueError):
        master(np.zeros(0, dtype=np.float32), LISTEN)
    with pytest.raises(ValueError):
        master(np.array([0.1, np.nan], dtype=np.float32), LISTEN)


def test_master_writes_lossless_variants_too(voice):
    archive = load_variants({"archive": {"codec": "flac", "sample_rate": 44100}})[0]

    result = master(at_loudness(voice, -30.0), archive)

    samples, rate, codec = decode_native(result.data)
    assert (codec, rate, result.mime_type) == ("flac", 44100, "audio/flac")
    assert loudness_of(samples, rate) == pytest.approx(-19.0, abs=0.2)


# --------------------------------------------------------------------------
# Tags and chapters

CHAPTERS = [
    # Deliberately unordered, with titles of very different lengths: mutagen
    # alone would write these CHAP frames sorted by size.
    Chapter("s2", "¿Qué hacer si alguien no responde? Pasos mientras llega la ayuda", 2.0, 3.5),
    Chapter("s1", "Inicio", 0.0, 2.0),
    Chapter("s3", "Números útiles", 3.5, 5.0),
]
METADATA = Metadata(
    title="Primeros auxilios",
    album="Guías Altavoz",
    artist="Altavoz",
    language="spa",
    year=2026,
    comment="Versión leída de la guía.",
    chapters=CHAPTERS,
)


def test_mp3_carries_id3v24_tags_and_chapters_in_order(voice):
    result = master(voice, LISTEN, METADATA)

    tags = ID3(io.BytesIO(result.data))
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == "Primeros auxilios"
    assert str(tags["TALB"]) == "Guías Altavoz"
    assert str(tags["TPE1"]) == "Altavoz"
    assert str(tags["TLAN"]) == "spa"
    assert str(tags["TDRC"]) == "2026"
    assert tags.getall("COMM")[0].text == ["Versión leída de la guía."]
    chapters = tags.getall("CHAP")  # in file order
    assert [c.element_id for c in chapters] == ["ch1", "ch2", "ch3"]
    assert [(c.start_time, c.end_time) for c in chapters] == [(0, 2000), (2000, 3500), (3500, 5000)]
    assert str(chapters[1].sub_frames["TIT2"]).startswith("¿Qué hacer")
    toc = tags.getall("CTOC")[0]
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["ch1", "ch2", "ch3"]
    # The tag does not disturb the audio: still CBR 32 kbps, same duration.
    info = MP3(io.BytesIO(result.data)).info
    assert (info.bitrate, info.sample_rate, info.bitrate_mode) == (32000, 22050, BitrateMode.CBR)
    assert probe_audio(result.data).duration_seconds == pytest.approx(
        len(voice) / MASTER_SAMPLE_RATE, abs=0.001
    )


def test_id3_chapter_ids_are_numbers_in_start_order_never_the_chapters_own_ids(voice):
    """Chapter ids are section ids, which the API publishes: a saved file must not carry them.

    Numbering also keeps ids ID3 can hold (Latin-1): a Kaqchikel id with ʼ would not encode.
    """
    section_id = "5f0c7c1e-2a7b-4c3e-9d7a-0b6f1d2e3a4b"
    chapters = [Chapter("tzijʼ", "Tzijonem", 2.5, 5.0), Chapter(section_id, "Kaʼi", 0.0, 2.5)]

    result = master(voice, LISTEN, Metadata(title="Nabʼey", language="cak", chapters=chapters))

    tags = ID3(io.BytesIO(result.data))
    assert [(c.element_id, str(c.sub_frames["TIT2"])) for c in tags.getall("CHAP")] == [
        ("ch1", "Kaʼi"),
        ("ch2", "Tzijonem"),
    ]
    assert tags.getall("CTOC")[0].child_element_ids == ["ch1", "ch2"]
    assert section_id.encode() not in result.data
    assert str(tags["TIT2"]) == "Nabʼey"


def test_lowdata_webm_carries_its_title_language_and_chapters(voice):
    metadata = replace(METADATA, language="cak", title="Nab'ey tob'äl")

    result = master(voice, LOWDATA, metadata)

    with av.open(io.BytesIO(result.data)) as container:
        tags = {key.lower(): value for key, value in container.metadata.items()}
        assert tags["title"] == "Nab'ey tob'äl"
        assert tags["album"] == "Guías Altavoz"
        assert tags["date"] == "2026"
        assert container.streams.audio[0].metadata["language"] == "cak"
        chapters = container.chapters()
    assert [
        (round(float(c["start"] * c["time_base"]), 3), c["metadata"]["title"]) for c in chapters
    ][::2] == [(0.0, "Inicio"), (3.5, "Números útiles")]
    assert probe_audio(result.data).duration_seconds == pytest.approx(5.0, abs=0.002)


def test_metadata_refuses_what_players_would_misread():
    with pytest.raises(ValueError, match="three-letter"):
        Metadata(title="x", language="es")
    with pytest.raises(ValueError, match="overlap"):
        Metadata(title="x", chapters=[Chapter("a", "A", 0, 2), Chapter("b", "B", 1, 3)])
    with pytest.raises(ValueError, match="unique"):
        Metadata(title="x", chapters=[Chapter("a", "A", 0, 1), Chapter("a", "B", 1, 2)])
    with pytest.raises(ValueError, match="start < end"):
        Chapter("a", "A", 3, 3)


def test_chapters_json_is_podcasting_2_0_and_ordered():
    document = json.loads(chapters_json(CHAPTERS, "Primeros auxilios"))

    assert document["version"] == "1.2.0"
    assert document["title"] == "Primeros auxilios"
    assert document["chapters"] == [
        {"startTime": 0.0, "endTime": 2.0, "title": "Inicio"},
        {"startTime": 2.0, "endTime": 3.5, "title": CHAPTERS[0].title},
        {"startTime": 3.5, "endTime": 5.0, "title": "Números útiles"},
    ]


# --------------------------------------------------------------------------
# Captions


def test_webvtt_writes_sorted_escaped_cues():
    cues = [
        Cue(3723.5, 3725.25, "Llama al <b>1500</b> & espera."),
        Cue(0.0, 1.2, "Hola.", id="s1-1"),
        Cue(1.2, 1.9, "   "),  # nothing to show: left out
        Cue(1.5, 2.0004, "Dos\n\nlíneas"),
    ]

    assert webvtt(cues) == (
        "WEBVTT\n"
        "\n"
        "s1-1\n"
        "00:00:00.000 --> 00:00:01.200\n"
        "Hola.\n"
        "\n"
        "00:00:01.500 --> 00:00:02.000\n"
        "Dos\n"
        "líneas\n"
        "\n"
        "01:02:03.500 --> 01:02:05.250\n"
        "Llama al &lt;b&gt;1500&lt;/b&gt; &amp; espera.\n"
    )


def test_webvtt_refuses_overlapping_cues():
    with pytest.raises(ValueError, match="overlap"):
        webvtt([Cue(0.0, 2.0, "Uno"), Cue(1.5, 3.0, "Dos")])
    with pytest.raises(ValueError):
        webvtt([Cue(0.0, 1.0, "Uno", id="a --> b")])


# --------------------------------------------------------------------------
# Variants as configuration


def test_default_variants_are_listen_and_lowdata():
    listen, lowdata = load_variants(None)

    assert listen == Variant(
        name="listen",
        codec="libmp3lame",
        container="mp3",
        extension="mp3",
        mime_type="audio/mpeg",
        bitrate=32000,
        sample_rate=22050,
        channels=1,
        loudness_lufs=-19.0,
        true_peak_dbtp=-1.0,
        cbr=True,
    )
    assert lowdata == Variant(
        name="lowdata",
        codec="libopus",
        container="webm",
        extension="webm",
        mime_type='audio/webm; codecs="opus"',
        bitrate=16000,
        sample_rate=48000,
        channels=1,
        loudness_lufs=-19.0,
        true_peak_dbtp=-1.0,
        cbr=False,
    )
    radio = RADIO
    assert (radio.codec, radio.bitrate, radio.sample_rate, radio.channels) == (
        "libmp3lame",
        128000,
        44100,
        2,
    )
    assert (radio.loudness_lufs, radio.true_peak_dbtp, radio.cbr) == (-23.0, -1.0, True)


def test_variants_are_built_from_settings():
    listen, archive = load_variants(
        {
            "listen": {"bitrate": 48000},
            "archive": {"codec": "flac", "sample_rate": 44100, "channels": 2},
        }
    )

    assert listen == replace(LISTEN, bitrate=48000)
    assert (archive.container, archive.extension, archive.bitrate, archive.loudness_lufs) == (
        "flac",
        "flac",
        None,
        -16.0,
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "at least one"),
        ([("listen", {})], "must be a dict"),
        ({"podcast": {"bitrate": 64000}}, "give its codec"),
        ({"x": {"codec": "aac"}}, "unknown codec"),
        ({"listen": {"bitrat": 32000}}, "unknown option"),
        ({"listen": {"bitrate": 33000}}, "allows bitrates"),
        ({"listen": {"sample_rate": 44100, "bitrate": 16000}}, "allows bitrates"),
        ({"lowdata": {"sample_rate": 44100}}, "sample_rate"),
        ({"x": {"codec": "flac", "bitrate": 128000}}, "lossless"),
        ({"listen": {"channels": 6}}, "channels"),
        ({"listen": {"loudness_lufs": 3}}, "loudness_lufs"),
        ({"Listen HQ": {"codec": "flac"}}, "name"),
    ],
)
def test_bad_variant_settings_fail_with_a_clear_message(config, message):
    with pytest.raises(ValueError, match=message):
        load_variants(config)


def test_published_variants_come_from_django_settings_when_configured(monkeypatch):
    class Unconfigured:
        def __getattr__(self, name):
            raise ImproperlyConfigured("settings are not configured")

    monkeypatch.setattr("django.conf.settings", Unconfigured())
    assert [v.name for v in published_variants()] == ["listen", "lowdata"]

    monkeypatch.setattr("django.conf.settings", SimpleNamespace())  # configured, setting absent
    assert [v.name for v in published_variants()] == ["listen", "lowdata"]

    configured = SimpleNamespace(ALTAVOZ_AUDIO_VARIANTS={"radio": {}, "listen": {"bitrate": 64000}})
    monkeypatch.setattr("django.conf.settings", configured)
    assert published_variants() == [RADIO, replace(LISTEN, bitrate=64000)]
    assert variants_module.get_variant("listen").bitrate == 64000
    assert variants_module.get_variant("lowdata") == LOWDATA  # built in, not published
