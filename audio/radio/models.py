"""What the radio app stores.

- ``StationIdentification``: the intro and outro IDs (short jingles) put around
  every spot and the program, uploaded once in the admin (Settings).
- ``RadioPackage``: a package built for an admin download, kept until the guide's
  audio or text changes (its ``key`` is the hash of everything that shapes it).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Page

from audio.uploads import check_recording

# A station ID is a few seconds of jingle; longer would bury a 30-second spot.
STATION_ID_MAX_SECONDS = 30


@register_setting(icon="media")
class StationIdentification(BaseGenericSetting):
    """Intro/outro station IDs placed around each spot and the full program (optional)."""

    intro = models.FileField(
        _("identificación de entrada"),
        upload_to="radio/station-ids/",
        blank=True,
        help_text=_("Suena antes de cada cuña y del programa (MP3, WAV, OGG o M4A; máximo 30 s)."),
    )
    outro = models.FileField(
        _("identificación de salida"),
        upload_to="radio/station-ids/",
        blank=True,
        help_text=_("Suena después de cada cuña y del programa."),
    )

    class Meta:
        verbose_name = _("identificación para radio")

    def clean(self):
        errors = {}
        for name in ("intro", "outro"):
            field_file = getattr(self, name)
            if not field_file or field_file._committed:
                continue  # nothing new uploaded
            upload = field_file.file
            try:
                _data, info = check_recording(upload)
                if info.duration_seconds > STATION_ID_MAX_SECONDS:
                    raise ValidationError(
                        gettext("Una identificación dura como máximo %(seconds)s segundos.")
                        % {"seconds": STATION_ID_MAX_SECONDS}
                    )
            except ValidationError as error:
                errors[name] = error.messages
            finally:
                upload.seek(0)  # the file is saved after validation
        if errors:
            raise ValidationError(errors)


class RadioPackage(models.Model):
    """A radio package built in the background for an admin download."""

    class State(models.TextChoices):
        QUEUED = "queued", _("en cola")
        BUILDING = "building", _("preparando")
        READY = "ready", _("listo")
        FAILED = "failed", _("falló")

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="radio_packages")
    key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file = models.FileField(upload_to="radio/packages/", max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The build's lease: each claim counts one more attempt, and only the worker
    # holding the latest attempt may record the result; the heartbeat says it is alive.
    attempt = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("paquete para radio")
        verbose_name_plural = _("paquetes para radio")

    def __str__(self):
        return f"radio package {self.page_id} {self.key[:12]} ({self.state})"
