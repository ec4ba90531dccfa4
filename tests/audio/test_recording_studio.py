"""The recording studio (issue #14, part 5): a translator records each section of her locale's
guide with the microphone, listens back and keeps the take; a take goes through the checks of an
uploaded recording and clears the section's stale flag. The browser side is in
tests/front/test_recording_studio.py."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry

from audio.mastering import encode_samples
from audio.models import AudioJob, SectionRecording
from audio.recordings import recording_progress, recording_statuses
from cms.accounts.groups import setup_groups
from cms.localization import sync_translations
from cms.models import GuidePage
from tests.signing_in import sign_in

from .fixtures import make_audio_file

pytestmark = pytest.mark.django_db
FIRST = "11111111-1111-4111-8111-111111111111"
THIRD = "33333333-3333-4333-8333-333333333333"
JSON = {"HTTP_ACCEPT": "application/json"}


def webm_take(seconds=1.5):
    """What Chromium's MediaRecorder sends: Opus in WebM."""
    return make_audio_file(seconds, container="webm", codec="libopus", rate=48000)


def keep(client, page, section_id, content, content_type="audio/webm;codecs=opus", name="toma"):
    return client.post(
        reverse("altavoz_audio:studio_keep", args=[page.pk, section_id]),
        {"audio": SimpleUploadedFile(name, content, content_type=content_type)},
        **JSON,
    )


def account(group_name):
    setup_groups()
    user = get_user_model().objects.create_user(group_name.split()[0].lower() + "-studio")
    user.groups.add(Group.objects.get(name=group_name))
    client = sign_in(Client(), user)
    client.user = user
    return client


def refused(response):
    # Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard.
    return response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


def demo_guide(language):
    return GuidePage.objects.get(slug="mixco", locale__language_code=language)


def studio_urls(page):
    section_id = recording_statuses(page)[0].section.id
    return [
        reverse("altavoz_audio:studio", args=[page.pk]),
        reverse("altavoz_audio:studio_section", args=[page.pk, section_id]),
    ], section_id


def test_a_translator_records_her_locale_in_the_studio():
    translator = account("Traductores (cak)")
    cak = demo_guide("cak")
    urls, section_id = studio_urls(cak)
    for url in urls:
        assert translator.get(url).status_code == 200, url
    response = keep(translator, cak, section_id, webm_take())
    assert response.status_code == 200 and response.json()["ok"], response.content
    recording = SectionRecording.objects.get(page=cak, section_id=section_id)
    assert recording.audio.name.endswith(".webm") and round(recording.duration, 1) == 1.5
    assert recording.uploaded_by == translator.user


def test_another_locales_translator_an_editor_and_a_station_are_refused():
    cak = demo_guide("cak")
    urls, section_id = studio_urls(cak)
    for group in ("Traductores (en)", "Editores", "Emisoras de radio"):
        client = account(group)
        for url in urls:
            assert refused(client.get(url)), (group, url)
        assert refused(keep(client, cak, section_id, webm_take())), group
    assert not SectionRecording.objects.filter(page=cak).exists()


def test_an_editor_records_the_guides_she_edits():
    """Editors edit the Spanish guides; their studio is open to them (Spanish may be read by
    recordings too), and a superuser reaches every locale's."""
    editor = account("Editores")
    urls, section_id = studio_urls(demo_guide("es"))
    for url in urls:
        assert editor.get(url).status_code == 200, url
    admin = get_user_model().objects.create_superuser("jefa", "j@example.invalid", "pw")
    cak = demo_guide("cak")
    response = keep(
        sign_in(Client(), admin), cak, recording_statuses(cak)[0].section.id, webm_take()
    )
    assert response.json()["ok"]


def test_anonymous_visitors_are_sent_to_sign_in():
    cak = demo_guide("cak")
    urls, section_id = studio_urls(cak)
    client = Client()
    for url in [*urls, reverse("altavoz_audio:studio_keep", args=[cak.pk, section_id])]:
        response = client.get(url) if "keep" not in url else keep(client, cak, section_id, b"x")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_only_the_recording_page_asks_for_the_microphone(admin_client, kaqchikel_guide):
    page = admin_client.get(
        reverse("altavoz_audio:studio_section", args=[kaqchikel_guide.pk, FIRST])
    )
    assert "microphone=(self)" in page["Permissions-Policy"]
    assert "camera=()" in page["Permissions-Policy"]
    listing = admin_client.get(reverse("altavoz_audio:studio", args=[kaqchikel_guide.pk]))
    assert "microphone=()" in listing["Permissions-Policy"]
    html = page.content.decode()
    assert "audio/admin/studio.js" in html and "<script>" not in html.split("studio.js")[1][:200]


def test_keeping_a_take_queues_the_audio_and_is_in_the_history(admin_client, kaqchikel_guide):
    response = keep(admin_client, kaqchikel_guide, FIRST, webm_take())
    body = response.json()
    assert body["ok"] and "Grabación guardada" in body["message"]
    assert body["recording_url"] == SectionRecording.objects.get().audio.url
    assert AudioJob.objects.get(page=kaqchikel_guide).state == "queued"
    entry = PageLogEntry.objects.get(page=kaqchikel_guide, action="altavoz.recording_take")
    assert entry.data == {"section_id": FIRST}
    history = admin_client.get(
        reverse("wagtailadmin_pages:history", args=[kaqchikel_guide.pk])
    ).content.decode()
    assert "Grabación de una sección hecha en el estudio de grabación" in history


@pytest.mark.parametrize(
    "content_type", ["audio/ogg;codecs=opus", "audio/mp4", "video/webm;codecs=opus"]
)
def test_takes_in_what_other_browsers_record_are_kept(admin_client, kaqchikel_guide, content_type):
    container = {"audio/ogg": "ogg", "audio/mp4": "mp4", "video/webm": "webm"}[
        content_type.split(";")[0]
    ]
    codec = "aac" if container == "mp4" else "libopus"
    take = make_audio_file(1.2, container=container, codec=codec, rate=48000)
    assert keep(admin_client, kaqchikel_guide, FIRST, take, content_type).json()["ok"]


def silence(seconds=2.0, container="webm"):
    return encode_samples(
        np.zeros(int(48000 * seconds), dtype=np.float32),
        48000,
        codec="libopus",
        container=container,
    )


@pytest.mark.parametrize(
    "content, content_type, message",
    [
        (lambda: webm_take(0.2), "audio/webm", "demasiado corta"),
        (lambda: silence(), "audio/webm", "está en silencio"),
        (lambda: webm_take(), "audio/x-flac", "formato que no se acepta (audio/x-flac)"),
        (lambda: make_audio_file(1.5), "audio/webm", "no corresponde a su extensión"),
        (
            lambda: b"\x1aE\xdf\xa3 not really webm" * 10,
            "audio/webm",
            "No se puede leer como audio",
        ),
        (lambda: b"", "audio/webm", "vacío"),
    ],
)
def test_a_refused_take_says_why_and_keeps_the_recording_there_was(
    admin_client, kaqchikel_guide, content, content_type, message
):
    assert keep(admin_client, kaqchikel_guide, FIRST, webm_take(2.0)).json()["ok"]
    before = SectionRecording.objects.get()
    response = keep(admin_client, kaqchikel_guide, FIRST, content(), content_type)
    assert response.status_code == 400 and not response.json()["ok"]
    assert message in response.json()["message"], response.json()
    after = SectionRecording.objects.get()
    assert (after.pk, after.audio.name) == (before.pk, before.audio.name)
    assert after.audio.storage.exists(after.audio.name)
    assert PageLogEntry.objects.filter(action="altavoz.recording_take").count() == 1


def test_without_the_script_a_file_from_the_phone_is_kept_and_a_refusal_is_a_message(
    admin_client, kaqchikel_guide
):
    url = reverse("altavoz_audio:studio_keep", args=[kaqchikel_guide.pk, FIRST])
    response = admin_client.post(
        url,
        {"audio": SimpleUploadedFile("nota.ogg", silence(container="ogg"), "audio/ogg")},
        follow=True,
    )
    assert any("está en silencio" in str(m) for m in response.context["messages"])
    assert not SectionRecording.objects.exists()
    take = make_audio_file(1.0, container="ogg", codec="libopus", rate=48000)
    response = admin_client.post(
        url, {"audio": SimpleUploadedFile("nota.ogg", take, "audio/ogg")}, follow=True
    )
    assert any("Grabación guardada" in str(m) for m in response.context["messages"])
    assert SectionRecording.objects.get().original_name == "nota.ogg"


def test_a_section_the_guide_does_not_have_is_not_found(admin_client, kaqchikel_guide):
    assert keep(admin_client, kaqchikel_guide, "no-such-section", webm_take()).status_code == 404
    url = reverse("altavoz_audio:studio_section", args=[kaqchikel_guide.pk, "no-such-section"])
    assert admin_client.get(url).status_code == 404
    assert not SectionRecording.objects.exists()


def test_keeping_a_take_clears_the_stale_flag(admin_client, small_guide, kaqchikel_guide):
    keep(admin_client, kaqchikel_guide, FIRST, webm_take())
    raw = small_guide.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>Texto cambiado en español.</p>"
    small_guide.sections = raw
    small_guide.save_revision().publish()
    sync_translations(small_guide)
    assert [s.stale for s in recording_statuses(kaqchikel_guide) if s.recording] == [True]

    assert keep(admin_client, kaqchikel_guide, FIRST, webm_take(2.0)).json()["ok"]
    assert [s.stale for s in recording_statuses(kaqchikel_guide) if s.recording] == [False]
    html = admin_client.get(
        reverse("altavoz_audio:studio_section", args=[kaqchikel_guide.pk, FIRST])
    ).content.decode()
    assert 'data-recording-state="ok"' in html


def test_progress_counts_recorded_and_out_of_date_sections(
    admin_client, small_guide, kaqchikel_guide
):
    total = len(recording_statuses(kaqchikel_guide))
    assert recording_progress(recording_statuses(kaqchikel_guide)).recorded == 0
    for section_id in ("intro", FIRST):
        keep(admin_client, kaqchikel_guide, section_id, webm_take())
    raw = small_guide.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>Texto cambiado en español.</p>"
    small_guide.sections = raw
    small_guide.save_revision().publish()
    sync_translations(small_guide)

    progress = recording_progress(recording_statuses(kaqchikel_guide))
    assert (progress.total, progress.recorded, progress.stale, progress.missing) == (
        total,
        2,
        1,
        total - 2,
    )
    words = f"2 de {total} secciones grabadas, 1 desactualizada"
    studio = admin_client.get(reverse("altavoz_audio:studio", args=[kaqchikel_guide.pk]))
    assert words in studio.content.decode()
    response = keep(admin_client, kaqchikel_guide, THIRD, webm_take())
    assert response.json()["progress"] == f"3 de {total} secciones grabadas, 1 desactualizada"


def test_the_studio_is_reached_from_the_guide_listing_the_audio_report_and_the_audio_tab(
    admin_client, small_guide, kaqchikel_guide, settings
):
    """A translation opens in wagtail-localize's editor (no Audio tab): its studio is in the
    page listing's menu, the audio report and the recordings page; a guide edited in Wagtail's
    editor has it in its Audio tab, with the progress of its recordings."""
    studio = reverse("altavoz_audio:studio", args=[kaqchikel_guide.pk])
    listing = admin_client.get(
        reverse("wagtailadmin_explore", args=[kaqchikel_guide.get_parent().pk])
    ).content.decode()
    assert studio in listing
    assert studio in admin_client.get(reverse("altavoz_audio:report")).content.decode()
    recordings = reverse("altavoz_audio:recordings", args=[kaqchikel_guide.pk])
    assert studio in admin_client.get(recordings).content.decode()

    settings.ALTAVOZ_VOICES = {**settings.ALTAVOZ_VOICES, "es": ["recorded", "espeak"]}
    keep(admin_client, small_guide, FIRST, webm_take())
    tab = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[small_guide.pk])
    ).content.decode()
    assert reverse("altavoz_audio:studio", args=[small_guide.pk]) in tab
    total = len(recording_statuses(small_guide))
    assert f"1 de {total} secciones grabadas" in tab


def test_a_silent_file_is_refused_on_the_recordings_page_too(admin_client, kaqchikel_guide):
    """One set of checks for every recording: the studio's and the uploaded files'."""
    from audio.mastering import probe_audio

    assert probe_audio(silence()).peak == 0.0
    assert 0.25 < probe_audio(make_audio_file(1.0)).peak < 0.35
    response = admin_client.post(
        reverse("altavoz_audio:recordings", args=[kaqchikel_guide.pk]),
        {"section_id": FIRST, "audio": SimpleUploadedFile("callada.webm", silence())},
        follow=True,
    )
    assert any("está en silencio" in str(m) for m in response.context["messages"])
    assert not SectionRecording.objects.exists()
