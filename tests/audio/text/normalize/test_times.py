"""Clock times and time ranges (``normalize.times``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("a las 8:00", "a las ocho"),
    ("las 8:00", "las ocho"),
    ("8:00", "ocho horas"),
    ("08:00", "ocho horas"),
    ("8:30", "ocho y treinta"),
    ("8:05", "ocho y cinco"),
    ("14:15", "catorce y quince"),
    ("a las 14:15", "a las catorce y quince"),
    ("a la 1:00", "a la una"),
    ("1:00", "la una"),
    ("a las 21:00", "a las veintiuna"),
    ("a las 8:00 horas", "a las ocho horas"),
    ("8:00 hrs", "ocho horas"),
    ("8:00 a. m.", "ocho de la mañana."),
    ("Abre a las 8:00 a. m. y cierra tarde.", "Abre a las ocho de la mañana y cierra tarde."),
    ("8 am", "ocho de la mañana"),
    ("8.30 p. m.", "ocho y treinta de la noche."),
    ("8.30", "ocho punto treinta"),  # no a.m./p.m.: a decimal
    ("8 AM", "ocho de la mañana"),
    ("3 a.m.", "tres de la madrugada."),
    ("a la 1 p. m.", "a la una de la tarde."),
    ("a las 12 p.m.", "a las doce del mediodía."),
    ("12:00 a. m.", "doce de la noche."),
    ("8:30 pm", "ocho y treinta de la noche"),
    ("Cierra a las 5 p. m. Luego abre.", "Cierra a las cinco de la tarde. Luego abre."),
    ("a la 1", "a la una"),
    ("las 21 horas", "las veintiuna horas"),
    ("a las 8", "a las ocho"),
)
def test_times(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    (
        "El Centro de Salud abre de 8:00 a 16:30.",
        "El Centro de Salud abre de ocho a dieciséis y treinta.",
    ),
    ("de 8:00 a 16:00", "de ocho a dieciséis horas"),
    ("de 8:00 a 16:00 horas", "de ocho a dieciséis horas"),
    ("Horario: 8:00-16:00", "Horario: de ocho a dieciséis horas"),
    ("desde 9:00 hasta 17:30", "desde nueve hasta diecisiete y treinta"),
    ("de las 8:00 a las 16:00", "de las ocho a las dieciséis"),
    ("de 10 a 12 p. m.", "de diez a doce del mediodía."),
    ("8-10 a. m.", "de ocho a diez de la mañana."),
    ("de 7 p. m. a 6 a. m.", "de siete de la noche a seis de la mañana."),
    ("entre 7:30 y 8:00", "entre las siete y treinta y las ocho"),
    ("entre 1:00 y 2:00 p. m.", "entre la una y las dos de la tarde."),
    ("a las 7:30 y a las 8:00", "a las siete y treinta y a las ocho"),
)
def test_time_ranges(written, expected):
    assert normalize_spanish(written) == expected
