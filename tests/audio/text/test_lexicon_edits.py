"""Editing the pronunciation lexicon re-queues exactly the guides whose audio it changes.

A guide that says the old written form must be re-read (the entry no longer
applies to it), as must a guide that says the new one.
"""

import pytest
from django.urls import reverse
from wagtail.models import Locale

from audio.models import AudioJob, PronunciationEntry
from tests.audio.fixtures import publish_guide, section_value

pytestmark = pytest.mark.django_db


def guide_saying(slug, sentence):
    return publish_guide(
        slug,
        [
            {
                "type": "section",
                "id": f"{slug}-1",
                "value": section_value("Sección", f"<p>{sentence}</p>"),
            }
        ],
    )


@pytest.fixture
def guides():
    """Three guides, their audio jobs all done: one says "PrEP", one "PEP", one neither."""
    made = {
        "prep": guide_saying("dice-prep", "Pregunte por la PrEP en la clínica."),
        "pep": guide_saying("dice-pep", "La PEP se toma después de un riesgo."),
        "neither": guide_saying("no-dice", "Lleve su documento de identidad."),
    }
    AudioJob.objects.update(state=AudioJob.State.READY)
    return made


def queued(guides):
    states = dict(AudioJob.objects.values_list("page_id", "state"))
    return {name for name, page in guides.items() if states.get(page.pk) == AudioJob.State.QUEUED}


@pytest.fixture
def entry(guides):
    created = PronunciationEntry.objects.create(
        locale=Locale.objects.get(language_code="es"), written="PrEP", spoken="prep"
    )
    assert queued(guides) == {"prep"}
    AudioJob.objects.update(state=AudioJob.State.READY)
    return PronunciationEntry.objects.get(pk=created.pk)  # as the admin loads it


def test_changing_the_written_form_requeues_guides_with_the_old_and_the_new_form(guides, entry):
    entry.written = "PEP"
    entry.save()
    assert queued(guides) == {"prep", "pep"}


def test_changing_only_the_spoken_form_requeues_the_guides_using_it(guides, entry):
    entry.spoken = "profilaxis previa"
    entry.save()
    assert queued(guides) == {"prep"}


def test_deleting_an_entry_requeues_the_guides_that_used_it(guides, entry):
    entry.delete()
    assert queued(guides) == {"prep"}


def test_editing_the_snippet_in_the_admin_requeues_both(admin_client, guides, entry):
    response = admin_client.post(
        reverse("wagtailsnippets_audio_pronunciationentry:edit", args=[entry.pk]),
        {"locale": entry.locale_id, "written": "PEP", "spoken": "pep", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PronunciationEntry.objects.get(pk=entry.pk).written == "PEP"
    assert queued(guides) == {"prep", "pep"}
