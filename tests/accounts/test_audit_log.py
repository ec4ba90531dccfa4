"""Who did what: every action that changes what listeners hear or get is in Wagtail's audit log with
its account."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import Locale, ModelLogEntry, PageLogEntry

from audio.models import PronunciationEntry
from cms.localization import translation_for
from cms.models import GuidePage
from tests.audio.fixtures import make_audio_file

pytestmark = pytest.mark.django_db


def logged(page, action, user):
    return PageLogEntry.objects.filter(page=page, action=action, user=user).exists()


def actions_of(user):
    return sorted(
        set(PageLogEntry.objects.filter(user=user).values_list("action", flat=True))
        | set(ModelLogEntry.objects.filter(user=user).values_list("action", flat=True))
    )


def test_publish_and_unpublish_are_logged_with_the_account(account_in):
    editor = account_in("Editores")
    guide = GuidePage.objects.get(slug="patzun", locale__language_code="es")
    response = editor.post(reverse("wagtailadmin_pages:unpublish", args=[guide.pk]))
    assert response.status_code == 302
    assert logged(guide, "wagtail.unpublish", editor.user)
    guide.refresh_from_db()
    guide.get_latest_revision().publish(user=None)  # as the scheduler would: no account
    edit = editor.get(reverse("wagtailadmin_pages:edit", args=[guide.pk]))
    assert edit.status_code == 200
    guide.save_revision(user=editor.user).publish(user=editor.user)
    assert logged(guide, "wagtail.publish", editor.user)


def test_translations_are_logged_with_the_account(account_in, groups):
    editor = account_in("Editores")
    spanish = GuidePage.objects.get(slug="patzun", locale__language_code="es")
    GuidePage.objects.filter(slug="patzun", locale__language_code="cak").delete()
    cak = Locale.objects.get(language_code="cak")
    response = editor.post(f"/admin/localize/submit/page/{spanish.pk}/", {"locales": [cak.pk]})
    assert response.status_code == 302
    created = GuidePage.objects.get(slug="patzun", locale=cak)
    assert logged(created, "wagtail.copy_for_translation", editor.user)

    translator = account_in("Traductores (cak)")
    translation = translation_for(spanish, "cak")
    po = translator.get(f"/admin/localize/translate/{translation.id}/pofile/download/").content
    upload = translator.post(
        f"/admin/localize/translate/{translation.id}/pofile/upload/",
        {"file": SimpleUploadedFile("cak.po", po, "text/x-gettext-translation")},
    )
    assert upload.status_code == 302
    assert logged(created, "altavoz.translation_upload", translator.user)


def test_lexicon_changes_are_logged_with_the_account(account_in):
    editor = account_in("Editores")
    url = reverse("wagtailsnippets_audio_pronunciationentry:add")
    response = editor.post(
        url,
        {
            "locale": Locale.objects.get(language_code="es").pk,
            "written": "PDH",
            "spoken": "pe de ache",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = PronunciationEntry.objects.get(written="PDH")
    assert ModelLogEntry.objects.filter(
        action="wagtail.create", object_id=str(entry.pk), user=editor.user
    ).exists()


def test_recording_uploads_are_logged_with_the_account(account_in):
    translator = account_in("Traductores (cak)")
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="cak")
    section_id = guide.sections[0].id
    url = reverse("altavoz_audio:recordings", args=[guide.pk])
    translator.post(
        url, {"section_id": section_id, "audio": SimpleUploadedFile("s.wav", make_audio_file(1.0))}
    )
    assert logged(guide, "altavoz.recording_upload", translator.user)
    translator.post(url, {"section_id": section_id, "action": "delete"})
    assert logged(guide, "altavoz.recording_delete", translator.user)
    entry = PageLogEntry.objects.get(page=guide, action="altavoz.recording_upload")
    assert entry.data == {"section_id": section_id}
    history = translator.get(
        reverse("wagtailadmin_pages:history", args=[guide.pk])
    ).content.decode()
    assert "Grabación de una sección subida" in history


def test_radio_package_downloads_are_logged_with_the_account(
    account_in, spanish_audio, django_capture_on_commit_callbacks
):
    from audio.radio.downloads import build_requested_package
    from audio.radio.models import RadioPackage

    station = account_in("Emisoras de radio")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            station.post(reverse("radio_admin:package", args=[spanish_audio.pk])).status_code == 302
        )
    assert build_requested_package(RadioPackage.objects.get(page=spanish_audio).pk) == "ready"
    response = station.get(reverse("radio_admin:download", args=[spanish_audio.pk]))
    assert response.status_code == 200
    assert logged(spanish_audio, "altavoz.radio_package_download", station.user)
    assert actions_of(station.user) == ["altavoz.radio_package_download"]
