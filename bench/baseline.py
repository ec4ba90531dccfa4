"""What the benchmarks compare against and check with, written apart from ``audio.mastering``.

A baseline that called the code it measures would measure nothing; so the
plain encode and the independent meter here use PyAV, pyloudnorm and scipy
directly.
"""

import io
import math

import av
import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

from audio.variants import encoder_options


def plain_encode(pcm, rate, variant):
    """One encode with PyAV of float32 mono `pcm` at `rate`: resampled to the variant's rate and
    layout, nothing else."""
    codec_options, muxer_options = encoder_options(variant)
    layout = "mono" if variant.channels == 1 else "stereo"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=variant.container, options=muxer_options) as output:
        stream = output.add_stream(
            variant.codec, rate=variant.sample_rate, layout=layout, options=codec_options
        )
        if variant.bitrate:
            stream.bit_rate = variant.bitrate
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=variant.sample_rate)
        for start in range(0, len(pcm) + 1, rate):  # a second at a time, then the resampler's flush
            frame = None
            if start < len(pcm):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(pcm[None, start : start + rate]),
                    format="flt",
                    layout="mono",
                )
                frame.sample_rate = rate
            for converted in resampler.resample(frame):
                converted.pts = None
                output.mux(stream.encode(converted))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def independent_measure(data):
    """(LUFS, dBTP, seconds) of an audio file: decoded with PyAV, pyloudnorm's meter, true peak 4x
    oversampled."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        planes, rate = [], None
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if not frame.format.is_planar:
                array = array.reshape(-1, frame.layout.nb_channels).T
            planes.append(array.astype(np.float64))
            rate = frame.sample_rate
    samples = np.concatenate(planes, axis=1)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(samples.T)
    peak, block, overlap = 0.0, 1 << 18, 64  # overlapping blocks: every sample, flat memory
    for channel in samples:
        for start in range(0, channel.size, block):
            piece = resample_poly(channel[max(start - overlap, 0) : start + block + overlap], 4, 1)
            peak = max(peak, float(np.abs(piece).max()))
    return lufs, 20 * math.log10(peak) if peak else -math.inf, samples.shape[1] / rate
