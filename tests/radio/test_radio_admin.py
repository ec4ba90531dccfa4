"""The admin's "Descargar paquete para radio": the same package as export_radio, built in the
background."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audio.radio.downloads import build_requested_package
from audio.radio.models import RadioPackage, StationIdentification
from tests.signing_in import sign_in

from .conftest import export, make_audio_file

pytestmark = pytest.mark.django_db


def package_url(page):
    return reverse("radio_admin:package", args=[page.pk])


def state_of(response):
    html = response.content.decode()
    return html.split('data-radio-package-state="', 1)[1].split('"', 1)[0]


def test_guides_have_the_button_other_pages_do_not(admin_client, small_guide):
    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[small_guide.pk])
    ).content.decode()
    assert "Descargar paquete para radio" in html and package_url(small_guide) in html
    home = small_guide.get_parent()
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[home.pk])).content.decode()
    assert "Descargar paquete para radio" not in html
    listing = admin_client.get(reverse("wagtailadmin_explore", args=[home.pk])).content.decode()
    assert package_url(small_guide) in listing


def test_package_page_links_the_stations_feed_of_its_locale_and_public_pages_do_not(
    admin_client, client, small_guide, kaqchikel_guide
):
    for guide, locale in ((small_guide, "es"), (kaqchikel_guide, "cak")):
        html = admin_client.get(package_url(guide)).content.decode()
        assert f'href="http://testserver/feeds/{locale}/radio.xml"' in html
    client.logout()
    for url in ("/es/", "/es/guia-corta/", "/cak/guia-corta/"):
        assert "/feeds/" not in client.get(url).content.decode()


def test_prepare_then_download_gives_the_same_zip_as_the_command(
    admin_client, spanish_audio, tmp_path, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    assert state_of(admin_client.get(package_url(spanish_audio))) == "none"
    # Nothing to download yet: back to the status page.
    assert (
        admin_client.get(reverse("radio_admin:download", args=[spanish_audio.pk])).status_code
        == 302
    )

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(package_url(spanish_audio))
    assert response.status_code == 302
    package = RadioPackage.objects.get(page=spanish_audio)
    assert package.state == "queued"
    tasks = [r for r in default_task_backend.results if r.task.name == "build_radio_package_task"]
    assert [t.args for t in tasks] == [[package.pk]]
    page_html = admin_client.get(package_url(spanish_audio)).content.decode()
    assert '<meta http-equiv="refresh"' in page_html  # waits for the worker

    assert build_requested_package(package.pk) == "ready"
    assert build_requested_package(package.pk) is None  # a second run of the task does nothing
    assert state_of(admin_client.get(package_url(spanish_audio))) == "ready"
    response = admin_client.get(reverse("radio_admin:download", args=[spanish_audio.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="altavoz-guia-corta-es.zip"' in response["Content-Disposition"]
    downloaded = b"".join(response.streaming_content)

    export(tmp_path, guide="guia-corta")
    assert downloaded == (tmp_path / "altavoz-guia-corta-es.zip").read_bytes()


def test_a_storage_outage_at_download_says_so_and_logs_no_download(admin_client, spanish_audio):
    """The bucket does not answer: the editor is told in words, not given a 500."""
    from wagtail.models import PageLogEntry

    from tests.object_storage import unreachable_bucket

    admin_client.post(package_url(spanish_audio))
    assert build_requested_package(RadioPackage.objects.get(page=spanish_audio).pk) == "ready"
    url = reverse("radio_admin:download", args=[spanish_audio.pk])
    with unreachable_bucket():
        response = admin_client.get(url, follow=True)
    assert response.redirect_chain[0][0] == package_url(spanish_audio)
    assert "El almacenamiento de audio no responde" in response.content.decode()
    assert not PageLogEntry.objects.filter(action="altavoz.radio_package_download").exists()
    # Back up: the same package downloads.
    assert admin_client.get(url).status_code == 200


def test_an_edit_makes_a_new_package_and_replaces_the_old_one(admin_client, spanish_audio):
    from audio.jobs import run_job

    admin_client.post(package_url(spanish_audio))
    first = RadioPackage.objects.get(page=spanish_audio)
    build_requested_package(first.pk)

    raw = spanish_audio.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>En el centro de salud, gratis.</p>"
    spanish_audio.sections = raw
    spanish_audio.save_revision().publish()
    run_job(spanish_audio.pk)
    # The stored package no longer matches the guide: it is not served.
    assert state_of(admin_client.get(package_url(spanish_audio))) == "none"
    assert (
        admin_client.get(reverse("radio_admin:download", args=[spanish_audio.pk])).status_code
        == 302
    )

    admin_client.post(package_url(spanish_audio))
    second = RadioPackage.objects.exclude(pk=first.pk).get(page=spanish_audio)
    assert build_requested_package(second.pk) == "ready"
    assert list(RadioPackage.objects.filter(page=spanish_audio)) == [second]


def test_a_guide_that_cannot_be_packaged_says_why(admin_client, kaqchikel_guide):
    response = admin_client.get(package_url(kaqchikel_guide))
    assert state_of(response) == "unavailable"
    assert "Secciones sin grabación" in response.content.decode()
    response = admin_client.post(package_url(kaqchikel_guide), follow=True)
    assert any("Secciones sin grabación" in str(m) for m in response.context["messages"])
    assert not RadioPackage.objects.exists()


def test_editors_without_edit_permission_get_nothing(client, spanish_audio):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("reader", "reader@example.invalid", "pw")
    group = Group.objects.create(name="Solo admin")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    sign_in(client, user)
    for url in (
        package_url(spanish_audio),
        reverse("radio_admin:download", args=[spanish_audio.pk]),
    ):
        response = client.get(url)
        # Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard.
        assert (response.status_code, response.get("Location")) == (302, "/admin/")
    assert client.post(package_url(spanish_audio)).status_code == 302
    assert not RadioPackage.objects.exists()


def test_station_ids_are_uploaded_once_in_settings_and_checked(admin_client):
    url = reverse(
        "wagtailsettings:edit",
        args=["radio", "stationidentification", StationIdentification.load().pk],
    )
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"intro": SimpleUploadedFile("id.wav", b"not audio at all")})
    assert (
        response.status_code == 200 and "No se puede leer como audio" in response.content.decode()
    )
    response = admin_client.post(
        url, {"intro": SimpleUploadedFile("id.wav", make_audio_file(31.0))}
    )
    assert "máximo 30 segundos" in response.content.decode()
    assert not StationIdentification.load().intro

    response = admin_client.post(url, {"intro": SimpleUploadedFile("id.wav", make_audio_file(2.0))})
    assert response.status_code == 302
    saved = StationIdentification.load()
    assert saved.intro and saved.intro.storage.exists(saved.intro.name)
    with saved.intro.open("rb") as file:
        assert file.read() == make_audio_file(2.0)
