"""Dates, day first as in Guatemala: "12/05/2025", "1 de enero"."""

from __future__ import annotations

import re

from ..matching import _pad
from .spelling import spell_integer

MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


_DATE = re.compile(
    r"(?<![\d/.,-])(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?![\d/]|[.-]\d)"
)
_MONTH_NAMES = "|".join(MONTHS) + "|setiembre"
_FIRST_OF_MONTH = re.compile(rf"(?<![\w.,])1(?=\s+de\s+(?:{_MONTH_NAMES})\b)", re.I)


def _read_dates(text: str) -> str:
    """Dates: "12/05/2025" -> "doce de mayo de dos mil veinticinco" (day first, as in Guatemala)."""

    def read(match: re.Match[str]) -> str:
        day, month, year = int(match.group("day")), int(match.group("month")), match.group("year")
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return match.group()
        full_year = int(year) if len(year) == 4 else int(year) + (2000 if int(year) < 70 else 1900)
        return _pad(match, f"{_say_day(day)} de {MONTHS[month - 1]} de {spell_integer(full_year)}")

    return _DATE.sub(read, text)


def _read_first_of_month(text: str) -> str:
    """The first day of a month is an ordinal: "1 de enero" -> "primero de enero"."""
    return _FIRST_OF_MONTH.sub("primero", text)


def _say_day(day: int) -> str:
    return "primero" if day == 1 else spell_integer(day)
