"""Checks for uploaded recordings: a clear message, and nothing stored, when bad."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .mastering.working import AudioDecodeError

# The container each accepted extension claims, as FFmpeg's demuxer names go
# (its MP4 demuxer is "mov,mp4,m4a,3gp,3g2,mj2": any of those names matches).
# WebM is what Chromium's MediaRecorder makes (the admin's recording studio); Firefox makes
# Ogg Opus, Safari M4A.
CLAIMED_CONTAINERS = {
    ".mp3": "mp3",
    ".m4a": "m4a",
    ".ogg": "ogg",
    ".opus": "ogg",
    ".wav": "wav",
    ".webm": "webm",
}
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
# A take whose loudest sample stays under this (-40 dBFS) has no voice in it: a muted or
# unplugged microphone records a faint hiss, while speech even at arm's length peaks far above.
SILENT_PEAK = 0.01


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
    if info.peak < SILENT_PEAK:
        # Mastering would raise a muted microphone's hiss to speech loudness.
        raise ValidationError(
            _(
                "La grabación está en silencio: no se oye ninguna voz. Revise que el micrófono "
                "esté conectado y permitido, y grabe de nuevo."
            )
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


# The name a take recorded in the browser gets, from the type the browser says it recorded
# (MediaRecorder: Chromium WebM, Firefox Ogg, Safari MP4); the checks above then hold it to it.
TAKE_EXTENSIONS = {
    "audio/webm": ".webm",
    "video/webm": ".webm",  # Chromium labels some audio-only recordings so
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
}


def take_name(content_type, stem="toma"):
    """The file name for a take of this MIME type; ValidationError for a type not accepted."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in TAKE_EXTENSIONS:
        raise ValidationError(
            _(
                "El navegador grabó en un formato que no se acepta (%(type)s). Use Chrome, "
                "Firefox o Safari actualizados, o suba un archivo MP3, M4A, OGG/Opus o WAV."
            )
            % {"type": kind or _("desconocido")}
        )
    return stem + TAKE_EXTENSIONS[kind]
