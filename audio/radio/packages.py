"""Broadcast packages: one ZIP per guide and locale for community radio stations.

``build_package(source, out_dir, options)`` turns a gathered ``RadioSource``
into ``altavoz-<guide>-<locale>.zip``::

    altavoz-mixco-es/
      README.txt                 for the station, in the package's language
      CREDITOS.txt               who made it, the voice, the licence
      libreto.txt, libreto.html  the spoken text of every spot, with durations
      programa.m3u8              the spots in program order
      programa/programa-completo.mp3 + .cue   the full program and its CUE sheet
      cunas/01-<section>.mp3 ... one spot per section
      manifest.json              guide, audio format, durations, loudness, SHA-256 of every file
      SHA256SUMS                 the same checksums for ``sha256sum -c``

Audio is mastered from the section clips with ``audio.mastering.master`` in
the ``radio`` variant (MP3 128 kbps CBR 44.1 kHz, or WAV 16-bit 48 kHz), at
EBU R128 -23 LUFS and <= -1 dBTP unless the options say otherwise. Each spot
and the program are mastered on their own, so every file sits at the target.
Station IDs (``StationIdentification``) frame each spot and the program.

The ZIP is written to a hidden temporary file in the target directory and
renamed over the final name only when complete: a failed build leaves nothing.
Bytes are reproducible (fixed ZIP dates, deterministic encoders), so the
admin download and ``export_radio`` give the same package.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

# The package: PyAV and NumPy load on first use (the web needs only keys and names here).
from audio import mastering
from audio.changes import version_notes
from audio.mastering.working import MASTER_SAMPLE_RATE
from audio.publishing import ISO_639_3, assemble
from audio.variants import get_variant

from .models import StationIdentification

if TYPE_CHECKING:
    import numpy as np

# Bump when the layout or contents change: it is part of the admin cache key.
# 2: the README gives the stations' feed.
# 3: README, script and manifest give the guide's version and what it changed.
PACKAGE_FORMAT_VERSION = 3
FORMATS = ("mp3", "wav")
# Silence between a station ID and the speech it frames.
STATION_ID_PAUSE = 0.4
# Below this much audio in total, starting worker processes costs more than it saves.
PARALLEL_MIN_SECONDS = 120.0
SLUG_MAX_LENGTH = 48
# Overridable with the ALTAVOZ_RADIO_LICENSE setting.
DEFAULT_LICENSE = (
    "Creative Commons Atribución-CompartirIgual 4.0 Internacional (CC BY-SA 4.0) — "
    "https://creativecommons.org/licenses/by-sa/4.0/deed.es"
)
ENGINE_DESCRIPTIONS = {"espeak": "espeak-ng", "gtts": "Google Text-to-Speech"}

PROGRAM_STEM = "programa-completo"
_FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP can hold


@dataclass(frozen=True)
class PackageOptions:
    """How to encode a package. Defaults: MP3, EBU R128 (-23 LUFS, -1 dBTP), station IDs on."""

    format: str = "mp3"
    loudness_lufs: float = -23.0
    true_peak_dbtp: float = -1.0
    station_ids: bool = True
    workers: int | None = None  # mastering processes; None: one per CPU

    def variant(self):
        """The ``radio`` variant at these settings; ValueError if they are out of range."""
        if self.format not in FORMATS:
            raise ValueError(
                _("Formato desconocido %(format)r: use mp3 o wav.") % {"format": self.format}
            )
        variant = get_variant("radio")
        if self.format == "wav":
            # Broadcast WAV is 16-bit at 48 kHz (EBU Tech 3285); the MP3 keeps 44.1 kHz.
            variant = replace(
                variant,
                codec="pcm_s16le",
                container="wav",
                extension="wav",
                mime_type="audio/wav",
                bitrate=None,
                sample_rate=48000,
                cbr=False,
            )
        return replace(
            variant,
            loudness_lufs=float(self.loudness_lufs),
            true_peak_dbtp=float(self.true_peak_dbtp),
        )

    def key_data(self):
        return {
            "format": self.format,
            "lufs": self.loudness_lufs,
            "dbtp": self.true_peak_dbtp,
            "ids": self.station_ids,
        }


@dataclass(frozen=True)
class StationIds:
    """Decoded intro/outro IDs (mono, MASTER_SAMPLE_RATE), silence trimmed; None when absent."""

    intro: np.ndarray | None = None
    outro: np.ndarray | None = None
    names: tuple = ()

    def frame(self, pcm):
        """``pcm`` with the IDs around it; returns (audio, seconds added before it)."""
        parts = [p for p in (self.intro, pcm, self.outro) if p is not None]
        joined, spans = mastering.join_with_pauses(parts, [STATION_ID_PAUSE] * (len(parts) - 1))
        return joined, spans[1 if self.intro is not None else 0][0]


@dataclass(frozen=True)
class BuiltPackage:
    """A package written to disk: its path and its manifest (as in the ZIP)."""

    path: Path
    manifest: dict


def load_station_ids(enabled=True, decode=True):
    """The station IDs uploaded in the admin (Settings → Identificación para radio).

    With ``decode=False`` only their fingerprints (``names``) are read: enough
    for ``package_key``.
    """
    if not enabled:
        return StationIds()
    setting = StationIdentification.load()
    decoded, names = {}, []
    for name in ("intro", "outro"):
        field_file = getattr(setting, name)
        if not field_file:
            continue
        with field_file.open("rb") as file:
            data = file.read()
        if decode:
            decoded[name] = mastering.trim_silence(mastering.decode_audio(data))
        names.append(f"{name}:{hashlib.sha256(data).hexdigest()}")
    return StationIds(decoded.get("intro"), decoded.get("outro"), tuple(names))


def package_name(source):
    return f"altavoz-{source.page.slug}-{source.language}"


def package_key(source, options, station_ids):
    """Identity of a package: same key, same bytes. Changes with audio, text, IDs or options."""
    payload = {
        "format_version": PACKAGE_FORMAT_VERSION,
        "page": source.page.pk,
        "url": guide_url(source.page),
        "audio": [source.engine, source.voice, source.content_hash],
        "text": source.text_key(),
        "options": options.key_data(),
        "station_ids": list(station_ids.names),
        "license": license_text(),
        "site": settings.WAGTAIL_SITE_NAME,
        "date": _zip_date(source),
        "version": version_notes(source.page.pk, source.language)["number"],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def spot_stems(sections):
    """``01-<slug of heading>`` per section: ASCII, unique, in reading order."""
    stems, seen = [], set()
    for number, section in enumerate(sections, start=1):
        base = _shortened(slugify(section.heading)) or "seccion"
        slug, suffix = base, 2
        while slug in seen:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        seen.add(slug)
        stems.append(f"{number:02d}-{slug}")
    return stems


def _shortened(slug):
    """At most SLUG_MAX_LENGTH characters, cut between words ("...-y-la", not "...-y-la-tra")."""
    if len(slug) <= SLUG_MAX_LENGTH:
        return slug
    cut = slug[:SLUG_MAX_LENGTH]
    if slug[SLUG_MAX_LENGTH] != "-" and "-" in cut:
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def guide_url(page):
    """The guide's public address (absolute, from WAGTAILADMIN_BASE_URL)."""
    return urljoin(settings.WAGTAILADMIN_BASE_URL, page.get_url() or "")


def radio_feed_url(locale_code):
    """The stations' podcast feed of a locale, with the guides' real titles.

    Absolute, from WAGTAILADMIN_BASE_URL.
    """
    return urljoin(settings.WAGTAILADMIN_BASE_URL, reverse("radio_feed", args=[locale_code]))


def license_text():
    return getattr(settings, "ALTAVOZ_RADIO_LICENSE", DEFAULT_LICENSE)


def build_package(source, out_dir, options=None, station_ids=None):
    """Master and write the package of a gathered ``RadioSource`` into ``out_dir``.

    Returns a BuiltPackage. The ZIP appears under its final name only once it
    is complete; on any error the partial file is removed and the error raised.
    """
    options = options or PackageOptions()
    station_ids = station_ids if station_ids is not None else load_station_ids(options.station_ids)
    variant = options.variant()
    out_dir = Path(out_dir)
    name = package_name(source)
    with translation.override(source.language):
        files, manifest = _package_files(source, options, variant, station_ids, name)
    path = write_zip_atomically(out_dir / f"{name}.zip", name, files, _zip_date(source))
    return BuiltPackage(path, manifest)


# --------------------------------------------------------------------------
# Contents


class _DecodedClip:
    """A SectionAudio whose samples are decoded once (spots and program both use them)."""

    def __init__(self, section_audio):
        self.section = section_audio.section
        self.clip = section_audio.clip
        self._pcm = section_audio.pcm()

    def pcm(self):
        return self._pcm


def _package_files(source, options, variant, station_ids, name):
    """Every file of the package (path → bytes), and its manifest."""
    clips = [_DecodedClip(c) for c in source.clips]
    common = _common_tags(source)
    jobs, chapters = _mastering_jobs(source, clips, variant, station_ids, common)
    mastered = master_all(jobs, variant, options.workers)

    audio_files = {}
    for number, (path, _pcm, metadata) in enumerate(jobs):
        track = (number, len(jobs) - 1) if number else None
        audio_files[path] = mastering.add_track_tags(mastered[path].data, variant, metadata, track)

    spots = _spots(jobs[1:], clips, mastered)
    program = _program(jobs[0][0], mastered, chapters)
    context = _template_context(source, variant, station_ids, name, program, spots)
    text_files = {
        "README.txt": render_to_string("radio/package/README.txt", context),
        "CREDITOS.txt": render_to_string("radio/package/CREDITOS.txt", context),
        "libreto.txt": render_to_string("radio/package/libreto.txt", context),
        "libreto.html": render_to_string("radio/package/libreto.html", context),
        "programa.m3u8": m3u8_playlist(spots, source.content.title),
        context["cue"]: cue_sheet(
            program,
            source.content.title,
            settings.WAGTAIL_SITE_NAME,
            variant,
            common["year"],
            context["url"],
        ),
    }
    files = {path: text.encode("utf-8") for path, text in text_files.items()}
    files.update(audio_files)

    manifest = _manifest(source, variant, station_ids, program, spots, files, context["version"])
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in sorted(files.items())
    ).encode("ascii")
    return files, manifest


def _common_tags(source):
    """The tags every audio file of the package shares (``Metadata`` fields but the title)."""
    reviewed = source.content.last_reviewed
    return {
        "album": source.content.title,
        "artist": settings.WAGTAIL_SITE_NAME,
        "language": ISO_639_3.get(source.language, source.language),
        "year": reviewed.year if reviewed else None,
        "comment": _("%(url)s — revisada el %(date)s")
        % {"url": guide_url(source.page), "date": reviewed.isoformat() if reviewed else "—"},
    }


def _mastering_jobs(source, clips, variant, station_ids, common):
    """(path, pcm, metadata) of the program, then of each spot; and the program's chapters."""
    program_pcm, sections, _cues = assemble(clips)
    program_pcm, offset = station_ids.frame(program_pcm)
    ext = variant.extension
    chapters = [
        mastering.Chapter(s["id"], s["heading"], s["start"] + offset, s["end"] + offset)
        for s in sections
    ]
    jobs = [
        (
            f"programa/{PROGRAM_STEM}.{ext}",
            program_pcm,
            mastering.Metadata(title=source.content.title, chapters=chapters, **common),
        )
    ]
    for clip, stem in zip(clips, spot_stems(source.sections), strict=True):
        spot_pcm, _offset = station_ids.frame(clip.pcm())
        jobs.append(
            (
                f"cunas/{stem}.{ext}",
                spot_pcm,
                mastering.Metadata(title=clip.section.heading, **common),
            )
        )
    return jobs, chapters


def _spots(spot_jobs, clips, mastered):
    """What the README, the script, the playlist and the manifest say of each spot."""
    return [
        {
            "number": number,
            "file": path,
            "section_id": clip.section.id,
            "title": clip.section.heading,
            "sentences": list(clip.section.sentences),
            "duration": round(mastered[path].duration_seconds, 3),
            "duration_label": _clock(mastered[path].duration_seconds),
            "loudness_lufs": _rounded(mastered[path].loudness.integrated_lufs),
            "true_peak_dbtp": _rounded(mastered[path].loudness.true_peak_dbtp),
        }
        for number, ((path, _pcm, _meta), clip) in enumerate(
            zip(spot_jobs, clips, strict=True), start=1
        )
    ]


def _program(path, mastered, chapters):
    """What the README, the CUE sheet and the manifest say of the full program."""
    return {
        "file": path,
        "duration": round(mastered[path].duration_seconds, 3),
        "loudness_lufs": _rounded(mastered[path].loudness.integrated_lufs),
        "true_peak_dbtp": _rounded(mastered[path].loudness.true_peak_dbtp),
        "chapters": [
            {
                "section_id": c.id,
                "title": c.title,
                "start": round(c.start, 3),
                "end": round(c.end, 3),
            }
            for c in chapters
        ],
    }


def _template_context(source, variant, station_ids, name, program, spots):
    """The context of the package's text templates (README, credits, script)."""
    page = source.page
    languages = dict(settings.LANGUAGES)
    return {
        "name": name,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "guide": source.content,
        "page": page,
        "url": guide_url(page),
        "radio_feed_url": radio_feed_url(page.locale.language_code),
        "last_reviewed": source.content.last_reviewed,
        "language_name": languages.get(source.language, source.language),
        "text_language_name": languages.get(source.text_language, source.text_language),
        "text_is_other_language": source.text_language != source.language,
        "recorded": source.is_recorded,
        "engine_description": ENGINE_DESCRIPTIONS.get(source.engine, source.engine),
        "voice": source.voice,
        "variant": variant,
        "format_label": _format_label(variant),
        "has_station_ids": bool(station_ids.names),
        "program": program,
        "program_duration_label": _clock(program["duration"]),
        "spots": spots,
        "license": license_text(),
        "playlist": "programa.m3u8",
        "cue": f"programa/{PROGRAM_STEM}.cue",
        "version": version_notes(source.page.pk, source.language),
    }


def _manifest(source, variant, station_ids, program, spots, files, version):
    """manifest.json: the guide, the audio format, program and spots, every file's checksum."""
    reviewed = source.content.last_reviewed
    return {
        "format": "altavoz-radio-package",
        "format_version": PACKAGE_FORMAT_VERSION,
        "guide": {
            "title": source.content.title,
            "slug": source.page.slug,
            "url": guide_url(source.page),
            "last_reviewed": reviewed.isoformat() if reviewed else None,
            "locale": source.language,
            "text_language": source.text_language,
            "version": version,
        },
        "audio": {
            "codec": variant.codec,
            "container": variant.container,
            "sample_rate": variant.sample_rate,
            "channels": variant.channels,
            "bitrate": variant.bitrate,
            "cbr": variant.cbr,
            "loudness_target_lufs": variant.loudness_lufs,
            "true_peak_ceiling_dbtp": variant.true_peak_dbtp,
            "engine": source.engine,
            "voice": source.voice,
            "station_ids": bool(station_ids.names),
        },
        "program": program,
        "spots": [
            {k: v for k, v in spot.items() if k not in ("sentences", "duration_label")}
            for spot in spots
        ],
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for path, data in sorted(files.items())
        ],
    }


def master_all(jobs, variant, workers=None):
    """``master()`` every (path, pcm, metadata) job; returns path → MasteredAudio.

    Encoding holds the GIL, so long guides are mastered in worker processes
    (spawned, not forked: the caller may be a threaded worker or server).
    """
    workers = workers or os.cpu_count() or 1
    total_seconds = sum(len(pcm) for _path, pcm, _meta in jobs) / MASTER_SAMPLE_RATE
    if workers <= 1 or len(jobs) < 2 or total_seconds < PARALLEL_MIN_SECONDS:
        return {path: mastering.master(pcm, variant, metadata) for path, pcm, metadata in jobs}
    longest_first = sorted(jobs, key=lambda job: -len(job[1]))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {
            path: pool.submit(mastering.master, pcm, variant, metadata)
            for path, pcm, metadata in longest_first
        }
        return {path: futures[path].result() for path, _pcm, _meta in jobs}


def m3u8_playlist(spots, title):
    """Extended M3U (UTF-8): the spots in program order, paths relative to the package."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(title)}"]
    for spot in spots:
        lines.append(f"#EXTINF:{round(spot['duration'])},{_one_line(spot['title'])}")
        lines.append(spot["file"])
    return "\n".join(lines) + "\n"


def cue_sheet(program, title, performer, variant, year=None, url=""):
    """A CUE sheet for the full program: one track per section, at its chapter start."""
    file_type = "WAVE" if variant.container == "wav" else "MP3"
    lines = [f"REM DATE {year}"] if year else []
    if url:
        lines.append(f'REM COMMENT "{_cue_text(url)}"')
    lines += [
        f'PERFORMER "{_cue_text(performer)}"',
        f'TITLE "{_cue_text(title)}"',
        f'FILE "{Path(program["file"]).name}" {file_type}',
    ]
    for number, chapter in enumerate(program["chapters"], start=1):
        # The first track starts at 0 so it also holds the intro station ID.
        start = 0.0 if number == 1 else chapter["start"]
        lines += [
            f"  TRACK {number:02d} AUDIO",
            f'    TITLE "{_cue_text(chapter["title"])}"',
            f'    PERFORMER "{_cue_text(performer)}"',
            f"    INDEX 01 {_cue_time(start)}",
        ]
    return "\n".join(lines) + "\n"


def write_zip_atomically(final_path, root, files, date_time):
    """Write ``files`` (path → bytes) under ``root/`` in a ZIP at ``final_path``, atomically.

    Audio is stored (already compressed), text deflated; every entry gets the
    same date so identical contents give identical bytes.
    """
    final_path = Path(final_path)
    descriptor, temporary = tempfile.mkstemp(
        dir=final_path.parent, prefix=f".{final_path.stem}-", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                for path in _archive_order(files):
                    info = zipfile.ZipInfo(f"{root}/{path}", date_time=date_time)
                    info.external_attr = 0o644 << 16
                    # Audio barely shrinks (MP3 not at all, PCM by ~10 %): store it, deflate text.
                    compressed = path.endswith((".txt", ".html", ".json", ".m3u8", ".cue", "SUMS"))
                    info.compress_type = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
                    archive.writestr(info, files[path])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, final_path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return final_path


def _archive_order(files):
    """README first (stations open the ZIP and read it), checksums last."""
    first = ["README.txt", "CREDITOS.txt", "libreto.txt", "libreto.html", "programa.m3u8"]
    last = ["manifest.json", "SHA256SUMS"]
    middle = sorted(p for p in files if p not in first and p not in last)
    return [p for p in first if p in files] + middle + [p for p in last if p in files]


def _zip_date(source):
    published = source.page.last_published_at
    if published is None:
        return _FIXED_ZIP_DATE
    local = timezone.localtime(published)
    return max(
        _FIXED_ZIP_DATE,
        (
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second - local.second % 2,
        ),
    )


def _format_label(variant):
    rate = f"{formats.localize(variant.sample_rate / 1000)} kHz"
    layout = _("estéreo") if variant.channels == 2 else _("mono")
    if variant.container == "wav":
        return f"WAV PCM 16 bit, {rate}, {layout}"
    return f"MP3 {variant.bitrate // 1000} kbps {'CBR' if variant.cbr else 'ABR'}, {rate}, {layout}"


def _clock(seconds):
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _rounded(value):
    return round(value, 2) if value is not None and math.isfinite(value) else None


def _one_line(text):
    return " ".join(str(text).split())


def _cue_text(text):
    return _one_line(text).replace('"', "'")


def _cue_time(seconds):
    """CUE position MM:SS:FF (75 frames per second)."""
    frames = round(seconds * 75)
    minutes, rest = divmod(frames, 75 * 60)
    return f"{minutes:02d}:{rest // 75:02d}:{rest % 75:02d}"
