"""The working format and what may enter it, with no signal-processing imports.

Web processes check uploads' names and catch decoding errors, and the stages name the
sample rate, without loading PyAV and NumPy (tens of megabytes each process): only code
that decodes or encodes imports ``decode``.
"""

# 48 kHz: Opus codes at 48 kHz internally, gTTS (24 kHz) and 16/8 kHz phone
# recordings convert by whole-number ratios, and it is the broadcast rate.
# 24 kHz would do for synthetic speech (espeak stops at 11 kHz, gTTS at 12)
# and would save a few seconds per guide (decoding, clip storage, the Opus
# variant's analysis); it is not worth it: human recordings have sibilance
# above 12 kHz, which the radio variant (44.1 kHz, 128 kbps: LAME keeps up to
# ~17 kHz) would lose.
# float32 mono: headroom above 0 dBFS while gains are applied (nothing clips
# before the limiter), half the memory of float64; speech needs one channel.
MASTER_SAMPLE_RATE = 48000


# Demuxers an upload may use. Without a list FFmpeg guesses among hundreds,
# including playlist formats (ffconcat, HLS) that open other files: an uploaded
# "ffconcat" text would read files from the server's working directory.
ALLOWED_INPUT_FORMATS = (
    "aac",
    "aiff",
    "amr",
    "caf",
    "flac",
    "matroska",
    "mov",
    "mp3",
    "ogg",
    "w64",
    "wav",
)


class AudioDecodeError(ValueError):
    """The bytes are not audio this stage can read. The message says why."""
