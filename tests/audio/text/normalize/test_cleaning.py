"""Unicode, emoji, spaces and line breaks (``normalize.cleaning``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


@cases(
    ("", ""),
    ("   ", ""),
    ("hola   mundo", "hola mundo"),
    ("hola\tmundo", "hola mundo"),
    ("Título\nTexto.", "Título. Texto."),
    ("Qué hacer:\n- llamar\n- esperar", "Qué hacer: llamar. esperar"),
    ("Uno.\n\nDos.", "Uno. Dos."),
    ("🙂 hola ❤️", "hola"),
    ("Paso 1️⃣", "Paso uno"),
    ("8\u00a0a.\u00a0m.", "ocho de la mañana."),
    ("anti\u00adretroviral", "antiretroviral"),
    ("Привет 25 мир", "Привет veinticinco мир"),
    ("安全 3", "安全 tres"),
)
def test_cleaning(written, expected):
    assert normalize_spanish(written) == expected
