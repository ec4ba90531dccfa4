"""What a radio package of one guide is made of: its sections and their clips.

Spots are cut from the cached section clips (lossless FLAC, one per section),
never from the lossy listening MP3: the same clips the pipeline masters, in
the same voice as the live rendition. Two kinds of source:

- synthesized (Spanish, English): the voice of the page's live rendition; a
  clip missing from the cache (the text changed since) is synthesized the way
  the pipeline would. A translation that is not complete gives no package: a
  Spanish text in an English voice is worse than none.
- recorded (Kaqchikel): human recordings only, and only when every section
  has one that still matches its Spanish text. Otherwise ``PackageError``
  lists what is missing or stale.

``plan_source`` checks and describes a source without touching an engine (the
admin calls it on every page view); ``gather_clips`` then fetches the clips.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from audio.clips import recorded_clip, section_clip
from audio.engines import EngineError
from audio.facts import AudioFacts, current_content_hash
from audio.publishing import live_renditions
from audio.recordings import recording_statuses
from audio.text import lexicon_for, speech_sections
from audio.voices import RECORDED, RECORDED_VOICE, VoiceChoice, engine_options, reads_honestly
from cms import visibility

# The rendition whose voice a package uses: what listeners hear on the site.
VOICE_RENDITION = "listen"


class PackageError(Exception):
    """A guide cannot be packaged for radio; the message says why and what to do."""


@dataclass
class RadioSource:
    """One guide in one locale, ready to be gathered into spots.

    ``content`` is the version whose text is read (``display_version``):
    for a Kaqchikel page whose written translation is not complete it is the
    Spanish page, and ``text_language`` says so — the audio is still the
    Kaqchikel recordings.
    """

    page: object  # GuidePage in the requested locale
    content: object  # the GuidePage whose text is shown
    language: str  # of the audio: the page's locale
    text_language: str
    engine: str
    voice: str
    sections: list  # SpeechSection, reading order
    content_hash: str  # identity of the clips (same as a rendition's)
    clips: list = field(default_factory=list)  # SectionAudio, once gathered

    @property
    def is_recorded(self):
        return self.engine == RECORDED

    @property
    def label(self):
        return f"{self.page.slug} ({self.language})"

    def text_key(self):
        """Hash of everything written that ends up in the package (libreto, tags)."""
        payload = {
            "title": self.content.title,
            "summary": getattr(self.content, "summary", ""),
            "last_reviewed": str(self.page.last_reviewed),
            "text_language": self.text_language,
            "sections": [[s.id, s.heading, list(s.sentences)] for s in self.sections],
        }
        return hashlib.sha256(
            json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()


def plan_source(page):
    """Check that ``page`` can be packaged and describe its source; no engine call.

    Raises PackageError (unpublished, no audio, incomplete translation,
    missing or stale recordings).
    """
    label = f"{page.slug} ({page.locale.language_code})"
    # Stations broadcast to everyone: only what the public may see (cms.visibility).
    version = visibility.shown_version(page)
    if version is None:
        raise PackageError(
            _("%(guide)s: la guía no es pública (no publicada, privada o caducada).")
            % {"guide": label}
        )
    language = page.locale.language_code
    sections = speech_sections(version.object)
    if not sections:
        raise PackageError(_("%(guide)s: la guía no tiene texto que leer.") % {"guide": label})

    live = live_renditions(page)
    rendition = live.get(VOICE_RENDITION) or next(iter(live.values()), None)
    voices = settings.ALTAVOZ_VOICES.get(language, [])
    recorded = rendition.engine == RECORDED if rendition else voices[:1] == [RECORDED]
    if recorded:
        _check_recordings(page, sections, label)
        engine_name, voice = RECORDED, RECORDED_VOICE
    else:
        if rendition is None:
            raise PackageError(
                _(
                    "%(guide)s: todavía no hay audio publicado en este idioma. Genérelo primero "
                    "(manage.py generate_audio --page %(id)s --sync)."
                )
                % {"guide": label, "id": page.pk}
            )
        if not reads_honestly(rendition.engine, version):
            raise PackageError(
                _(
                    "%(guide)s: la traducción escrita no está completa; una voz sintética no "
                    "leerá el texto en otro idioma."
                )
                % {"guide": label}
            )
        engine_name = rendition.engine
        voice = _engine(engine_name, language).voice
    return RadioSource(
        page=page,
        content=version.object,
        language=language,
        text_language=version.language,
        engine=engine_name,
        voice=voice,
        sections=sections,
        # The sections read above, not read again: the hash is of this very text.
        content_hash=current_content_hash(
            page.pk, language, sections, engine_name, voice, AudioFacts.load([page.pk])
        ),
    )


def gather_clips(source):
    """Fetch (or, for a synthesized voice, make) one clip per section; returns ``source``."""
    if source.is_recorded:
        statuses = recording_statuses(source.page, source.sections)
        source.clips = [recorded_clip(status.section, status.recording) for status in statuses]
        return source
    engine = _engine(source.engine, source.language)
    lexicon = lexicon_for(source.language)
    clips = []
    for section in source.sections:
        try:
            clips.append(section_clip(section, engine, source.language, lexicon))
        except EngineError as error:
            raise PackageError(
                _("%(guide)s: la voz %(engine)s no pudo leer «%(heading)s»: %(error)s")
                % {
                    "guide": source.label,
                    "engine": source.engine,
                    "heading": section.heading,
                    "error": error,
                }
            ) from error
    source.clips = clips
    return source


def _engine(engine_name, language):
    return VoiceChoice(engine_name, engine_options(engine_name, language)).engine()


def _check_recordings(page, sections, label):
    statuses = recording_statuses(page, sections)
    missing = [s.section.heading for s in statuses if s.missing]
    stale = [s.section.heading for s in statuses if s.stale]
    if not missing and not stale:
        return
    lines = [
        _("%(guide)s: el paquete en este idioma sale solo de grabaciones completas y al día.")
        % {"guide": label}
    ]
    if missing:
        lines.append(
            _("Secciones sin grabación:") + "".join(f"\n  - {heading}" for heading in missing)
        )
    if stale:
        lines.append(
            _("Grabaciones desactualizadas (el texto en español cambió):")
            + "".join(f"\n  - {heading}" for heading in stale)
        )
    raise PackageError("\n".join(lines))
