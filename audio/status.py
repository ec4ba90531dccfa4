"""Is a page's audio ready, stale, queued, running or failed — per variant.

Used by the page editor panel, the admin report, the API and the front, so
everyone agrees on what "stale" means: the live rendition was made from clips
other than the ones the page's current text (and lexicon) would give.
"""

from dataclasses import dataclass, field

from cms.visibility import content_version

from .clips import clip_key, content_hash, recording_clip_key
from .models import AudioJob, Rendition
from .recordings import recording_statuses
from .text import lexicon_for, speech_sections, spoken_form
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


def current_content_hash(page, engine_name, voice):
    """The content hash a rendition in this voice would have if made now."""
    sections = speech_sections(content_version(page).object)
    if engine_name == "recorded":
        keys = [
            recording_clip_key(s.recording)
            for s in recording_statuses(page, sections)
            if s.recording
        ]
    else:
        language = page.locale.language_code
        lexicon = lexicon_for(language)
        keys = [
            clip_key(engine_name, voice, [spoken_form(t, language, lexicon) for t in s.sentences])
            for s in sections
        ]
    return content_hash(keys)


def page_audio_status(page):
    job = AudioJob.objects.filter(page=page).first()
    live = {r.variant: r for r in Rendition.objects.filter(page=page, state=Rendition.State.LIVE)}
    hashes = {}
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
            voice_key = (rendition.engine, rendition.voice)
            if voice_key not in hashes:
                hashes[voice_key] = current_content_hash(page, *voice_key)
            same_file_type = (
                rendition.mime_type == variant.mime_type
            )  # e.g. Ogg before lowdata became WebM
            state = (
                "ready"
                if hashes[voice_key] == rendition.content_hash and same_file_type
                else "stale"
            )
        status.variants.append(VariantStatus(variant.name, state, rendition))
    return status
