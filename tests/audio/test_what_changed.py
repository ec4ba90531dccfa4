"""Each time a guide's public text or audio changes, its version says which sections changed."""

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Locale, PageLogEntry

from audio.changes import LOG_ACTION, latest_version, version_summary
from audio.jobs import request_audio, run_job
from audio.models import PronunciationEntry, PublishedVersion
from audio.text import speech_sections

from .fixtures import edit_section, make_audio_file

pytestmark = pytest.mark.django_db

CONDOMS = "11111111-1111-4111-8111-111111111111"
PREP = "33333333-3333-4333-8333-333333333333"


def changes_of(version):
    return {(c["id"], c["change"], c["text"], c["audio"]) for c in version.changes}


def test_the_first_public_version_is_number_one_and_every_section_is_new(small_guide):
    run_job(small_guide.pk)
    small_guide.refresh_from_db()
    version = latest_version(small_guide.pk)
    assert version.number == 1
    assert version.revision_id == small_guide.live_revision_id
    assert version.previous_revision_id is None
    assert changes_of(version) == {
        ("intro", "added", True, True),
        (CONDOMS, "added", True, True),
        (PREP, "added", True, True),
    }
    # The audio of each section is the clip its live rendition plays.
    assert [s["id"] for s in version.sections] == [s.id for s in speech_sections(small_guide)]
    assert all(s["audio"] for s in version.sections)


def test_running_the_job_again_with_nothing_changed_records_no_version(small_guide):
    run_job(small_guide.pk)
    small_guide.save_revision().publish()  # same text
    run_job(small_guide.pk)
    assert PublishedVersion.objects.filter(page=small_guide).count() == 1


def test_a_one_section_edit_changes_that_section_text_and_audio(small_guide):
    run_job(small_guide.pk)
    small_guide.refresh_from_db()
    first_revision = small_guide.live_revision_id
    edit_section(small_guide, 0, "<p>En la clínica del barrio. Pregunte con confianza.</p>")
    run_job(small_guide.pk)
    version = latest_version(small_guide.pk)
    assert version.number == 2
    assert version.previous_revision_id == first_revision
    assert version.revision_id != first_revision
    assert changes_of(version) == {(CONDOMS, "changed", True, True)}
    assert (
        version_summary(version.number, version.changes, "es")
        == "Versión 2. Cambió: ¿Dónde hay condones?"
    )


def test_a_lexicon_entry_changes_only_the_audio_of_the_sections_using_it(small_guide):
    run_job(small_guide.pk)
    PronunciationEntry.objects.create(
        locale=Locale.objects.get(language_code="es"), written="condones", spoken="preservativos"
    )
    run_job(small_guide.pk)  # the entry queued the page again
    version = latest_version(small_guide.pk)
    assert version.number == 2
    assert changes_of(version) == {(CONDOMS, "changed", False, True)}
    assert (
        version_summary(version.number, version.changes, "es")
        == "Versión 2. Nuevo audio: ¿Dónde hay condones?"
    )


def test_a_removed_section_is_listed_with_the_heading_it_had(small_guide):
    run_job(small_guide.pk)
    raw = small_guide.sections.get_prep_value()
    small_guide.sections = [block for block in raw if block["id"] != PREP]
    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    version = latest_version(small_guide.pk)
    assert changes_of(version) == {(PREP, "removed", True, True)}
    assert [c["heading"] for c in version.changes] == ["¿Y la PrEP?"]
    assert (
        version_summary(version.number, version.changes, "es")
        == "Versión 2. Sección quitada: ¿Y la PrEP?"
    )


def test_a_new_section_is_listed_as_new(small_guide):
    run_job(small_guide.pk)
    raw = small_guide.sections.get_prep_value()
    raw.append(
        {
            "type": "section",
            "id": "44444444-4444-4444-8444-444444444444",
            "value": {
                "heading": "Servicios de salud",
                "body": "<p>La clínica atiende los martes.</p>",
                "key_point": "",
                "pictogram": "",
            },
        }
    )
    small_guide.sections = raw
    small_guide.save_revision().publish()
    run_job(small_guide.pk)
    version = latest_version(small_guide.pk)
    assert (
        version_summary(version.number, version.changes, "es")
        == "Versión 2. Nueva sección: Servicios de salud"
    )
    assert (
        version_summary(version.number, version.changes, "en")
        == "Version 2. New section: Servicios de salud"
    )


def test_the_page_history_shows_the_changed_sections(small_guide, admin_client):
    run_job(small_guide.pk)
    edit_section(small_guide, 2, "<p>Previene el VIH. Es gratis.</p>")
    run_job(small_guide.pk)
    entries = PageLogEntry.objects.filter(page=small_guide, action=LOG_ACTION).order_by("pk")
    assert [entry.data["number"] for entry in entries] == [1, 2]
    response = admin_client.get(f"/admin/pages/{small_guide.pk}/history/")
    assert response.status_code == 200
    assert "Versión 2. Cambió: ¿Y la PrEP?" in response.content.decode()


def test_a_translation_has_versions_of_its_own(kaqchikel_guide, small_guide):
    """Kaqchikel falls back to the Spanish text; a new recording is an audio-only change."""
    from audio.models import SectionRecording
    from audio.recordings import source_text_hashes

    run_job(small_guide.pk)
    run_job(kaqchikel_guide.pk)
    first = latest_version(kaqchikel_guide.pk)
    assert (first.number, first.language) == (1, "es")  # the Spanish text, as the public sees it
    assert all(c["audio"] for c in first.changes)  # the Spanish audio, as the API offers it
    assert latest_version(small_guide.pk).number == 1

    recording = SectionRecording(
        page=kaqchikel_guide,
        section_id=CONDOMS,
        duration=2.0,
        source_text_hash=source_text_hashes(kaqchikel_guide)[CONDOMS],
    )
    recording.audio.save("rec.wav", ContentFile(make_audio_file(2.0)), save=False)
    recording.save()
    request_audio(kaqchikel_guide)  # as the recordings page does after an upload
    run_job(kaqchikel_guide.pk)
    second = latest_version(kaqchikel_guide.pk)
    assert second.number == 2
    # Its own audio now: the recorded section, and no Kaqchikel audio for the others.
    assert changes_of(second) == {
        ("intro", "changed", False, True),
        (CONDOMS, "changed", False, True),
        (PREP, "changed", False, True),
    }
    assert [s["audio"] is not None for s in second.sections] == [False, True, False]
    assert latest_version(small_guide.pk).number == 1  # the Spanish guide did not change


def test_a_translation_showing_its_source_changes_with_it(kaqchikel_guide, small_guide):
    run_job(small_guide.pk)
    run_job(kaqchikel_guide.pk)
    edit_section(small_guide, 2, "<p>Previene el VIH. Es gratis.</p>")
    run_job(small_guide.pk)  # nothing queues the Kaqchikel page's own job
    version = latest_version(kaqchikel_guide.pk)
    assert version.number == 2
    assert changes_of(version) == {(PREP, "changed", True, True)}


def test_a_page_the_public_cannot_see_gets_no_version(small_guide):
    from wagtail.models import PageViewRestriction

    run_job(small_guide.pk)
    PageViewRestriction.objects.create(page=small_guide, restriction_type="password", password="x")
    edit_section(small_guide, 0, "<p>Secreto privado.</p>")
    run_job(small_guide.pk)
    assert PublishedVersion.objects.filter(page=small_guide).count() == 1
    small_guide.unpublish()
    run_job(small_guide.pk)
    assert PublishedVersion.objects.filter(page=small_guide).count() == 1


def test_the_audio_report_shows_each_guide_version_and_what_it_changed(small_guide, admin_client):
    from django.urls import reverse

    run_job(small_guide.pk)
    edit_section(small_guide, 2, "<p>Previene el VIH. Es gratis.</p>")
    run_job(small_guide.pk)
    html = admin_client.get(reverse("altavoz_audio:report")).content.decode()
    assert "<td data-version>Versión 2. Cambió: ¿Y la PrEP?</td>" in html


def test_a_version_number_taken_meanwhile_by_another_worker_fails_no_job(small_guide, monkeypatch):
    """A translation's own job and its source's job may record its version at the same moment."""
    import audio.changes

    run_job(small_guide.pk)
    edit_section(small_guide, 0, "<p>Texto nuevo. Otra frase.</p>")
    # This worker read the versions before the other one recorded number 1 (still there).
    monkeypatch.setattr(audio.changes, "latest_version", lambda page_id: None)
    summary = run_job(small_guide.pk)
    assert "error" not in summary and summary["published"]
    assert PublishedVersion.objects.filter(page=small_guide).count() == 1
    monkeypatch.undo()
    small_guide.save_revision().publish()  # the next run compares again
    run_job(small_guide.pk)
    assert latest_version(small_guide.pk).number == 2
