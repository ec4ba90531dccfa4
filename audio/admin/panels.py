"""The guide editor's "Audio" tab (registered in audio/wagtail_hooks.py for cms's HookPanel)."""

from django.template.loader import render_to_string

from audio.recordings import recording_progress, recording_statuses
from audio.status import page_audio_status
from audio.voices import uses_recordings

from .wording import describe, progress_words


def audio_status_panel(page, request) -> str:
    """Audio status per variant in the editor's words, players, the voice used, and "regenerate";
    for a language read from recordings, how far they are ("9 de 14 secciones grabadas")."""
    status = page_audio_status(page) if page.pk else None
    progress = (
        progress_words(recording_progress(recording_statuses(page)))
        if status and uses_recordings(page.locale.language_code)
        else ""
    )
    return render_to_string(
        "audio/admin/audio_panel.html",
        {
            "page": page,
            "status": status,
            "words": describe(status) if status else None,
            "recordings_progress": progress,
        },
        request=request,
    )
