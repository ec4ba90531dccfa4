"""/feeds/<locale>/podcast.xml: stations subscribe instead of downloading by hand."""

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from audio.jobs import request_audio, run_job
from audio.models import Rendition
from cms.models import GuidePage

from .conftest import add_recordings

pytestmark = pytest.mark.django_db

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}


def get_feed(client, locale="es", **headers):
    return client.get(f"/feeds/{locale}/podcast.xml", **headers)


def items_by_title(xml_bytes):
    channel = ET.fromstring(xml_bytes).find("channel")
    return {item.findtext("title"): item for item in channel.findall("item")}


def stored(url):
    """The stored file behind one of our media URLs (tests do not serve /media/)."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url  # our own host, nothing third-party
    assert parts.path.startswith(settings.MEDIA_URL), url
    name = parts.path[len(settings.MEDIA_URL):]
    assert default_storage.exists(name), url
    with default_storage.open(name) as file:
        return file.read()


def test_feed_parses_with_namespaced_tags_and_reachable_urls(client, spanish_audio):
    response = get_feed(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert "Set-Cookie" not in response  # listeners and stations get no cookies

    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.language == "es"
    for prefix, uri in NS.items():
        assert f'xmlns:{prefix}="{uri}"'.encode() in response.content
    entry = next(e for e in parsed.entries if e.title == "Guía corta")
    assert entry.id == f"altavoz:guide:{spanish_audio.translation_key}:es"
    assert entry.link == "http://testserver/es/guia-corta/"

    listen = Rendition.objects.get(page=spanish_audio, variant="listen", state="live")
    lowdata = Rendition.objects.get(page=spanish_audio, variant="lowdata", state="live")
    (enclosure,) = entry.enclosures
    audio = stored(enclosure.href)
    assert enclosure.type == "audio/mpeg" and int(enclosure.length) == len(audio) == listen.size_bytes

    item = items_by_title(response.content)["Guía corta"]
    transcript = item.find("podcast:transcript", NS)
    assert transcript.get("type") == "text/vtt" and transcript.get("language") == "es"
    assert stored(transcript.get("url")).decode().startswith("WEBVTT")
    chapters = item.find("podcast:chapters", NS)
    assert chapters.get("type") == "application/json+chapters"
    assert [c["title"] for c in json.loads(stored(chapters.get("url")))["chapters"]] == [
        "Guía corta", "¿Dónde hay condones?", "¿Y la PrEP?"
    ]
    alternates = {a.get("title"): a for a in item.findall("podcast:alternateEnclosure", NS)}
    low = next(a for a in alternates.values() if a.get("type") == lowdata.mime_type)
    low_audio = stored(low.find("podcast:source", NS).get("uri"))
    assert int(low.get("length")) == len(low_audio) and low.get("bitrate") == "16000"
    integrity = low.find("podcast:integrity", NS).get("value")
    assert integrity == "sha256-" + base64.b64encode(hashlib.sha256(low_audio).digest()).decode()
    assert item.findtext("itunes:duration", namespaces=NS) == str(round(listen.duration))
    channel = ET.fromstring(response.content).find("channel")
    assert channel.find("atom:link", NS).get("href") == "http://testserver/feeds/es/podcast.xml"
    assert channel.find("itunes:category", NS).get("text") == "Health & Fitness"


def test_guid_is_stable_while_pubdate_and_enclosure_follow_the_audio(client, spanish_audio):
    # Age the first audio, so the new one is visibly later (pubDate has one-second resolution).
    run_job(spanish_audio.pk)
    Rendition.objects.filter(page=spanish_audio).update(generated_at=timezone.now() - timedelta(hours=2))
    before = items_by_title(get_feed(client).content)["Guía corta"]

    raw = spanish_audio.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>En el centro de salud, gratis.</p>"
    spanish_audio.sections = raw
    spanish_audio.save_revision().publish()
    run_job(spanish_audio.pk)
    after = items_by_title(get_feed(client).content)["Guía corta"]

    assert after.findtext("guid") == before.findtext("guid")
    assert after.find("guid").get("isPermaLink") == "false"
    assert after.find("enclosure").get("url") != before.find("enclosure").get("url")
    assert parsedate_to_datetime(after.findtext("pubDate")) > parsedate_to_datetime(before.findtext("pubDate"))

    # Regenerating the same audio keeps the episode's identity too.
    request_audio(spanish_audio, force=True)
    run_job(spanish_audio.pk)
    again = items_by_title(get_feed(client).content)["Guía corta"]
    assert again.findtext("guid") == before.findtext("guid")


def test_only_published_public_guides_with_audio(client, spanish_audio):
    from wagtail.models import PageViewRestriction

    assert "Guía corta" in items_by_title(get_feed(client).content)
    # Demo guides have no audio in tests: not listed rather than listed without sound.
    assert set(items_by_title(get_feed(client).content)) == {"Guía corta"}

    restriction = PageViewRestriction.objects.create(page=spanish_audio, restriction_type="password", password="x")
    assert items_by_title(get_feed(client).content) == {}
    restriction.delete()

    spanish_audio.unpublish()
    assert items_by_title(get_feed(client).content) == {}


def test_an_expired_guide_leaves_the_feed_at_once(client, spanish_audio):
    """Expiry hides a guide before the scheduled-publishing sweep unpublishes it (cms.visibility)."""
    GuidePage.objects.filter(pk=spanish_audio.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    assert items_by_title(get_feed(client).content) == {}


def test_the_feed_shows_the_published_guide_not_a_draft_in_its_row(client, spanish_audio):
    """wagtail-localize can write a draft into the page row: the feed reads the live revision."""
    GuidePage.objects.filter(pk=spanish_audio.pk).update(title="Borrador sin publicar", has_unpublished_changes=True)
    assert set(items_by_title(get_feed(client).content)) == {"Guía corta"}


def test_kaqchikel_feed_has_recordings_only_and_only_when_complete(client, kaqchikel_guide):
    run_job(kaqchikel_guide.pk)
    assert items_by_title(get_feed(client, "cak").content) == {}  # no recordings: never Spanish as cak

    add_recordings(kaqchikel_guide, skip={"intro"})
    run_job(kaqchikel_guide.pk)
    assert Rendition.objects.filter(page=kaqchikel_guide, state="live", engine="recorded").exists()
    assert items_by_title(get_feed(client, "cak").content) == {}  # a section is missing

    add_recordings(kaqchikel_guide, skip={s for s in ("11111111-1111-4111-8111-111111111111",
                                                      "33333333-3333-4333-8333-333333333333")})
    run_job(kaqchikel_guide.pk)
    response = get_feed(client, "cak")
    assert not feedparser.parse(response.content).bozo
    item = items_by_title(response.content)["Guía corta"]
    assert item.findtext("guid") == f"altavoz:guide:{kaqchikel_guide.translation_key}:cak"
    assert item.find("enclosure").get("url").startswith("http://testserver/media/")
    # The audio is Kaqchikel; the written text is still the Spanish source, and says so.
    assert item.find("podcast:transcript", NS).get("language") == "es"
    assert ET.fromstring(response.content).find("channel").findtext("language") == "cak"


def test_unknown_locale_is_404_and_unchanged_feed_is_304(client, spanish_audio):
    assert get_feed(client, "fr").status_code == 404
    first = get_feed(client)
    assert get_feed(client, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_head_gives_the_feeds_headers_without_a_body(client, spanish_audio):
    """Podcast apps and feed checkers probe with HEAD before they download."""
    get = get_feed(client)
    head = client.head("/feeds/es/podcast.xml")
    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "ETag", "Cache-Control"):
        assert head[header] == get[header]
    assert client.head("/feeds/es/podcast.xml", HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304
    assert client.post("/feeds/es/podcast.xml").status_code == 405
