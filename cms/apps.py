from django.apps import AppConfig


class CmsConfig(AppConfig):
    """Content: guide pages, organizations, locales and the editors' admin."""

    name = "cms"
    verbose_name = "Altavoz content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Wagtail and Django must be loaded before they can be patched.
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Locale

        from . import monkey_patches
        from .translations import forget_locale_languages

        monkey_patches.apply()
        for signal in (post_save, post_delete):
            signal.connect(forget_locale_languages, sender=Locale, dispatch_uid="locale-languages")
