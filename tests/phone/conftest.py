"""Helpers for the phone line's tests: menu pages, and phone audio given without the worker."""

import pytest

from tests.audio.fixtures import publish_guide, section_value, spanish_home

PROMPTS_ES = {
    "greeting": "Bienvenida a la línea de prueba. No guardamos su número.",
    "choose_language": "Para español, marque 1.",
    "guide_list_help": "Para volver, marque 0. Para colgar, numeral.",
    "section_help": "Para seguir, marque 1. Para repetir, 2. Para volver, 3.",
    "end_of_guide": "La guía terminó.",
    "invalid": "Esa tecla no es una opción.",
    "goodbye": "Gracias por llamar.",
    "coming_soon": "El otro idioma está en preparación.",
}


def publish_menu(home=None, guides=(), **prompts):
    """Publish a phone menu page under ``home`` (the Spanish home), in place of any other (the
    demo's): ``guides`` are (page, sentence) pairs in digit order."""
    from audio.phone.models import PhoneMenuPage

    for demo_menu in PhoneMenuPage.objects.all():  # the demo's, in every locale: one line only
        demo_menu.delete()
    home = home or spanish_home()
    fields = PROMPTS_ES | prompts
    page = home.add_child(
        instance=PhoneMenuPage(
            title="Menú telefónico",
            slug="telefono",
            guides=[
                {"type": "guide", "value": {"guide": guide.pk, "sentence": sentence}}
                for guide, sentence in guides
            ],
            **fields,
        )
    )
    page.save_revision().publish()
    return page


def give_phone_audio(page, skip=(), variants=("phone", "phone-ulaw")):
    """Live phone audio rows for every speech section of ``page`` that lacks them (files not
    written)."""
    from audio.models import PhoneAudio
    from audio.text import speech_sections
    from cms import visibility

    version = visibility.content_version(page)
    have = set(
        PhoneAudio.objects.filter(page=page, state="live").values_list("section_id", "variant")
    )
    for position, section in enumerate(speech_sections(version.object)):
        if section.id in skip:
            continue
        for variant in variants:
            if (section.id, variant) in have:
                continue
            PhoneAudio.objects.create(
                page=page,
                section_id=section.id,
                position=position,
                variant=variant,
                audio=f"audio/phone/{page.pk}-{section.id}-{variant}.wav",
                duration=1.0,
                clip_key="0" * 64,
                sha256="0" * 64,
                size_bytes=100,
            )


@pytest.fixture
def phone_guide(db):
    return publish_guide(
        "guia-telefono",
        [
            section_value("Primera parte", "<p>Esto es lo primero. Y algo más.</p>"),
            section_value("Segunda parte", "<p>Esto es lo segundo.</p>"),
        ],
        title="Guía por teléfono",
    )


@pytest.fixture
def spanish_menu(phone_guide):
    return publish_menu(guides=[(phone_guide, "Para la guía por teléfono, marque 1.")])
