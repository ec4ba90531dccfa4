from django.apps import AppConfig


class RadioConfig(AppConfig):
    """Community radio: broadcast packages (export_radio) and podcast feeds."""

    name = "audio.radio"
    label = "radio"
    verbose_name = "Altavoz radio"
    default_auto_field = "django.db.models.BigAutoField"
