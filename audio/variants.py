"""Audio variants: the encodings the mastering stage produces for each guide.

A variant says how one rendition is encoded (codec, bitrate, sample rate,
channels) and how loud it is (integrated loudness target, true-peak ceiling).
Variants are configuration, not code: operators pick them in the
``ALTAVOZ_AUDIO_VARIANTS`` setting, a dict of name -> options, e.g.::

    ALTAVOZ_AUDIO_VARIANTS = {
        "listen": {"bitrate": 48000},                  # tweak a built-in one
        "archive": {"codec": "flac", "sample_rate": 44100, "channels": 1},
    }

An entry named like a built-in variant (``listen``, ``lowdata``, ``radio``)
starts from that variant's values; any other name must give a ``codec`` and
starts from that codec's defaults. Without the setting (or without Django at
all) the published set is ``listen`` + ``lowdata``.

Built-in variants:

- ``listen``: MP3 32 kbps CBR mono, 22,050 Hz, -19 LUFS, true peak <= -1 dBTP.
  22,050 Hz is the rate LAME itself picks for 32 kbps mono: at that bitrate it
  low-passes at 8.25 kHz (its 32 kbps table entry, 5.5 kHz, times 1.5 for
  mono), so 24 kHz would carry no more sound, only more frames per second
  sharing the same 32 kbps. It is an MPEG-2 rate (576-sample frames), which
  every MP3 player decodes, and espeak's own output rate.
- ``lowdata``: Opus 16 kbps mono in WebM at 48 kHz (Opus codes internally at
  48 kHz and decoders always give 48 kHz back), -19 LUFS, true peak <= -1 dBTP.
  WebM, not Ogg, because a phone browser can start it from its first bytes:
  its header says how long it is and its index (Cues) is at the front, where
  Ogg makes the browser read the end of the file first (issue #16). Its
  segments are still cached as Ogg Opus (``segment_format``): joining them
  into WebM copies the packets, so moving from Ogg re-encoded nothing.
- ``radio``: MP3 128 kbps CBR, 44.1 kHz, stereo (both channels identical),
  -23 LUFS (EBU R128), true peak <= -1 dBTP. Not published by default: radio
  exports ask for it by name with ``get_variant("radio")``. 44.1 kHz stereo is
  what playout systems most commonly take; loudness is measured on both
  channels, so the -23 LUFS hold for the file as delivered.

-19 LUFS for mono is the podcast convention (a mono file played on two
speakers sounds about 3 LU louder, like a -16 LUFS stereo file).

Phone variants (``phone_variants()``, for the phone line: one file per section,
never part of ``published_variants()``; none when ``ALTAVOZ_PHONE_LINE`` is off):

- ``phone``: 16-bit PCM WAV (``pcm_s16le``, format tag 1), 8000 Hz mono.
- ``phone-ulaw``: G.711 μ-law in WAV (``pcm_mulaw``, format tag 7), 8000 Hz
  mono, the 64 kbit/s a telephone network carries as it is.

Both at -20 LUFS integrated, true peak <= -3 dBTP. Telephone networks set
their levels by ITU-T P.56 active speech level, nominally -26 dBov (the level
G.711 systems are tested at, with room above it for loud talkers). A prompt
played into a call competes with street noise on a cheap handset's earpiece,
so ours are about 5 dB above that nominal level (-20 LUFS reads within a dB or
two of -21 dBov for speech), still below where a network's level control would
cut in. The ceiling is lower than the web's (-1 dBTP) because what we send is
often transcoded again, by a provider or the mobile network (AMR, Opus), and
those codecs add overshoots of 1-2.5 dB (our own Opus files: +2.3 to +2.5);
μ-law's top steps are coarse too (1/16 of its top segment: +0.2 dB on a sine
at half scale). These are conventions chosen on paper, not measured on
Guatemalan networks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "BUILT_IN_VARIANTS",
    "DEFAULT_PUBLISHED",
    "LISTEN",
    "LOWDATA",
    "RADIO",
    "Variant",
    "encoder_options",
    "PHONE",
    "PHONE_ULAW",
    "get_variant",
    "load_variants",
    "phone_variants",
    "published_variants",
    "segment_format",
]

SETTING_NAME = "ALTAVOZ_AUDIO_VARIANTS"


@dataclass(frozen=True)
class _CodecSpec:
    """What a codec implies: where it goes, which rates and bitrates it takes."""

    container: str  # FFmpeg muxer name
    extension: str
    mime_type: str
    default_sample_rate: int
    sample_rates: tuple[int, ...]
    lossy: bool
    default_cbr: bool


# MP3 sample rates per MPEG version and the bitrates (kbps) each version allows;
# LAME silently rounds an impossible bitrate to a legal one, so we refuse it.
_MPEG1_RATES = (32000, 44100, 48000)
_MPEG2_RATES = (8000, 11025, 12000, 16000, 22050, 24000)
_MPEG1_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_KBPS = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)

_PCM_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)

CODECS: Mapping[str, _CodecSpec] = {
    "libmp3lame": _CodecSpec(
        container="mp3",
        extension="mp3",
        mime_type="audio/mpeg",
        default_sample_rate=44100,
        sample_rates=_MPEG2_RATES + _MPEG1_RATES,
        lossy=True,
        default_cbr=True,
    ),
    # libopus only accepts these input rates; players always decode at 48 kHz.
    # VBR by default: pauses cost fewer bits, which is the point of "lowdata".
    "libopus": _CodecSpec(
        container="webm",
        extension="webm",
        mime_type='audio/webm; codecs="opus"',
        default_sample_rate=48000,
        sample_rates=(8000, 12000, 16000, 24000, 48000),
        lossy=True,
        default_cbr=False,
    ),
    "pcm_s16le": _CodecSpec(
        container="wav",
        extension="wav",
        mime_type="audio/wav",
        default_sample_rate=44100,
        sample_rates=_PCM_RATES,
        lossy=False,
        default_cbr=False,
    ),
    # G.711 μ-law: 8 bits a sample at 8000 Hz, what telephone networks carry. Not "lossy" here
    # in the sense the encoder needs: no bitrate to choose, and no loudness change to aim off
    # for (its coarse top steps add a little to peaks: ``mastering.whole``).
    "pcm_mulaw": _CodecSpec(
        container="wav",
        extension="wav",
        mime_type="audio/wav",
        default_sample_rate=8000,
        sample_rates=(8000,),
        lossy=False,
        default_cbr=False,
    ),
    "flac": _CodecSpec(
        container="flac",
        extension="flac",
        mime_type="audio/flac",
        default_sample_rate=44100,
        sample_rates=_PCM_RATES,
        lossy=False,
        default_cbr=False,
    ),
}


@dataclass(frozen=True)
class Variant:
    """One encoding of a guide's audio, with its loudness targets.

    `bitrate` is in bits per second (None for lossless codecs), `sample_rate` in
    Hz, `loudness_lufs` the integrated loudness target (ITU-R BS.1770, measured
    on the channels as encoded) and `true_peak_dbtp` the ceiling no inter-sample
    peak of the decoded file may pass. `cbr` asks for a constant bitrate (MP3:
    CBR instead of ABR; Opus: hard CBR instead of VBR).
    """

    name: str
    codec: str
    container: str
    extension: str
    mime_type: str
    bitrate: int | None
    sample_rate: int
    channels: int
    loudness_lufs: float
    true_peak_dbtp: float
    cbr: bool

    def __post_init__(self) -> None:
        _validate(self)


def _validate(v: Variant) -> None:
    """Refuse a variant the encoder would not honour exactly, saying why."""
    where = f"Audio variant {v.name!r}"
    if not isinstance(v.name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", v.name):
        raise ValueError(
            f"Audio variant name {v.name!r} must be 1-40 characters of a-z, 0-9, '-' or '_' "
            "(it becomes part of file names)"
        )
    spec = CODECS.get(v.codec)
    if spec is None:
        raise ValueError(f"{where}: unknown codec {v.codec!r}; expected one of {sorted(CODECS)}")
    if v.container != spec.container:
        raise ValueError(
            f"{where}: codec {v.codec!r} goes in a {spec.container!r} container, "
            f"not {v.container!r}"
        )
    if not isinstance(v.sample_rate, int) or v.sample_rate not in spec.sample_rates:
        raise ValueError(
            f"{where}: sample_rate {v.sample_rate!r} is not one {v.codec} takes: "
            f"{', '.join(map(str, spec.sample_rates))}"
        )
    if v.channels not in (1, 2):
        raise ValueError(f"{where}: channels must be 1 (mono) or 2 (stereo), not {v.channels!r}")
    if spec.lossy:
        if not isinstance(v.bitrate, int) or isinstance(v.bitrate, bool) or v.bitrate <= 0:
            raise ValueError(f"{where}: {v.codec} needs a bitrate in bits per second, e.g. 32000")
        if v.codec == "libmp3lame":
            allowed = _MPEG1_KBPS if v.sample_rate in _MPEG1_RATES else _MPEG2_KBPS
            if v.bitrate % 1000 or v.bitrate // 1000 not in allowed:
                raise ValueError(
                    f"{where}: MP3 at {v.sample_rate} Hz allows bitrates of "
                    f"{', '.join(str(k) for k in allowed)} kbps, not {v.bitrate} bps"
                )
        elif not 6000 <= v.bitrate <= 256000 * v.channels:
            raise ValueError(f"{where}: Opus bitrate must be 6000-{256000 * v.channels} bps")
    elif v.bitrate is not None:
        raise ValueError(
            f"{where}: {v.codec} has no bitrate to choose (lossless, or fixed like G.711's); "
            "leave bitrate unset (None)"
        )
    for field_name, low, high in (("loudness_lufs", -40.0, -5.0), ("true_peak_dbtp", -20.0, 0.0)):
        value = getattr(v, field_name)
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            raise ValueError(
                f"{where}: {field_name} must be a number from {low} to {high}, not {value!r}"
            )
    if not isinstance(v.cbr, bool):
        raise ValueError(f"{where}: cbr must be true or false, not {v.cbr!r}")


def _codec_defaults(name: str, codec: str) -> dict[str, Any]:
    """Values a new variant gets from its codec when the config leaves them out."""
    spec = CODECS[codec]
    return {
        "name": name,
        "codec": codec,
        "container": spec.container,
        "extension": spec.extension,
        "mime_type": spec.mime_type,
        "bitrate": None,
        "sample_rate": spec.default_sample_rate,
        "channels": 1,
        "loudness_lufs": -19.0,
        "true_peak_dbtp": -1.0,
        "cbr": spec.default_cbr,
    }


LISTEN = Variant(
    **(_codec_defaults("listen", "libmp3lame") | {"bitrate": 32000, "sample_rate": 22050})
)
LOWDATA = Variant(**(_codec_defaults("lowdata", "libopus") | {"bitrate": 16000}))
RADIO = Variant(
    **(
        _codec_defaults("radio", "libmp3lame")
        | {"bitrate": 128000, "sample_rate": 44100, "channels": 2, "loudness_lufs": -23.0}
    )
)

# Telephone lines: see the module's docstring for the loudness and the ceiling.
_TELEPHONE = {"sample_rate": 8000, "loudness_lufs": -20.0, "true_peak_dbtp": -3.0}
PHONE = Variant(**(_codec_defaults("phone", "pcm_s16le") | _TELEPHONE))
PHONE_ULAW = Variant(**(_codec_defaults("phone-ulaw", "pcm_mulaw") | _TELEPHONE))

BUILT_IN_VARIANTS: Mapping[str, Variant] = {
    v.name: v for v in (LISTEN, LOWDATA, RADIO, PHONE, PHONE_ULAW)
}
DEFAULT_PUBLISHED = ("listen", "lowdata")
PHONE_LINE_SETTING = "ALTAVOZ_PHONE_LINE"

_OPTION_NAMES = frozenset(f.name for f in fields(Variant)) - {"name"}


def load_variants(config: Mapping[str, Mapping[str, Any]] | None) -> list[Variant]:
    """Build variants from a settings dict of name -> options, in the dict's order.

    ``None`` gives the default published set (listen, lowdata). A name of a
    built-in variant starts from its values; another name must give ``codec``.
    Changing ``codec`` also resets container, extension and MIME type to that
    codec's unless they are given. Raises ValueError on anything invalid.
    """
    if config is None:
        return [BUILT_IN_VARIANTS[name] for name in DEFAULT_PUBLISHED]
    if not isinstance(config, Mapping):
        raise ValueError(
            f"{SETTING_NAME} must be a dict of variant name -> options, not {type(config).__name__}"
        )
    if not config:
        raise ValueError(f"{SETTING_NAME} is empty: at least one audio variant is needed")
    return [_variant_from_options(name, options) for name, options in config.items()]


def _variant_from_options(name: Any, options: Any) -> Variant:
    if not isinstance(name, str):
        raise ValueError(f"Audio variant names must be strings, not {name!r}")
    if not isinstance(options, Mapping):
        raise ValueError(
            f"Audio variant {name!r}: options must be a dict, not {type(options).__name__}"
        )
    unknown = set(options) - _OPTION_NAMES
    if unknown:
        raise ValueError(
            f"Audio variant {name!r}: unknown option(s) {', '.join(sorted(map(str, unknown)))}; "
            f"known options: {', '.join(sorted(_OPTION_NAMES))}"
        )
    base = BUILT_IN_VARIANTS.get(name)
    codec = options.get("codec", base.codec if base else None)
    if codec is None:
        raise ValueError(
            f"Audio variant {name!r} is not built in ({', '.join(BUILT_IN_VARIANTS)}): "
            f"give its codec, one of {sorted(CODECS)}"
        )
    if codec not in CODECS:
        raise ValueError(
            f"Audio variant {name!r}: unknown codec {codec!r}; expected one of {sorted(CODECS)}"
        )
    if base is not None and codec == base.codec:
        values = {f.name: getattr(base, f.name) for f in fields(Variant)}
    else:
        values = _codec_defaults(name, codec)
        if base is not None:
            # Keep the built-in's loudness and layout; its bitrate/rate belong to another codec.
            values |= {k: getattr(base, k) for k in ("channels", "loudness_lufs", "true_peak_dbtp")}
    values |= dict(options)
    if "channels" in options and "loudness_lufs" not in options and base is None:
        # Stereo targets are conventionally 3 LU above mono ones (-16 vs -19).
        values["loudness_lufs"] = -19.0 if values["channels"] == 1 else -16.0
    for key in ("loudness_lufs", "true_peak_dbtp"):
        if isinstance(values[key], int) and not isinstance(values[key], bool):
            values[key] = float(values[key])
    return Variant(**values)


def encoder_options(variant: Variant) -> tuple[dict[str, str], dict[str, str]]:
    """FFmpeg options for encoding `variant`: (codec options, muxer options).

    Encoder effort, measured on the Mixco guide (espeak) with PESQ (ITU-T
    P.862.2, wideband) against the unencoded audio, and CPU time:

    - LAME keeps its default quality (-q 3). -q 4 to 6 took as long here
      (noise shaping dominates); -q 7 was twice as fast but scored 2.98
      instead of 3.43 at 32 kbps: audibly worse, on the variant most people hear.
    - libopus at complexity 8 instead of the default 10 spends ~15 % less CPU
      and scored the same at 16 kbps (3.23 over 40 windows of the guide);
      on excerpts where 10 and 8 scored 3.29, 6 scored 3.10 and 5 2.86.
    """
    codec_options: dict[str, str] = {}
    muxer_options: dict[str, str] = {}
    if variant.codec == "libmp3lame":
        # Our ID3 tag is written later with mutagen; FFmpeg's would come first.
        muxer_options["id3v2_version"] = "0"
        if not variant.cbr:
            codec_options["abr"] = "1"
    elif variant.container == "wav":
        # A bare RIFF file (fmt, fact for μ-law, data) without FFmpeg's LIST/ISFT chunk: the
        # telephone systems these files go to need nothing else, and some read nothing else.
        muxer_options["fflags"] = "+bitexact"
    elif variant.codec == "libopus":
        # "voip" tunes Opus for speech intelligibility at low bitrates.
        codec_options = {
            "application": "voip",
            "vbr": "off" if variant.cbr else "on",
            "compression_level": "8",
        }
    return codec_options, muxer_options


# Cached segments of these codecs stay in the container they were first made
# in: the join remuxes their packets into the variant's own container.
_SEGMENT_FORMATS: Mapping[str, dict[str, str]] = {
    "libopus": {"container": "ogg", "extension": "opus", "mime_type": "audio/ogg; codecs=opus"},
}


def segment_format(variant: Variant) -> dict[str, str]:
    """Container, extension and MIME type of a variant's cached segments.

    Opus segments are Ogg files whatever the guide's file is (WebM): the Ogg
    demuxer gives each segment's pre-skip and end trim, and segments made
    before the move to WebM keep their cache keys.
    """
    own = {
        "container": variant.container,
        "extension": variant.extension,
        "mime_type": variant.mime_type,
    }
    return own | dict(_SEGMENT_FORMATS.get(variant.codec, {}))


def published_variants() -> list[Variant]:
    """The variants every guide is published in.

    From the ``ALTAVOZ_AUDIO_VARIANTS`` Django setting when Django is configured
    and defines it; otherwise listen + lowdata. Works without Django.
    """
    return load_variants(_configured())


def phone_variants() -> list[Variant]:
    """The variants of the phone line's files (one per guide section): phone and phone-ulaw.

    Empty when the ``ALTAVOZ_PHONE_LINE`` setting is False. Never among the
    web's ``published_variants()``. Works without Django (both, then).
    """
    if not _setting(PHONE_LINE_SETTING, True):
        return []
    return [PHONE, PHONE_ULAW]


def get_variant(name: str) -> Variant:
    """A variant by name: the configured one if published, else the built-in one.

    Raises KeyError for a name that is neither.
    """
    for variant in published_variants():
        if variant.name == name:
            return variant
    try:
        return BUILT_IN_VARIANTS[name]
    except KeyError:
        raise KeyError(f"No audio variant named {name!r}") from None


def _configured() -> Mapping[str, Any] | None:
    """The setting's value, or None when Django is absent or not configured."""
    return _setting(SETTING_NAME, None)


def _setting(name: str, default: Any) -> Any:
    """A Django setting, or `default` when Django is absent, not configured or lacks it."""
    try:  # here, not at the top: the variants are usable without Django (bench, scripts)
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return default
    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:  # no DJANGO_SETTINGS_MODULE: a plain script or test
        return default
