"""Phone and service numbers: a wrong number in a safety guide can hurt (``normalize.phones``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("2230-1234", "veintidós, treinta, doce, treinta y cuatro"),
    ("2230 1234", "veintidós, treinta, doce, treinta y cuatro"),
    ("22301234", "veintidós, treinta, doce, treinta y cuatro"),
    ("+502 2230 1234", "más cinco cero dos, veintidós, treinta, doce, treinta y cuatro"),
    ("+502 2230-1234", "más cinco cero dos, veintidós, treinta, doce, treinta y cuatro"),
    ("(502) 2230-1234", "cinco cero dos, veintidós, treinta, doce, treinta y cuatro"),
    ("5505-0712", "cincuenta y cinco, cero cinco, cero siete, doce"),
    ("Tel.: 2230-1234", "teléfono: veintidós, treinta, doce, treinta y cuatro"),
    ("Llame al 1572 o al 110.", "Llame al uno, cinco, siete, dos o al uno, uno, cero."),
    ("Llame al 110.", "Llame al uno, uno, cero."),
    ("Marque 911 desde cualquier teléfono.", "Marque nueve, uno, uno desde cualquier teléfono."),
    ("Línea gratuita: 1546", "Línea gratuita: uno, cinco, cuatro, seis"),
    ("Llame al número 1572.", "Llame al número uno, cinco, siete, dos."),
    (
        "denuncie al 1572, 110 o 122",
        "denuncie al uno, cinco, siete, dos, uno, uno, cero o uno, dos, dos",
    ),
    ("PNC: 110", "pe ene ce: uno, uno, cero"),
    ("Bomberos: 122.", "Bomberos: uno, dos, dos."),
    ("110 personas", "ciento diez personas"),  # a quantity, not the police
    ("En México: 911.", "En México: nueve, uno, uno."),
    ("Ayuda: 1546", "Ayuda: mil quinientos cuarenta y seis"),  # unknown, no context word
    ("Llame hoy. Hay 150 cupos.", "Llame hoy. Hay ciento cincuenta cupos."),
)
def test_phone_numbers(written, expected):
    assert normalize_spanish(written) == expected
