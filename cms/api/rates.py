"""Request rates ("600/minute"), as ``ALTAVOZ_API_ANON_RATE`` gives them.

Imports nothing from Django: the settings read the rate with this function at
start-up, so that a typo stops the server naming the variable instead of
making every API request a 500; the throttle reads it with the same one.
"""

import re
from functools import lru_cache

RATE_RE = re.compile(r"\s*([0-9]{1,15})\s*/\s*([a-zA-Z]{1,7})\s*")
PERIODS = {
    **dict.fromkeys(("s", "sec", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}


@lru_cache(maxsize=32)  # read on every API request (the throttle); a pure function of the text
def parse_rate(rate: str | None) -> tuple[int, int] | tuple[None, None]:
    """ "600/minute" → (600, 60); empty → (None, None): no throttling. ValueError otherwise."""
    if not rate or not rate.strip():
        return None, None
    match = RATE_RE.fullmatch(rate)
    period = PERIODS.get(match.group(2).lower()) if match else None
    if period is None or int(match.group(1)) < 1:
        raise ValueError(f"not a request rate: {rate!r}")
    return int(match.group(1)), period
