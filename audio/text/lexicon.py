"""The editors' pronunciation lexicon: how it matches text and what it says.

Editors add entries (admin → Pronunciación, ``audio.models.PronunciationEntry``)
when an engine misreads a word. The same matcher serves the built-in acronym
tables (``normalize.acronyms``, ``normalize.en``). ``normalize`` applies the
lexicon first and shields its output from the built-in rules, so an editor can
always override them; ``lexicon_matches`` tells which guides an edit affects.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from .matching import _ends_sentence, _pad

# Abbreviations that always come before something (a name, a street): their
# final period never ends a sentence, even before a capital letter.
PREFIX_ABBREVIATIONS = frozenset(
    {
        "dr.",
        "dra.",
        "lic.",
        "licda.",
        "ing.",
        "sr.",
        "sra.",
        "srta.",
        "av.",
        "ave.",
        "tel.",
        "cel.",
        "ext.",
    }
)


@dataclass(frozen=True)
class _Matcher:
    """One regex for a whole table of written forms, longest first."""

    pattern: re.Pattern[str]
    exact: Mapping[str, str]  # case-sensitive entries, by written form
    folded: Mapping[str, str]  # case-insensitive entries, by lowercased form

    def spoken_for(self, match: re.Match[str]) -> str:
        """The spoken form for a match, plus the period it may have swallowed."""
        written = match.group()
        spoken = self.exact.get(_compact(written))
        if spoken is None:
            spoken = self.folded.get(_compact(written).lower(), "")
        if written.endswith(".") and not spoken.endswith("."):
            capital_ends_sentence = written.lower() not in PREFIX_ABBREVIATIONS
            if _ends_sentence(match.string, match.end(), capital_ends_sentence):
                spoken += "."
        return spoken


def _lexicon_items(lexicon: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A hashable, cleaned copy of a lexicon (so compiled matchers can be cached)."""
    items = {}
    for written, spoken in lexicon.items():
        if not isinstance(written, str) or spoken is None:
            continue
        key = _lexicon_key(written)
        if key:
            items[key] = unicodedata.normalize("NFC", str(spoken))
    return tuple(sorted(items.items()))


def _lexicon_key(written: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", written)).strip()


def _is_case_sensitive(written: str) -> bool:
    """Acronym-like entries ("VIH", "PrEP") match only as written."""
    return any(char.isupper() for char in written[1:])


def _entry_body(written: str) -> str:
    """Regex for one written form: whole words, flexible spaces, its case rule."""
    pieces = written.split(" ")
    body = re.escape(pieces[0])
    for previous, piece in zip(pieces, pieces[1:], strict=False):
        # "EE. UU." also matches "EE.UU.": after a period the space is optional.
        body += (r"\s*" if previous.endswith(".") else r"\s+") + re.escape(piece)
    if re.match(r"\w", written[0]):
        body = r"(?<!\w)" + body
    if re.match(r"\w", written[-1]):
        body += r"(?!\w)"
    return f"(?:{body})" if _is_case_sensitive(written) else f"(?i:{body})"


@functools.lru_cache(maxsize=1024)
def _entry_regex(written: str) -> re.Pattern[str]:
    return re.compile(_entry_body(written))


@functools.lru_cache(maxsize=32)
def _compile_lexicon(items: tuple[tuple[str, str], ...]) -> _Matcher | None:
    if not items:
        return None
    # Longest first, so "VIH avanzado" wins over "VIH"; on a tie the
    # case-sensitive (exact) entry is tried first.
    ordered = sorted(
        items, key=lambda item: (-len(item[0]), not _is_case_sensitive(item[0]), item[0])
    )
    pattern = re.compile("|".join(_entry_body(written) for written, _ in ordered))
    exact = {_compact(w): s for w, s in items if _is_case_sensitive(w)}
    folded = {}
    for written, spoken in ordered:
        if not _is_case_sensitive(written):
            folded.setdefault(_compact(written).lower(), spoken)
    return _Matcher(pattern, exact, folded)


def _compact(written: str) -> str:
    """Lookup key of a match: spaces in entries match flexibly, so ignore them."""
    return re.sub(r"\s+", "", written)


# Lexicon output is swapped for a placeholder while the built-in rules run:
# private-use characters that no rule reads (the cleaning step removed any
# such character from the input, so they cannot clash). The index of the
# spoken form is written in base 4096 with the characters U+E100-U+F0FF.
_PLACEHOLDER_OPEN, _PLACEHOLDER_CLOSE = "\ue000", "\ue001"
_PLACEHOLDER_DIGIT_BASE, _PLACEHOLDER_RADIX = 0xE100, 0x1000
_PLACEHOLDER = re.compile("\ue000([\ue100-\uf0ff]+)\ue001")


def _protect_lexicon_matches(text: str, matcher: _Matcher | None, spoken_forms: list[str]) -> str:
    if matcher is None:
        return text

    def protect(match: re.Match[str]) -> str:
        spoken_forms.append(matcher.spoken_for(match))
        index, digits = len(spoken_forms) - 1, ""
        while True:
            index, digit = divmod(index, _PLACEHOLDER_RADIX)
            digits = chr(_PLACEHOLDER_DIGIT_BASE + digit) + digits
            if not index:
                break
        return _pad(match, _PLACEHOLDER_OPEN + digits + _PLACEHOLDER_CLOSE)

    return matcher.pattern.sub(protect, text)


def _restore_protected(text: str, spoken_forms: list[str]) -> str:
    if not spoken_forms:
        return text

    def restore(match: re.Match[str]) -> str:
        index = 0
        for digit in match.group(1):
            index = index * _PLACEHOLDER_RADIX + ord(digit) - _PLACEHOLDER_DIGIT_BASE
        return spoken_forms[index]

    return _PLACEHOLDER.sub(restore, text)


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Replace each lexicon entry found in ``text`` by its spoken form.

    Entries match as whole words or phrases (spaces in an entry match any
    whitespace), the longest entry first. Matching ignores case unless the
    written form has an uppercase letter after its first character: "Xela"
    also matches "XELA", "VIH" matches only "VIH".
    """
    text = unicodedata.normalize("NFC", str(text or ""))
    matcher = _compile_lexicon(_lexicon_items(lexicon or {}))
    if matcher is None:
        return text
    return matcher.pattern.sub(lambda m: matcher.spoken_for(m), text)


def lexicon_matches(text: str, lexicon: Mapping[str, str]) -> set[str]:
    """Return the written forms of the ``lexicon`` entries that occur in ``text``.

    Used to re-render only the sections an edit of the lexicon affects. It is
    deliberately generous: an entry counts even where a longer entry covers it
    ("VIH" inside "VIH avanzado"), because missing a section leaves stale
    audio while an extra one only costs a re-render.
    """
    text = unicodedata.normalize("NFC", str(text or ""))
    return {
        written
        for written in (lexicon or {})
        if isinstance(written, str)
        and (key := _lexicon_key(written))
        and _entry_regex(key).search(text)
    }


def lexicon_for(language_code: str) -> dict[str, str]:
    """The editors' lexicon for one language: {written form: spoken form}."""
    # Imported here, not at the top: the rest of audio.text is pure functions and
    # imports without Django set up (no settings, no app registry, no database).
    from audio.models import PronunciationEntry

    return dict(
        PronunciationEntry.objects.filter(locale__language_code=language_code).values_list(
            "written", "spoken"
        )
    )
