"""``manage.py export_radio``: broadcast packages (ZIP) of the guides for community radio."""

import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Locale

from audio.radio.packages import (
    FORMATS,
    PackageOptions,
    build_package,
    load_station_ids,
)
from audio.radio.sources import PackageError, gather_clips, plan_source
from cms.models import GuidePage


class Command(BaseCommand):
    help = (
        "Write one broadcast package (ZIP) per published guide and locale into --out: the full "
        "program and one spot per section at broadcast loudness (EBU R128 -23 LUFS, <= -1 dBTP "
        "by default), ID3 tags, an M3U8 playlist, a CUE sheet, the libreto (script), a README, "
        "credits and a SHA-256 manifest. Kaqchikel packages need complete, up-to-date recordings. "
        "Nothing is written unless every selected guide can be packaged; a failed build leaves no "
        "partial ZIP."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help="Directory for the ZIP files (created if missing)."
        )
        parser.add_argument(
            "--locale", default=settings.SOURCE_LANGUAGE_CODE, help="es (default), en or cak."
        )
        parser.add_argument("--guide", help="Slug of one guide (default: every published guide).")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="mp3",
            help="mp3 (128 kbps CBR 44.1 kHz) or wav (16-bit 48 kHz).",
        )
        parser.add_argument(
            "--loudness",
            type=float,
            default=-23.0,
            help="Integrated loudness target in LUFS (default -23).",
        )
        parser.add_argument(
            "--true-peak", type=float, default=-1.0, help="True-peak ceiling in dBTP (default -1)."
        )
        parser.add_argument(
            "--no-station-ids", action="store_true", help="Leave out the intro/outro station IDs."
        )
        parser.add_argument(
            "--jobs", type=int, default=None, help="Mastering processes (default: one per CPU)."
        )

    def handle(
        self,
        *args,
        out,
        locale,
        guide=None,
        format="mp3",
        loudness=-23.0,
        true_peak=-1.0,
        no_station_ids=False,
        jobs=None,
        **options,
    ):
        package_options = PackageOptions(
            format=format,
            loudness_lufs=loudness,
            true_peak_dbtp=true_peak,
            station_ids=not no_station_ids,
            workers=jobs,
        )
        try:
            package_options.variant()
        except ValueError as error:
            raise CommandError(str(error)) from error

        pages = self.guides(locale, guide)
        # Check every guide before writing anything: a station gets all it asked for or nothing.
        sources, problems = [], []
        for page in pages:
            try:
                sources.append(plan_source(page))
            except PackageError as error:
                problems.append(str(error))
        if problems:
            raise CommandError("\n".join(["No package was written."] + problems))

        out_dir = self.writable_directory(out)
        station_ids = load_station_ids(package_options.station_ids)
        for source in sources:
            started = time.monotonic()
            try:
                built = build_package(gather_clips(source), out_dir, package_options, station_ids)
            except PackageError as error:
                raise CommandError(str(error)) from error
            except OSError as error:
                raise CommandError(
                    f"Could not write the package of {source.label} in {out_dir}: {error}"
                ) from error
            program = built.manifest["program"]
            minutes, seconds = divmod(round(program["duration"]), 60)
            self.stdout.write(
                f"{built.path}: {len(built.manifest['spots'])} spots "
                f"+ program {minutes}:{seconds:02d}, "
                f"{program['loudness_lufs']} LUFS / {program['true_peak_dbtp']} dBTP, "
                f"{built.path.stat().st_size / 1e6:.1f} MB, {time.monotonic() - started:.1f} s"
            )

    def guides(self, locale, slug):
        if not Locale.objects.filter(language_code=locale).exists():
            known = ", ".join(code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES)
            raise CommandError(f"Unknown locale {locale!r}; choose one of: {known}.")
        guides = (
            GuidePage.objects.live().public().filter(locale__language_code=locale).order_by("path")
        )
        if slug:
            chosen = [g for g in guides if g.slug == slug]
            if not chosen:
                available = ", ".join(g.slug for g in guides) or "none"
                raise CommandError(
                    f"No published guide {slug!r} in locale {locale!r} (available: {available})."
                )
            return chosen
        if not guides:
            raise CommandError(f"No published guide in locale {locale!r}.")
        return list(guides)

    def writable_directory(self, out):
        """Create ``out`` if needed and prove a file can be written there, before any work."""
        out_dir = Path(out).expanduser().resolve()
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".altavoz-write-test-"):
                pass
        except OSError as error:
            raise CommandError(f"Cannot write to {out_dir}: {error.strerror or error}.") from error
        return out_dir
