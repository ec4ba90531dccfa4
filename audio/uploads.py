"""Checks for uploaded recordings: a clear message, and nothing stored, when bad."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .mastering import AudioDecodeError, probe_audio

RECORDING_EXTENSIONS = {".mp3", ".m4a", ".ogg", ".opus", ".wav"}


def check_recording(uploaded_file):
    """Validate an uploaded recording; returns (bytes, AudioInfo) or raises ValidationError."""
    name = uploaded_file.name or ""
    if Path(name).suffix.lower() not in RECORDING_EXTENSIONS:
        raise ValidationError(
            _("Suba un archivo de audio MP3, M4A, OGG/Opus o WAV (recibido: %(name)s).") % {"name": name}
        )
    if uploaded_file.size == 0:
        raise ValidationError(_("El archivo está vacío."))
    if uploaded_file.size > settings.ALTAVOZ_RECORDING_MAX_BYTES:
        raise ValidationError(
            _("El archivo pesa demasiado (máximo %(mb)s MB).")
            % {"mb": settings.ALTAVOZ_RECORDING_MAX_BYTES // (1024 * 1024)}
        )
    data = uploaded_file.read()
    try:
        info = probe_audio(data)
    except AudioDecodeError as error:
        raise ValidationError(_("No se puede leer como audio: %(error)s") % {"error": error}) from error
    if info.duration_seconds < 0.5:
        raise ValidationError(_("La grabación es demasiado corta."))
    if info.duration_seconds > settings.ALTAVOZ_RECORDING_MAX_SECONDS:
        raise ValidationError(
            _("La grabación es demasiado larga (máximo %(minutes)s minutos por sección).")
            % {"minutes": settings.ALTAVOZ_RECORDING_MAX_SECONDS // 60}
        )
    return data, info
