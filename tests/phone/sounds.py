"""A phone line made in the test: one language, two guides, and a WAV file per sound.

Each sound is its own seeded noise, 8 kHz 16-bit mono as the ``phone`` variant is, so a
recording can be searched for it by normalized cross-correlation: noise matches only
itself (a tone would match any tone of its pitch), and survives G.711 well.

``python -m tests.phone.sounds FOLDER --listen HOST:PORT [--silence S]`` runs the SIP
service (``audio.phone.sip``) on this line, without Django: the test's server process.
Each section heard is printed as ``heard <page> <section>``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import wave
import zlib
from pathlib import Path

import numpy as np

from audio.phone.menu import Guide, Language, PhoneLine, Prompt, Sound

RATE = 8000
MENU_PAGE, GUIDE_ONE, GUIDE_TWO = 10, 20, 30
SECONDS = {"section": 2.0, Prompt.GREETING: 1.0}  # everything else: half a second


def line() -> PhoneLine:
    prompts = {prompt: Sound(MENU_PAGE, prompt.value) for prompt in Prompt}
    guides = (
        Guide(1, GUIDE_ONE, Sound(MENU_PAGE, "entry-1"), ("a", "b", "c")),
        Guide(2, GUIDE_TWO, Sound(MENU_PAGE, "entry-2"), ("x",)),
    )
    return PhoneLine((Language("es", 1, prompts, guides),), source="es")


def all_sounds(phone_line: PhoneLine) -> list[Sound]:
    sounds = []
    for language in phone_line.languages:
        sounds += language.prompts.values()
        for guide in language.guides:
            sounds.append(guide.entry)
            sounds += [Sound(guide.page_id, section) for section in guide.sections]
    return sounds


def samples(sound: Sound) -> np.ndarray:
    """The sound's own noise, a third of full scale (as loud as speech mastered for phones)."""
    is_section = sound.page_id != MENU_PAGE
    seconds = SECONDS["section"] if is_section else SECONDS.get(sound.section_id, 0.5)
    seed = zlib.crc32(f"{sound.page_id}/{sound.section_id}".encode())
    noise = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    return np.clip(noise * 0.12, -1, 1)


def file_name(sound: Sound) -> str:
    return f"{sound.page_id}-{sound.section_id}.wav"


def write_wav(path: Path, audio: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((audio * 32767).astype("<i2").tobytes())


def write_sounds(folder: Path, phone_line: PhoneLine | None = None) -> dict[Sound, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for sound in all_sounds(phone_line or line()):
        paths[sound] = folder / file_name(sound)
        if not paths[sound].exists():  # several processes of one line share the folder
            write_wav(paths[sound], samples(sound))
    return paths


def serve(folder: Path, listen: str, silence: float) -> None:
    from audio.phone.sip import PhoneService, Settings, parse_listen

    phone_line = line()
    paths = write_sounds(folder, phone_line)
    host, port = parse_listen(listen)

    def heard(sound: Sound) -> None:
        print(f"heard {sound.page_id} {sound.section_id}", flush=True)

    service = PhoneService(
        lambda: phone_line,
        lambda sound: str(paths[sound]) if sound in paths else None,
        heard,
        Settings(host=host, port=port, silence=silence),
    )
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    service.open()
    print("ready", flush=True)
    try:
        service.run()
    finally:
        service.close()
    print("stopped", flush=True)


def serve_workers(arguments: argparse.Namespace) -> int:
    """The line as processes behind Kamailio (``audio.phone.dispatch``)."""
    from audio.phone import dispatch
    from audio.phone.sip import parse_listen

    write_sounds(arguments.folder)
    host, port = parse_listen(arguments.listen)

    def worker(worker_host: str, worker_port: int) -> list[str]:
        return [sys.executable, "-m", "tests.phone.sounds", str(arguments.folder)] + [
            "--listen",
            f"{worker_host}:{worker_port}",
            "--silence",
            str(arguments.silence),
        ]

    ready = lambda: print("line ready", flush=True)  # noqa: E731
    code = dispatch.run(host, port, arguments.workers, worker, arguments.folder / "sip", ready)
    print("stopped", flush=True)
    return code


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--silence", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.workers > 1:
        sys.exit(serve_workers(arguments))
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG, format="%(relativeCreated)d %(message)s"
    )
    serve(arguments.folder, arguments.listen, arguments.silence)
