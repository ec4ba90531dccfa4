"""Guide pages work with no JavaScript: native audio for the guide and each section."""

import re

import pytest

from audio.jobs import run_job
from audio.models import Rendition

pytestmark = pytest.mark.django_db


def test_guide_without_audio_says_so(client, small_guide):
    html = client.get("/es/guia-corta/").content.decode()
    assert "El audio de esta guía todavía no está listo." in html
    assert "<audio" not in html


def test_guide_offers_whole_and_per_section_native_audio(client, small_guide):
    run_job(small_guide.pk)
    listen = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    html = client.get("/es/guia-corta/").content.decode()
    assert f'<audio id="guide-audio" controls preload="none" src="{listen.audio.url}"' in html
    assert f'<track kind="captions" src="{listen.captions.url}" srclang="es"' in html
    for section in listen.sections:
        if section["id"] != "intro":
            assert f'src="{listen.audio.url}#t={section["start"]},{section["end"]}"' in html
    assert len(re.findall(r"<audio ", html)) == 1 + 2  # the guide, then its two non-empty sections
    assert 'preload="auto"' not in html


def test_a_live_rendition_without_captions_still_plays_without_the_follow_along(
    client, small_guide
):
    """Captions are a sidecar: an older or partly restored rendition may have none."""
    run_job(small_guide.pk)
    listen = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    Rendition.objects.filter(pk=listen.pk).update(captions="")
    response = client.get("/es/guia-corta/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<audio id="guide-audio" controls preload="none" src="{listen.audio.url}"' in html
    assert "<track" not in html and "data-captions" not in html


def test_downloads_show_duration_and_size(client, small_guide):
    run_job(small_guide.pk)
    html = client.get("/es/guia-corta/").content.decode()
    assert re.search(r"Descargar <span class=\"size\">\(\d+ min · \d+ KB\)</span>", html)
    assert "Descargar (ahorra datos)" in html


def test_save_data_gets_the_low_bandwidth_variant(client, small_guide):
    run_job(small_guide.pk)
    lowdata = Rendition.objects.get(page=small_guide, variant="lowdata", state="live")
    html = client.get("/es/guia-corta/", HTTP_SAVE_DATA="on").content.decode()
    assert f'<audio id="guide-audio" controls preload="none" src="{lowdata.audio.url}"' in html
    html = client.get("/es/guia-corta/?datos=ahorro").content.decode()
    assert f'src="{lowdata.audio.url}"' in html


def test_kaqchikel_page_without_recordings_offers_spanish_audio_labelled_spanish(
    client, small_guide, kaqchikel_guide
):
    run_job(small_guide.pk)
    run_job(kaqchikel_guide.pk)
    listen = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    html = client.get("/cak/guia-corta/").content.decode()
    assert f'src="{listen.audio.url}"' in html
    assert 'lang="es"' in html and "El audio está en español." in html


def test_big_controls_wait_for_javascript_and_saving_says_what_it_costs(client, small_guide):
    from cms.templatetags.altavoz import file_size

    run_job(small_guide.pk)
    listen = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    html = client.get("/es/guia-corta/").content.decode()
    # Without JavaScript these stay hidden and the native players above do the work.
    assert '<div class="player" id="player" hidden' in html
    assert '<div class="keep" id="keep" hidden>' in html
    assert (
        len(
            re.findall(
                r'<button type="button" class="section-play" data-start="[\d.]+" hidden', html
            )
        )
        == 2
    )
    save = re.search(
        r'<button type="button" class="wide" id="save-offline">(.*?)</button>', html, re.DOTALL
    ).group(1)
    assert "Guardar para escuchar sin internet" in save
    assert f'<span class="save-size">{file_size(listen.size_bytes)}</span>' in save


def test_low_data_is_a_plain_link_without_javascript(client, small_guide):
    run_job(small_guide.pk)
    html = client.get("/es/guia-corta/").content.decode()
    assert '<a href="?datos=ahorro" id="lowdata-toggle" class="is-off">' in html
    html = client.get("/es/guia-corta/?datos=ahorro").content.decode()
    assert '<a href="?" id="lowdata-toggle" class="is-on">' in html


def test_sentences_light_up_only_when_the_audio_reads_the_text_shown(
    client, small_guide, kaqchikel_guide
):
    run_job(small_guide.pk)
    assert 'data-cues-match="sentence"' in client.get("/es/guia-corta/").content.decode()
    # The Kaqchikel page shows the Spanish text and plays the Spanish audio: same sentences.
    assert 'data-cues-match="sentence"' in client.get("/cak/guia-corta/").content.decode()


def test_public_pages_load_nothing_from_elsewhere_and_run_no_inline_script(client, small_guide):
    run_job(small_guide.pk)
    for url in ["/es/", "/es/guia-corta/", "/cak/guia-corta/", "/es/nothing/"]:
        response = client.get(url)
        html = response.content.decode()
        # The policy is a header (tests/test_security_headers.py), in force before the page is read.
        policy = {part.strip() for part in response["Content-Security-Policy"].split(";")}
        assert {"default-src 'self'", "script-src 'self'"} <= policy
        scripts = re.findall(r"<script([^>]*)>", html)
        assert scripts and all(
            re.search(r' src="/static/js/[\w-]+\.js"', attrs) for attrs in scripts
        ), url
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
        for attribute in re.findall(
            r'<(?:link|script|audio|track|img|source)\b[^>]*?\s(?:src|href)="([^"]*)"', html
        ):
            assert attribute.startswith(("/", "data:")), (url, attribute)


def test_kaqchikel_recordings_that_are_missing_or_stale_are_said_plainly(
    admin_client, client, small_guide, kaqchikel_guide
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from cms.localization import sync_translations
    from tests.audio.fixtures import make_audio_file

    first, third = "11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333"
    for section_id in ["intro", first]:
        admin_client.post(
            reverse("altavoz_audio:recordings", args=[kaqchikel_guide.pk]),
            {"section_id": section_id, "audio": SimpleUploadedFile("g.wav", make_audio_file(1.0))},
        )
    run_job(kaqchikel_guide.pk)
    html = client.get("/cak/guia-corta/").content.decode()
    assert "El audio está en español." not in html  # its own (recorded) audio
    assert 'data-cues-match="section"' in html  # one cue per recorded section
    third_section = html.split(f'id="s-{third}"', 1)[1]
    assert "Esta parte todavía no está grabada en este idioma." in third_section
    assert "Esta parte todavía no está grabada" not in html.split(f'id="s-{third}"', 1)[0]

    raw = small_guide.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>Texto cambiado en español.</p>"
    small_guide.sections = raw
    small_guide.save_revision().publish()
    sync_translations(small_guide)
    html = client.get("/cak/guia-corta/").content.decode()
    first_section = html.split(f'id="s-{first}"', 1)[1].split("</section>", 1)[0]
    assert "La grabación de esta parte es de una versión anterior del texto" in first_section
