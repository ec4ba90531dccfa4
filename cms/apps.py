from django.apps import AppConfig


class CmsConfig(AppConfig):
    """Content: guide pages, organizations, locales and the editors' admin."""

    name = "cms"
    verbose_name = "Altavoz content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Wagtail and Django must be loaded before they can be patched.
        from . import monkey_patches

        monkey_patches.apply()
