"""Translators work in PO files: download, fill, upload, publish."""

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.localization import sync_translations, translation_for
from cms.models import GuidePage

pytestmark = pytest.mark.django_db


def fill_po_with_marked_text(po_text):
    """Stand-in for a translator: a recognisable 'translation' of every entry."""
    po = polib.pofile(po_text)
    for entry in po:
        if entry.msgctxt.endswith("slug"):
            entry.msgstr = entry.msgid
        else:
            entry.msgstr = f"[cak] {entry.msgid}"
    return po


def test_kaqchikel_po_round_trip_through_the_admin(
    admin_client, client, django_capture_on_commit_callbacks
):
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    translation = translation_for(guide, "cak")
    assert translation.get_progress()[1] < translation.get_progress()[0]

    download = admin_client.get(f"/admin/localize/translate/{translation.id}/pofile/download/")
    assert download.status_code == 200
    po = fill_po_with_marked_text(download.content.decode())
    assert len(po) > 20

    upload = admin_client.post(
        f"/admin/localize/translate/{translation.id}/pofile/upload/",
        {"file": SimpleUploadedFile("cak.po", str(po).encode(), "text/x-gettext-translation")},
    )
    assert upload.status_code == 302
    total, translated = translation.get_progress()
    assert translated == total

    # wagtail-localize publishes on commit; until then the row holds an unpublished draft.
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    html = client.get("/cak/mixco/").content.decode()
    assert '<article class="guide" lang="cak">' in html
    assert "La versión en este idioma se está preparando" not in html
    first_heading = guide.sections[0].value["heading"]
    assert f"[cak] {first_heading}" in html


def test_changed_source_section_falls_back_to_spanish_until_translated_again(
    client, django_capture_on_commit_callbacks
):
    guide = GuidePage.objects.get(slug="mixco", locale__language_code="es")
    translation = translation_for(guide, "cak")
    translation.import_po(fill_po_with_marked_text(str(translation.export_po())))
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    assert '<article class="guide" lang="cak">' in client.get("/cak/mixco/").content.decode()

    guide.summary = "Un resumen nuevo."
    guide.save_revision().publish()
    sync_translations(guide)

    html = client.get("/cak/mixco/").content.decode()
    assert '<article class="guide" lang="es">' in html
    assert "Un resumen nuevo." in html
    assert "La versión en este idioma se está preparando" in html


def test_english_po_download_is_complete_for_the_demo(admin_client):
    guide = GuidePage.objects.get(slug="patzun", locale__language_code="es")
    translation = translation_for(guide, "en")
    po = polib.pofile(
        admin_client.get(
            f"/admin/localize/translate/{translation.id}/pofile/download/"
        ).content.decode()
    )
    untranslated = [e.msgid for e in po if not e.obsolete and not e.msgstr]
    assert untranslated == []
