"""Kaqchikel prompts are recorded in the recording studio, as a guide's sections are, and the
worker makes their phone files from the recordings."""

import pytest
from django.urls import reverse

from audio.models import PhoneAudio
from audio.phone import lines, menu
from audio.phone.models import PhoneMenuPage
from tests.audio.test_recording_studio import account, keep, webm_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def kaqchikel_menu():
    return PhoneMenuPage.objects.get(locale__language_code="cak")  # the demo's, left to record


def test_a_translator_records_a_prompt_and_the_line_gets_it(kaqchikel_menu, settings):
    from audio.jobs import run_job

    settings.ALTAVOZ_PHONE_LANGUAGES = ["es", "cak"]
    translator = account("Traductores (cak)")
    studio = translator.get(reverse("altavoz_audio:studio", args=[kaqchikel_menu.pk]))
    assert studio.status_code == 200
    html = studio.content.decode()
    for prompt in ("greeting", "section-help", "entry-1"):
        assert reverse("altavoz_audio:studio_section", args=[kaqchikel_menu.pk, prompt]) in html
    section = translator.get(
        reverse("altavoz_audio:studio_section", args=[kaqchikel_menu.pk, "greeting"])
    )
    assert "Esta llamada no guarda su número" in section.content.decode()  # the text to read

    assert keep(translator, kaqchikel_menu, "greeting", webm_take()).json()["ok"]
    run_job(kaqchikel_menu.pk)
    files = PhoneAudio.objects.filter(page=kaqchikel_menu, state="live")
    assert set(files.values_list("section_id", "variant")) == {
        ("greeting", "phone"),
        ("greeting", "phone-ulaw"),
    }
    kaqchikel = lines.current_line().language("cak")
    assert kaqchikel.prompts == {menu.Prompt.GREETING: menu.Sound(kaqchikel_menu.pk, "greeting")}
    assert not kaqchikel.ready  # the other prompts and the guides are still to record


def test_the_studio_is_in_the_page_listings_menu_of_the_kaqchikel_menu(kaqchikel_menu):
    """A translation opens in wagtail-localize's editor: the studio is in the listing's menu."""
    translator = account("Traductores (cak)")
    listing = translator.get(reverse("wagtailadmin_explore", args=[kaqchikel_menu.get_parent().pk]))
    assert reverse("altavoz_audio:studio", args=[kaqchikel_menu.pk]) in listing.content.decode()
