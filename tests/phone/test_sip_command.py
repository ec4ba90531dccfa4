"""``manage.py phone_line`` on real published guides: a menu page and a guide voiced by the
worker (espeak), the line as ``lines.current_line`` builds it, each sound's ``phone`` file
from storage; a pjsua2 caller hears the greeting, the guide's first section after 1, then
the next after 1, and the two listens are counted. The command runs as two SIP processes
behind Kamailio when it is installed (each a ``phone_line --processes 1``), else as one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio.phone import dispatch
from audio.phone.menu import Prompt, Sound
from tests.phone.calls import CALLER_NUMBER, Recording, free_udp_port, place, read_wav
from tests.servers import ROOT, production_environment, stop, wait_for_output

pytestmark = [
    pytest.mark.sip,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        importlib.util.find_spec("pjsua2") is None and not os.environ.get("ALTAVOZ_REQUIRE_SIP"),
        reason="pjsua2 is not installed (pip install '.[sip]'); CI sets ALTAVOZ_REQUIRE_SIP=1",
    ),
    pytest.mark.skipif(
        os.environ.get("ALTAVOZ_TEST_STORAGE") == "s3", reason="reads the local media folder"
    ),
]
GAP = 0.6  # seconds between the end of what is played and the caller's key
PROCESSES = 2 if Path(dispatch.KAMAILIO).exists() else 1


@pytest.fixture
def voiced(settings, spanish_menu, phone_guide):
    from audio.jobs import run_job

    settings.ALTAVOZ_PHONE_LANGUAGES = ["es"]
    run_job(phone_guide.pk)
    run_job(spanish_menu.pk)
    return spanish_menu, phone_guide


@pytest.fixture
def phone_line(voiced, tmp_path):
    port = free_udp_port(1 + PROCESSES)
    env = production_environment(ALTAVOZ_PHONE_LANGUAGES="es", ALTAVOZ_LOG_LEVEL="INFO")
    out, err = tmp_path / "line.out", tmp_path / "line.err"
    command = [sys.executable, "manage.py", "phone_line", "--listen", f"127.0.0.1:{port}"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*command, "--processes", str(PROCESSES)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        ready = "behind Kamailio" if PROCESSES > 1 else "answering"
        wait_for_output(process, out, ready, timeout=60, log=err)
        yield port, out, err
    finally:
        stop(process)


def expected_audio():
    """Each sound of the line as built now, as its phone file's samples."""
    from django.core.files.storage import default_storage

    from audio.phone import lines

    files = {}

    def samples(sound: Sound):
        if sound not in files:
            name = lines.sound_file(sound, "phone")
            assert name, sound
            files[sound] = read_wav(default_storage.path(name))[0]
        return files[sound]

    return lines.current_line(), samples


def test_a_call_to_phone_line_walks_a_real_guide_and_is_counted(phone_line, tmp_path):
    from audio.phone.models import PhoneListen

    port, out, err = phone_line
    line, samples = expected_audio()
    [spanish] = line.ready
    [guide] = spanish.guides
    first, second = (Sound(guide.page_id, section) for section in guide.sections[:2])
    greeting, help_ = spanish.prompts[Prompt.GREETING], spanish.prompts[Prompt.SECTION_HELP]
    list_sounds = (greeting, guide.entry, spanish.prompts[Prompt.GUIDE_LIST_HELP])

    def seconds(*sounds):
        return sum(len(samples(sound)) for sound in sounds) / 8000

    press_guide = seconds(*list_sounds) + GAP
    press_next = press_guide + seconds(first, help_) + GAP
    call = {"to": f"sip:es@127.0.0.1:{port}", "record": "call.wav"}
    call |= {"seconds": press_next + seconds(second) + 1, "script": [[press_guide, "1"]]}
    call["script"].append([press_next, "1"])
    [result] = place(tmp_path, [call], timeout=90)

    heard = Recording(result["record"], samples)
    assert heard.heard_whole_at(greeting) < 0.3
    at_first = heard.heard_whole_at(first)
    assert press_guide <= at_first < press_guide + 0.4
    at_second = heard.heard_whole_at(second)
    assert press_next <= at_second < press_next + 0.4
    counts = dict(PhoneListen.objects.values_list("section_id", "count"))
    assert counts == {first.section_id: 1, second.section_id: 1}
    assert CALLER_NUMBER not in out.read_text() + err.read_text()


def test_phone_files_from_a_bucket_are_copied_once_by_their_storage_name(tmp_path, monkeypatch):
    import io

    from audio.phone import lines
    from audio.phone.management.commands.phone_line import LocalFiles

    class Bucket:
        """What LocalFiles uses of an S3 storage: no local path, files to open."""

        opened = 0

        def path(self, name):
            raise NotImplementedError("a bucket has no local path")

        def open(self, name, mode="rb"):
            Bucket.opened += 1
            return io.BytesIO(b"RIFF...WAVE")

    bucket = Bucket()
    monkeypatch.setattr(
        lines,
        "sound_file",
        lambda sound, variant: "audio/phone/9-a-phone.wav" if sound.page_id == 9 else None,
    )
    local = LocalFiles(tmp_path / "cache", bucket)
    first = local(Sound(9, "a"))
    assert first == str(tmp_path / "cache" / "audio" / "phone" / "9-a-phone.wav")
    assert Path(first).read_bytes() == b"RIFF...WAVE"
    assert local(Sound(9, "a")) == first and Bucket.opened == 1  # copied once
    assert local(Sound(8, "a")) is None  # no live file: nothing played


def test_an_ipv6_address_is_refused_with_the_reason_before_anything_starts():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="built without IPv6"):
        call_command("phone_line", "--listen", "[::1]:5070")
