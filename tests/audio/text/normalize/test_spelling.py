"""How numbers are said, agreeing with the noun (``normalize.spelling``)."""

import pytest

from audio.text.normalize import spell_integer


@pytest.mark.parametrize(
    ("number", "agree_with", "expected"),
    [
        (1, None, "uno"),
        (1, "m", "un"),
        (1, "f", "una"),
        (21, "m", "veintiún"),
        (21, "f", "veintiuna"),
        (201, "f", "doscientas una"),
        (221000, "f", "doscientas veintiún mil"),
        (2000000, "f", "dos millones"),
        (200200000, "f", "doscientos millones doscientas mil"),
        (-3, None, "menos tres"),
    ],
)
def test_spell_integer(number, agree_with, expected):
    assert spell_integer(number, agree_with) == expected
