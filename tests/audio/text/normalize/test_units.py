"""Units after a number (``normalize.units``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("72 h", "setenta y dos horas"),
    ("48h", "cuarenta y ocho horas"),
    ("1 h", "una hora"),
    ("21 h", "veintiuna horas"),
    ("24 hrs", "veinticuatro horas"),
    ("30 min", "treinta minutos"),
    ("5 min. de espera", "cinco minutos de espera"),
    ("1 min", "un minuto"),
    ("5 km", "cinco kilómetros"),
    ("1 km", "un kilómetro"),
    ("Son 21 km.", "Son veintiún kilómetros."),
    ("2,5 km", "dos coma cinco kilómetros"),
    ("60 km/h", "sesenta kilómetros por hora"),
    ("100 m", "cien metros"),
    ("500 mg", "quinientos miligramos"),
    ("1 lb", "una libra"),
    ("38 °C", "treinta y ocho grados centígrados"),
    ("38°C", "treinta y ocho grados centígrados"),
    ("-5 °C", "menos cinco grados centígrados"),
    ("Km. 15.5 carretera a El Salvador", "kilómetro quince punto cinco carretera a El Salvador"),
)
def test_units(written, expected):
    assert normalize_spanish(written) == expected
