"""The feeds: /feeds/<locale>/radio.xml for stations (real titles), /feeds/<locale>/podcast.xml for
listeners (discreet)."""

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
from audio.radio.feeds import forget_built_feeds
from audio.voices import RECORDED
from cms import visibility
from cms.models import GuidePage
from tests.audio.fixtures import borrow_audio

from .conftest import add_recordings

pytestmark = pytest.mark.django_db

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}


# The two feeds, each with the title the small test guide has in it.
RADIO, LISTENERS = "radio", "podcast"
FEEDS = [(RADIO, "Guía corta"), (LISTENERS, "Notas")]
DEMO_SLUGS = ["mixco", "patzun"]


def get_feed(client, locale="es", feed=LISTENERS, **headers):
    return client.get(f"/feeds/{locale}/{feed}.xml", **headers)


def items_by_title(xml_bytes):
    channel = ET.fromstring(xml_bytes).find("channel")
    return {item.findtext("title"): item for item in channel.findall("item")}


def feed_strings(xml_bytes):
    """Every text and attribute value of a feed, unescaped."""
    strings = []
    for element in ET.fromstring(xml_bytes).iter():
        strings.append(element.text or "")
        strings.extend(element.attrib.values())
    return "\n".join(strings)


def stored(url):
    """The stored file behind one of our media URLs (tests do not serve /media/)."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", (
        url
    )  # our own host, nothing third-party
    assert parts.path.startswith(settings.MEDIA_URL), url
    name = parts.path[len(settings.MEDIA_URL) :]
    assert default_storage.exists(name), url
    with default_storage.open(name) as file:
        return file.read()


def test_radio_feed_parses_with_real_titles_chapters_and_reachable_urls(client, spanish_audio):
    response = get_feed(client, feed=RADIO)
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
    assert (
        enclosure.type == "audio/mpeg" and int(enclosure.length) == len(audio) == listen.size_bytes
    )

    item = items_by_title(response.content)["Guía corta"]
    transcript = item.find("podcast:transcript", NS)
    assert transcript.get("type") == "text/vtt" and transcript.get("language") == "es"
    assert stored(transcript.get("url")).decode().startswith("WEBVTT")
    chapters = item.find("podcast:chapters", NS)
    assert chapters.get("type") == "application/json+chapters"
    assert [c["title"] for c in json.loads(stored(chapters.get("url")))["chapters"]] == [
        "Guía corta",
        "¿Dónde hay condones?",
        "¿Y la PrEP?",
    ]
    alternates = {a.get("title"): a for a in item.findall("podcast:alternateEnclosure", NS)}
    low = next(a for a in alternates.values() if a.get("type") == lowdata.mime_type)
    low_audio = stored(low.find("podcast:source", NS).get("uri"))
    assert int(low.get("length")) == len(low_audio) and low.get("bitrate") == "16000"
    integrity = low.find("podcast:integrity", NS).get("value")
    assert integrity == "sha256-" + base64.b64encode(hashlib.sha256(low_audio).digest()).decode()
    assert item.findtext("itunes:duration", namespaces=NS) == str(round(listen.duration))
    channel = ET.fromstring(response.content).find("channel")
    assert channel.find("atom:link", NS).get("href") == "http://testserver/feeds/es/radio.xml"
    assert channel.find("itunes:category", NS).get("text") == "Health & Fitness"
    assert entry.summary.startswith("Una guía de prueba.")


def test_listeners_feed_keeps_the_audio_transcript_and_guid_under_a_discreet_title(
    client, spanish_audio
):
    response = get_feed(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert "Set-Cookie" not in response
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Altavoz"
    (entry,) = parsed.entries
    assert entry.title == "Notas" and entry.itunes_title == "Notas"
    assert entry.id == f"altavoz:guide:{spanish_audio.translation_key}:es"
    assert entry.summary == "Revisada el 2026-11-01. Versión 1."  # no heading: only the number

    listen = Rendition.objects.get(page=spanish_audio, variant="listen", state="live")
    lowdata = Rendition.objects.get(page=spanish_audio, variant="lowdata", state="live")
    (enclosure,) = entry.enclosures
    assert stored(enclosure.href) and int(enclosure.length) == listen.size_bytes
    item = items_by_title(response.content)["Notas"]
    assert stored(item.find("podcast:transcript", NS).get("url")).decode().startswith("WEBVTT")
    assert item.find("podcast:chapters", NS) is None
    sources = {
        a.find("podcast:source", NS).get("uri")
        for a in item.findall("podcast:alternateEnclosure", NS)
    }
    assert sources == {
        f"http://testserver{listen.audio.url}",
        f"http://testserver{lowdata.audio.url}",
    }
    channel = ET.fromstring(response.content).find("channel")
    assert channel.find("atom:link", NS).get("href") == "http://testserver/feeds/es/podcast.xml"
    # Not the stations' channel: its own podcast:guid.
    radio_channel = ET.fromstring(get_feed(client, feed=RADIO).content).find("channel")
    assert channel.findtext("podcast:guid", namespaces=NS) != radio_channel.findtext(
        "podcast:guid", namespaces=NS
    )


def episodes(client, locale="es"):
    """The small guide's item in each feed: {feed: item}, found by its title there."""
    return {
        feed: items_by_title(get_feed(client, locale, feed).content)[title] for feed, title in FEEDS
    }


def test_guid_is_stable_while_pubdate_and_enclosure_follow_the_audio(client, spanish_audio):
    # Age the first audio, so the new one is visibly later (pubDate has one-second resolution).
    run_job(spanish_audio.pk)
    Rendition.objects.filter(page=spanish_audio).update(
        generated_at=timezone.now() - timedelta(hours=2)
    )
    before = episodes(client)

    raw = spanish_audio.sections.get_prep_value()
    raw[0]["value"]["body"] = "<p>En el centro de salud, gratis.</p>"
    spanish_audio.sections = raw
    spanish_audio.save_revision().publish()
    run_job(spanish_audio.pk)
    after = episodes(client)

    # Regenerating the same audio keeps the episode's identity too.
    request_audio(spanish_audio, force=True)
    run_job(spanish_audio.pk)
    again = episodes(client)
    for feed, _title in FEEDS:
        assert (
            after[feed].findtext("guid")
            == before[feed].findtext("guid")
            == again[feed].findtext("guid")
        )
        assert after[feed].find("guid").get("isPermaLink") == "false"
        assert after[feed].find("enclosure").get("url") != before[feed].find("enclosure").get("url")
        assert parsedate_to_datetime(after[feed].findtext("pubDate")) > parsedate_to_datetime(
            before[feed].findtext("pubDate")
        )
    # Both feeds describe the same episode.
    assert after[RADIO].findtext("guid") == after[LISTENERS].findtext("guid")


@pytest.mark.parametrize("feed, title", FEEDS)
def test_only_published_public_guides_with_audio(client, spanish_audio, feed, title):
    from wagtail.models import PageViewRestriction

    # Demo guides have no audio in tests: not listed rather than listed without sound.
    assert set(items_by_title(get_feed(client, feed=feed).content)) == {title}

    restriction = PageViewRestriction.objects.create(
        page=spanish_audio, restriction_type="password", password="x"
    )
    assert items_by_title(get_feed(client, feed=feed).content) == {}
    restriction.delete()

    spanish_audio.unpublish()
    assert items_by_title(get_feed(client, feed=feed).content) == {}


@pytest.mark.parametrize("feed", [RADIO, LISTENERS])
def test_an_expired_guide_leaves_both_feeds_at_once(client, spanish_audio, feed):
    """Expiry hides a guide before the scheduled-publishing sweep unpublishes it
    (cms.visibility)."""
    GuidePage.objects.filter(pk=spanish_audio.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )
    assert items_by_title(get_feed(client, feed=feed).content) == {}


@pytest.mark.parametrize("feed", [RADIO, LISTENERS])
def test_a_cached_feed_still_drops_a_guide_when_it_expires(
    client, spanish_audio, feed, monkeypatch
):
    """An unchanged feed is not rebuilt, but a guide's expiry needs no write to hide it: the
    remembered feed lasts only until the first expiry."""
    expiry = timezone.now() + timedelta(hours=1)
    GuidePage.objects.filter(pk=spanish_audio.pk).update(expire_at=expiry)
    first = get_feed(client, feed=feed).content
    assert set(items_by_title(first)) == {dict(FEEDS)[feed]}

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as built:
        forget_built_feeds()
        assert get_feed(client, feed=feed).content == first
    with CaptureQueriesContext(connection) as remembered:
        assert get_feed(client, feed=feed).content == first
    # Remembered: the locale, the content token, the day's fetch count; built: the guides,
    # their versions, renditions and recordings besides.
    assert len(remembered.captured_queries) < len(built.captured_queries) - 5

    later = expiry + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert items_by_title(get_feed(client, feed=feed).content) == {}


def test_a_publish_reaches_a_cached_feed(client, spanish_audio):
    assert set(items_by_title(get_feed(client, feed=RADIO).content)) == {"Guía corta"}
    spanish_audio.title = "Guía corta, revisada"
    spanish_audio.save_revision().publish()
    assert set(items_by_title(get_feed(client, feed=RADIO).content)) == {"Guía corta, revisada"}


def test_feeds_show_the_published_guide_not_a_draft_in_its_row(client, spanish_audio):
    """wagtail-localize can write a draft into the page row: the feeds read the live revision."""
    GuidePage.objects.filter(pk=spanish_audio.pk).update(
        title="Borrador sin publicar", discreet_title="Borrador", has_unpublished_changes=True
    )
    assert set(items_by_title(get_feed(client, feed=RADIO).content)) == {"Guía corta"}
    assert set(items_by_title(get_feed(client).content)) == {"Notas"}


def test_kaqchikel_feeds_have_recordings_only_and_only_when_complete(client, kaqchikel_guide):
    def listed():
        return {
            feed: set(items_by_title(get_feed(client, "cak", feed).content))
            for feed, _title in FEEDS
        }

    nothing = {RADIO: set(), LISTENERS: set()}
    run_job(kaqchikel_guide.pk)
    assert listed() == nothing  # no recordings: never Spanish as cak

    add_recordings(kaqchikel_guide, skip={"intro"})
    run_job(kaqchikel_guide.pk)
    assert Rendition.objects.filter(page=kaqchikel_guide, state="live", engine="recorded").exists()
    assert listed() == nothing  # a section is missing

    add_recordings(
        kaqchikel_guide,
        skip={
            s
            for s in (
                "11111111-1111-4111-8111-111111111111",
                "33333333-3333-4333-8333-333333333333",
            )
        },
    )
    run_job(kaqchikel_guide.pk)
    for feed, title in FEEDS:
        response = get_feed(client, "cak", feed)
        assert not feedparser.parse(response.content).bozo
        item = items_by_title(response.content)[title]
        assert item.findtext("guid") == f"altavoz:guide:{kaqchikel_guide.translation_key}:cak"
        assert item.find("enclosure").get("url").startswith("http://testserver/media/")
        # The audio is Kaqchikel; the written text is still the Spanish source, and says so.
        assert item.find("podcast:transcript", NS).get("language") == "es"
        assert ET.fromstring(response.content).find("channel").findtext("language") == "cak"


@pytest.mark.parametrize("feed", [RADIO, LISTENERS])
def test_unknown_locale_is_404_and_unchanged_feed_is_304(client, spanish_audio, feed):
    assert get_feed(client, "fr", feed).status_code == 404
    first = get_feed(client, feed=feed)
    assert get_feed(client, feed=feed, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert (
        "no-cache" in first["Cache-Control"] and "max-age" not in first["Cache-Control"]
    )  # hiding is at once


@pytest.mark.parametrize("feed", [RADIO, LISTENERS])
def test_both_feeds_answer_head_and_refuse_post(client, spanish_audio, feed):
    full = get_feed(client, feed=feed)
    head = client.head(f"/feeds/es/{feed}.xml")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == full["ETag"] and head["Content-Type"] == full["Content-Type"]
    assert client.post(f"/feeds/es/{feed}.xml").status_code == 405


# --- The demo guides, with audio, in every language --------------------------------


@pytest.fixture
def demo_audio(spanish_audio):
    """The demo guides in es, en and cak with live audio (the small guide's files).

    Kaqchikel's is recorded, every section: the only audio its feeds list.
    """
    for page in GuidePage.objects.filter(slug__in=DEMO_SLUGS):
        borrow_audio(page, spanish_audio)
        if page.locale.language_code == "cak":
            Rendition.objects.filter(page=page).update(engine=RECORDED)
            add_recordings(page)
    spanish_audio.unpublish()  # only the demo guides are left in the feeds


def demo_versions(locale):
    """What the public sees of the demo guides of a locale (cms.visibility)."""
    return visibility.public_versions(
        GuidePage.objects.filter(locale__language_code=locale, slug__in=DEMO_SLUGS)
    )


def revealing_strings(version):
    """What names a guide's topic: its titles, summaries and section headings, as published."""
    strings = set()
    for content in (version.requested, version.object):
        strings |= {content.title, content.summary}
        strings |= {block.value["heading"] for block in content.sections}
    return strings


@pytest.mark.parametrize("locale", ["es", "en", "cak"])
def test_listeners_feed_names_no_topic_in_any_language(client, demo_audio, locale):
    body = get_feed(client, locale).content
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    versions = demo_versions(locale)
    assert len(versions) == len(DEMO_SLUGS) == len(parsed.entries)
    assert [entry.title for entry in parsed.entries] == [v.object.discreet_title for v in versions]
    text = feed_strings(body)
    for version in versions:
        for revealing in revealing_strings(version):
            assert revealing not in text and revealing.encode() not in body, revealing
    # No chapters JSON (its titles are the headings); the MP3's own chapters are "Parte N".
    assert b"chapters" not in body


@pytest.mark.parametrize("locale", ["es", "en", "cak"])
def test_radio_feed_has_the_guides_real_titles_in_every_language(client, demo_audio, locale):
    body = get_feed(client, locale, RADIO).content
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    versions = demo_versions(locale)
    assert [entry.title for entry in parsed.entries] == [v.object.title for v in versions]
    assert [entry.summary.split("\n\n")[0] for entry in parsed.entries] == [
        v.object.summary for v in versions
    ]
    for item in ET.fromstring(body).find("channel").findall("item"):
        assert item.find("podcast:chapters", NS) is not None
