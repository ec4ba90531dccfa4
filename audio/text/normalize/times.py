"""Clock times and time ranges: "8:30", "8 a. m.", "de 8:00 a 16:00", "a la 1"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..matching import _keep_period, _pad
from .spelling import spell_integer

# "a. m.", "a.m.", "am", "AM", "p. m.", "pm"...
_MERIDIEM = r"(?P<mer{n}>[aApP])\.?\s?[mM]\.?(?!\w)"
_HOUR_SUFFIX = r"(?P<suf{n}>h|hrs?|hs|horas)\.?(?!\w)"


def _time_pattern(n: int) -> str:
    return (
        rf"(?P<h{n}>\d{{1,2}})(?:(?P<sep{n}>[:.])(?P<m{n}>\d{{2}}))?"
        rf"(?:\s?{_MERIDIEM.format(n=n)}|\s?{_HOUR_SUFFIX.format(n=n)})?"
    )


_TIME_RANGE = re.compile(
    rf"(?P<pre>(?<!\w)(?:de|desde|entre)\s+)?(?<![\w.,:/-]){_time_pattern(1)}"
    rf"(?P<sep>\s*[-–]\s*|\s+(?:a|hasta|y)\s+){_time_pattern(2)}(?![\d:])",
    re.I,
)
_TIME = re.compile(
    rf"(?P<art>(?<!\w)(?:las|la)\s+)?(?<![\w.,:/-]){_time_pattern(1)}(?![\d:])", re.I
)
_HOUR_AFTER_ARTICLE = re.compile(
    r"(?<!\w)(?P<art>las?\s+)(?P<h>\d{1,2})(?![\w°ºª%/-]|[.,:]\d)", re.I
)


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int | None  # None when written without minutes ("8 am")
    meridiem: str | None  # "a" or "p"
    suffix: bool  # written with "h"/"hrs"/"horas" after it

    @classmethod
    def from_match(cls, match: re.Match[str], n: int) -> _Time | None:
        hour = int(match.group(f"h{n}"))
        minute = match.group(f"m{n}")
        meridiem = match.group(f"mer{n}")
        time = cls(
            hour,
            None if minute is None else int(minute),
            meridiem.lower() if meridiem else None,
            bool(match.group(f"suf{n}")),
        )
        if time.hour > 24 or (time.minute is not None and time.minute > 59):
            return None
        if match.group(f"sep{n}") == "." and not meridiem:
            return None  # "8.30" alone is a decimal; "8.30 p. m." is a time
        return time

    @property
    def is_clock_time(self) -> bool:
        """Minutes or a.m./p.m. make it a time; "8 h" alone is a duration."""
        return self.minute is not None or self.meridiem is not None

    @property
    def is_full_hour(self) -> bool:
        return not self.minute and self.meridiem is None

    def say(self, *, alone: bool) -> str:
        """The spoken time; ``alone`` = no article before it and not in a range."""
        hour = self.hour
        if self.meridiem:
            hour = hour - 12 if hour > 12 else (12 if hour == 0 else hour)
        words = spell_integer(hour, agree_with="f")  # "la una", "las veintiuna"
        if self.minute:
            words += " y " + spell_integer(self.minute)
        if self.meridiem:
            return f"{words} {_day_period(self.hour, self.meridiem)}"
        if alone and not self.minute:
            # Spanish never drops the article before "una"; other hours read
            # best as "ocho horas" when no "las" precedes them.
            return "la una" if hour == 1 else f"{words} horas"
        return words


def _day_period(hour: int, meridiem: str) -> str:
    """Guatemalan day periods: madrugada until 6, tarde until 7 p. m."""
    hour12 = hour % 12
    if meridiem == "a":
        if hour12 == 0:
            return "de la noche"
        return "de la madrugada" if hour12 < 6 else "de la mañana"
    if hour12 == 0:
        return "del mediodía"
    return "de la tarde" if hour12 < 7 else "de la noche"


def _read_time_ranges(text: str) -> str:
    """Time ranges: "de 8:00 a 16:00" -> "de ocho a dieciséis horas".

    "8-10 a. m." -> "de ocho a diez de la mañana".

    "entre 7:30 y 8:00" takes articles: "entre siete y treinta y ocho" would
    sound like 7:38, "entre las siete y treinta y las ocho" cannot.
    """

    def read(match: re.Match[str]) -> str:
        start, end = _Time.from_match(match, 1), _Time.from_match(match, 2)
        if start is None or end is None or not end.is_clock_time:
            return match.group()
        pre = match.group("pre") or ""
        sep = match.group("sep").strip().lower()
        dash = sep in ("-", "–")
        between = pre.strip().lower() == "entre"
        if sep == "y" and not between:
            return match.group()  # "7:30 y 8:00" is two times, not a range
        if not start.is_clock_time and not (end.meridiem and (dash or pre)):
            return match.group()
        joiner = "y" if between else "a" if dash else sep
        opening = pre if pre else ("de " if dash else "")
        first, last = start.say(alone=False), end.say(alone=False)
        if between:
            first, last = _with_article(start, first), _with_article(end, last)
        spoken = f"{opening}{first} {joiner} {last}"
        if start.is_full_hour and end.is_full_hour and not between:
            spoken += " horas"
        return _pad(match, _keep_period(match, spoken))

    return _TIME_RANGE.sub(read, text)


def _with_article(time: _Time, spoken: str) -> str:
    hour = time.hour % 12 if time.meridiem else time.hour
    return ("la " if hour == 1 else "las ") + spoken


def _read_times(text: str) -> str:
    """Clock times: "a las 8:00" -> "a las ocho"; "8:00" -> "ocho horas".

    "8:30 p. m." -> "ocho y treinta de la noche".
    """

    def read(match: re.Match[str]) -> str:
        time = _Time.from_match(match, 1)
        if time is None or not time.is_clock_time:
            return match.group()
        article = match.group("art") or ""
        spoken = time.say(alone=not article)
        if time.suffix and time.is_full_hour and article:
            spoken += " horas"
        return _pad(match, _keep_period(match, article + spoken))

    return _TIME.sub(read, text)


def _read_hours_after_article(text: str) -> str:
    """Hours after an article: "a la 1" -> "a la una", "las 21" -> "las veintiuna".

    Hours are feminine.
    """

    def read(match: re.Match[str]) -> str:
        hour = int(match.group("h"))
        if hour > 24:
            return match.group()
        return match.group("art") + spell_integer(hour, agree_with="f")

    return _HOUR_AFTER_ARTICLE.sub(read, text)
