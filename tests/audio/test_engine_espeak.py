"""The offline espeak-ng engine: real synthesis, checked by decoding with PyAV."""

from __future__ import annotations

import io
import threading

import av
import numpy as np
import pytest

from audio.engines import EngineError, EngineUnavailable, get_engine
from audio.engines.espeak import EspeakEngine

SENTENCE = "Si alguien no responde, llama al número de emergencias."
LONGER = (
    SENTENCE
    + " Quédate con la persona, colócala de lado y revisa que respire mientras llega la ayuda."
)


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


def decode(data: bytes) -> tuple[np.ndarray, int, int]:
    """Samples (int16, mono), sample rate and channel count, as PyAV decodes them."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
        context = stream.codec_context
        assert context.format.name == "s16"
        return np.concatenate(frames, axis=1)[0], context.sample_rate, context.channels


def seconds(data: bytes) -> float:
    samples, sample_rate, _ = decode(data)
    return len(samples) / sample_rate


def test_spanish_text_becomes_a_wav_pyav_decodes(engine):
    audio = engine.synthesize(SENTENCE)

    assert audio.container == "wav"
    assert audio.data[:4] == b"RIFF"
    samples, sample_rate, channels = decode(audio.data)
    assert (sample_rate, channels) == (22050, 1)
    assert engine.sample_rate == 22050
    # 9 words at 150 words per minute: about 3.6 s.
    expected = len(SENTENCE.split()) * 60 / engine.rate
    assert 0.6 * expected < len(samples) / sample_rate < 1.6 * expected


def test_speech_is_not_silent(engine):
    samples, _, _ = decode(engine.synthesize(SENTENCE).data)

    rms = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
    assert rms > 1000  # about -30 dBFS; espeak speaks around 2,800


def test_longer_text_gives_longer_audio(engine):
    short = seconds(engine.synthesize(SENTENCE).data)
    longer = seconds(engine.synthesize(LONGER).data)

    assert longer > 2 * short


def test_same_text_gives_identical_bytes_even_after_other_speech(engine):
    first = engine.synthesize(SENTENCE).data
    # espeak-ng keeps state between utterances; other speech in between must not leak in.
    engine.synthesize(LONGER)
    EspeakEngine(rate=300, pitch=80).synthesize("Otra voz, más rápida.")
    second = engine.synthesize(SENTENCE).data

    assert first == second


def test_faster_rate_gives_shorter_audio():
    slow = seconds(EspeakEngine(rate=120).synthesize(SENTENCE).data)
    fast = seconds(EspeakEngine(rate=250).synthesize(SENTENCE).data)

    assert fast < 0.7 * slow


def test_pitch_changes_the_sound():
    low = EspeakEngine(pitch=20).synthesize(SENTENCE).data
    high = EspeakEngine(pitch=80).synthesize(SENTENCE).data

    assert low != high


def test_voice_string_names_every_setting_that_changes_the_sound():
    assert EspeakEngine().voice == "es-419@rate=150,pitch=50"
    assert EspeakEngine(voice="es", rate=170, pitch=40).voice == "es@rate=170,pitch=40"


def test_threads_get_the_same_audio_as_one_thread(engine):
    texts = [SENTENCE, LONGER] * 3
    expected = {text: engine.synthesize(text).data for text in set(texts)}
    results = {}

    def speak(index, text):
        results[index] = engine.synthesize(text).data

    threads = [threading.Thread(target=speak, args=item) for item in enumerate(texts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [results.get(index) for index in range(len(texts))] == [expected[t] for t in texts]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_refused(engine, text):
    with pytest.raises(ValueError):
        engine.synthesize(text)


def test_unknown_voice_is_an_engine_error_naming_it():
    with pytest.raises(EngineError, match="no voice 'xx-nope'") as raised:
        EspeakEngine(voice="xx-nope")

    assert not isinstance(raised.value, EngineUnavailable)


@pytest.mark.parametrize("options", [{"rate": 10}, {"rate": 1000}, {"pitch": -1}, {"voice": ""}])
def test_out_of_range_settings_are_refused(options):
    with pytest.raises(ValueError):
        EspeakEngine(**options)


def test_registry_builds_the_espeak_engine():
    engine = get_engine("espeak", rate=160)

    assert isinstance(engine, EspeakEngine)
    assert engine.name == "espeak"
    assert engine.voice == "es-419@rate=160,pitch=50"
