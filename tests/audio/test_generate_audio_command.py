"""`manage.py generate_audio`: what an operator runs by hand, and what it tells her."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audio.models import AudioJob

from .fixtures import live

pytestmark = pytest.mark.django_db


def generate(*args):
    out, err = StringIO(), StringIO()
    call_command("generate_audio", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sync_reports_engine_cache_duration_and_time_per_page(small_guide):
    out, _err = generate("--page", str(small_guide.pk), "--sync")
    line = out.strip()
    assert line.startswith(f"es/guia-corta (page {small_guide.pk}): espeak [es-419")
    assert "3 synthesized, 0 cached of 3 sections" in line
    minutes, seconds = map(int, re.search(r"— (\d+):(\d\d) of audio", line).groups())
    assert minutes * 60 + seconds == int(live(small_guide)["listen"].duration)
    assert re.search(r"— \d+\.\d s — published: listen, lowdata", line)
    assert line.endswith("— phone files: 6 made, 0 kept")

    out, _err = generate("--page", str(small_guide.pk), "--sync")
    assert "0 synthesized, 3 cached of 3 sections" in out and "published: unchanged" in out
    assert "phone files: 0 made, 6 kept" in out

    out, _err = generate("--page", str(small_guide.pk), "--sync", "--force")
    assert "0 synthesized, 3 cached" in out and "sections re-mastered: listen 3, lowdata 3" in out
    assert "phone files: 6 made, 0 kept" in out  # forced: mastered again too


def test_without_sync_the_pages_are_queued_for_the_worker(small_guide):
    AudioJob.objects.filter(page=small_guide).update(state="ready")
    out, _err = generate("--all", "--locale", "es")
    assert f"es/guia-corta (page {small_guide.pk}): queued" in out
    assert AudioJob.objects.get(page=small_guide).state == "queued"
    assert not live(small_guide)


def test_locale_selects_only_that_languages_guides(small_guide, kaqchikel_guide):
    out, _err = generate("--all", "--locale", "cak")
    assert f"cak/{kaqchikel_guide.slug} (page {kaqchikel_guide.pk}): queued" in out
    assert "es/" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "999999"], "No page with ID 999999."),
        (["--all", "--locale", "fr"], "No matching page in locale 'fr'."),
    ],
)
def test_bad_arguments_say_what_is_wrong(small_guide, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        generate(*args)


def test_a_page_no_voice_can_read_fails_loudly_and_keeps_its_audio(small_guide, settings):
    generate("--page", str(small_guide.pk), "--sync")
    before = {r.pk for r in live(small_guide).values()}
    small_guide.save_revision().publish()
    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": []}
    with pytest.raises(
        CommandError, match="1 page\\(s\\) failed; the audio that was live stays live"
    ):
        generate("--page", str(small_guide.pk), "--sync", "--force")
    assert {r.pk for r in live(small_guide).values()} == before
    assert AudioJob.objects.get(page=small_guide).state == "failed"
