"""Table-driven tests: each row is (written, expected spoken text)."""

import pytest


def cases(*rows):
    """Parametrize rows (written, expected), using the written text as the id."""
    return pytest.mark.parametrize(
        ("written", "expected"), rows, ids=[row[0] or "<empty>" for row in rows]
    )
