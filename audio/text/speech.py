"""Stage 1 — page → ordered sections of speech text.

The one function that turns a guide into what is read aloud: the audio
pipeline synthesizes it, the API returns it, the front highlights it. Text here
is what a reader sees (captions show it); the next step (``audio.text.normalize``) turns
it into what an engine should say.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

INTRO_ID = "intro"
BLOCK_TAGS = {"p", "li", "h2", "h3", "h4", "blockquote", "div"}
# A sentence ends at . ! ? … followed by space and the start of a new sentence.
# Abbreviations with a dot inside a sentence ("Dr.", "EE. UU.", "a. m.") stay whole.
SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[¿¡\"“«(]?[A-ZÁÉÍÓÚÑÜ0-9])")
ABBREVIATION_END_RE = re.compile(r"(?:^|\s)(?:Dr|Dra|Sr|Sra|Lic|Ing|EE|UU|No|núm|Mr|Mrs|Dr)\.$")


@dataclass(frozen=True)
class SpeechSection:
    """One addressable part of a guide, as readable sentences in reading order."""

    id: str
    heading: str
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def text_hash(self) -> str:
        """Changes exactly when what is read changes (used to flag stale recordings)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class _BlockTextParser(HTMLParser):
    """Rich text → one string per paragraph or list item, markup and URLs dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.flush()
        elif tag == "br":
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def flush(self) -> None:
        text = clean_text("".join(self.current))
        if text:
            self.blocks.append(text)
        self.current = []


def clean_text(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def rich_text_blocks(html: str | None) -> list[str]:
    """Paragraphs and list items of a rich text as plain strings."""
    parser = _BlockTextParser()
    parser.feed(html or "")
    parser.close()
    parser.flush()
    return parser.blocks


def ensure_final_punctuation(text: str) -> str:
    """List items and headings often lack a final stop; engines need it to pause."""
    return text if text[-1] in ".!?…:;" else text + "."


def split_sentences(text: str) -> list[str]:
    """Split a block into sentences without breaking common abbreviations."""
    pieces = SENTENCE_END_RE.split(clean_text(text))
    sentences = []
    for piece in pieces:
        if sentences and ABBREVIATION_END_RE.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [s for s in sentences if s]


def block_sentences(blocks: Iterable[str]) -> list[str]:
    sentences = []
    for block in blocks:
        block = clean_text(block)
        if block:
            sentences.extend(split_sentences(ensure_final_punctuation(block)))
    return sentences


def speech_sections(page: Any) -> list[SpeechSection]:
    """Ordered SpeechSections for a guide: an intro (title, summary), then each section.

    Sections with nothing to read are skipped. Works on any locale's page; the
    caller decides which version (see ``cms.translations.display_version``).
    ``page`` is a ``cms`` GuidePage, typed loosely because this layer does not
    import ``cms`` (``.importlinter``). A page that says what it speaks itself
    (``spoken_sections()``: the phone line's menu pages, ``audio.phone``) is read
    that way, so it is voiced, recorded and withdrawn exactly as a guide is.
    """
    spoken = getattr(page, "spoken_sections", None)
    if spoken is not None:
        return list(spoken())
    intro = intro_section(page.title, getattr(page, "summary", ""))
    sections = [intro] if intro else []
    for block in page.sections:
        section = block_section(str(block.id), block.value)
        if section:
            sections.append(section)
    return sections


def intro_section(title: str, summary: str) -> SpeechSection | None:
    """The intro as read aloud (title, then summary), or None with nothing to read.

    Also used for an editor's unsaved form (``audio.drafts``): one reading for drafts and
    publishes, so a clip heard before publishing is the clip published.
    """
    intro = block_sentences([title, summary or ""])
    return SpeechSection(INTRO_ID, clean_text(title), tuple(intro)) if intro else None


def block_section(block_id: str, value: Any) -> SpeechSection | None:
    """One guide section (a SectionBlock value) as read aloud, or None if not worth reading."""
    body = value["body"].source if hasattr(value["body"], "source") else str(value["body"])
    return _read_section(block_id, value["heading"], value.get("key_point") or "", body)


# Reading a section is a pure function of its strings, and parsing the rich text is most of
# what the hourly sweep and a cold API build spend on a large site: recent readings are kept.
@lru_cache(maxsize=4096)
def _read_section(block_id: str, heading: str, key_point: str, body: str) -> SpeechSection | None:
    sentences = block_sentences([heading, key_point] + rich_text_blocks(body))
    if len(sentences) <= 1 and not rich_text_blocks(body):
        return None  # a heading alone is not worth a chapter
    return SpeechSection(block_id, clean_text(heading), tuple(sentences))
