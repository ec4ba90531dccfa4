from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The public API: precomputed guide documents, their caches and the sync log."""

    name = "cms.api"
    label = "api"
    verbose_name = "Altavoz API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Receivers import models, which must be loaded first.
        from . import signals

        signals.connect()
