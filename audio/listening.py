"""What the listening front offers for a page: which files, which offsets.

A page plays its own live audio. A translation without audio of its own (a
Kaqchikel guide before its recordings exist) offers the source-language audio,
labelled as that language — never presented as the page's language.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from wagtail.models import Locale

from cms import visibility

from .models import Rendition

DEFAULT_VARIANT = "listen"
LOW_DATA_VARIANT = "lowdata"


@dataclass
class ListeningAudio:
    language: str
    renditions: dict = field(default_factory=dict)  # variant name → Rendition
    low_data: bool = False

    @property
    def main(self):
        preferred = LOW_DATA_VARIANT if self.low_data else DEFAULT_VARIANT
        return self.renditions.get(preferred) or next(iter(self.renditions.values()), None)

    @property
    def section_offsets(self):
        """Section id → (start, end) seconds in the main file."""
        main = self.main
        return {s["id"]: (s["start"], s["end"]) for s in main.sections} if main else {}

    def stream_index(self, variant):
        """ "seconds:byte seconds:byte …": where each section's audio starts in a WebM file.

        The player (listen.js) fetches a section from there when the listener
        jumps to it; empty for files without byte offsets (MP3, older files).
        """
        rendition = self.renditions.get(variant)
        if rendition is None or not all("offset" in s for s in rendition.sections):
            return ""
        return " ".join(f"{s['start']}:{s['offset']}" for s in rendition.sections)

    @property
    def lowdata_index(self):
        return self.stream_index(LOW_DATA_VARIANT)

    @property
    def fingerprint(self):
        """Names everything of this audio a page shows: changes when any file or offset does."""
        files = [
            (r.pk, r.variant, r.engine, r.sha256, r.audio.name, r.captions.name, r.chapters.name)
            + (r.duration, r.size_bytes, repr(r.sections))
            for r in sorted(self.renditions.values(), key=lambda r: r.pk)
        ]
        return f"{self.language}|{self.low_data}|{files}"

    def downloads(self):
        return [
            self.renditions[name]
            for name in (DEFAULT_VARIANT, LOW_DATA_VARIANT)
            if name in self.renditions
        ]


def live_audio(page):
    return {r.variant: r for r in Rendition.objects.filter(page=page, state=Rendition.State.LIVE)}


def listening_audio(page, low_data=False):
    """The audio to offer for ``page``, or None when there is none at all.

    Only what ``cms.visibility`` lets the public download: a page behind a
    password shows its text to those who have it, but its files are not served.
    """
    shown = visibility.shown_version(page)
    if shown is None:
        return None
    renditions = live_audio(page)
    if renditions:
        return ListeningAudio(shown.requested_language, renditions, low_data)
    source_code = settings.SOURCE_LANGUAGE_CODE
    if shown.requested_language != source_code:
        source = page.get_translation_or_none(Locale.objects.get(language_code=source_code))
        if source is not None and visibility.is_public(source):
            renditions = live_audio(source)
            if renditions:
                return ListeningAudio(source_code, renditions, low_data)
    return None


def wants_low_data(request):
    """Save-Data header (Chrome's data saver) or the listener's own choice (?datos=ahorro)."""
    return (
        request.headers.get("Save-Data", "").lower() == "on" or request.GET.get("datos") == "ahorro"
    )


def public_rendition_for_file(name, now=None):
    """The rendition a stored file ``name`` belongs to, if the public may download it; else None.

    Only rendition files are ever public: recordings, the clip and segment
    caches, radio packages, documents and images are not served this way.
    """
    rendition = (
        Rendition.objects.filter(Q(audio=name) | Q(captions=name) | Q(chapters=name))
        .select_related("page", "page__locale")
        .order_by("-generated_at")
        .first()
    )
    if rendition is None or not visibility.rendition_is_public(rendition, now):
        return None
    return rendition
