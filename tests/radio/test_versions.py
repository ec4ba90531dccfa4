"""Stations learn a guide's version and, in plain words, what changed since the previous one."""

import pytest

from audio.jobs import run_job
from tests.audio.fixtures import edit_section

from .conftest import Package, export
from .test_podcast_feed import LISTENERS, NS, RADIO, feed_strings, get_feed, items_by_title

pytestmark = pytest.mark.django_db


def edit_and_voice(guide):
    edit_section(guide, 0, "<p>En la clínica del barrio. Pregunte con confianza.</p>")
    run_job(guide.pk)


def test_the_package_gives_the_version_and_what_it_changed(spanish_audio, tmp_path):
    export(tmp_path / "v1", guide="guia-corta")
    first = Package(tmp_path / "v1" / "altavoz-guia-corta-es.zip")
    assert "VERSIÓN 1\nPrimera versión publicada." in first.text("README.txt")
    assert first.manifest["guide"]["version"]["number"] == 1

    edit_and_voice(spanish_audio)
    export(tmp_path / "v2", guide="guia-corta")
    second = Package(tmp_path / "v2" / "altavoz-guia-corta-es.zip")
    expected = "VERSIÓN 2\nQué cambió desde la versión anterior:\n- Cambió: ¿Dónde hay condones?\n"
    assert expected in second.text("README.txt")
    assert expected in second.text("libreto.txt")
    assert "<li>Cambió: ¿Dónde hay condones?</li>" in second.text("libreto.html")
    assert second.manifest["guide"]["version"] == {
        "number": 2,
        "changes": ["Cambió: ¿Dónde hay condones?"],
        "first": False,
    }


def test_the_stations_feed_says_what_changed_and_the_listeners_feed_only_the_number(
    client, spanish_audio
):
    edit_and_voice(spanish_audio)
    radio = items_by_title(get_feed(client, feed=RADIO).content)["Guía corta"]
    assert radio.findtext("description").endswith("Versión 2. Cambió: ¿Dónde hay condones?")
    assert radio.find("podcast:txt", NS).get("purpose") == "version"
    assert radio.findtext("podcast:txt", namespaces=NS) == "2"

    listeners = get_feed(client, feed=LISTENERS).content
    item = items_by_title(listeners)["Notas"]
    assert item.findtext("description").endswith("Versión 2.")
    assert item.findtext("podcast:txt", namespaces=NS) == "2"
    assert "condones" not in feed_strings(listeners)


def test_an_unpublished_guide_leaves_its_versions_out_of_both_feeds(client, spanish_audio):
    edit_and_voice(spanish_audio)
    spanish_audio.unpublish()
    for feed in (RADIO, LISTENERS):
        strings = feed_strings(get_feed(client, feed=feed).content)
        assert "Cambió" not in strings and "Versión 2" not in strings
