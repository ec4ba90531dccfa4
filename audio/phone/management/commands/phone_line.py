"""Answer the phone line on a SIP address until SIGTERM or SIGINT (README, "Self-hosted SIP
line").

The SIP service (``audio.phone.sip``) wired to what is public now: the line from
``lines.current_line`` (rebuilt at most every ``LINE_SECONDS``), each sound's ``phone``
file (8 kHz 16-bit PCM WAV: PJSIP's player reads PCM) through Django's storage, copied
to ``ALTAVOZ_SIP_CACHE_DIR`` when the storage is a bucket, and each section heard
counted by ``lines.count_heard``. The user part of the address called picks the
language (``sip:cak@host`` starts in Kaqchikel); any other goes to the language menu.

With ``--processes`` N > 1 (four calls each), N SIP processes answer on the next ports
behind Kamailio on ``--listen`` (``audio.phone.dispatch``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from audio.phone import dispatch, lines, menu
from audio.phone.sip import PhoneService, Settings, parse_listen

logger = logging.getLogger(__name__)

VARIANT = "phone"
LINE_SECONDS = 2.0  # a guide withdrawn is off the line this soon; a call's keys stay cheap


class CurrentLine:
    """``lines.current_line``, rebuilt at most every ``LINE_SECONDS``; the last one built when
    the database is away (a call goes on with what it had)."""

    def __init__(self, seconds: float = LINE_SECONDS):
        self.seconds, self.line, self.built = seconds, None, -float("inf")

    def __call__(self) -> menu.PhoneLine:
        if time.monotonic() - self.built >= self.seconds or self.line is None:
            try:
                close_old_connections()
                self.line, self.built = lines.current_line(), time.monotonic()
            except Exception:
                if self.line is None:
                    raise
                logger.exception("Phone line: could not read the line; the last one is used")
        return self.line


class LocalFiles:
    """Each sound's ``phone`` file as a local path: the storage's own when it is a disk, else
    a copy in ``folder`` named after its storage name (a stored name never changes bytes:
    ``audio.phone_files`` never overwrites in place)."""

    def __init__(self, folder: Path, storage=default_storage):
        self.folder, self.storage = folder, storage

    def __call__(self, sound: menu.Sound) -> str | None:
        close_old_connections()
        name = lines.sound_file(sound, VARIANT)
        if name is None:
            return None
        try:
            return self.storage.path(name)
        except NotImplementedError:  # a bucket
            return str(self._copy(name))

    def _copy(self, name: str) -> Path:
        local = self.folder / name
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            with (
                self.storage.open(name, "rb") as source,
                tempfile.NamedTemporaryFile(dir=local.parent, delete=False) as copy,
            ):
                for chunk in iter(lambda: source.read(1 << 16), b""):
                    copy.write(chunk)
            os.replace(copy.name, local)  # whole or absent, for another process too
        return local


def count(sound: menu.Sound) -> None:
    """A count lost to a database hiccup must not end the call."""
    try:
        close_old_connections()
        lines.count_heard(sound)
    except Exception:
        logger.exception("Phone line: a listen was not counted")


class Command(BaseCommand):
    help = "Answer the phone line on a SIP address (UDP) until SIGTERM or SIGINT."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen",
            default=settings.ALTAVOZ_SIP_LISTEN,
            help="host:port to answer on (UDP; default ALTAVOZ_SIP_LISTEN, %(default)s)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.ALTAVOZ_SIP_PROCESSES,
            help="SIP processes, four calls each; more than one puts Kamailio in front",
        )

    def handle(self, *args, listen, processes, **options):
        try:
            host, port = parse_listen(listen)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if processes > 1:
            sys.exit(self._dispatch(host, port, processes))
        service = PhoneService(
            CurrentLine(),
            LocalFiles(Path(settings.ALTAVOZ_SIP_CACHE_DIR)),
            count,
            Settings(host=host, port=port, silence=settings.ALTAVOZ_PHONE_KEY_TIMEOUT_SECONDS),
        )
        signal.signal(signal.SIGTERM, lambda *_: service.stop())
        signal.signal(signal.SIGINT, lambda *_: service.stop())
        service.open()
        self.stdout.write(f"Phone line answering on {host}:{port} (SIP over UDP).")
        self.stdout.flush()
        try:
            service.run()
        finally:
            service.close()

    def _dispatch(self, host: str, port: int, processes: int) -> int:
        def worker(worker_host: str, worker_port: int) -> list[str]:
            manage = Path(settings.BASE_DIR) / "manage.py"
            return [sys.executable, str(manage), "phone_line", "--processes", "1"] + [
                "--listen",
                f"{worker_host}:{worker_port}",
            ]

        def ready() -> None:
            self.stdout.write(
                f"Phone line answering on {host}:{port} (SIP over UDP): {processes} processes "
                "behind Kamailio."
            )
            self.stdout.flush()

        folder = Path(tempfile.mkdtemp(prefix="altavoz-sip-"))
        return dispatch.run(host, port, processes, worker, folder, ready)
