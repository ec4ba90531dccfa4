"""Inclusive forms ("compañeros/as") and symbols an engine would name or skip ("&", "+", "/")."""

from __future__ import annotations

import re

# "compañeros/as", "compañeras/os", "compañer@s", "usuario/a".
_INCLUSIVE_SLASH = re.compile(
    r"(?<!\w)(?P<stem>[^\W\d_]+?)(?P<first>os|as|o|a)/(?P<second>os|as|o|a)(?!\w)"
)
_INCLUSIVE_AT = re.compile(r"(?<!\w)(?P<stem>[^\W\d_]+)@(?P<plural>s?)(?!\w)")


def _read_inclusive_forms(text: str) -> str:
    """Say both forms: "compañeros/as" -> "compañeros y compañeras".

    "usuario/a" -> "usuario o usuaria".
    """

    def read_slash(match: re.Match[str]) -> str:
        stem, first, second = match.group("stem"), match.group("first"), match.group("second")
        if first[0] == second[0] or len(first) != len(second):
            return match.group()
        joiner = "y" if first.endswith("s") else "o"
        return f"{stem}{first} {joiner} {stem}{second}"

    def read_at(match: re.Match[str]) -> str:
        stem, plural = match.group("stem"), match.group("plural")
        joiner = "y" if plural else "o"
        return f"{stem}o{plural} {joiner} {stem}a{plural}"

    text = _INCLUSIVE_SLASH.sub(read_slash, text)
    return _INCLUSIVE_AT.sub(read_at, text)


_SYMBOLS = (
    (re.compile(r"(?<!\w)y\s*/\s*o(?!\w)", re.I), "y o"),  # "y/o", not "y o o"
    (re.compile(r"\s*&\s*"), " y "),
    (re.compile(r"\s*\+\s*"), " más "),
    (re.compile(r"\s*@\s*"), " arroba "),
    (re.compile(r"\s*%"), " por ciento"),
    (re.compile(r"\s*=\s*"), " igual a "),
    (re.compile(r"\s*\|\s*"), ", "),
    (re.compile(r"#(?=\w)|[*_~]"), " "),
    # Last, so the words other symbols became count: "él/ella" -> "él o ella".
    (re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])"), " o "),
)


def _read_symbols(text: str) -> str:
    """Symbols an engine would name or skip: "&" -> "y", "+" -> "más", "/" between words -> "o"."""
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text
