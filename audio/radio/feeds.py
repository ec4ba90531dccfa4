"""Podcast feeds, two per locale: one for radio stations, one for listeners.

- ``/feeds/<locale>/radio.xml``, for community radio stations that subscribe
  instead of downloading packages: the guides' real titles and summaries, and
  ``podcast:chapters`` (JSON, named by the sections' headings). Linked only
  from the admin's radio package page and the packages' README, never from
  public pages.
- ``/feeds/<locale>/podcast.xml``, for listeners' podcast apps, which show
  episode and chapter titles on lock screens, in notifications and in their
  lists: the channel is the site's name, an episode is the guide's discreet
  title, with no summary and no chapters JSON (the MP3 itself only carries
  numbered "Parte N" chapters). Nothing in it names the topic.

RSS 2.0 with iTunes and Podcasting 2.0 tags, one episode per guide in both:

- enclosure: the live ``listen`` rendition (MP3); ``podcast:alternateEnclosure``
  offers it and the ``lowdata`` rendition (Opus) for thin links;
- ``podcast:transcript``: the WebVTT captions (see ``_listener_item`` for why
  listeners keep it);
- ``guid``: the guide's translation key + locale, so an episode keeps its
  identity when its audio is regenerated, while ``pubDate`` (the rendition's
  date) and the enclosure URL (content-hashed) change with the audio;
- the guide's public version (``audio.changes``): ``podcast:txt
  purpose="version"`` in both; the stations' description also says in plain
  words which sections it changed ("Versión 3. Cambió: …"), the listeners'
  only its number (headings name the topic).

Guides come only through ``cms.visibility`` (live revision, not expired,
public, a fallback's source public too), and only audio that is honestly in
the feed's language: a synthesized voice only over a complete translation,
recorded audio (Kaqchikel) only when every section's recording is there and
up to date. Every URL is this site's own.
"""

from __future__ import annotations

import base64
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail import hooks

from audio.changes import latest_versions, version_summary
from audio.facts import AudioFacts
from audio.recordings import recording_statuses
from audio.text import speech_sections
from audio.voices import RECORDED, only_recordings, reads_honestly
from cms import visibility
from cms.models import GuidePage
from cms.models.guide import CONTENT_TOKEN_HOOK

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
    version: object | None = None  # its latest PublishedVersion

    @property
    def guid(self):
        return episode_guid(self.page)


def episode_guid(page):
    """Stable across audio regenerations and edits: the guide's identity in this locale."""
    return f"altavoz:guide:{page.translation_key}:{page.locale.language_code}"


def feed_episodes(locale):
    """The episodes of a locale's feeds, in site order (see module docstring for the rules)."""
    language = locale.language_code
    # A language read only by people (Kaqchikel) never lists a synthesized voice.
    recorded_only = only_recordings(language)
    guides = GuidePage.objects.filter(locale=locale).select_related("locale").order_by("path")
    versions = visibility.public_versions(guides)
    # One query for every guide's renditions, not one per guide.
    facts = AudioFacts.load(version.requested.pk for version in versions)
    published = latest_versions(version.requested.pk for version in versions)
    episodes = (_episode(version, recorded_only, facts, published) for version in versions)
    return [episode for episode in episodes if episode is not None]


def _episode(version, recorded_only, facts, published):
    """The Episode of a public guide, or None when its audio is not honestly in its language."""
    page = version.requested
    live = {r.variant: r for r in facts.renditions.get(page.pk, [])}
    listen = live.get(ENCLOSURE_VARIANT)
    if listen is None or (recorded_only and listen.engine != RECORDED):
        return None
    if listen.engine == RECORDED:
        statuses = recording_statuses(page, speech_sections(version.object))
        if any(s.missing or s.stale for s in statuses):
            return None
    elif not reads_honestly(listen.engine, version):
        return None
    return Episode(
        page,
        version.object,
        version.language,
        listen,
        live.get(LOW_BANDWIDTH_VARIANT),
        published.get(page.pk),
    )


# Feeds already built in this process: (kind, locale, addresses) → (content token, valid
# until, body). A podcast app polls the same bytes for days; at 600 guides a build costs a
# second, a memo hit nothing. A few entries per locale and host: bounded anyway.
_built: dict = {}
_built_lock = threading.Lock()
MAX_BUILT_FEEDS = 64


def cached_feed(build, locale, absolute_url, feed_url):
    """``build(locale, absolute_url, feed_url)``, remade only when something public changed.

    Keyed on the API's content token (any publish, unpublish, rendition, recording or
    version moves it) and valid until the next expiry, which hides a guide with no write.
    Without a token (the API app absent) every call builds.
    """
    token = _content_token()
    key = (build.__name__, locale.language_code, feed_url, absolute_url("/"))
    now = timezone.now()
    found = _built.get(key)
    if token is not None and found is not None and found[0] == token:
        if found[1] is None or now < found[1]:
            return found[2]
    # Read before building: a guide expiring during the build must not outlive its memo.
    valid_until = _next_expiry(now)
    body = build(locale, absolute_url, feed_url)
    if token is not None:
        with _built_lock:
            if len(_built) >= MAX_BUILT_FEEDS:
                _built.clear()
            _built[key] = (token, valid_until, body)
    return body


def forget_built_feeds():
    """Drop this process's built feeds (tests, whose rolled-back data may repeat a token)."""
    _built.clear()


def _content_token():
    tokens = [make_token() for make_token in hooks.get_hooks(CONTENT_TOKEN_HOOK)]
    return "|".join(tokens) if tokens else None


def _next_expiry(now):
    """The earliest future expiry of any guide: a feed built now is wrong from then on."""
    return GuidePage.objects.filter(expire_at__gt=now).aggregate(first=Min("expire_at"))["first"]


def radio_feed(locale, absolute_url, feed_url):
    """The stations' RSS document (bytes, UTF-8): real titles, summaries, chapters.

    ``absolute_url(path)`` makes a site path absolute; ``feed_url`` is the
    feed's own address (atom:link rel="self", podcast:guid).
    """
    language = locale.language_code
    with translation.override(language):
        language_name = dict(settings.LANGUAGES).get(language, language)
        title = _("%(site)s: guías en audio (%(language)s)") % {
            "site": settings.WAGTAIL_SITE_NAME,
            "language": language_name,
        }
        description = _(
            "Guías de reducción de daños en audio, "
            "para escuchar y para retransmitir en radios comunitarias."
        )
        return _rss(locale, absolute_url, feed_url, title, description, _radio_item)


def podcast_feed(locale, absolute_url, feed_url):
    """The listeners' RSS document (bytes, UTF-8): discreet titles only (see module docstring)."""
    with translation.override(locale.language_code):
        return _rss(
            locale,
            absolute_url,
            feed_url,
            settings.WAGTAIL_SITE_NAME,
            _("Notas en audio."),
            _listener_item,
        )


def _rss(locale, absolute_url, feed_url, title, description, write_item):
    language = locale.language_code
    episodes = feed_episodes(locale)
    site = settings.WAGTAIL_SITE_NAME
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", absolute_url(f"/{language}/"))
    _sub(channel, "description", description)
    _sub(channel, "language", language)
    _sub(channel, "generator", site)
    _sub(
        channel,
        f"{{{NAMESPACES['atom']}}}link",
        href=feed_url,
        rel="self",
        type="application/rss+xml",
    )
    if episodes:
        _sub(channel, "lastBuildDate", _rfc822(max(e.listen.generated_at for e in episodes)))
    _sub(channel, _itunes("author"), site)
    _sub(channel, _itunes("summary"), description)
    _sub(channel, _itunes("explicit"), "false")
    _sub(channel, _itunes("type"), "episodic")
    _sub(channel, _itunes("category"), text="Health & Fitness")
    _sub(
        channel,
        _podcast("guid"),
        str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _without_scheme(feed_url))),
    )
    for episode in episodes:
        write_item(channel, episode, absolute_url)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _radio_item(channel, episode, absolute_url):
    content, listen = episode.content, episode.listen
    changes = ""
    if episode.version is not None:
        number, changed = episode.version.number, episode.version.changes
        changes = version_summary(number, changed, episode.page.locale.language_code)
    summary = "\n\n".join(part for part in (content.summary, _reviewed(content), changes) if part)
    item = _item(channel, episode, absolute_url, content.title, summary)
    _transcript(item, episode, absolute_url)
    if listen.chapters:
        _sub(
            item,
            _podcast("chapters"),
            url=absolute_url(listen.chapters.url),
            type="application/json+chapters",
        )
    _alternates(item, episode, absolute_url)


def _listener_item(channel, episode, absolute_url):
    """An episode a lock screen may show: the discreet title, the review date, the audio.

    No chapters JSON: apps show chapter titles (the headings) on lock screens
    and in notifications. The transcript stays: it is the words the audio
    says, which the app shows only inside itself, when the listener opens it,
    never on a lock screen or in a notification; and it lets a listener who
    cannot hear, or cannot safely play sound where she is, read the guide.
    """
    content = episode.content
    title = getattr(content, "discreet_title", "") or settings.WAGTAIL_SITE_NAME
    description = _reviewed(content)
    if (
        episode.version is not None
    ):  # its number only: the changed sections' headings name the topic
        number = _("Versión %(number)d") % {"number": episode.version.number}
        description = f"{description} {number}.".strip()
    item = _item(channel, episode, absolute_url, title, description)
    _transcript(item, episode, absolute_url)
    _alternates(item, episode, absolute_url)


def _item(channel, episode, absolute_url, title, description):
    """An item with what both feeds share: title, link, guid, date and the audio."""
    page, listen = episode.page, episode.listen
    item = _sub(channel, "item")
    _sub(item, "title", title)
    _sub(item, "link", absolute_url(page.get_url() or "/"))
    if description:
        _sub(item, "description", description)
    _sub(item, "guid", episode.guid, isPermaLink="false")
    _sub(item, "pubDate", _rfc822(listen.generated_at))
    _sub(
        item,
        "enclosure",
        url=absolute_url(listen.audio.url),
        length=str(listen.size_bytes),
        type=listen.mime_type,
    )
    _sub(item, _itunes("title"), title)
    _sub(item, _itunes("duration"), str(round(listen.duration)))
    _sub(item, _itunes("episodeType"), "full")
    _sub(item, _itunes("explicit"), "false")
    if episode.version is not None:
        _sub(item, _podcast("txt"), str(episode.version.number), purpose="version")
    return item


def _reviewed(content):
    reviewed = getattr(content, "last_reviewed", None)
    return _("Revisada el %(date)s.") % {"date": reviewed.isoformat()} if reviewed else ""


def _transcript(item, episode, absolute_url):
    captions = episode.listen.captions
    if captions:
        _sub(
            item,
            _podcast("transcript"),
            url=absolute_url(captions.url),
            type="text/vtt",
            language=episode.text_language,
            rel="captions",
        )


def _alternates(item, episode, absolute_url):
    _alternate(item, episode.listen, absolute_url, _("Escuchar (MP3)"), default=True)
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
