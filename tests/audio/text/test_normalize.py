"""What a Spanish TTS engine is given to read, for the text editors write.

Pure functions: these tests need neither Django nor a database. Each table
row is (written, expected spoken text); the ids say which rule is exercised.
"""

import re

import pytest

from audio.text.lexicon import apply_lexicon, lexicon_matches
from audio.text.normalize import ACRONYMS, NORMALIZER_VERSION, normalize_spanish, spell_integer


def cases(*rows):
    """Parametrize rows (written, expected), using the written text as the id."""
    return pytest.mark.parametrize(
        ("written", "expected"), rows, ids=[row[0] or "<empty>" for row in rows]
    )


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------


@cases(
    ("25", "veinticinco"),
    ("0", "cero"),
    ("100", "cien"),
    ("101", "ciento uno"),
    ("1500", "mil quinientos"),
    ("1.500", "mil quinientos"),
    ("1,500", "mil quinientos"),
    ("1,000,000", "un millón"),
    ("1.500.000", "un millón quinientos mil"),
    ("21000", "veintiún mil"),  # num2words says "veintiuno mil"
    ("31 000", "treinta y uno cero cero cero"),  # a space does not group thousands
    ("2,5", "dos coma cinco"),
    ("2.5", "dos punto cinco"),
    ("0,75", "cero coma setenta y cinco"),
    ("2,05", "dos coma cero cinco"),
    ("3,14159", "tres coma uno cuatro uno cinco nueve"),
    ("1,500.50", "mil quinientos punto cincuenta"),
    ("1.2.3", "uno punto dos punto tres"),
    ("05", "cero cinco"),
    ("007", "cero cero siete"),
    ("-5", "menos cinco"),
    ("2025", "dos mil veinticinco"),
    ("1999", "mil novecientos noventa y nueve"),
    ("en 2025", "en dos mil veinticinco"),
    (
        "123456789",
        "ciento veintitrés millones cuatrocientos cincuenta y seis mil setecientos ochenta y nueve",
    ),
    (
        "12345678901234567890",
        "uno dos tres cuatro cinco seis siete ocho nueve cero "
        "uno dos tres cuatro cinco seis siete ocho nueve cero",
    ),
    ("Paso 3.", "Paso tres."),
    ("radio95", "radio noventa y cinco"),
)
def test_cardinals(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    ("1 persona", "una persona"),
    ("1 hora", "una hora"),
    ("1 semana", "una semana"),
    ("1 vez", "una vez"),
    ("21 mujeres", "veintiuna mujeres"),
    ("200 personas", "doscientas personas"),
    ("500 pruebas", "quinientas pruebas"),
    ("1 infección", "una infección"),
    ("1 día", "un día"),
    ("21 días", "veintiún días"),
    ("31 años", "treinta y un años"),
    ("1 condón", "un condón"),
    ("1 problema", "un problema"),
    ("1 especialista", "un especialista"),
    ("1 de cada 3", "uno de cada tres"),
    ("de 1 a 3", "de uno a tres"),
    ("1 millón de personas", "un millón de personas"),
    ("1,000,000 personas", "un millón de personas"),
    ("200 millones de personas", "doscientos millones de personas"),
    ("zona 1", "zona uno"),
)
def test_numbers_agree_with_the_noun_they_count(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    ("1º", "primero"),
    ("1.º", "primero"),
    ("2ª", "segunda"),
    ("2.ª vez", "segunda vez"),
    ("1er piso", "primer piso"),
    ("3er lugar", "tercer lugar"),
    ("1º de mayo", "primero de mayo"),
    ("1° de mayo", "primero de mayo"),
    ("1ra vez", "primera vez"),
    ("1era vez", "primera vez"),
    ("2do piso", "segundo piso"),
    ("4to", "cuarto"),
    ("5ta semana", "quinta semana"),
    ("10mo", "décimo"),
    ("11º", "undécimo"),
    ("13ª", "decimotercera"),
    ("21º", "vigésimo primero"),
    ("6a. Avenida", "sexta Avenida"),
    ("25no", "veinticinco no"),  # not an ordinal ending: read as written
    ("39°", "treinta y nueve grados"),
)
def test_ordinals(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    ("1/2 hora", "media hora"),
    ("1/2 litro", "medio litro"),
    ("1/2", "un medio"),
    ("3/4", "tres cuartos"),
    ("1/3 de las mujeres", "un tercio de las mujeres"),
    ("15/20", "quince sobre veinte"),
    ("el 12/05", "el doce de mayo"),
)
def test_fractions(written, expected):
    assert normalize_spanish(written) == expected


# --------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Money, percentages, ranges, units
# --------------------------------------------------------------------------


@cases(
    ("Q25", "veinticinco quetzales"),
    ("Cuesta Q25.", "Cuesta veinticinco quetzales."),
    ("Q 1,500.00", "mil quinientos quetzales"),
    ("Q1,500", "mil quinientos quetzales"),
    ("Q.25.00", "veinticinco quetzales"),
    ("Q25.50", "veinticinco quetzales con cincuenta centavos"),
    ("Q2.5", "dos quetzales con cincuenta centavos"),
    ("Q1", "un quetzal"),
    ("Q21", "veintiún quetzales"),
    ("Q0.50", "cincuenta centavos"),
    ("Q1.01", "un quetzal con un centavo"),
    ("Q1,000,000", "un millón de quetzales"),
    ("Q2 millones", "dos millones de quetzales"),
    ("Q1 millón", "un millón de quetzales"),
    ("Q1.5 millones", "uno punto cinco millones de quetzales"),
    ("Q5 mil", "cinco mil quetzales"),
    ("Q25-50", "de veinticinco a cincuenta quetzales"),
    ("de Q25-Q50", "de veinticinco a cincuenta quetzales"),
    ("entre Q25 y Q50", "entre veinticinco quetzales y cincuenta quetzales"),
    ("$100", "cien dólares"),
    ("US$100", "cien dólares"),
    ("US$ 1", "un dólar"),
    ("$2.50", "dos dólares con cincuenta centavos"),
    ("100 USD", "cien dólares"),
    ("€20", "veinte euros"),
)
def test_money(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    ("30%", "treinta por ciento"),
    ("30 %", "treinta por ciento"),
    ("1%", "uno por ciento"),
    ("100%", "cien por ciento"),
    ("2,5%", "dos coma cinco por ciento"),
    ("30-45%", "de treinta a cuarenta y cinco por ciento"),
)
def test_percentages(written, expected):
    assert normalize_spanish(written) == expected


@cases(
    ("30-45 minutos", "de treinta a cuarenta y cinco minutos"),
    (
        "Viaje de 30-45 minutos en bus a Chimaltenango.",
        "Viaje de treinta a cuarenta y cinco minutos en bus a Chimaltenango.",
    ),
    ("30 - 45 minutos", "de treinta a cuarenta y cinco minutos"),
    ("30–45 min", "de treinta a cuarenta y cinco minutos"),
    ("entre 2-3 días", "entre dos y tres días"),
    ("1-2 horas", "de una a dos horas"),
    ("1-2 h", "de una a dos horas"),
    ("2020-2025", "de dos mil veinte a dos mil veinticinco"),
    ("lunes-viernes", "de lunes a viernes"),
    ("de lunes-viernes", "de lunes a viernes"),
    # Not ranges: a law number and a Guatemalan street address.
    ("Decreto 9-2009", "Decreto nueve guion dos mil nueve"),
    ("6a. Avenida 10-20, zona 1", "sexta Avenida diez guion veinte, zona uno"),
    ("Av. 3-45", "avenida tres guion cuarenta y cinco"),
    ("marcador 3-1", "marcador tres guion uno"),
)
def test_ranges(written, expected):
    assert normalize_spanish(written) == expected


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


# --------------------------------------------------------------------------
# Phone and service numbers
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Acronyms, symbols, URLs
# --------------------------------------------------------------------------


@cases(
    ("La PrEP previene el VIH.", "La prep previene el ve i hache."),
    ("personas VIH+", "personas ve i hache positivo"),
    ("VIH/SIDA", "ve i hache sida"),
    ("prevención de ITS/VIH", "prevención de i te ese y ve i hache"),
    ("ITS", "i te ese"),
    ("ONG", "o ene ge"),
    ("ONGs y ONG", "o ene ges y o ene ge"),
    ("el MP y la PDH", "el eme pe y la pe de hache"),
    ("la SVET", "la ese vet"),
    ("el INTECAP", "el intecap"),
    ("OMM, ASI, OTRANS y PASMO", "o eme eme, a ese i, otrans y pasmo"),
    ("UNFPA", "u ene efe pe a"),
    ("OPS/PAHO", "o pe ese"),
    ("UNAMG y FUNDAP", "u ene a eme ge y fundap"),
    ("LGBTQ+", "ele ge be te cu más"),
    ("LGBTIQ+", "ele ge be te i cu más"),
    ("SIDA", "sida"),
    ("EE. UU.", "Estados Unidos."),
    ("EE.UU. y EEUU", "Estados Unidos y Estados Unidos"),
    ("Viajó a EE. UU. Luego volvió.", "Viajó a Estados Unidos. Luego volvió."),
    ("Dr. Pérez", "doctor Pérez"),
    ("ext. 105", "extensión ciento cinco"),
    ("la Dra. López", "la doctora López"),
    ("condones, lubricante, etc.", "condones, lubricante, etcétera."),
    ("p. ej. el VIH", "por ejemplo el ve i hache"),
    ("COVID-19 y Covid-19", "covid diecinueve y covid diecinueve"),
    ("CD4", "ce de cuatro"),
    ("TV y SMS", "te ve y ese eme ese"),  # unknown, no vowel: spelled
    ("siglo XX", "siglo XX"),  # Roman numerals are left to the engine
    ("its", "its"),  # acronyms match only as written
    ("Vih", "Vih"),
)
def test_acronyms_and_abbreviations(written, expected):
    assert normalize_spanish(written) == expected


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


@cases(
    ("www.ejemplo.org", "ejemplo punto org"),
    ("Visite www.ejemplo.org.", "Visite ejemplo punto org."),
    ("https://www.mspas.gob.gt/servicios/vih?id=3.", "mspas punto gob punto ge te."),
    ("http://ejemplo.org/a/b", "ejemplo punto org"),
    ("Visite ejemplo.org.", "Visite ejemplo punto org."),
    ("mi-sitio.com", "mi guion sitio punto com"),
    ("info@ejemplo.org", "info arroba ejemplo punto org"),
    (
        "juan_perez-2@correo.com.gt",
        "juan guion bajo perez guion dos arroba correo punto com punto ge te",
    ),
    ("salud.Es importante", "salud.Es importante"),  # a missing space, not a domain
)
def test_urls_and_emails(written, expected):
    assert normalize_spanish(written) == expected


# --------------------------------------------------------------------------
# Cleaning and robustness
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------


def test_lexicon_overrides_the_built_in_rules():
    lexicon = {
        "VIH": "virus de inmunodeficiencia humana",
        "Decreto 9-2009": "decreto nueve dos mil nueve",
    }
    assert normalize_spanish("El VIH y el Decreto 9-2009.", lexicon) == (
        "El virus de inmunodeficiencia humana y el decreto nueve dos mil nueve."
    )


def test_lexicon_output_is_left_alone_by_the_built_in_rules():
    # The spoken form contains things the rules would read ("ONG", "+").
    assert normalize_spanish("Visite Xela.", {"Xela": "Xela ONG+"}) == "Visite Xela ONG+."


def test_lexicon_is_case_insensitive_for_ordinary_words():
    lexicon = {"Xela": "Quetzaltenango"}
    assert (
        apply_lexicon("Xela, xela y XELA", lexicon)
        == "Quetzaltenango, Quetzaltenango y Quetzaltenango"
    )


def test_lexicon_acronyms_match_only_as_written():
    lexicon = {"PrEP": "profilaxis", "ASI": "a ese i"}
    assert (
        apply_lexicon("PrEP, prep, Prep; ASI, así, asi", lexicon)
        == "profilaxis, prep, Prep; a ese i, así, asi"
    )


def test_lexicon_matches_whole_words_only():
    assert apply_lexicon("Xela y Xelajú", {"Xela": "Quetzaltenango"}) == "Quetzaltenango y Xelajú"
    assert apply_lexicon("MPS y MP.", {"MP": "eme pe"}) == "MPS y eme pe."


def test_lexicon_prefers_the_longest_match():
    lexicon = {"VIH": "ve i hache", "VIH avanzado": "sida", "prueba de VIH": "prueba"}
    assert apply_lexicon("VIH avanzado y VIH", lexicon) == "sida y ve i hache"
    assert apply_lexicon("la prueba de VIH avanzado", lexicon) == "la prueba avanzado"


def test_lexicon_phrases_match_across_any_whitespace():
    assert apply_lexicon("Casa  de\u00a0la Mujer", {"Casa de la Mujer": "la casa"}) == "la casa"


def test_lexicon_entries_with_symbols():
    lexicon = {"LGBTIQ+": "comunidad diversa", "Dra.": "doctora"}
    assert (
        normalize_spanish("La Dra. Pérez y la LGBTIQ+.", lexicon)
        == "La doctora Pérez y la comunidad diversa."
    )


def test_empty_or_odd_lexicon():
    assert apply_lexicon("VIH", {}) == "VIH"
    assert normalize_spanish("VIH", {}) == "ve i hache"
    assert normalize_spanish("VIH", {"": "nada", "  ": "nada", "X": None}) == "ve i hache"


def test_lexicon_matches_reports_every_entry_that_occurs():
    lexicon = {"VIH": "a", "VIH avanzado": "b", "Xela": "c", "PrEP": "d", "ONG": "e"}
    text = "El VIH avanzado en XELA; la prep."
    # Generous on purpose: "VIH" counts even inside "VIH avanzado".
    assert lexicon_matches(text, lexicon) == {"VIH", "VIH avanzado", "Xela"}
    assert lexicon_matches("", lexicon) == set()
    assert lexicon_matches(text, {}) == set()


def test_lexicon_matches_agrees_with_apply_lexicon():
    lexicon = {"Xela": "Quetzaltenango", "PrEP": "prep", "Casa de la Mujer": "la casa"}
    for text in ["Xela", "xela", "PREP", "Casa de la  Mujer", "Xelajú"]:
        assert bool(lexicon_matches(text, lexicon)) == (apply_lexicon(text, lexicon) != text)


# --------------------------------------------------------------------------
# Whole-guide properties
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Module contract
# --------------------------------------------------------------------------


def test_version_is_a_non_empty_string():
    assert isinstance(NORMALIZER_VERSION, str) and NORMALIZER_VERSION


def test_acronym_table_has_no_digits_or_capitals_in_spoken_forms():
    # Spoken forms must themselves be final, or normalizing twice would differ.
    for written, spoken in ACRONYMS.items():
        assert not re.search(r"[0-9]", spoken), written
        assert normalize_spanish(spoken) == spoken, written


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
