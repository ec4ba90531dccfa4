"""Encoding: resampling to a variant's rate, the one place that drives an encoder (PyAV),
and the decode that checks what it made.

Above ``decode`` in ``audio.mastering``.
"""

from __future__ import annotations

import io
import math

import av
import numpy as np
from scipy.signal import resample_poly

from audio.variants import Variant, encoder_options

from .decode import _decode


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (scipy), exact ratio, no change when rates match."""
    if rate_in == rate_out:
        return x
    divisor = math.gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // divisor, rate_in // divisor)


def _encode_and_decode(pcm: np.ndarray, variant: Variant) -> tuple[bytes, np.ndarray]:
    """Encode, then decode the result the way a player would, to measure it."""
    data = encode_variant(pcm, variant)
    chunks, rate, channels = _decode(data, mono=False)
    if (rate, channels) != (variant.sample_rate, variant.channels):
        raise RuntimeError(
            f"{variant.name}: encoder produced {rate} Hz x {channels}, expected "
            f"{variant.sample_rate} Hz x {variant.channels}"
        )
    return data, np.concatenate(chunks)


def encode_variant(pcm: np.ndarray, variant: Variant, container: str | None = None) -> bytes:
    """Encode mono samples at the variant's rate, duplicated to its channels.

    In `container`, else the variant's own. Every encode of a variant goes
    through here (``segmented`` calls it on this module), so a test can count them.
    """
    codec_options, muxer_options = encoder_options(variant)
    return encode_samples(
        pcm.astype(np.float32, copy=False),
        variant.sample_rate,
        codec=variant.codec,
        container=container or variant.container,
        channels=variant.channels,
        bitrate=variant.bitrate,
        codec_options=codec_options,
        muxer_options=muxer_options,
    )


def encode_samples(
    samples: np.ndarray,
    rate: int,
    *,
    codec: str,
    container: str,
    channels: int = 1,
    bitrate: int | None = None,
    codec_options: dict | None = None,
    muxer_options: dict | None = None,
) -> bytes:
    """Encode mono samples with PyAV, duplicated to `channels`.

    Samples are float32, or int16 for 16-bit codecs.

    The one place that drives an encoder: mastering, the clip cache (FLAC) and
    the tests' stand-in audio all use it.
    """
    layout = "mono" if channels == 1 else "stereo"
    sample_format = "s16" if samples.dtype == np.int16 else "fltp"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container, options=muxer_options or {}) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout, options=codec_options or {})
        if bitrate:
            stream.bit_rate = bitrate
        step = rate  # one second per frame; PyAV re-blocks to the codec's frame size
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            if sample_format == "s16":  # packed: one plane of interleaved channels
                planes = np.ascontiguousarray(np.repeat(chunk, channels).reshape(1, -1))
            else:
                planes = np.ascontiguousarray(np.broadcast_to(chunk, (channels, len(chunk))))
            frame = av.AudioFrame.from_ndarray(planes, format=sample_format, layout=layout)
            frame.sample_rate = rate
            frame.pts = None  # let the encoder number frames: gapless MP3/Opus headers stay right
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()
