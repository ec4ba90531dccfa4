"""Mastering: from sentence clips to the files listeners download.

This stage takes the audio the engines made (or a human recording), joins it
with natural pauses, sets its loudness and encodes it once per variant
(``audio.variants``). Never concatenate encoded bytes blindly: joined MP3
streams report wrong durations and click at the seams. Guides are joined
after encoding only by ``join_segments``, which knows where each codec's
frames begin and end and writes one header for the whole file.

How a guide's audio travels through this package (the module of each step in
brackets):

1. [decode] ``decode_audio`` turns any file PyAV reads into the working format:
   float32 mono at ``MASTER_SAMPLE_RATE``. ``probe_audio`` checks an upload.
2. [edit] ``trim_silence`` cuts engine-made silence at both ends of a clip;
   ``join_with_pauses`` joins clips and says where each one landed.
3. [segmented, join] ``master_joined`` masters each section on its own
   (``master_segment``: its loudness, its true-peak ceiling, one encode),
   decodes and measures each new segment once (``read_segment``) and joins
   the encoded sections without re-encoding (``join_segments``), so that
   editing one section re-encodes and decodes only that section
   (``audio.segments`` caches segments with their readings).
   [whole] ``master`` does the same for one piece of audio as a whole (radio
   spots and programs, lossless variants); [tags] ``tag`` writes ID3 chapters
   for MP3, Vorbis comments for Opus/FLAC.
4. [sidecars] ``chapters_json`` and ``webvtt`` write the side files players read.

Loudness, in ``master`` and ``master_segment`` ([loudness], [limiter]):
measure (ITU-R BS.1770-4, reading as pyloudnorm does) at the variant's sample
rate, apply the gain that reaches the target, and limit true peaks with a
look-ahead limiter that reads a 4x oversampled signal (so it sees the
inter-sample peaks a DAC will make).
Limiting lowers loudness, so gain and limiting are repeated until they agree.
Lossy codecs then move loudness and peaks: the first pass aims off by what the
codec will do (known for MP3; for Opus measured on a few excerpts by
``master``, learned from earlier segments of the same voice for segments)
and limits below the ceiling by what its peaks add. The encoded file is
decoded and measured; if it misses the target by more than
``LOUDNESS_TOLERANCE_LU`` (a segment: ``SEGMENT_TOLERANCE_LU``) or its true
peak passes the ceiling, another pass corrects for what the codec did.

Speed: a 14-minute guide is usually encoded once per variant, and the encoder
is then most of the time. Everything else touches each sample a few times at
most: the meter filters in one streaming pass (and, while limiting, reads what
the limiter took only where it acts), true peaks are oversampled only in
blocks that come near the level that matters, and the limiter works only
around peaks over its ceiling (see bench/README.md).

No Django here: the stage is pure functions over bytes and numpy arrays.
The names above are re-exported here; code inside the package imports them
from their own modules.

Modules, one concern each, in layers (``.importlinter`` checks that imports
only go down; modules on one line import nothing from each other):

    segmented                 a guide mastered section by section, then joined
    whole | join              ``master`` (one file whole) | joining encoded segments
    limiter | encode | edit   gain and limiting | the encoder | trim and join clips
    decode | loudness         files into the working format | the meter
    tags                      ID3, Vorbis comments, WebM tags (``id3_frames``)
    sidecars                  chapters and captions (JSON chapters, WebVTT)
    working                   the working format's constants, the decode error (no NumPy)
"""

from importlib import import_module

# Loaded on first use (PEP 562): importing the package, or its light ``working`` module,
# must not load PyAV, NumPy and SciPy into every web process.
_EXPORTS = {
    "ALLOWED_INPUT_FORMATS": "working",
    "AudioDecodeError": "working",
    "AudioInfo": "decode",
    "Chapter": "sidecars",
    "Cue": "sidecars",
    "EncodedSegment": "join",
    "JoinedAudio": "join",
    "JoinedLoudness": "segmented",
    "JoinedMaster": "segmented",
    "LOUDNESS_TOLERANCE_LU": "whole",
    "Loudness": "loudness",
    "MASTER_SAMPLE_RATE": "working",
    "MasteredAudio": "whole",
    "Metadata": "tags",
    "add_track_tags": "tags",
    "SEGMENT_TOLERANCE_LU": "segmented",
    "SegmentReading": "segmented",
    "can_join": "join",
    "chapters_json": "sidecars",
    "decode_audio": "decode",
    "encode_samples": "encode",
    "header_samples": "join",
    "header_tolerance": "join",
    "join_segments": "join",
    "join_with_pauses": "edit",
    "joined_loudness": "segmented",
    "master": "whole",
    "master_joined": "segmented",
    "master_segment": "segmented",
    "measure": "loudness",
    "probe_audio": "decode",
    "read_segment": "segmented",
    "segment_on_target": "segmented",
    "tag": "tags",
    "trim_silence": "edit",
    "webvtt": "sidecars",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = sorted(_EXPORTS)
