"""Start-up checks of the audio settings (``manage.py check`` and every command)."""

from django.conf import settings
from django.core.checks import Warning, register

from .voices import can_read


@register()
def voices_can_read_their_languages(app_configs, **kwargs):
    """A synthetic voice listed for a language it has no voice set for is skipped: say so at
    start-up."""
    return [
        Warning(
            f"ALTAVOZ_VOICES[{language!r}] lists {name!r}, "
            f"but ALTAVOZ_ENGINE_OPTIONS[{name!r}] sets no voice for {language!r}; "
            f"it will not read {language!r} pages.",
            hint=(
                f"Add a {language!r} entry to ALTAVOZ_ENGINE_OPTIONS[{name!r}] naming a voice "
                "that speaks the language, or remove it from the list. "
                "Kaqchikel has no synthetic voice: use recordings."
            ),
            id="altavoz.W001",
        )
        for language, names in settings.ALTAVOZ_VOICES.items()
        for name in names
        if not can_read(name, language)
    ]
