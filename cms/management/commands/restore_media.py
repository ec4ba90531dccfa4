"""``manage.py restore_media DIR``: put a ``backup_media`` folder back into the media storage.

Every file's SHA-256 is checked against ``SHA256SUMS`` first; then each file
is written under its original name (the database points at those names). A
file already there with the same bytes is left alone; one with other bytes
stops the restore unless ``--replace``.
"""

import hashlib
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from .backup_media import CHUNK, SUMS


def file_sha256(file):
    digest = hashlib.sha256()
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Restore media files from a backup_media folder into the media storage (local or S3)."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite files that differ from the backup."
        )

    def handle(self, directory, replace=False, **options):
        source = Path(directory)
        try:
            lines = (source / SUMS).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as error:
            raise CommandError(f"No {SUMS} in {source}: not a backup_media folder.") from error
        entries = [line.split("  ", 1) for line in lines if line]
        for expected, name in entries:
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise CommandError(f"Unexpected name in {SUMS}: {name!r}")
            with open(source / name, "rb") as file:
                if file_sha256(file) != expected:
                    raise CommandError(f"{name}: its SHA-256 does not match {SUMS}.")
        written = kept = 0
        for expected, name in entries:
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as present:
                    if file_sha256(present) == expected:
                        kept += 1
                        continue
                if not replace:
                    raise CommandError(f"{name} exists with other bytes (use --replace).")
                default_storage.delete(name)
            with open(source / name, "rb") as file:
                saved = default_storage.save(name, File(file, name=name))
            if saved != name:
                raise CommandError(f"{name} was stored as {saved}: the database would miss it.")
            written += 1
        self.stdout.write(f"Restored {written} media file(s); {kept} already in place.")
