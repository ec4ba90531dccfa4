"""Dates, day first as in Guatemala (``normalize.dates``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("12/05/2025", "doce de mayo de dos mil veinticinco"),
    ("El 12/05/2025 hubo una reunión.", "El doce de mayo de dos mil veinticinco hubo una reunión."),
    ("1/1/2026", "primero de enero de dos mil veintiséis"),
    ("31-12-2025", "treinta y uno de diciembre de dos mil veinticinco"),
    ("12.05.2025", "doce de mayo de dos mil veinticinco"),
    ("05/06/25", "cinco de junio de dos mil veinticinco"),
    ("1 de enero", "primero de enero"),
    ("1 de Enero de 2025", "primero de Enero de dos mil veinticinco"),
    ("21 de mayo", "veintiuno de mayo"),
)
def test_dates(written, expected):
    assert normalize_spanish(written) == expected
