"""Helpers for radio tests: export a package, open it, measure its audio independently.

Measurements here do not use ``audio.mastering``: files are decoded with PyAV,
loudness is pyloudnorm's BS.1770 meter, true peak is the 4x oversampled
maximum (scipy), as a station's meter would read them.
"""

import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass

import av
import numpy as np
import pyloudnorm
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from scipy.signal import resample_poly

from tests.audio.fixtures import make_audio_file


@dataclass
class Measured:
    rate: int
    channels: int
    samples: np.ndarray  # (channels, n) float64
    codec: str

    @property
    def seconds(self):
        return self.samples.shape[1] / self.rate

    @property
    def lufs(self):
        return pyloudnorm.Meter(self.rate).integrated_loudness(self.samples.T)

    @property
    def true_peak_dbtp(self):
        peak = max(float(np.abs(resample_poly(channel, 4, 1)).max()) for channel in self.samples)
        return 20 * math.log10(peak)

    def silence_at_ends(self, threshold_dbfs=-45.0):
        """Seconds before the first and after the last sample above the threshold."""
        loud = np.flatnonzero(np.abs(self.samples).max(axis=0) > 10 ** (threshold_dbfs / 20))
        return loud[0] / self.rate, (self.samples.shape[1] - 1 - loud[-1]) / self.rate


def measure_file(data):
    """Decode audio bytes with PyAV into float samples per channel."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        planes, rate, channels = [], None, None
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            channels = frame.layout.nb_channels
            if not frame.format.is_planar:
                array = array.reshape(-1, channels).T
            if array.dtype == np.int16:
                array = array / 32768.0
            planes.append(array.astype(np.float64))
            rate = frame.sample_rate
    return Measured(rate, channels, np.concatenate(planes, axis=1), codec)


class Package:
    """An exported ZIP, opened: files by path relative to its top folder."""

    def __init__(self, path):
        self.path = path
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            self.root = names[0].split("/", 1)[0]
            assert all(name.startswith(self.root + "/") for name in names)
            self.files = {name.split("/", 1)[1]: archive.read(name) for name in names}
        self.manifest = json.loads(self.files["manifest.json"])

    def text(self, name):
        return self.files[name].decode("utf-8")

    def audio_paths(self):
        return [self.manifest["program"]["file"]] + [s["file"] for s in self.manifest["spots"]]


def export(out_dir, **options):
    """Run ``export_radio`` like the command line would (CommandError on failure)."""
    call_command("export_radio", out=str(out_dir), **options)


@pytest.fixture
def spanish_audio(small_guide):
    """small_guide with its live audio generated (espeak)."""
    from audio.jobs import run_job

    run_job(small_guide.pk)
    return small_guide


def add_recordings(page, seconds=1.5, skip=()):
    """Human recordings for every section of ``page`` (a tone per section), as uploads store
    them."""
    from audio.jobs import request_audio
    from audio.models import SectionRecording
    from audio.recordings import recording_statuses, source_text_hashes

    hashes = source_text_hashes(page)
    for status in recording_statuses(page):
        if status.section.id in skip:
            continue
        recording = SectionRecording(
            page=page,
            section_id=status.section.id,
            duration=seconds,
            source_text_hash=hashes.get(status.section.id, ""),
        )
        recording.audio.save(
            f"{page.pk}-{status.section.id}.wav", ContentFile(make_audio_file(seconds)), save=False
        )
        recording.save()
    request_audio(page)  # as an upload in the admin does


def sha256(data):
    return hashlib.sha256(data).hexdigest()
