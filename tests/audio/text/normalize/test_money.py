"""Amounts of money (``normalize.money``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


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
