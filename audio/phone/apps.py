from django.apps import AppConfig


class PhoneConfig(AppConfig):
    """The phone line: a spoken menu per language, its TwiML endpoints and daily counts."""

    name = "audio.phone"
    label = "phone"
    verbose_name = "Altavoz teléfono"
    default_auto_field = "django.db.models.BigAutoField"
