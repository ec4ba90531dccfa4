"""What a Spanish TTS engine is given to read, for the text editors write.

Pure functions: these tests need neither Django nor a database. Each table
row is (written, expected spoken text); the ids say which rule is exercised.
The rules have a file each beside this one; here, what holds for the whole
chain (``normalize_spanish``).
"""

import re

import pytest

from audio.text.normalize import NORMALIZER_VERSION, normalize_spanish


@pytest.mark.parametrize(
    "odd",
    [
        None,
        42,
        "9" * 500,
        "1" * 30 + "," + "2" * 30,
        "Q" + "9" * 40,
        "99:99",
        "31/13/2025",
        "1.2.3.4.5",
        "+" * 50,
        "\x00\x01\x02",
        "\ue000\ue001\U000f0000",
        "a" * 10_000 + " 25",
        "Llame al " + "1572 o al " * 200 + "110",
        "😀" * 100,
    ],
)
def test_odd_input_never_raises_and_leaves_no_digits(odd):
    spoken = normalize_spanish(odd)
    assert isinstance(spoken, str)
    assert not re.search(r"[0-9]", spoken)


GUIDE_SENTENCES = [
    "Llame al 1572 o al 110.",
    "El Centro de Salud abre de 8:00 a 16:30.",
    "La PrEP previene el VIH.",
    "Viaje de 30-45 minutos en bus a Chimaltenango.",
    "Cuesta Q25.",
    "El 12/05/2025 hubo una reunión.",
    "Tome la PEP en las primeras 72 h después de la exposición.",
    "La prueba de VIH es gratuita y el resultado está en 20 min.",
    "Si tiene fiebre de más de 38 °C, vaya al centro de salud.",
    "La clínica de OTRANS atiende de lunes-viernes, de 9:00 a. m. a 5:00 p. m.",
    "El 30% de las compañeras no conoce sus derechos.",
    "El tratamiento cuesta Q 1,500.00 en una clínica privada; en el IGSS es gratis.",
    "Una caja de 12 condones cuesta $2.50 o Q19.50.",
    "Escriba al WhatsApp +502 5555-1234 o visite www.ejemplo.org.gt.",
    "Denuncie al MP (1572) o a la PDH; la PNC responde 24/7.",
    "Camine 1,5 km hasta la 6a. Avenida 10-20, zona 1.",
    "El Decreto 9-2009 protege a las víctimas de trata.",
    "Tome 1 pastilla al día, a la misma hora, durante 28 días.",
    "La 1ª consulta dura 1 h; la 2ª, 30 min.",
    "En 2024 se atendieron 1.500 personas LGBTIQ+ en 3 departamentos.",
    "Llegue entre 7:30 y 8:00 para la cita del 1 de junio.",
    "La ONG entrega kits de 5-10 condones y 1/2 litro de lubricante.",
    "Escriba a info@otrans.org o llame al 2230-1234, ext. 105.",
    "El riesgo baja un 99,9% con la PrEP diaria.",
    "Reunión el 03/07/25 a las 14:00 en la sede de ASI.",
    "Sí: usted tiene derecho a atención digna & confidencial.",
]


@pytest.mark.parametrize("sentence", GUIDE_SENTENCES)
def test_guide_sentences_reach_the_engine_without_digits(sentence):
    assert not re.search(r"[0-9]", normalize_spanish(sentence))


@pytest.mark.parametrize("sentence", GUIDE_SENTENCES)
def test_normalizing_twice_changes_nothing(sentence):
    once = normalize_spanish(sentence)
    assert normalize_spanish(once) == once


def test_normalizing_twice_with_a_lexicon_changes_nothing():
    lexicon = {"Xela": "Quetzaltenango", "OTRANS": "otráns"}
    for sentence in GUIDE_SENTENCES + ["Vivo en Xela."]:
        once = normalize_spanish(sentence, lexicon)
        assert normalize_spanish(once, lexicon) == once


@pytest.mark.parametrize(
    "spoken",
    [
        "Llame al uno, cinco, siete, dos o al uno, uno, cero.",
        "El centro abre de ocho a dieciséis y treinta.",
        "La prep previene el ve i hache.",
        "Cuesta veinticinco quetzales con cincuenta centavos.",
        "¿Tiene dudas? ¡Pregunte sin miedo!",
        "Estados Unidos, doctora López, etcétera.",
        "Tome una pastilla al día (con agua), siempre a la misma hora: es importante.",
        "«La salud es un derecho», dijo la doctora.",
    ],
)
def test_text_already_in_words_passes_through_unchanged(spoken):
    assert normalize_spanish(spoken) == spoken


def test_version_is_a_non_empty_string():
    assert isinstance(NORMALIZER_VERSION, str) and NORMALIZER_VERSION
