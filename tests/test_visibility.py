"""What the public can reach: the findings of issue #11, each reproduced, through
``cms.visibility``.

The leak crawl (``tests/test_leak_crawl.py``) sweeps every surface for every
hidden state; these tests pin the individual routes that leaked.
"""

from datetime import timedelta

import polib
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from wagtail.models import Collection, PageViewRestriction

from audio.jobs import request_audio, run_job
from audio.models import Rendition
from cms import visibility
from cms.localization import submit_translation, translation_for
from cms.models import GuidePage
from tests.audio.fixtures import live

pytestmark = pytest.mark.django_db

DRAFT_WORD = "Borradorsecreto"


def files_of(renditions):
    return [
        name
        for r in renditions
        for name in (r.audio.name, r.captions.name, r.chapters.name)
        if name
    ]


def get_media(client, name):
    response = client.get(f"/media/{name}")
    if response.status_code == 200:
        b"".join(response.streaming_content)
    return response.status_code


@pytest.fixture
def english_guide(small_guide, django_capture_on_commit_callbacks):
    """small_guide translated into English in full and published."""
    with django_capture_on_commit_callbacks(execute=True):
        submit_translation(small_guide, "en")
    translation = translation_for(small_guide, "en")
    po = translation.export_po()
    for entry in po:
        entry.msgstr = entry.msgid if entry.msgctxt.endswith("slug") else f"EN {entry.msgid}"
    translation.import_po(po)
    with django_capture_on_commit_callbacks(execute=True):  # wagtail-localize publishes on commit
        translation.save_target(publish=True)
    return GuidePage.objects.get(
        translation_key=small_guide.translation_key, locale__language_code="en"
    )


def save_translation_draft(page, word):
    """A translator changes a string and saves without publishing: wagtail-localize writes the
    row."""
    source = GuidePage.objects.get(translation_key=page.translation_key, locale__language_code="es")
    translation = translation_for(source, page.locale.language_code)
    po = translation.export_po()
    for entry in po:
        if entry.msgctxt.endswith("summary") or entry.msgid == source.summary:
            entry.msgstr = f"{word} {entry.msgid}"
    translation.import_po(polib.pofile(str(po)))
    translation.save_target(publish=False)
    page.refresh_from_db()


def test_a_saved_unpublished_translation_is_not_shown_listed_or_voiced(client, english_guide):
    save_translation_draft(english_guide, DRAFT_WORD)
    assert DRAFT_WORD in english_guide.summary  # the row holds the draft: the finding
    assert english_guide.has_unpublished_changes

    page = client.get("/en/guia-corta/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "EN Una guía de prueba." in html
    assert DRAFT_WORD not in html
    assert DRAFT_WORD not in client.get("/en/").content.decode()

    request_audio(english_guide)
    run_job(english_guide.pk)
    renditions = list(live(english_guide).values())
    assert renditions
    for name in files_of(renditions):
        with default_storage.open(name) as stored:
            assert DRAFT_WORD.encode() not in stored.read()


def test_a_translation_draft_with_a_new_slug_keeps_the_public_url_until_published(
    client, small_guide, english_guide, django_capture_on_commit_callbacks
):
    translation = translation_for(small_guide, "en")
    po = translation.export_po()
    for entry in po:
        if entry.msgctxt.endswith("slug"):
            entry.msgstr = "draft-slug"
    translation.import_po(polib.pofile(str(po)))
    translation.save_target(publish=False)

    english_guide.refresh_from_db()
    assert english_guide.url == "/en/guia-corta/"  # the row keeps the live slug
    assert client.get("/en/guia-corta/").status_code == 200
    assert client.get("/en/draft-slug/").status_code == 404
    assert DRAFT_WORD not in client.get("/en/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    english_guide.refresh_from_db()
    assert english_guide.url == "/en/draft-slug/"
    assert client.get(english_guide.url).status_code == 200
    moved = client.get("/en/guia-corta/")  # Wagtail's automatic redirect from the old slug
    assert moved.status_code in (301, 302) and moved["Location"].endswith(english_guide.url)

    english_guide.unpublish()
    gone = client.get("/en/guia-corta/")  # the redirect does not name a hidden page's URL
    assert gone.status_code == 404 and "Location" not in gone


def test_a_translation_is_hidden_when_its_fallback_source_is_private(
    client, kaqchikel_guide, small_guide
):
    request_audio(small_guide)
    run_job(small_guide.pk)
    assert client.get("/cak/guia-corta/").status_code == 200  # falls back to the public Spanish

    PageViewRestriction.objects.create(
        page=small_guide, restriction_type="password", password="clave"
    )
    spanish = client.get("/es/guia-corta/")
    assert "Una guía de prueba." not in spanish.content.decode()  # Wagtail asks for the password
    kaqchikel = client.get("/cak/guia-corta/")
    assert kaqchikel.status_code == 404
    assert "Una guía de prueba." not in kaqchikel.content.decode()
    assert visibility.shown_version(kaqchikel_guide) is None
    assert "guia-corta" not in client.get("/cak/").content.decode()


@pytest.mark.parametrize("hide", ["unpublish", "password", "parent_login", "delete", "expire"])
def test_files_of_a_hidden_page_are_404_at_once(client, small_guide, hide):
    request_audio(small_guide)
    run_job(small_guide.pk)
    names = files_of(live(small_guide).values())
    assert len(names) >= 4
    assert all(get_media(client, name) == 200 for name in names)

    if hide == "unpublish":
        small_guide.unpublish()
    elif hide == "password":
        PageViewRestriction.objects.create(
            page=small_guide, restriction_type="password", password="clave"
        )
    elif hide == "parent_login":
        PageViewRestriction.objects.create(page=small_guide.get_parent(), restriction_type="login")
    elif hide == "delete":
        small_guide.delete()
    elif hide == "expire":
        GuidePage.objects.filter(pk=small_guide.pk).update(
            expire_at=timezone.now() - timedelta(minutes=1)
        )

    assert [get_media(client, name) for name in names] == [404] * len(names)
    if hide in ("unpublish", "password", "parent_login"):
        assert not Rendition.objects.filter(
            page_id=small_guide.pk, state="live"
        ).exists()  # withdrawn


def test_behind_nginx_the_check_comes_first_and_nginx_sends_the_file(client, small_guide, settings):
    settings.ALTAVOZ_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    request_audio(small_guide)
    run_job(small_guide.pk)
    name = live(small_guide)["listen"].audio.name
    response = client.get(f"/media/{name}")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{name}"
    assert response["Content-Type"] == "audio/mpeg"
    assert "private" in response["Cache-Control"]

    small_guide.unpublish()
    hidden = client.get(f"/media/{name}")
    assert hidden.status_code == 404 and "X-Accel-Redirect" not in hidden


def test_an_editor_still_hears_the_audio_of_a_page_they_may_edit(admin_client, small_guide):
    from django.test import Client

    request_audio(small_guide)
    run_job(small_guide.pk)
    name = live(small_guide)["listen"].audio.name
    small_guide.unpublish()
    assert get_media(Client(), name) == 404
    response = admin_client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_only_rendition_files_are_served_from_media(client, small_guide):
    request_audio(small_guide)
    run_job(small_guide.pk)
    rendition = live(small_guide)["listen"]
    cached = [*rendition.segment_keys]
    from audio.models import MasteredSegment, SectionClip

    clip = SectionClip.objects.filter(key__in=rendition.clip_keys).first()
    segment = MasteredSegment.objects.filter(key__in=cached).first()
    stray = default_storage.save("audio/renditions/stray.mp3", ContentFile(b"ID3 not a rendition"))
    for name in (clip.audio.name, segment.audio.name, stray):
        assert get_media(client, name) == 404


def test_a_document_in_a_private_collection_is_not_readable(client):
    from wagtail.documents.models import Document
    from wagtail.models import CollectionViewRestriction

    private = Collection.get_first_root_node().add_child(name="Interno")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type="password", password="clave"
    )
    document = Document.objects.create(
        title="Lista interna",
        collection=private,
        file=ContentFile(b"nombres y telefonos", name="interno.txt"),
    )
    assert get_media(client, document.file.name) == 404
    response = client.get(document.url)
    assert b"nombres y telefonos" not in b"".join(
        getattr(response, "streaming_content", [response.content])
    )


def test_an_expired_page_is_hidden_before_the_sweep_and_unpublished_by_it(client, small_guide):
    request_audio(small_guide)
    run_job(small_guide.pk)
    GuidePage.objects.filter(pk=small_guide.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get("/es/guia-corta/").status_code == 404
    assert "/es/guia-corta/" not in client.get("/es/").content.decode()

    from audio.management.commands.audio_worker import publish_scheduled

    publish_scheduled()
    small_guide.refresh_from_db()
    assert not small_guide.live and small_guide.expired
    assert not Rendition.objects.filter(page=small_guide, state="live").exists()


def test_a_page_scheduled_for_later_goes_live_on_the_sweep(client, small_guide):
    small_guide.unpublish()
    revision = small_guide.save_revision()
    small_guide.refresh_from_db()
    small_guide.go_live_at = timezone.now() + timedelta(hours=1)
    revision = small_guide.save_revision()
    revision.publish()  # with go_live_at in the future this only schedules it
    assert client.get("/es/guia-corta/").status_code == 404

    from audio.management.commands.audio_worker import publish_scheduled

    publish_scheduled()
    assert client.get("/es/guia-corta/").status_code == 404  # not yet
    from wagtail.models import Revision

    # An hour later (the revision keeps the time it was scheduled for).
    past = timezone.now() - timedelta(seconds=1)
    content = {**revision.content, "go_live_at": past.isoformat()}
    Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=past, content=content)
    publish_scheduled()
    assert client.get("/es/guia-corta/").status_code == 200


def test_the_audio_job_withdraws_and_does_not_voice_a_hidden_page(small_guide, synth_calls):
    request_audio(small_guide)
    run_job(small_guide.pk)
    assert live(small_guide)
    PageViewRestriction.objects.create(page=small_guide, restriction_type="groups")
    synth_calls.clear()
    request_audio(small_guide, force=True)
    summary = run_job(small_guide.pk)
    assert summary["not_public"] is True
    assert synth_calls == []
    assert not live(small_guide)


def test_a_radio_package_is_refused_for_a_private_guide(small_guide):
    from audio.radio.sources import PackageError, plan_source

    request_audio(small_guide)
    run_job(small_guide.pk)
    PageViewRestriction.objects.create(page=small_guide, restriction_type="login")
    with pytest.raises(PackageError, match="no es pública"):
        plan_source(GuidePage.objects.get(pk=small_guide.pk))


def test_removing_a_restriction_queues_the_audio_again(
    small_guide, task_backend, django_capture_on_commit_callbacks
):
    from tests.audio.fixtures import audio_tasks_for

    request_audio(small_guide)
    run_job(small_guide.pk)
    restriction = PageViewRestriction.objects.create(page=small_guide, restriction_type="login")
    task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert audio_tasks_for(small_guide)


def test_the_admin_still_shows_image_thumbnails_to_editors_but_not_to_visitors(admin_client):
    from io import BytesIO

    from django.test import Client
    from PIL import Image as PillowImage
    from wagtail.images.models import Image

    png = BytesIO()
    PillowImage.new("RGB", (4, 4), "white").save(png, "PNG")
    image = Image.objects.create(title="Mapa", file=ContentFile(png.getvalue(), name="mapa.png"))
    assert get_media(Client(), image.file.name) == 404
    assert get_media(admin_client, image.file.name) == 200


def test_moving_a_guide_under_a_private_parent_withdraws_its_audio(client, small_guide):
    from wagtail.models import Locale, Page

    from cms.models import HomePage

    request_audio(small_guide)
    run_job(small_guide.pk)
    names = files_of(live(small_guide).values())
    root = Page.get_first_root_node()
    private = root.add_child(
        instance=HomePage(
            title="Interno", slug="interno", locale=Locale.objects.get(language_code="es")
        )
    )
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    small_guide.move(private, pos="last-child")

    assert not live(small_guide)
    assert [get_media(client, name) for name in names] == [404] * len(names)


def guide_language(client, page):
    """The language the API says it shows for ``page``."""
    return client.get(f"/api/v2/guides/{page.pk}/").json()["language"]


def test_a_string_retranslated_after_publishing_keeps_the_page_in_its_language(
    client, english_guide
):
    """The live page still holds the earlier translation: front and API both say English."""
    save_translation_draft(english_guide, DRAFT_WORD)
    assert visibility.shown_version(english_guide).language == "en"
    assert guide_language(client, english_guide) == "en"


def test_strings_first_translated_after_publishing_wait_for_the_next_publish(
    client, small_guide, django_capture_on_commit_callbacks
):
    """Published half-translated, then completed unpublished: the live page still holds
    Spanish sentences, so front and API show the Spanish source until it is published."""
    with django_capture_on_commit_callbacks(execute=True):
        submit_translation(small_guide, "en")
    translation = translation_for(small_guide, "en")
    po = translation.export_po()
    for index, entry in enumerate(po):
        if index % 2 == 0 or entry.msgctxt.endswith("slug"):
            entry.msgstr = entry.msgid if entry.msgctxt.endswith("slug") else f"EN {entry.msgid}"
    translation.import_po(polib.pofile(str(po)))
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    english = GuidePage.objects.get(
        translation_key=small_guide.translation_key, locale__language_code="en"
    )
    assert visibility.shown_version(english).language == "es"  # incomplete: the source

    po = translation.export_po()
    for entry in po:
        if not entry.msgstr:
            entry.msgstr = f"EN {entry.msgid}"
    translation.import_po(polib.pofile(str(po)))
    translation.save_target(publish=False)  # all strings translated, not yet on the live page
    english.refresh_from_db()
    assert visibility.shown_version(english).language == "es"
    assert guide_language(client, english) == "es"

    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    english.refresh_from_db()
    assert visibility.shown_version(english).language == "en"
    assert guide_language(client, english) == "en"
