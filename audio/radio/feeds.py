"""Podcast feeds for stations that subscribe instead of downloading: ``/feeds/<locale>/podcast.xml``.

RSS 2.0 with iTunes tags and Podcasting 2.0 tags, one episode per guide:

- enclosure: the live ``listen`` rendition (MP3); ``podcast:alternateEnclosure``
  offers it and the ``lowdata`` rendition (Opus) for stations on thin links;
- ``podcast:transcript``: the WebVTT captions; ``podcast:chapters``: JSON chapters;
- ``guid``: the guide's translation key + locale, so an episode keeps its
  identity when its audio is regenerated, while ``pubDate`` (the rendition's
  date) and the enclosure URL (content-hashed) change with the audio.

Guides come only through ``cms.visibility`` (live revision, not expired,
public, a fallback's source public too), with live audio, and only audio
that is honestly in the feed's language: a synthesized voice only over a
complete translation, recorded audio (Kaqchikel) only when every section's
recording is there and up to date. Every URL is this site's own.
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from audio.publishing import live_renditions
from audio.recordings import recording_statuses
from audio.speech_text import speech_sections
from audio.voices import RECORDED
from cms import visibility
from cms.models import GuidePage

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
# The Podcasting 2.0 namespace's own UUIDv5 namespace for podcast:guid.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
ENCLOSURE_VARIANT = "listen"
LOW_BANDWIDTH_VARIANT = "lowdata"

for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Episode:
    """One guide in a feed: the page, the text shown, and its live renditions."""

    page: object
    content: object
    text_language: str
    listen: object  # Rendition
    lowdata: object | None

    @property
    def guid(self):
        return episode_guid(self.page)


def episode_guid(page):
    """Stable across audio regenerations and edits: the guide's identity in this locale."""
    return f"altavoz:guide:{page.translation_key}:{page.locale.language_code}"


def feed_episodes(locale):
    """The episodes of a locale's feed, in site order (see module docstring for the rules)."""
    language = locale.language_code
    # A language read only by people (Kaqchikel) never lists a synthesized voice.
    recorded_only = set(settings.ALTAVOZ_VOICES.get(language, [])) == {RECORDED}
    guides = GuidePage.objects.filter(locale=locale).order_by("path")
    episodes = (_episode(version, recorded_only) for version in visibility.public_versions(guides))
    return [episode for episode in episodes if episode is not None]


def _episode(version, recorded_only):
    """The Episode of a guide the public may see, or None when its audio is not honestly in its language."""
    page = version.requested
    live = live_renditions(page)
    listen = live.get(ENCLOSURE_VARIANT)
    if listen is None or (recorded_only and listen.engine != RECORDED):
        return None
    if listen.engine == RECORDED:
        statuses = recording_statuses(page, speech_sections(version.object))
        if any(s.missing or s.stale for s in statuses):
            return None
    elif version.is_fallback:
        return None
    return Episode(page, version.object, version.language, listen, live.get(LOW_BANDWIDTH_VARIANT))


def podcast_feed(locale, absolute_url, feed_url):
    """The RSS document (bytes, UTF-8) of a locale's feed.

    ``absolute_url(path)`` makes a site path absolute; ``feed_url`` is the
    feed's own address (atom:link rel="self", podcast:guid).
    """
    language = locale.language_code
    episodes = feed_episodes(locale)
    with translation.override(language):
        language_name = dict(settings.LANGUAGES).get(language, language)
        site = settings.WAGTAIL_SITE_NAME
        rss = ET.Element("rss", {"version": "2.0"})
        channel = _sub(rss, "channel")
        _sub(channel, "title", _("%(site)s: guías en audio (%(language)s)") % {"site": site, "language": language_name})
        _sub(channel, "link", absolute_url(f"/{language}/"))
        description = _(
            "Guías de reducción de daños en audio, para escuchar y para retransmitir en radios comunitarias."
        )
        _sub(channel, "description", description)
        _sub(channel, "language", language)
        _sub(channel, "generator", site)
        _sub(channel, f"{{{NAMESPACES['atom']}}}link", href=feed_url, rel="self", type="application/rss+xml")
        if episodes:
            _sub(channel, "lastBuildDate", _rfc822(max(e.listen.generated_at for e in episodes)))
        _sub(channel, _itunes("author"), site)
        _sub(channel, _itunes("summary"), description)
        _sub(channel, _itunes("explicit"), "false")
        _sub(channel, _itunes("type"), "episodic")
        _sub(channel, _itunes("category"), text="Health & Fitness")
        _sub(channel, _podcast("guid"), str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _without_scheme(feed_url))))
        for episode in episodes:
            _item(channel, episode, absolute_url)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _item(channel, episode, absolute_url):
    page, content, listen = episode.page, episode.content, episode.listen
    item = _sub(channel, "item")
    _sub(item, "title", content.title)
    _sub(item, "link", absolute_url(page.get_url() or "/"))
    reviewed = getattr(content, "last_reviewed", None)
    summary = content.summary
    if reviewed:
        summary = f"{summary}\n\n" + _("Revisada el %(date)s.") % {"date": reviewed.isoformat()}
    _sub(item, "description", summary)
    _sub(item, "guid", episode.guid, isPermaLink="false")
    _sub(item, "pubDate", _rfc822(listen.generated_at))
    audio_url = absolute_url(listen.audio.url)
    _sub(item, "enclosure", url=audio_url, length=str(listen.size_bytes), type=listen.mime_type)
    _sub(item, _itunes("title"), content.title)
    _sub(item, _itunes("duration"), str(round(listen.duration)))
    _sub(item, _itunes("episodeType"), "full")
    _sub(item, _itunes("explicit"), "false")
    if listen.captions:
        _sub(
            item, _podcast("transcript"), url=absolute_url(listen.captions.url), type="text/vtt",
            language=episode.text_language, rel="captions",
        )
    if listen.chapters:
        _sub(item, _podcast("chapters"), url=absolute_url(listen.chapters.url), type="application/json+chapters")
    _alternate(item, listen, absolute_url, _("Escuchar (MP3)"), default=True)
    if episode.lowdata is not None:
        _alternate(item, episode.lowdata, absolute_url, _("Datos bajos (Opus)"))


def _alternate(item, rendition, absolute_url, title, default=False):
    attributes = {"type": rendition.mime_type, "length": str(rendition.size_bytes), "title": title}
    if rendition.bitrate:
        attributes["bitrate"] = str(rendition.bitrate)
    if default:
        attributes["default"] = "true"
    alternate = _sub(item, _podcast("alternateEnclosure"), **attributes)
    _sub(alternate, _podcast("source"), uri=absolute_url(rendition.audio.url))
    digest = base64.b64encode(bytes.fromhex(rendition.sha256)).decode("ascii")
    _sub(alternate, _podcast("integrity"), type="sri", value=f"sha256-{digest}")


def _sub(parent, tag, content=None, **attributes):
    element = ET.SubElement(parent, tag, attributes)
    if content is not None:
        element.text = content
    return element


def _itunes(name):
    return f"{{{NAMESPACES['itunes']}}}{name}"


def _podcast(name):
    return f"{{{NAMESPACES['podcast']}}}{name}"


def _rfc822(moment):
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _without_scheme(url):
    return url.split("://", 1)[-1].rstrip("/")
