"""Keeping a section's recording: the one way a recording is stored, uploaded or recorded.

The recordings page (a file upload) and the recording studio (a take from the microphone)
both call ``keep_recording``: the same checks (``audio.uploads``), the recording stored
against the source text it was read from (so it is not stale), the page's audio queued
(the Kaqchikel rendition is made from recordings) and an entry in the page's history.
A refused recording changes nothing: the section keeps the recording it had.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.log_actions import log

from audio.jobs import request_audio
from audio.models import SectionRecording
from audio.recordings import source_text_hashes
from audio.uploads import check_recording

UPLOADED = "altavoz.recording_upload"  # a file chosen on the recordings page
RECORDED_IN_STUDIO = "altavoz.recording_take"  # a take kept in the recording studio


def keep_recording(page, section_id, uploaded, user, action=UPLOADED):
    """Check ``uploaded`` and make it the recording of ``page``'s section ``section_id``.

    Returns the new ``SectionRecording``; raises ``ValidationError`` (messages in the
    editor's language) and stores nothing when the file is refused. The previous
    recording's file is deleted only once the new one is saved.
    """
    data, info = check_recording(uploaded)
    existing = SectionRecording.objects.filter(page=page, section_id=section_id).first()
    recording = SectionRecording(
        page=page,
        section_id=section_id,
        original_name=uploaded.name[:255],
        duration=info.duration_seconds,
        source_text_hash=source_text_hashes(page).get(section_id, ""),
        uploaded_by=user,
    )
    recording.audio.save(f"{page.pk}-{section_id}-{uploaded.name}", ContentFile(data), save=False)
    old_file = existing.audio.name if existing else None
    with transaction.atomic():
        if existing:
            existing.delete()
        recording.save()
        request_audio(page)
        # Who recorded what: Wagtail's history of the page shows it (cms.accounts registers the
        # actions).
        log(page, action, user=user, data={"section_id": section_id})
    if old_file:
        recording.audio.storage.delete(old_file)
    return recording
