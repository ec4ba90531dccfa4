"""Human recordings per section, and whether they still match the source text."""

from dataclasses import dataclass

from django.conf import settings
from wagtail.models import Locale

from .models import SectionRecording
from .text import speech_sections


@dataclass(frozen=True)
class SectionRecordingStatus:
    section: object  # SpeechSection
    recording: SectionRecording | None
    stale: bool

    @property
    def missing(self):
        return self.recording is None


def source_page(page):
    """The source-language version of a page (itself if it is the source)."""
    if page.locale.language_code == settings.SOURCE_LANGUAGE_CODE:
        return page
    source_locale = Locale.objects.get(language_code=settings.SOURCE_LANGUAGE_CODE)
    source = page.get_translation_or_none(source_locale)
    return source.specific if source else page


def source_text_hashes(page):
    """Section id → hash of the source-language speech text of that section."""
    return {section.id: section.text_hash for section in speech_sections(source_page(page))}


def recording_state(recording, source_hash) -> str:
    """ "missing", "stale" (its section's source text changed since it was recorded) or
    "current"."""
    if recording is None:
        return "missing"
    return "stale" if recording.source_text_hash != source_hash else "current"


def recording_statuses(page, sections=None) -> list[SectionRecordingStatus]:
    """For each section of ``page``: its recording (if any) and whether it is stale.

    A recording is stale when the source-language text of its section changed
    after it was recorded (or the section no longer exists in the source).
    """
    sections = sections if sections is not None else speech_sections(page)
    recordings = {r.section_id: r for r in SectionRecording.objects.filter(page=page)}
    hashes = source_text_hashes(page)
    return [
        SectionRecordingStatus(
            section,
            recordings.get(section.id),
            stale=recording_state(recordings.get(section.id), hashes.get(section.id)) == "stale",
        )
        for section in sections
    ]


@dataclass(frozen=True)
class RecordingProgress:
    """How far a guide's recordings are: "9 of 14 sections recorded, 2 out of date"."""

    total: int
    recorded: int  # sections with a recording, out of date or not
    stale: int  # of those, recorded before their source text last changed

    @property
    def missing(self):
        return self.total - self.recorded

    @property
    def complete(self):
        return self.total > 0 and self.recorded == self.total and not self.stale


def recording_progress(statuses) -> RecordingProgress:
    """The progress of a page's recordings from its ``recording_statuses``."""
    statuses = list(statuses)
    return RecordingProgress(
        total=len(statuses),
        recorded=sum(not s.missing for s in statuses),
        stale=sum(s.stale for s in statuses),
    )
