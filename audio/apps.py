from django.apps import AppConfig


class AudioConfig(AppConfig):
    """The audio pipeline: speech text → clips → mastered files → published renditions."""

    name = "audio"
    verbose_name = "Altavoz audio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Models must be loaded before these import them; checks registers itself.
        from . import checks, signals  # noqa: F401

        signals.connect()
