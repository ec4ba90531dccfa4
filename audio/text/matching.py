"""Where a match sits in its text: spacing around spoken words, sentence ends.

Shared by the lexicon and every normalization rule, so the words a rule writes
never glue to their neighbours and a swallowed final period comes back.
"""

from __future__ import annotations

import re


def _pad(match: re.Match[str], spoken: str) -> str:
    """Keep spoken words apart from letters or digits glued to the match ("48h")."""
    string = match.string
    if match.start() > 0 and string[match.start() - 1].isalnum():
        spoken = " " + spoken
    if match.end() < len(string) and string[match.end()].isalnum():
        spoken += " "
    return spoken


def _ends_sentence(string: str, end: int, capital_ends_sentence: bool = True) -> bool:
    """Whether the text after ``end`` starts a new sentence (or is empty)."""
    if _ONLY_SPACE_LEFT.match(string, end):
        return True
    return capital_ends_sentence and _SENTENCE_START.match(string, end) is not None


_ONLY_SPACE_LEFT = re.compile(r"\s*$")
_SENTENCE_START = re.compile(r"\s+[¿¡«\"'(]*[A-ZÁÉÍÓÚÑÜ]")


def _keep_period(match: re.Match[str], spoken: str) -> str:
    """A match ending in "p. m." may have swallowed the sentence's final period."""
    if match.group().endswith(".") and _ends_sentence(match.string, match.end()):
        return spoken + "."
    return spoken
