"""Checks for uploaded recordings: a clear message, and nothing stored, when bad."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .mastering.working import AudioDecodeError

# The container each accepted extension claims, as FFmpeg's demuxer names go
# (its MP4 demuxer is "mov,mp4,m4a,3gp,3g2,mj2": any of those names matches).
CLAIMED_CONTAINERS = {".mp3": "mp3", ".m4a": "m4a", ".ogg": "ogg", ".opus": "ogg", ".wav": "wav"}
RECORDING_EXTENSIONS = set(CLAIMED_CONTAINERS)
# How editors know the containers FFmpeg may find (by the first name of the demuxer).
CONTAINER_LABELS = {
    "mp3": "MP3",
    "mov": "M4A/MP4",
    "ogg": "OGG",
    "wav": "WAV",
    "flac": "FLAC",
    "matroska": "WebM/MKV",
}


def check_recording(uploaded_file):
    """Validate an uploaded recording; returns (bytes, AudioInfo) or raises ValidationError."""
    name = uploaded_file.name or ""
    if Path(name).suffix.lower() not in RECORDING_EXTENSIONS:
        raise ValidationError(
            _("Suba un archivo de audio MP3, M4A, OGG/Opus o WAV (recibido: %(name)s).")
            % {"name": name}
        )
    if uploaded_file.size == 0:
        raise ValidationError(_("El archivo está vacío."))
    if uploaded_file.size > settings.ALTAVOZ_RECORDING_MAX_BYTES:
        raise ValidationError(
            _("El archivo pesa demasiado (máximo %(mb)s MB).")
            % {"mb": settings.ALTAVOZ_RECORDING_MAX_BYTES // (1024 * 1024)}
        )
    data = uploaded_file.read()
    # Here, not at the top: web processes load PyAV only when someone uploads.
    from .mastering.decode import probe_audio

    try:
        info = probe_audio(data)
    except AudioDecodeError as error:
        raise ValidationError(
            _("No se puede leer como audio: %(error)s") % {"error": error}
        ) from error
    check_container(name, info.container)
    if info.duration_seconds < 0.5:
        raise ValidationError(_("La grabación es demasiado corta."))
    if info.duration_seconds > settings.ALTAVOZ_RECORDING_MAX_SECONDS:
        raise ValidationError(
            _("La grabación es demasiado larga (máximo %(minutes)s minutos por sección).")
            % {"minutes": settings.ALTAVOZ_RECORDING_MAX_SECONDS // 60}
        )
    return data, info


def check_container(name, container):
    """Refuse a file whose content is not the container its extension claims.

    A FLAC named .ogg decodes, but players, the front and the MIME type we
    serve it with all go by the extension; the editor can export it again.
    """
    suffix = Path(name).suffix.lower()
    if CLAIMED_CONTAINERS[suffix] in container.split(","):
        return
    found = container.split(",")[0]
    raise ValidationError(
        _(
            "El contenido del archivo no corresponde a su extensión: %(name)s dice ser %(claimed)s "
            "pero es %(actual)s. Expórtelo de nuevo como MP3, M4A, OGG/Opus o WAV."
        )
        % {
            "name": name,
            "claimed": suffix[1:].upper(),
            "actual": CONTAINER_LABELS.get(found, found.upper()),
        }
    )
