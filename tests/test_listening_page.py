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


def test_kaqchikel_page_without_recordings_offers_spanish_audio_labelled_spanish(client, small_guide, kaqchikel_guide):
    run_job(small_guide.pk)
    run_job(kaqchikel_guide.pk)
    listen = Rendition.objects.get(page=small_guide, variant="listen", state="live")
    html = client.get("/cak/guia-corta/").content.decode()
    assert f'src="{listen.audio.url}"' in html
    assert 'lang="es"' in html and "El audio está en español." in html
