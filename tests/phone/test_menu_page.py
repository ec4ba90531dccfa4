"""The phone menu page: what editors write, what the pipeline reads, and that it is no web page."""

import pytest
from django.core.exceptions import ValidationError

from audio.phone.menu import Prompt
from audio.phone.models import GuideEntriesBlock, PhoneMenuPage
from audio.text import speech_sections
from cms.models import HomePage

from .conftest import publish_menu


def test_its_sections_of_speech_are_the_prompts_then_the_entries(spanish_menu):
    ids = [section.id for section in speech_sections(spanish_menu)]
    assert ids == [prompt.value for prompt in Prompt] + ["entry-1"]
    entry = speech_sections(spanish_menu)[-1]
    assert entry.text == "Para la guía por teléfono, marque 1."


def test_an_empty_prompt_has_nothing_to_voice(phone_guide):
    page = publish_menu(goodbye="")
    assert "goodbye" not in [section.id for section in speech_sections(page)]


def test_an_entry_sentence_must_name_the_digit_it_gets(phone_guide):
    block = GuideEntriesBlock()
    value = block.to_python(
        [
            {"type": "guide", "value": {"guide": phone_guide.pk, "sentence": "Mixco, marque 1"}},
            {"type": "guide", "value": {"guide": phone_guide.pk, "sentence": "Patzún, marque 3"}},
        ]
    )
    with pytest.raises(ValidationError) as raised:
        block.clean(value)
    assert "«2»" in str(raised.value.block_errors[1])
    assert 0 not in raised.value.block_errors


def test_at_most_eight_guides(phone_guide):
    block = GuideEntriesBlock()
    entries = [
        {"type": "guide", "value": {"guide": phone_guide.pk, "sentence": f"Guía {n}"}}
        for n in range(1, 10)
    ]
    with pytest.raises(ValidationError):
        block.clean(block.to_python(entries))


def test_it_lives_under_a_home_page_once(spanish_menu):
    assert PhoneMenuPage in HomePage.allowed_subpage_models()
    assert PhoneMenuPage.allowed_parent_page_models() == [HomePage]
    assert not PhoneMenuPage.can_create_at(spanish_menu.get_parent().specific)


def test_it_is_no_web_page(client, spanish_menu):
    assert client.get(spanish_menu.url).status_code == 404
    assert spanish_menu.get_sitemap_urls() == []


def test_publishing_it_queues_its_audio_and_the_job_makes_no_web_renditions(
    phone_guide, task_backend, django_capture_on_commit_callbacks
):
    from audio.jobs import run_job
    from audio.models import Rendition
    from tests.audio.fixtures import audio_tasks_for

    with django_capture_on_commit_callbacks(execute=True):
        page = publish_menu(guides=[(phone_guide, "Marque 1.")])
    assert audio_tasks_for(page)
    summary = run_job(page.pk)
    assert summary["sections"] == len(Prompt) + 1
    assert not Rendition.objects.filter(page=page).exists()


def menu_form(**overrides):
    from wagtail.test.utils.form_data import nested_form_data, streamfield

    from .conftest import PROMPTS_ES

    data = {
        "title": "Menú telefónico",
        "slug": "menu-telefono",
        **PROMPTS_ES,
        "guides": streamfield(
            [("guide", {"guide": overrides.pop("guide"), "sentence": overrides.pop("sentence")})]
        ),
        "action-publish": "publish",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_an_editor_writes_the_menu_in_the_admin(admin_client, phone_guide):
    for demo_menu in PhoneMenuPage.objects.all():
        demo_menu.delete()
    home = phone_guide.get_parent()
    url = f"/admin/pages/add/phone/phonemenupage/{home.pk}/"
    refused = admin_client.post(url, menu_form(guide=phone_guide.pk, sentence="Para Mixco."))
    assert refused.status_code == 200
    assert "la frase debe decir su tecla" in refused.content.decode()
    assert not PhoneMenuPage.objects.exists()

    published = admin_client.post(url, menu_form(guide=phone_guide.pk, sentence="Marque 1."))
    assert published.status_code == 302
    page = PhoneMenuPage.objects.get(slug="menu-telefono")
    assert page.live and page.entries() == [(phone_guide.pk, "Marque 1.")]
