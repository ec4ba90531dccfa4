"""Mark the sentences of a guide in its HTML, so the player can show what is being read.

Caption cue ids are ``{section_id}-{sentence_index}`` (``audio.publishing.assemble``),
and the sentences are numbered in exactly the order ``audio.text.speech.speech_sections``
reads them: the intro is the title then the summary; a section is its heading, its key
point (if any), then the paragraphs and list items of its body. This module walks the
same pieces with the same splitting functions, and marks them:

- a piece of plain text: each sentence wrapped in ``<span data-cue="…">``;
- a rich-text block with inline markup (bold, a link): ``data-cues="id id …"`` on the
  block element itself, so links and bold stay intact and the whole block lights up.

Whatever is not marked (a count that does not match, odd markup) is simply not
highlighted: the page still reads and plays the same.
"""

import logging
import re
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from wagtail.rich_text import expand_db_html

from audio.text.speech import (
    BLOCK_TAGS,
    INTRO_ID,
    _BlockTextParser,
    block_sentences,
    clean_text,
    rich_text_blocks,
    speech_sections,
    split_sentences,
)

if TYPE_CHECKING:
    from .models import GuidePage

logger = logging.getLogger(__name__)

# Markup that may sit inside a highlighted block without breaking it.
INLINE_TAGS = {
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "small",
    "sub",
    "sup",
    "code",
    "mark",
    "span",
    "abbr",
    "br",
}
VOID_TAGS = {"br", "wbr", "img", "hr"}


@dataclass
class MarkedIntro:
    title: SafeString
    summary: SafeString


@dataclass
class MarkedSection:
    id: str
    heading: SafeString
    key_point: SafeString
    body: SafeString
    cue_ids: list = field(default_factory=list)


@dataclass
class MarkedGuide:
    intro: MarkedIntro
    sections: dict  # block id → MarkedSection


def cue_id(section_id: str, index: int) -> str:
    # Block ids come from the edit form (anyone with edit rights can post one): escaped
    # here, once, because every cue id ends up inside an HTML attribute.
    return escape(f"{section_id}-{index}", quote=True)


def mark_text(text: str | None, section_id: str, start: int) -> tuple[str, int]:
    """Plain text → (HTML with one ``data-cue`` span per sentence, next sentence index)."""
    raw = text or ""
    expected = block_sentences([raw])
    ids = [cue_id(section_id, start + i) for i in range(len(expected))]
    return _wrap_sentences(raw, ids), start + len(expected)


def _wrap_sentences(raw, ids):
    """Wrap each sentence of ``raw`` (plain, unescaped text) in its cue span."""
    if not ids:
        return escape(raw, quote=False)
    shown = split_sentences(clean_text(raw))
    if len(shown) == len(ids):
        parts, position = [], 0
        for sentence, cue in zip(shown, ids, strict=True):
            # clean_text only collapsed whitespace: find the sentence as written.
            pattern = r"\s+".join(re.escape(word) for word in sentence.split(" "))
            match = re.compile(pattern).search(raw, position)
            if match is None:
                break
            parts.append(escape(raw[position : match.start()], quote=False))
            parts.append(f'<span data-cue="{cue}">{escape(match.group(), quote=False)}</span>')
            position = match.end()
        else:
            parts.append(escape(raw[position:], quote=False))
            return "".join(parts)
    # Sentences could not be told apart as displayed: light up the whole piece.
    return f'<span data-cues="{" ".join(ids)}">{escape(raw, quote=False)}</span>'


@dataclass
class _Run:
    """The tokens between two block boundaries: one entry of ``rich_text_blocks``."""

    tokens: list  # (kind, raw, tag): kind is "data", "start" or "end"
    text: str
    opener: int | None  # index in the output of the block start tag that encloses the run


class _RunParser(_BlockTextParser):
    """``audio.text.speech``'s own block parser, also keeping the markup of each block.

    Subclassing it (rather than re-implementing) means block boundaries and block
    texts are by construction those ``rich_text_blocks`` gives the audio pipeline.
    """

    def __init__(self):
        super().__init__()
        self.output = []  # raw strings and _Run objects, in document order
        self.run = []
        self.opener = None  # (output index, tag) of the block start tag just seen
        self.closing = None

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text()
        if tag in BLOCK_TAGS:
            super().handle_starttag(tag, attrs)  # flushes the run before it
            self.output.append(raw)
            self.opener = (len(self.output) - 1, tag)
        else:
            self.run.append(("start", raw, tag))
            super().handle_starttag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        raw = self.get_starttag_text()
        if tag in BLOCK_TAGS:
            super().handle_starttag(tag, attrs)
            self.output.append(raw)
            self.opener = None
        else:
            self.run.append(("start", raw, tag))
            super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.closing = tag
            super().handle_endtag(tag)  # flushes the run it closes
            self.closing = None
            self.output.append(f"</{tag}>")
            self.opener = None
        else:
            self.run.append(("end", f"</{tag}>", tag))
            super().handle_endtag(tag)

    def handle_data(self, data):
        self.run.append(("data", data, None))
        super().handle_data(data)

    def flush(self):
        text = clean_text("".join(self.current))
        if text:
            self.blocks.append(text)
        self.current = []
        if self.run:
            encloses = self.opener is not None and self.closing == self.opener[1]
            self.output.append(_Run(self.run, text, self.opener[0] if encloses else None))
        self.run = []


def _render_tokens(tokens):
    return "".join(
        escape(raw, quote=False) if kind == "data" else raw for kind, raw, _tag in tokens
    )


def _inline_and_balanced(tokens):
    stack = []
    for kind, _raw, tag in tokens:
        if kind == "data":
            continue
        if tag not in INLINE_TAGS:
            return False
        if tag in VOID_TAGS:
            continue
        if kind == "start":
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return False
    return not stack


def _mark_run(run, ids, output):
    """Render one block's tokens with its cue ids (may add data-cues to its opener)."""
    tokens = list(run.tokens)
    # Whitespace and list containers around the text (a nested <ul>) stay as they are.
    head, tail = [], []
    while (
        tokens
        and (tokens[0][0] != "data" or not tokens[0][1].strip())
        and tokens[0][2] not in INLINE_TAGS
    ):
        head.append(tokens.pop(0))
    while (
        tokens
        and (tokens[-1][0] != "data" or not tokens[-1][1].strip())
        and tokens[-1][2] not in INLINE_TAGS
    ):
        tail.insert(0, tokens.pop())
    if not ids:
        return _render_tokens(run.tokens)
    if all(kind == "data" for kind, _raw, _tag in tokens):
        core = _wrap_sentences("".join(raw for _kind, raw, _tag in tokens), ids)
    elif _inline_and_balanced(tokens):
        cues = " ".join(ids)
        if run.opener is not None and not head and not tail:
            start_tag = output[run.opener]
            name_end = re.match(r"<[a-zA-Z0-9]+", start_tag).end()
            output[run.opener] = f'{start_tag[:name_end]} data-cues="{cues}"{start_tag[name_end:]}'
            core = _render_tokens(tokens)
        else:
            core = f'<span data-cues="{cues}">{_render_tokens(tokens)}</span>'
    else:
        core = _render_tokens(tokens)
    return _render_tokens(head) + core + _render_tokens(tail)


def mark_rich_text(html: str | None, section_id: str, start: int) -> tuple[str, int, list[str]]:
    """Rendered rich text → (HTML with cue marks, next sentence index, block texts)."""
    parser = _RunParser()
    parser.feed(html or "")
    parser.close()
    parser.flush()
    output = parser.output
    index = start
    for position, item in enumerate(output):
        if isinstance(item, _Run):
            count = len(block_sentences([item.text])) if item.text else 0
            ids = [cue_id(section_id, index + i) for i in range(count)]
            index += count
            output[position] = _mark_run(item, ids, output)
    return "".join(output), index, parser.blocks


def mark_guide(page: "GuidePage") -> MarkedGuide:
    """Every sentence of ``page`` marked with its caption cue id (see module docstring)."""
    read = {section.id: section for section in speech_sections(page)}

    title, after_title = mark_text(page.title, INTRO_ID, 0)
    summary, intro_count = mark_text(getattr(page, "summary", ""), INTRO_ID, after_title)
    intro = MarkedIntro(mark_safe(title), mark_safe(summary))
    if INTRO_ID in read and intro_count != len(read[INTRO_ID].sentences):
        logger.warning(
            "Intro of page %s: %s sentences marked, %s read",
            page.pk,
            intro_count,
            len(read[INTRO_ID].sentences),
        )

    sections = {}
    for block in page.sections:
        sections[str(block.id)] = _mark_section(str(block.id), block.value, read.get(str(block.id)))
    return MarkedGuide(intro, sections)


def _mark_section(section_id, value, spoken):
    source = value["body"].source if hasattr(value["body"], "source") else str(value["body"] or "")
    rendered = expand_db_html(source)
    key_point = value.get("key_point") or ""
    if spoken is None:  # not read aloud (nothing but a heading): nothing to mark
        return MarkedSection(
            section_id,
            mark_safe(escape(value["heading"], quote=False)),
            mark_safe(escape(key_point, quote=False)),
            mark_safe(rendered),
        )
    heading, index = mark_text(value["heading"], section_id, 0)
    key_html, body_start = (
        mark_text(key_point, section_id, index) if clean_text(key_point) else ("", index)
    )
    body, index, blocks = mark_rich_text(rendered, section_id, body_start)
    ids = [cue_id(section_id, i) for i in range(len(spoken.sentences))]
    if index != len(spoken.sentences) or blocks != rich_text_blocks(source):
        # The rendered body does not split as the source did: let the whole body
        # light up while any of its sentences is read.
        logger.warning(
            "Section %s: sentence marks do not match what is read; marking the body whole",
            section_id,
        )
        body = f'<div data-cues="{" ".join(ids[body_start:])}">{rendered}</div>'
    return MarkedSection(section_id, mark_safe(heading), mark_safe(key_html), mark_safe(body), ids)
