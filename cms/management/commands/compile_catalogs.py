"""Compile the interface catalogs (site/locale/*/LC_MESSAGES/django.po) to .mo.

Django's own compilemessages needs GNU gettext installed on the machine; this
does the same with polib so set-up needs nothing beyond pip. The Kaqchikel
catalog must exist even when nearly empty: Django only treats "cak" as an
available language when a compiled catalog is found.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile site/locale/*/LC_MESSAGES/*.po into .mo files (pure Python)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit non-zero if any .mo is missing or older than its .po; write nothing.",
        )

    def handle(self, *args, check=False, **options):
        stale = []
        for locale_path in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                try:
                    catalog = polib.pofile(str(po_path))
                except (OSError, ValueError) as error:
                    raise CommandError(f"{po_path}: {error}") from error
                if check:
                    if not mo_path.exists() or mo_path.read_bytes() != self.compiled(
                        catalog, mo_path
                    ):
                        stale.append(str(mo_path))
                    continue
                catalog.save_as_mofile(str(mo_path))
                self.stdout.write(f"{mo_path} ({catalog.percent_translated()}% translated)")
        if stale:
            raise CommandError("Out of date, run `manage.py compile_catalogs`: " + ", ".join(stale))

    @staticmethod
    def compiled(catalog: polib.POFile, mo_path: Path) -> bytes:
        tmp = mo_path.with_suffix(".mo.check")
        try:
            catalog.save_as_mofile(str(tmp))
            return tmp.read_bytes()
        finally:
            tmp.unlink(missing_ok=True)
