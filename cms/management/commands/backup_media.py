"""``manage.py backup_media DIR``: copy every media file (local disk or S3) into a folder.

Storage-agnostic: it reads through Django's default storage, so the same
command backs up ``ALTAVOZ_MEDIA_ROOT`` or the S3 bucket. ``DIR`` gets the
files under their storage names plus ``SHA256SUMS`` (``sha256sum -c`` reads
it); ``restore_media DIR`` checks every sum before it writes a byte.
"""

import hashlib
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

SUMS = "SHA256SUMS"
CHUNK = 1024 * 1024


def walk(storage, folder=""):
    """Every file name in ``storage`` under ``folder``, sorted."""
    directories, files = storage.listdir(folder)
    names = [f"{folder}/{name}" if folder else name for name in files]
    for directory in directories:
        names += walk(storage, f"{folder}/{directory}" if folder else directory)
    return sorted(names)


class Command(BaseCommand):
    help = "Copy all media files (local or S3) into DIR, with a SHA256SUMS file."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, directory, **options):
        target = Path(directory)
        if target.exists() and any(target.iterdir()):
            raise CommandError(f"{target} is not empty: back up into a new folder.")
        target.mkdir(parents=True, exist_ok=True)
        sums = []
        for name in walk(default_storage):
            if name == SUMS or ".." in Path(name).parts:
                raise CommandError(f"Unexpected media name: {name!r}")
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with default_storage.open(name, "rb") as source, open(path, "wb") as copy:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    copy.write(chunk)
            sums.append(f"{digest.hexdigest()}  {name}\n")
        (target / SUMS).write_text("".join(sums), encoding="utf-8")
        self.stdout.write(f"Backed up {len(sums)} media file(s) into {target}.")
