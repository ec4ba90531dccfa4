import pytest


@pytest.fixture
def small_guide(db):
    """A short published Spanish guide: three sections, one of them empty."""
    from cms.models import GuidePage, HomePage

    home = HomePage.objects.get(locale__language_code="es")
    guide = home.add_child(
        instance=GuidePage(
            title="Guía corta",
            slug="guia-corta",
            place_name="Mixco",
            department="Guatemala",
            summary="Una guía de prueba.",
            last_reviewed="2026-11-01",
            discreet_title="Notas",
            sections=[
                {"type": "section", "id": "11111111-1111-4111-8111-111111111111",
                 "value": {"heading": "¿Dónde hay condones?", "body": "<p>En el centro de salud. Pregunte con confianza.</p>",
                           "key_point": "", "pictogram": "health"}},
                {"type": "section", "id": "22222222-2222-4222-8222-222222222222",
                 "value": {"heading": "Vacía", "body": "<p></p>", "key_point": "", "pictogram": ""}},
                {"type": "section", "id": "33333333-3333-4333-8333-333333333333",
                 "value": {"heading": "¿Y la PrEP?", "body": "<ul><li>Previene el VIH</li><li>Cuesta Q25</li></ul>",
                           "key_point": "", "pictogram": "health"}},
            ],
        )
    )
    guide.save_revision().publish()
    return guide


@pytest.fixture
def synth_calls(monkeypatch):
    """Counts real espeak synthesis calls (the engine still runs)."""
    from audio.engines.espeak import EspeakEngine

    calls = []
    original = EspeakEngine.synthesize

    def counting(self, text):
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(EspeakEngine, "synthesize", counting)
    return calls
