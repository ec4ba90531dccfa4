"""First step of every normalization: Unicode form, emoji, odd spaces, line breaks."""

from __future__ import annotations

import re
import unicodedata

# Symbol and format characters dropped outright: emoji and pictographs,
# skin-tone and variation selectors, zero-width joiners, soft hyphens. espeak
# would read some emoji by name and choke on others. The degree sign stays.
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf", "Me"})
_KEPT_SYMBOLS = frozenset({"°"})
_BULLET = re.compile(r"^(?:(?:[•◦▪‣⁃∙·*]|-(?=\s|$))\s*)+")


def _clean(text: object) -> str:
    """Normalize Unicode, drop emoji and control characters, join the lines.

    A line that ends without punctuation (a heading, a list item) gets a
    period, so the engine pauses there instead of running two lines together.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("№", "Nº ")
    text = "".join(_clean_char(char) for char in text)
    lines = []
    for line in text.splitlines():
        line = _BULLET.sub("", re.sub(r"\s+", " ", line).strip())
        if not line:
            continue
        if lines and lines[-1][-1].isalnum():
            lines[-1] += "."
        lines.append(line)
    return " ".join(lines)


def _clean_char(char: str) -> str:
    if char in _KEPT_SYMBOLS or char in "\n\t":
        return char
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if category == "Cc":
        return "\n" if char in "\r\v\f\x1c\x1d\x1e\x85" else ""
    if category in _DROPPED_CATEGORIES or 0xFE00 <= ord(char) <= 0xFE0F:
        return ""
    if char in "‐‑":  # typographic hyphens
        return "-"
    return char


def _tidy_spacing(text: str) -> str:
    """Collapse runs of spaces and glue punctuation to the word before it.

    A dash that a removed symbol left at the start would read as a bullet.
    """
    text = _BULLET.sub("", re.sub(r"\s+", " ", text).strip())
    return re.sub(r" ([,.;:!?])", r"\1", text)
