"""Inclusive forms and symbols (``normalize.symbols``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("él/ella", "él o ella"),
    ("compañeros/as", "compañeros y compañeras"),
    ("las compañeras/os", "las compañeras y compañeros"),
    ("usuario/a", "usuario o usuaria"),
    ("compañer@s", "compañeros y compañeras"),
    ("No 5 veces", "No cinco veces"),  # "no", not "número"
    ("y/o", "y o"),
    ("salud & derechos", "salud y derechos"),
    ("+5", "más cinco"),
    ("18+", "dieciocho más"),
    ("Nº 5", "número cinco"),
    ("N.º 5", "número cinco"),
    ("No. 5", "número cinco"),
    ("#3", "número tres"),
    ("2x1", "dos por uno"),
    ("~30 min", "aproximadamente treinta minutos"),
    ("24/7", "las veinticuatro horas, todos los días"),
    ("Atención 24/7.", "Atención las veinticuatro horas, todos los días."),
    ("@altavoz", "arroba altavoz"),
)
def test_symbols(written, expected):
    assert normalize_spanish(written) == expected
