"""Plain numbers, ordinals, fractions, percentages and ranges (``normalize.numbers``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


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
