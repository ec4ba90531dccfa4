"""Web and e-mail addresses: only the domain is read, in words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..matching import _pad
from .spelling import _spell_letters

_KNOWN_TLDS = frozenset(
    {
        "com",
        "org",
        "net",
        "edu",
        "gob",
        "gov",
        "info",
        "int",
        "ong",
        "lat",
        "app",
        "gt",
        "mx",
        "sv",
        "hn",
        "ni",
        "cr",
        "pa",
        "co",
        "us",
        "io",
    }
)
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
_EMAIL = re.compile(rf"(?<![\w.+-])(?P<user>[\w.+-]+)@(?P<domain>{_DOMAIN})(?![\w-])", re.I)
_URL = re.compile(
    rf"(?<![\w@.-])(?P<prefix>https?://(?:www\.)?|www\.)?(?P<domain>{_DOMAIN})"
    r"(?::\d+)?(?:[/?#]\S*?)?(?=[.,;:!?)\]»”\"']*(?:\s|$))",
    re.I,
)


@dataclass(frozen=True)
class _AddressWords:
    """How one language says the parts of web and e-mail addresses."""

    at: str
    symbols: Mapping[str, str]  # ".", "_", "-", "+" between spaces
    spell: Callable[[str], str]  # a label said letter by letter


_URL_SYMBOLS = {".": " punto ", "_": " guion bajo ", "-": " guion ", "+": " más "}
_SPANISH_ADDRESS = _AddressWords("arroba", _URL_SYMBOLS, lambda label: _spell_letters(label))


def _read_emails(text: str, words: _AddressWords = _SPANISH_ADDRESS) -> str:
    """E-mail addresses: "info@ejemplo.org" -> "info arroba ejemplo punto org"."""

    def read(match: re.Match[str]) -> str:
        user = re.sub(r"[._+-]", lambda m: words.symbols[m.group()], match.group("user"))
        return _pad(match, f"{user} {words.at} {_say_domain(match.group('domain'), words)}")

    return _EMAIL.sub(read, text)


def _read_urls(text: str, words: _AddressWords = _SPANISH_ADDRESS) -> str:
    """Read only the domain: "https://www.ejemplo.org/x?y=1" -> "ejemplo punto org".

    Without "http" or "www" a dotted word is taken as a domain only when its
    ending is a known TLD and it is all lowercase, so that "salud.Es" (a
    missing space) is not read as a web address.
    """

    def read(match: re.Match[str]) -> str:
        domain = match.group("domain")
        if not match.group("prefix"):
            tld = domain.rsplit(".", 1)[-1]
            if tld not in _KNOWN_TLDS or domain != domain.lower() or tld == "es":
                return match.group()
        return _pad(match, _say_domain(domain, words))

    return _URL.sub(read, text)


def _say_domain(domain: str, words: _AddressWords) -> str:
    labels = domain.lower().split(".")
    if labels[0] == "www":
        labels = labels[1:]
    spoken = []
    for label in labels:
        # Country codes and vowel-less labels ("gt", "mp") are spelled.
        if len(label) <= 2 or not re.search(r"[aeiou]", label):
            label = words.spell(label)
        spoken.append(label.replace("-", words.symbols["-"]))
    return words.symbols["."].join(spoken)
