"""A call against real audio: pages published and voiced by the worker (espeak), every <Play>
fetched from /media/ as the provider would, in the telephone format."""

import struct

import pytest

from .twiml import TOKEN, press, signed_post


@pytest.fixture
def voiced_by_the_worker(settings, spanish_menu, phone_guide):
    from audio.jobs import run_job

    settings.ALTAVOZ_PHONE_AUTH_TOKEN = TOKEN
    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak"]
    run_job(phone_guide.pk)
    run_job(spanish_menu.pk)
    return spanish_menu, phone_guide


def wav_format(data):
    """(format tag, channels, sample rate) from a RIFF WAV's fmt chunk."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    offset = 12
    while offset < len(data):
        chunk, size = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        if chunk == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", data[offset + 8 : offset + 16])
            return tag, channels, rate
        offset += 8 + size + (size % 2)
    raise AssertionError("no fmt chunk")


def fetch(client, url, settings):
    path = url.removeprefix(settings.WAGTAILADMIN_BASE_URL.rstrip("/"))
    response = client.get(path)
    return response, b"".join(
        response.streaming_content
    ) if response.streaming else response.content


def test_every_sound_of_a_walk_is_served_as_8_khz_mono_mu_law(
    client, settings, voiced_by_the_worker
):
    menu_page, guide = voiced_by_the_worker
    answer = signed_post(client, "/telefono/voz/")
    # Two languages, one ready: the language menu, with the word that the other is coming.
    assert len(answer.plays) == 3
    heard = list(answer.plays)
    for key in ["1", "1", "1", "1", "0", "*"]:  # Spanish, the guide, next, next, back, start
        answer = press(client, answer, key)
        heard += answer.plays
    assert len(set(heard)) >= 8
    for url in set(heard):
        response, data = fetch(client, url, settings)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "audio/wav"
        assert wav_format(data) == (7, 1, 8000)


def test_the_linear_pcm_variant_when_chosen(client, settings, voiced_by_the_worker):
    settings.ALTAVOZ_PHONE_PLAY_VARIANT = "phone"
    answer = signed_post(client, "/telefono/voz/")
    for url in answer.plays:
        response, data = fetch(client, url, settings)
        assert response.status_code == 200
        assert wav_format(data) == (1, 1, 8000)


def test_a_guide_unpublished_mid_call_is_gone_at_the_next_key(client, voiced_by_the_worker):
    menu_page, guide = voiced_by_the_worker
    answer = press(client, signed_post(client, "/telefono/voz/"), "1")  # the guide list
    in_guide = press(client, answer, "1")
    assert in_guide.plays
    guide.unpublish()
    answer = press(client, in_guide, "1")
    # No guide left, so no ready language: nothing false is said, the call ends.
    assert answer.hangs_up and answer.plays == []
