"""The guide editor's "Audio" tab (registered in audio/wagtail_hooks.py for cms's HookPanel)."""

from django.template.loader import render_to_string

from audio.status import page_audio_status

from .wording import describe


def audio_status_panel(page, request) -> str:
    """Audio status per variant in the editor's words, players, the voice used, and "regenerate"."""
    status = page_audio_status(page) if page.pk else None
    return render_to_string(
        "audio/admin/audio_panel.html",
        {"page": page, "status": status, "words": describe(status) if status else None},
        request=request,
    )
