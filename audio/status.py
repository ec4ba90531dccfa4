"""Is a page's audio ready, stale, queued, running or failed — per variant.

Used by the page editor panel, the admin report, the API and the front, so
everyone agrees on what "stale" means: the live rendition was made from clips
other than the ones the page's current text (and lexicon) would give.
"""

from dataclasses import dataclass, field

from cms.visibility import content_version, content_versions

from .facts import AudioFacts, rendition_is_current
from .facts import current_content_hash as facts_hash
from .models import AudioJob, Rendition
from .text import speech_sections
from .variants import published_variants


@dataclass
class VariantStatus:
    variant: str
    state: str  # ready | stale | queued | running | failed | missing
    rendition: Rendition | None = None


@dataclass
class PageAudioStatus:
    page: object
    job: AudioJob | None
    variants: list = field(default_factory=list)

    @property
    def error(self):
        return self.job.error if self.job and self.job.state == AudioJob.State.FAILED else ""

    @property
    def engine(self):
        live = [v.rendition for v in self.variants if v.rendition]
        return (live[0].engine, live[0].voice) if live else (None, None)


def current_content_hash(page, engine_name, voice) -> str:
    """The content hash a rendition of ``page`` in this voice would have if made now."""
    sections = speech_sections(content_version(page).object)
    facts = AudioFacts.load([page.pk])
    return facts_hash(page.pk, page.locale.language_code, sections, engine_name, voice, facts)


def page_audio_status(page) -> PageAudioStatus:
    """``page_audio_statuses`` for one page."""
    return page_audio_statuses([page])[0]


def page_audio_statuses(pages, trust_text_key=True) -> list[PageAudioStatus]:
    """The audio status of each page, in order, in a fixed number of queries.

    ``trust_text_key``: see ``facts.rendition_is_current``.
    """
    pages = list(pages)
    facts = AudioFacts.load(page.pk for page in pages)
    voiced = [page for page in pages if facts.renditions.get(page.pk)]
    sections = {
        version.requested.pk: speech_sections(version.object)
        for version in content_versions(voiced)
    }
    return [_page_status(page, facts, sections.get(page.pk, []), trust_text_key) for page in pages]


def _page_status(page, facts, sections, trust_text_key) -> PageAudioStatus:
    job = facts.jobs.get(page.pk)
    live = {r.variant: r for r in facts.renditions.get(page.pk, [])}
    status = PageAudioStatus(page, job)
    for variant in published_variants():
        rendition = live.get(variant.name)
        if job and job.state in (AudioJob.State.QUEUED, AudioJob.State.RUNNING):
            state = job.state
        elif rendition is None:
            state = (
                AudioJob.State.FAILED if job and job.state == AudioJob.State.FAILED else "missing"
            )
        else:
            current = rendition_is_current(
                rendition, page.locale.language_code, sections, facts, trust_text_key
            )
            same_file_type = rendition.mime_type == variant.mime_type  # Ogg before WebM lowdata
            state = "ready" if current and same_file_type else "stale"
        status.variants.append(VariantStatus(variant.name, state, rendition))
    return status
