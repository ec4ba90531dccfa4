"""Web and e-mail addresses (``normalize.urls``)."""

from audio.text.normalize import normalize_spanish

from .cases import cases


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
