"""export_radio: broadcast-ready packages a station can put straight on air."""

import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from audio.publishing import PAUSE_BETWEEN_SECTIONS
from audio.radio.packages import spot_stems
from audio.text import speech_sections

from .conftest import (
    Package,
    add_recordings,
    export,
    make_audio_file,
    measure_file,
    sha256,
)

pytestmark = pytest.mark.django_db

LOUDNESS_TOLERANCE_LU = 1.0  # EBU R128 allows ±1 LU for programmes


def test_spanish_package_is_broadcast_ready(spanish_audio, tmp_path):
    """Every file at -23 LUFS ±1 and <= -1 dBTP as an independent meter reads it, MP3 CBR 128k 44.1
    kHz."""
    export(tmp_path, guide="guia-corta", locale="es")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "altavoz-guia-corta-es.zip"
    ]  # no temp file left
    package = Package(tmp_path / "altavoz-guia-corta-es.zip")
    assert package.root == "altavoz-guia-corta-es"

    sections = speech_sections(spanish_audio)
    assert [s["file"] for s in package.manifest["spots"]] == [
        "cunas/01-guia-corta.mp3",
        "cunas/02-donde-hay-condones.mp3",
        "cunas/03-y-la-prep.mp3",
    ]
    assert {
        "README.txt",
        "CREDITOS.txt",
        "libreto.txt",
        "libreto.html",
        "programa.m3u8",
        "programa/programa-completo.mp3",
        "programa/programa-completo.cue",
        "manifest.json",
        "SHA256SUMS",
    } <= set(package.files)

    durations = {}
    for path in package.audio_paths():
        data = package.files[path]
        info = MP3(fileobj=io.BytesIO(data)).info
        assert (info.sample_rate, info.bitrate_mode) == (44100, BitrateMode.CBR), path
        assert info.bitrate >= 128000 - 100, path
        measured = measure_file(data)
        assert measured.rate == 44100
        assert abs(measured.lufs - (-23.0)) <= LOUDNESS_TOLERANCE_LU, (path, measured.lufs)
        assert measured.true_peak_dbtp <= -1.0, (path, measured.true_peak_dbtp)
        lead, tail = measured.silence_at_ends()
        assert lead <= 0.5 and tail <= 0.5, (path, lead, tail)
        durations[path] = measured.seconds

    # The program is the spots in order with the pipeline's pause between sections.
    spots = [durations[s["file"]] for s in package.manifest["spots"]]
    program = durations["programa/programa-completo.mp3"]
    assert sum(spots) + PAUSE_BETWEEN_SECTIONS * (len(spots) - 1) == pytest.approx(
        program, abs=0.05 * len(spots)
    )
    for spot in package.manifest["spots"]:
        assert spot["duration"] == pytest.approx(durations[spot["file"]], abs=0.01)
    assert len(spots) == len(sections)


def test_tags_playlist_cue_and_libreto_describe_the_audio(spanish_audio, tmp_path):
    export(tmp_path, guide="guia-corta")
    package = Package(tmp_path / "altavoz-guia-corta-es.zip")
    tags = ID3(io.BytesIO(package.files["cunas/02-donde-hay-condones.mp3"]))
    assert str(tags["TIT2"]) == "¿Dónde hay condones?"
    assert str(tags["TALB"]) == "Guía corta"
    assert str(tags["TLAN"]) == "spa"
    assert str(tags["TDRC"]) == "2026"
    assert str(tags["TRCK"]) == "2/3"
    comment = str(tags.getall("COMM")[0])
    assert "/es/guia-corta/" in comment and "2026-11-01" in comment
    program_tags = ID3(io.BytesIO(package.files["programa/programa-completo.mp3"]))
    assert [
        str(f.sub_frames["TIT2"])
        for f in sorted(program_tags.getall("CHAP"), key=lambda c: c.start_time)
    ] == ["Guía corta", "¿Dónde hay condones?", "¿Y la PrEP?"]
    # Chapters are numbered, as in listener files: section ids (published by the API) stay out.
    assert sorted(c.element_id for c in program_tags.getall("CHAP")) == ["ch1", "ch2", "ch3"]
    assert (
        b"11111111-1111-4111-8111-111111111111"
        not in package.files["programa/programa-completo.mp3"]
    )

    playlist = package.text("programa.m3u8").splitlines()
    assert playlist[0] == "#EXTM3U"
    entries = [line for line in playlist if not line.startswith("#")]
    assert entries == [s["file"] for s in package.manifest["spots"]]
    assert all(entry in package.files for entry in entries)
    extinf = [
        int(re.match(r"#EXTINF:(\d+),", line).group(1))
        for line in playlist
        if line.startswith("#EXTINF")
    ]
    assert extinf == [round(s["duration"]) for s in package.manifest["spots"]]

    cue = package.text("programa/programa-completo.cue")
    assert 'FILE "programa-completo.mp3" MP3' in cue
    indexes = re.findall(r"INDEX 01 (\d\d):(\d\d):(\d\d)", cue)
    starts = [int(m) * 60 + int(s) + int(f) / 75 for m, s, f in indexes]
    chapters = package.manifest["program"]["chapters"]
    assert len(starts) == len(chapters) == 3
    assert starts[0] == 0
    assert starts[1:] == pytest.approx([c["start"] for c in chapters[1:]], abs=1 / 75)

    libreto = package.text("libreto.txt")
    html = package.text("libreto.html")
    for section, spot in zip(
        speech_sections(spanish_audio), package.manifest["spots"], strict=True
    ):
        for (
            sentence
        ) in section.sentences:  # the displayed text, not the spoken form ("Q25", not "quetzales")
            assert sentence in libreto
        minutes, seconds = divmod(round(spot["duration"]), 60)
        assert f"{spot['file']} · Duración: {minutes}:{seconds:02d}" in libreto
    assert "Cuesta Q25." in html and '<html lang="es">' in html
    assert "http" not in re.sub(r"<code>.*?</code>", "", html.split("<body>")[1]).replace(
        "http://127.0.0.1:8000", ""
    )  # no third-party address in the page
    assert "<script" not in html and "src=" not in html

    readme = package.text("README.txt")
    assert "Paquete para radio · Español" in readme and "sha256sum -c SHA256SUMS" in readme
    assert "-23 LUFS" in readme
    # Stations may subscribe instead: their feed, with the real titles (not the listeners' one).
    assert "http://127.0.0.1:8000/feeds/es/radio.xml" in readme and "podcast.xml" not in readme
    assert "Licencia:" in package.text("CREDITOS.txt") and "espeak-ng" in package.text(
        "CREDITOS.txt"
    )


def test_manifest_and_checksums_verify(spanish_audio, tmp_path):
    export(tmp_path, guide="guia-corta")
    package = Package(tmp_path / "altavoz-guia-corta-es.zip")
    listed = {entry["path"]: entry for entry in package.manifest["files"]}
    assert set(listed) == set(package.files) - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        assert (
            sha256(package.files[path]) == entry["sha256"]
            and len(package.files[path]) == entry["bytes"]
        )
    sums = dict(reversed(line.split("  ", 1)) for line in package.text("SHA256SUMS").splitlines())
    assert set(sums) == set(package.files) - {"SHA256SUMS"}
    assert all(sha256(package.files[path]) == digest for path, digest in sums.items())


def test_wav_at_another_loudness(spanish_audio, tmp_path):
    """--format wav --loudness -16: 16-bit 48 kHz files at -16 LUFS, still under the ceiling."""
    export(tmp_path, guide="guia-corta", format="wav", loudness=-16.0)
    package = Package(tmp_path / "altavoz-guia-corta-es.zip")
    assert package.audio_paths()[0] == "programa/programa-completo.wav"
    assert 'FILE "programa-completo.wav" WAVE' in package.text("programa/programa-completo.cue")
    for path in package.audio_paths():
        measured = measure_file(package.files[path])
        assert (measured.rate, measured.codec) == (48000, "pcm_s16le")
        assert abs(measured.lufs - (-16.0)) <= LOUDNESS_TOLERANCE_LU, (path, measured.lufs)
        assert measured.true_peak_dbtp <= -1.0
    assert "-16 LUFS" in package.text("README.txt")


def test_station_ids_frame_every_spot_and_the_program(spanish_audio, tmp_path):
    from audio.radio.models import StationIdentification
    from audio.radio.packages import STATION_ID_PAUSE

    export(tmp_path / "plain", guide="guia-corta")
    plain = Package(tmp_path / "plain" / "altavoz-guia-corta-es.zip")

    ids = StationIdentification.load()
    ids.intro.save("intro.wav", ContentFile(make_audio_file(1.0, frequency=660.0)), save=False)
    ids.outro.save("outro.wav", ContentFile(make_audio_file(0.5, frequency=440.0)), save=False)
    ids.save()
    export(tmp_path / "ids", guide="guia-corta")
    framed = Package(tmp_path / "ids" / "altavoz-guia-corta-es.zip")
    added = 1.0 + 0.5 + 2 * STATION_ID_PAUSE
    for before, after in zip(plain.manifest["spots"], framed.manifest["spots"], strict=True):
        assert after["duration"] - before["duration"] == pytest.approx(added, abs=0.06)
    assert framed.manifest["program"]["duration"] - plain.manifest["program"][
        "duration"
    ] == pytest.approx(added, abs=0.06)
    # Chapters move past the intro; the CUE's first track still starts at 0.
    assert framed.manifest["program"]["chapters"][0]["start"] == pytest.approx(
        1.0 + STATION_ID_PAUSE, abs=0.01
    )
    assert "identificación de entrada y de salida" in framed.text("README.txt")

    export(tmp_path / "without", guide="guia-corta", no_station_ids=True)
    without = Package(tmp_path / "without" / "altavoz-guia-corta-es.zip")
    assert [s["duration"] for s in without.manifest["spots"]] == [
        s["duration"] for s in plain.manifest["spots"]
    ]


def test_spots_are_mastered_in_worker_processes_the_same_way(spanish_audio, tmp_path, monkeypatch):
    """The parallel path (long guides) gives the same files as the serial one."""
    from audio.radio import packages

    export(tmp_path / "serial", guide="guia-corta", jobs=1)
    monkeypatch.setattr(packages, "PARALLEL_MIN_SECONDS", 0.0)
    export(tmp_path / "parallel", guide="guia-corta", jobs=2)
    serial = Package(tmp_path / "serial" / "altavoz-guia-corta-es.zip")
    parallel = Package(tmp_path / "parallel" / "altavoz-guia-corta-es.zip")
    assert serial.files == parallel.files


# --- Bad arguments: a clear message, a non-zero exit, nothing left behind ---------------


def test_unknown_guide_or_locale(spanish_audio, tmp_path):
    with pytest.raises(
        CommandError,
        match=r"No published guide 'no-existe' in locale 'es' \(available: .*guia-corta",
    ):
        export(tmp_path, guide="no-existe")
    with pytest.raises(CommandError, match=r"Unknown locale 'fr'; choose one of: es, en, cak"):
        export(tmp_path, locale="fr")
    with pytest.raises(CommandError, match="Formato desconocido|invalid choice"):
        export(tmp_path, guide="guia-corta", format="ogg")
    with pytest.raises(CommandError, match="loudness_lufs must be a number from -40.0 to -5.0"):
        export(tmp_path, guide="guia-corta", loudness=-3)
    assert list(tmp_path.iterdir()) == []


def test_locale_without_audio_lists_every_guide_and_writes_nothing(tmp_path):
    """The demo's English guides have no audio yet (the test run generates none)."""
    with pytest.raises(CommandError) as raised:
        export(tmp_path / "out", locale="en")
    message = str(raised.value)
    assert "No package was written." in message
    assert "mixco (en): todavía no hay audio publicado" in message
    assert "patzun (en): todavía no hay audio publicado" in message
    assert not (tmp_path / "out").exists()


def test_guide_without_audio_is_refused(small_guide, tmp_path):
    with pytest.raises(
        CommandError,
        match=r"guia-corta \(es\): todavía no hay audio publicado.*generate_audio --page",
    ):
        export(tmp_path, guide="guia-corta")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory(spanish_audio, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "inside"):
        with pytest.raises(CommandError, match=r"Cannot write to .*a-file"):
            export(out, guide="guia-corta")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_failed_write_leaves_no_partial_zip_and_keeps_the_previous_one(
    spanish_audio, tmp_path, monkeypatch
):
    export(tmp_path, guide="guia-corta")
    good = (tmp_path / "altavoz-guia-corta-es.zip").read_bytes()

    original = zipfile.ZipFile.writestr
    calls = []

    def disk_full_after_three_files(self, info, data, *args, **kwargs):
        calls.append(info)
        if len(calls) > 3:
            raise OSError(28, "No space left on device")
        return original(self, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full_after_three_files)
    with pytest.raises(CommandError, match="No space left on device"):
        export(tmp_path, guide="guia-corta")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["altavoz-guia-corta-es.zip"]
    assert (tmp_path / "altavoz-guia-corta-es.zip").read_bytes() == good


# --- Kaqchikel: only complete, up-to-date human recordings -----------------------------


def test_kaqchikel_without_recordings_lists_the_missing_sections(kaqchikel_guide, tmp_path):
    with pytest.raises(CommandError) as raised:
        export(tmp_path, locale="cak", guide="guia-corta")
    message = str(raised.value)
    assert "Secciones sin grabación:" in message
    for heading in ("Guía corta", "¿Dónde hay condones?", "¿Y la PrEP?"):
        assert f"- {heading}" in message
    assert list(tmp_path.iterdir()) == []


def test_kaqchikel_with_a_stale_recording_is_refused(small_guide, kaqchikel_guide, tmp_path):
    add_recordings(kaqchikel_guide)
    raw = small_guide.sections.get_prep_value()
    raw[2]["value"]["body"] = (
        "<ul><li>Previene el VIH</li><li>Es gratis en el centro de salud</li></ul>"
    )
    small_guide.sections = raw
    small_guide.save_revision().publish()

    with pytest.raises(CommandError) as raised:
        export(tmp_path, locale="cak", guide="guia-corta")
    message = str(raised.value)
    assert "Grabaciones desactualizadas" in message and "- ¿Y la PrEP?" in message
    assert "Secciones sin grabación" not in message
    assert list(tmp_path.iterdir()) == []


def test_kaqchikel_package_from_complete_recordings(kaqchikel_guide, tmp_path):
    add_recordings(kaqchikel_guide, seconds=1.5)
    export(tmp_path, locale="cak", guide="guia-corta")
    package = Package(tmp_path / "altavoz-guia-corta-cak.zip")
    assert package.manifest["audio"]["engine"] == "recorded"
    # The written translation is not done: the libreto is the Spanish text, said so.
    assert package.manifest["guide"]["text_language"] == "es"
    assert "Texto de referencia en Español" in package.text("libreto.txt")
    assert "grabaciones de personas hablantes de Kaqchikel" in package.text("README.txt")
    assert str(ID3(io.BytesIO(package.files["cunas/01-guia-corta.mp3"]))["TLAN"]) == "cak"
    for path in package.audio_paths():
        measured = measure_file(package.files[path])
        assert abs(measured.lufs - (-23.0)) <= LOUDNESS_TOLERANCE_LU
        assert measured.true_peak_dbtp <= -1.0
    spots = [s["duration"] for s in package.manifest["spots"]]
    assert spots == pytest.approx([1.5, 1.5, 1.5], abs=0.1)


# --- Names ---------------------------------------------------------------------------


def test_spot_names_of_the_demo_guides_are_ascii_unique_and_numbered():
    from cms.models import GuidePage

    for slug in ("mixco", "patzun"):
        page = GuidePage.objects.get(slug=slug, locale__language_code="es")
        stems = spot_stems(speech_sections(page))
        assert len(set(stems)) == len(stems) > 5
        for number, stem in enumerate(stems, start=1):
            assert re.fullmatch(rf"{number:02d}-[a-z0-9]+(-[a-z0-9]+)*", stem), stem
            assert len(stem) <= 51


def test_repeated_headings_get_distinct_names():
    from audio.text import SpeechSection

    sections = [
        SpeechSection(str(i), heading, ("x.",))
        for i, heading in enumerate(["¿Qué?", "Ayuda", "Ayuda", "!!"])
    ]
    assert spot_stems(sections) == ["01-que", "02-ayuda", "03-ayuda-2", "04-seccion"]


def test_long_headings_are_cut_between_words():
    from audio.text import SpeechSection

    heading = "¿En qué se diferencian el trabajo sexual y la trata de personas?"
    (stem,) = spot_stems([SpeechSection("x", heading, ("x.",))])
    assert stem == "01-en-que-se-diferencian-el-trabajo-sexual-y-la"
