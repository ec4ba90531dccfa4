"""The self-hosted phone line end to end on loopback, with real SIP stacks on both sides.

The service (``audio.phone.sip`` on a line the test makes, ``tests.phone.sounds``) runs
in its own process; callers are a second pjsua2 process (``tests.phone.caller``) that
dials RFC 2833 digits and records what it hears. Each sound is its own noise, so the
recording is searched for it by normalized cross-correlation (``tests.phone.hearing``).

Skipped only when pjsua2 is not installed and ALTAVOZ_REQUIRE_SIP is unset (CI sets it).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from audio.phone import dispatch
from audio.phone.menu import Prompt, Sound
from tests.phone import sounds
from tests.phone.calls import CALLER_NUMBER, free_udp_port, place
from tests.phone.calls import Recording as CallRecording
from tests.servers import ROOT, stop, wait_for_output

pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(
        importlib.util.find_spec("pjsua2") is None and not os.environ.get("ALTAVOZ_REQUIRE_SIP"),
        reason="pjsua2 is not installed (pip install '.[sip]'); CI sets ALTAVOZ_REQUIRE_SIP=1",
    ),
]

SILENCE = 1.5  # seconds the service waits for a key after its prompts (production: 8)
SLACK = 0.35  # seconds between a key sent and its answer heard, at most
GREETING = Sound(sounds.MENU_PAGE, Prompt.GREETING.value)
ENTRY_1, ENTRY_2 = Sound(sounds.MENU_PAGE, "entry-1"), Sound(sounds.MENU_PAGE, "entry-2")
LIST_HELP = Sound(sounds.MENU_PAGE, Prompt.GUIDE_LIST_HELP.value)
SECTION_HELP = Sound(sounds.MENU_PAGE, Prompt.SECTION_HELP.value)
INVALID = Sound(sounds.MENU_PAGE, Prompt.INVALID.value)
GOODBYE = Sound(sounds.MENU_PAGE, Prompt.GOODBYE.value)
SECTION_A, SECTION_B = Sound(sounds.GUIDE_ONE, "a"), Sound(sounds.GUIDE_ONE, "b")
# Processes behind Kamailio (audio.phone.dispatch): pjsua2 holds four calls per process.
# Without Kamailio one process answers (and the ten calls cannot be taken).
KAMAILIO = Path(dispatch.KAMAILIO).exists()
WORKERS = 3 if KAMAILIO else 1
needs_kamailio = pytest.mark.skipif(
    not KAMAILIO and not os.environ.get("ALTAVOZ_REQUIRE_SIP"),
    reason="kamailio is not installed (make sip; CI sets ALTAVOZ_REQUIRE_SIP=1)",
)
LIST_SECONDS = 2.5  # greeting, two entries and the list's help


class Line:
    """The service process: its address and what it printed."""

    def __init__(self, process: subprocess.Popen, port: int, out: Path, err: Path):
        self.process, self.port, self.out, self.err = process, port, out, err

    def uri(self, user: str = "es") -> str:
        return f"sip:{user}@127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def heard(self) -> list[str]:
        return [line for line in self.out.read_text().splitlines() if line.startswith("heard ")]


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sip-line")
    port = free_udp_port(1 + WORKERS)  # Kamailio's, then each process's
    out, err = folder / "service.out", folder / "service.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.phone.sounds", str(folder / "sounds")]
            + ["--listen", f"127.0.0.1:{port}", "--silence", str(SILENCE)]
            + ["--workers", str(WORKERS)],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        wait_for_output(process, out, "line ready" if WORKERS > 1 else "ready", log=err)
        yield Line(process, port, out, err)
    finally:
        stop(process)


Recording = partial(CallRecording, samples=sounds.samples)


@pytest.fixture(scope="module")
def first_call(line, tmp_path_factory):
    """Guide 1, then 1 for its next section: the call every later test varies."""
    folder = tmp_path_factory.mktemp("first-call")
    before = len(line.heard())
    call = {"to": line.uri(), "record": "call.wav", "seconds": 9.0}
    call["script"] = [[3.0, "1"], [6.0, "1"]]
    [result] = place(folder, [call])
    return result, Recording(result["record"]), line.heard()[before:]


def test_a_caller_hears_the_greeting_then_the_first_section_then_the_next(first_call):
    result, heard, counted = first_call
    assert result["status"] == 200 and result["codec"] == "PCMU"  # what the phone network carries
    greeting = heard.heard_at(GREETING)
    assert greeting < 0.3
    entries = heard.heard_at(ENTRY_1), heard.heard_at(ENTRY_2), heard.heard_at(LIST_HELP)
    assert greeting < entries[0] < entries[1] < entries[2] < 3.0
    first = heard.heard_at(SECTION_A)
    assert 3.0 <= first < 3.0 + SLACK
    assert heard.heard_at(SECTION_HELP, after=first) < 6.0
    assert 6.0 <= heard.heard_at(SECTION_B) < 6.0 + SLACK
    assert counted == [f"heard {sounds.GUIDE_ONE} a", f"heard {sounds.GUIDE_ONE} b"]


def test_a_caller_offering_only_a_law_is_answered_and_hears_the_menu(line, tmp_path):
    """G.711 A-law: what many SIP trunks and PBXs offer outside the Americas' phone network."""
    call = {"to": line.uri(), "record": "call.wav", "seconds": 4.0, "script": [[3.0, "1"]]}
    [result] = place(tmp_path, [call], codec="PCMA")
    assert result["codec"] == "PCMA"
    heard = Recording(result["record"])
    assert heard.heard_at(GREETING) < 0.3
    assert 3.0 <= heard.heard_at(SECTION_A) < 3.0 + SLACK


def test_the_callers_number_is_in_no_log_line(first_call, line):
    output = line.output()
    assert "Call answered" in output and "Call ended" in output  # the service does log
    assert CALLER_NUMBER not in output


def test_unknown_keys_say_so_and_repeat_the_menu(line, tmp_path):
    call = {"to": line.uri(), "record": "call.wav", "seconds": 9.5}
    call["script"] = [[3.0, "9"], [5.6, "1"], [8.0, "7"]]
    [result] = place(tmp_path, [call])
    heard = Recording(result["record"])
    invalid = heard.heard_at(INVALID)
    assert 3.0 <= invalid < 3.0 + SLACK
    assert invalid < heard.heard_at(ENTRY_1, after=invalid) < 5.6  # the list again
    section = heard.heard_at(SECTION_A)
    assert 5.6 <= section < 5.6 + SLACK
    assert 8.0 <= heard.heard_at(INVALID, after=section) < 8.0 + SLACK  # in a guide too
    assert heard.heard_at(SECTION_HELP, after=8.0) < 8.0 + 0.5 + SLACK


def test_a_key_during_a_prompt_stops_it_at_once(line, tmp_path):
    call = {"to": line.uri(), "record": "call.wav", "seconds": 4.0}
    call["script"] = [[0.4, "1"], [1.4, "2"]]  # guide 1 during the greeting, then repeat
    [result] = place(tmp_path, [call])
    heard = Recording(result["record"])
    first = heard.heard_at(SECTION_A)
    assert 0.4 <= first < 0.4 + SLACK
    assert heard.heard_at(GREETING) < 0.3
    assert heard.not_heard(ENTRY_1) and heard.not_heard(GREETING)  # cut short, never whole
    again = heard.heard_at(SECTION_A, after=first + 0.5)
    assert 1.4 <= again < 1.4 + SLACK


def test_silence_repeats_the_menu_twice_then_says_goodbye_and_hangs_up(line, tmp_path):
    call = {"to": line.uri(), "record": "call.wav", "seconds": 20.0}
    [result] = place(tmp_path, [call])
    assert result["ended_by_service"]
    heard = Recording(result["record"])
    first_repeat = heard.heard_at(ENTRY_1, after=LIST_SECONDS)
    assert abs(first_repeat - (LIST_SECONDS + SILENCE)) < SLACK
    second_repeat = heard.heard_at(ENTRY_1, after=first_repeat + 1)
    assert abs(second_repeat - (first_repeat + 1.5 + SILENCE)) < SLACK
    goodbye = heard.heard_at(GOODBYE)
    assert abs(goodbye - (second_repeat + 1.5 + SILENCE)) < SLACK
    assert len(heard.audio) / heard.rate < goodbye + 0.5 + 1.0  # hung up after goodbye


def test_a_hang_up_mid_section_leaves_the_line_answering_the_next_call(line, tmp_path):
    hangs_up = {"to": line.uri(), "record": "first.wav", "seconds": 9.0}
    hangs_up["script"] = [[3.0, "1"], [4.0, "hangup"]]
    next_call = {"to": line.uri(), "record": "second.wav", "seconds": 3.0, "start": 6.0}
    first, second = place(tmp_path, [hangs_up, next_call])
    assert not first["ended_by_service"]
    assert Recording(first["record"]).heard_at(SECTION_A) < 3.0 + SLACK
    assert Recording(second["record"]).heard_at(GREETING) < 0.3
    assert line.process.poll() is None
    deadline = time.monotonic() + 5  # the service logs the last hang-up a moment after
    while not line.output().rstrip().endswith("Call ended (0 now)"):
        assert time.monotonic() < deadline, line.output()[-1000:]
        time.sleep(0.1)


@needs_kamailio
def test_ten_calls_at_once_each_hear_their_own_menu(line, tmp_path):
    calls = []
    for number in range(10):
        call = {"to": line.uri(), "record": f"call-{number}.wav", "seconds": 5.0}
        call["script"] = [[3.0 + number * 0.1, "1"]]
        calls.append(call)
    before = len(line.heard())
    results = place(tmp_path, calls)
    for number, result in enumerate(results):
        heard = Recording(result["record"])
        assert heard.heard_at(GREETING) < 0.3, number
        pressed = 3.0 + number * 0.1
        assert pressed <= heard.heard_at(SECTION_A) < pressed + SLACK, number
    assert line.heard()[before:] == [f"heard {sounds.GUIDE_ONE} a"] * 10


SIPP = shutil.which("sipp")


@pytest.mark.skipif(
    SIPP is None and not os.environ.get("ALTAVOZ_REQUIRE_SIP"),
    reason="SIPp is not installed (make sip; CI sets ALTAVOZ_REQUIRE_SIP=1)",
)
def test_another_sip_stack_sipp_is_answered_and_its_recorded_digit_starts_the_guide(line, tmp_path):
    """Both sides above are PJSIP: SIPp (its own SIP stack, and RFC 2833 events replayed from
    a recording) stands for a PBX or trunk that is not."""
    assert SIPP, "SIPp is required here: make sip"
    before = len(line.heard())
    sip_port, media_port = free_udp_port(1), free_udp_port(2)
    command = [SIPP, "-sf", str(Path(__file__).with_name("sipp_press_1.xml")), "-s", "es"]
    command += ["-key", "caller", CALLER_NUMBER, "-i", "127.0.0.1", "-p", str(sip_port)]
    command += ["-mi", "127.0.0.1", "-mp", str(media_port), "-m", "1", "-nostdin"]
    command += ["-trace_err", "-timeout", "20s", f"127.0.0.1:{line.port}"]
    ran = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=40)
    errors = "".join(path.read_text() for path in tmp_path.glob("*errors.log"))
    assert ran.returncode == 0, errors or ran.stdout.decode()[-2000:]  # 0: every call succeeded
    deadline = time.monotonic() + 5
    while line.heard()[before:] != [f"heard {sounds.GUIDE_ONE} a"]:
        assert time.monotonic() < deadline, line.heard()[before:]
        time.sleep(0.1)
    assert CALLER_NUMBER not in line.output()


def test_the_user_part_of_the_address_called_picks_the_language():
    from audio.phone.sip import called_user, parse_listen

    assert called_user("<sip:cak@192.0.2.10:5060>") == "cak"
    assert called_user("sip:ES@192.0.2.10;transport=udp") == "es"
    assert called_user("<sip:192.0.2.10>") == ""  # no user part: the language menu
    assert parse_listen("192.0.2.10:5060") == ("192.0.2.10", 5060)
    with pytest.raises(ValueError, match="built without IPv6"):
        parse_listen("[::1]:5070")  # PJSIP would abort on it: refused with the reason
    with pytest.raises(ValueError):
        parse_listen("5060")
