"""Units after a number ("72 h", "5 km", "38 °C"), agreeing in gender with the number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from ..matching import _pad
from .spelling import _NUMBER, _is_one, _say_number

# Units read only after a number: symbol -> (singular, plural, gender).
# The gender makes the number agree: "1 h" -> "una hora", "21 km" -> "veintiún
# kilómetros". Single-letter symbols match lowercase only ("M" is not metres).
UNITS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "km/h": ("kilómetro por hora", "kilómetros por hora", "m"),
        "h": ("hora", "horas", "f"),
        "hr": ("hora", "horas", "f"),
        "hrs": ("hora", "horas", "f"),
        "hs": ("hora", "horas", "f"),
        "min": ("minuto", "minutos", "m"),
        "mins": ("minuto", "minutos", "m"),
        "seg": ("segundo", "segundos", "m"),
        "km": ("kilómetro", "kilómetros", "m"),
        "kms": ("kilómetro", "kilómetros", "m"),
        "m": ("metro", "metros", "m"),
        "mts": ("metro", "metros", "m"),
        "cm": ("centímetro", "centímetros", "m"),
        "mm": ("milímetro", "milímetros", "m"),
        "kg": ("kilogramo", "kilogramos", "m"),
        "g": ("gramo", "gramos", "m"),
        "gr": ("gramo", "gramos", "m"),
        "mg": ("miligramo", "miligramos", "m"),
        "ml": ("mililitro", "mililitros", "m"),
        "lb": ("libra", "libras", "f"),
        "lbs": ("libra", "libras", "f"),
        "oz": ("onza", "onzas", "f"),
        # "centígrados" is what Guatemalans say; "Celsius" sounds technical.
        "°C": ("grado centígrado", "grados centígrados", "m"),
        "°F": ("grado Fahrenheit", "grados Fahrenheit", "m"),
    }
)


def _unit_alternatives() -> str:
    multi = sorted(
        (u for u in UNITS if len(u) > 1 and not u.startswith("°")), key=len, reverse=True
    )
    single = [u for u in UNITS if len(u) == 1]
    return "|".join(
        [r"[°º]\s?[CF]"] + [f"(?i:{re.escape(u)})" for u in multi] + [re.escape(u) for u in single]
    )


_UNIT = re.compile(
    rf"(?P<n>{_NUMBER})\s?(?P<unit>{_unit_alternatives()})(?P<dot>\.(?=\s+[a-záéíóúñ]))?(?![^\W_])"
)
_NUMBERED_UNIT = re.compile(rf"(?<![\w.,])(?P<sign>[-−])?{_UNIT.pattern}")
_KILOMETRE_MARKER = re.compile(r"(?<!\w)[Kk]m\.?\s?(?=\d)")


def _unit_key(written: str) -> str:
    written = written.replace("º", "°").replace(" ", "")
    return written if written in UNITS else written.lower()


def _read_units(text: str) -> str:
    """Units: "72 h" -> "setenta y dos horas", "1 km" -> "un kilómetro".

    "38 °C" -> "treinta y ocho grados centígrados".

    A kilometre before a number is a marker on a road, in the singular:
    "Km. 15 carretera a El Salvador" -> "kilómetro 15...".
    """

    def read(match: re.Match[str]) -> str:
        singular, plural, gender = UNITS[_unit_key(match.group("unit"))]
        number = match.group("n")
        sign = "menos " if match.group("sign") else ""
        noun = singular if _is_one(number) else plural
        return _pad(match, f"{sign}{_say_number(number, agree_with=gender)} {noun}")

    text = _NUMBERED_UNIT.sub(read, text)
    return _KILOMETRE_MARKER.sub("kilómetro ", text)
