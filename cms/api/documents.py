"""Every public guide → its API document, built together in a fixed number of queries.

What counts as public: live, not past its expiry time, not under a view
restriction (its own or an ancestor's). A translation that is not complete is
shown as its source, labelled with the source's language (see
``translations``); if that source is not public either, the translation is
not shown at all — its text would be the unpublished source's.

The documents are plain dicts; ``serializers`` turns them into JSON through an
allow-list, and ``snapshot`` caches the result.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from wagtail.models import Locale, Page
from wagtail.rich_text import expand_db_html

from audio.changes import latest_versions
from audio.facts import AudioFacts
from audio.text import INTRO_ID, speech_sections
from audio.voices import uses_recordings
from cms import visibility
from cms.models import GuidePage, Organization
from cms.pictograms import PICTOGRAMS
from cms.rich_text import public_page_urls
from cms.translations import translation_states

from . import audio as audio_api
from .state import api_base_url

ANCHOR_RE = re.compile(r"<a\b([^>]*)>")
ATTRIBUTE_RE = re.compile(r'([\w-]+)="([^"]*)"')
# Splits the bodies rich-text expansion handles in one call (one query per link type).
BODY_SEPARATOR = "\n<!--altavoz-api-section-->\n"


@dataclass
class GuideDocument:
    """One public guide: its full document, its listing summary, its own renditions."""

    page_id: int
    locale: str
    translation_key: str
    slug: str
    full: dict
    summary: dict
    renditions: list = field(default_factory=list)


@dataclass
class Build:
    guides: dict  # page id → GuideDocument, in tree order
    # Live translated pages the stock pages endpoint must not serve from their rows: an
    # incomplete translation (source text under its locale) or a saved translation draft.
    hidden_from_stock: frozenset
    # The earliest future expiry among public guides: the build is wrong after it.
    valid_until: datetime | None


def absolute(url):
    """An absolute URL for a path, using the configured public base URL."""
    if not url:
        return url
    return urljoin(api_base_url() + "/", url)


def guide_detail_path(page_id):
    return f"/api/v2/guides/{page_id}/"


def public_guides(now):
    """The guides the public may see (``cms.visibility``), in tree order, as live revisions."""
    queryset = GuidePage.objects.select_related("locale").order_by("path")
    return visibility.published_many(visibility.public_pages(queryset, now))


def build_documents(now=None):
    """Documents for every public guide (see module docstring)."""
    now = now or timezone.now()
    source_language = settings.SOURCE_LANGUAGE_CODE
    guides = public_guides(now)
    public = {guide.pk: guide for guide in guides}

    # Translation state of every live page in another language than the
    # source: guides for the documents, the rest for the stock endpoint.
    translated_pages = list(
        Page.objects.live()
        .exclude(locale__language_code=source_language)
        .only("id", "translation_key", "locale_id", "last_published_at", "has_unpublished_changes")
    )
    states = translation_states(translated_pages)
    hidden_from_stock = frozenset(
        page.pk
        for page in translated_pages
        if (
            (page.translation_key, page.locale_id) in states
            and not states[(page.translation_key, page.locale_id)].complete
        )
        # wagtail-localize writes a translator's saved draft into the page row itself,
        # and the stock endpoint serves rows: a translation with a draft is not served.
        or page.has_unpublished_changes
    )

    versions, source_locale_id = _all_versions_of_translated(guides, source_language)
    shown = _shown_versions(guides, public, states, versions)

    versions_shown = [version for version, _state in shown.values()]
    context = _Context(
        public=public,
        facts=AudioFacts.load(public),
        speech=_SpeechCache(),
        organizations=_organization_documents(versions_shown),
        html=_section_html(versions_shown),
        translations=defaultdict(list),
        languages=dict(Locale.objects.values_list("pk", "language_code")),
        versions=latest_versions(shown),
    )
    for guide in guides:
        if guide.pk in shown:
            context.translations[guide.translation_key].append(guide)

    documents = {}
    for guide in guides:
        if guide.pk not in shown:
            continue
        version, state = shown[guide.pk]
        source_page = (
            guide
            if guide.locale.language_code == source_language
            else versions.get((guide.translation_key, source_locale_id))
        )
        documents[guide.pk] = _guide_document(guide, version, state, source_page, context)

    expiries = [guide.expire_at for guide in guides if guide.expire_at and guide.expire_at > now]
    return Build(documents, hidden_from_stock, min(expiries) if expiries else None)


def _all_versions_of_translated(guides, source_language):
    """Every version (any locale, public or not) of the translated guides, and the source locale.

    The source a fallback shows, and the source text recordings are checked against.
    """
    keys = {
        guide.translation_key for guide in guides if guide.locale.language_code != source_language
    }
    if not keys:
        return {}, None
    versions = {
        (version.translation_key, version.locale_id): version
        for version in GuidePage.objects.filter(translation_key__in=keys).select_related("locale")
    }
    source_locale_ids = {
        version.locale_id
        for version in versions.values()
        if version.locale.language_code == source_language
    }
    return versions, next(iter(source_locale_ids), None)


def _shown_versions(guides, public, states, versions):
    """Guide id → (the version a reader sees, its translation state); hidden fallbacks left out."""
    shown = {}
    for guide in guides:
        state = states.get((guide.translation_key, guide.locale_id))
        if state is not None and not state.complete:
            source = versions.get((guide.translation_key, state.source_locale_id))
            if source is None or source.pk not in public:
                continue  # its text would be an unpublished or restricted page's
            shown[guide.pk] = (public[source.pk], state)
        else:
            shown[guide.pk] = (guide, state)
    return shown


@dataclass
class _Context:
    """What every guide's document is made from, loaded once per build."""

    public: dict  # page id → public GuidePage
    facts: AudioFacts
    speech: "_SpeechCache"
    organizations: dict  # organization id → document
    html: dict  # (page id, section id) → HTML
    translations: dict  # translation key → public guides
    languages: dict  # locale id → language code
    versions: dict  # page id → its latest PublishedVersion


class _SpeechCache(dict):
    """Page id → speech sections, computed once per build."""

    def of(self, page):
        if page.pk not in self:
            self[page.pk] = speech_sections(page)
        return self[page.pk]


def _guide_document(guide, version, state, source_page, context):
    language = version.locale.language_code
    sections = context.speech.of(version)
    audio, offsets, recordings = _guide_audio(guide, version, source_page, context)
    speech_by_id = {section.id: section for section in sections}
    intro = speech_by_id.get(INTRO_ID)
    page_url = guide.get_url(None)

    section_documents = _section_documents(
        version, language, speech_by_id, offsets, recordings, context
    )
    translation_info = _translation_info(guide, version, state, language, context)

    summary = {
        "id": guide.pk,
        "detail_url": absolute(guide_detail_path(guide.pk)),
        "html_url": absolute(page_url),
        "locale": guide.locale.language_code,
        "language": language,
        "translation_key": str(guide.translation_key),
        "slug": guide.slug,
        "title": version.title,
        "place": {"name": version.place_name, "department": version.department},
        "summary": version.summary,
        "last_reviewed": version.last_reviewed,
        "first_published_at": guide.first_published_at,
        "last_published_at": guide.last_published_at,
        "translation": translation_info,
        "audio": audio,
        "version": _version_document(context.versions.get(guide.pk)),
    }
    full = dict(summary)
    full.update(
        {
            "discreet_title": version.discreet_title,
            "translations": [
                {
                    "id": other.pk,
                    "locale": other.locale.language_code,
                    "detail_url": absolute(guide_detail_path(other.pk)),
                }
                for other in context.translations[guide.translation_key]
                if other.pk != guide.pk
            ],
            "intro": {
                "text": intro.text if intro else "",
                "sentences": list(intro.sentences) if intro else [],
                "audio": offsets.get(INTRO_ID, []),
            },
            "sections": section_documents,
            "organizations": [
                context.organizations[ref]
                for ref in _organization_refs(version)
                if ref in context.organizations
            ],
        }
    )
    own_renditions = [r for r in audio["renditions"] if not audio["fallback"]]
    return GuideDocument(
        page_id=guide.pk,
        locale=guide.locale.language_code,
        translation_key=str(guide.translation_key),
        slug=guide.slug,
        full=full,
        summary=summary,
        renditions=[
            dict(r, guide=guide.pk, locale=guide.locale.language_code) for r in own_renditions
        ],
    )


def _version_document(version):
    """The guide's version and the sections it changed (recorded only while it was public)."""
    if version is None:
        return None
    return {
        "number": version.number,
        "recorded_at": version.recorded_at,
        "changed_sections": [
            {key: change[key] for key in ("id", "heading", "change", "text", "audio")}
            for change in version.changes
        ],
    }


def _section_documents(version, language, speech_by_id, offsets, recordings, context):
    documents = []
    for block in version.sections:
        value = block.value
        section_id = str(block.id)
        spoken = speech_by_id.get(section_id)
        documents.append(
            {
                "id": section_id,
                "heading": value["heading"],
                "key_point": value.get("key_point") or "",
                "pictogram": _pictogram(value.get("pictogram"), language),
                "text": spoken.text if spoken else "",
                "sentences": list(spoken.sentences) if spoken else [],
                "html": context.html.get((version.pk, section_id), ""),
                "audio": offsets.get(section_id, []),
                "recording": recordings.get(section_id) if recordings is not None else None,
            }
        )
    return documents


def _translation_info(guide, version, state, language, context):
    """Where a translated guide stands; None for a guide in the source language."""
    if state is not None:
        return {
            "source_language": context.languages.get(state.source_locale_id),
            "complete": state.complete,
            "progress": {"total": state.total, "translated": state.translated},
            "fallback_language": language if version is not guide else None,
        }
    if guide.locale.language_code != settings.SOURCE_LANGUAGE_CODE:
        # A translation made by hand (sync with the source switched off).
        return {
            "source_language": None,
            "complete": True,
            "progress": None,
            "fallback_language": None,
        }
    return None


def _guide_audio(guide, version, source_page, context):
    """The audio document, section offsets, and recording states of a guide.

    A guide plays its own audio. One without (a Kaqchikel guide before its
    recordings exist) offers the source-language audio, labelled as such —
    as the listening front does.
    """
    language = guide.locale.language_code
    public, facts, speech = context.public, context.facts, context.speech
    own = facts.renditions.get(guide.pk, [])
    recordings = None
    if uses_recordings(language) and source_page is not None:
        recordings = audio_api.recording_states(
            guide.pk,
            speech.of(version),
            {s.id: s.text_hash for s in speech.of(source_page)},
            facts,
        )
    if own:
        owner, renditions, audio_language = guide, own, language
        statuses = audio_api.rendition_statuses(guide.pk, language, speech.of(version), facts)
    elif source_page is not None and source_page is not guide and source_page.pk in public:
        owner = public[source_page.pk]
        renditions = facts.renditions.get(owner.pk, [])
        audio_language = owner.locale.language_code
        statuses = audio_api.rendition_statuses(owner.pk, audio_language, speech.of(owner), facts)
    else:
        owner, renditions, audio_language, statuses = guide, [], language, {}
    if not renditions:
        owner = guide
    documents = [
        audio_api.rendition_document(r, statuses[r.pk], audio_language, absolute)
        for r in renditions
    ]
    audio = {
        "language": audio_language,
        "fallback": owner is not guide,
        "status": audio_api.overall_status(statuses.values(), facts.generating(owner.pk)),
        "duration": documents[0]["duration"] if documents else None,
        "generating": facts.generating(owner.pk),
        "renditions": documents,
        "recordings": None,
    }
    if recordings is not None:
        values = list(recordings.values())
        audio["recordings"] = {
            "sections": len(values),
            "current": values.count("current"),
            "stale": values.count("stale"),
            "missing": values.count("missing"),
        }
    return audio, audio_api.section_offsets(renditions), recordings


def _pictogram(key, language):
    pictogram = PICTOGRAMS.get(key or "")
    if pictogram is None:
        return None
    with translation.override(language):
        label = str(pictogram.label)
    return {"key": pictogram.key, "label": label, "svg_path": pictogram.path}


def _organization_refs(page):
    return [
        block.get("value")
        for block in page.organizations.raw_data
        if block.get("type") == "organization" and block.get("value")
    ]


def _organization_documents(pages):
    """Organization id → document, each in the version a reader should see."""
    ids = {ref for page in pages for ref in _organization_refs(page)}
    if not ids:
        return {}
    organizations = Organization.objects.select_related("locale").in_bulk(ids)
    states = translation_states(organizations.values())
    pending = {
        (org.translation_key, states[(org.translation_key, org.locale_id)].source_locale_id)
        for org in organizations.values()
        if (org.translation_key, org.locale_id) in states
        and not states[(org.translation_key, org.locale_id)].complete
    }
    sources = {}
    if pending:
        for source in Organization.objects.select_related("locale").filter(
            translation_key__in={key for key, _locale in pending}
        ):
            sources[(source.translation_key, source.locale_id)] = source
    documents = {}
    for org_id, org in organizations.items():
        shown = org
        state = states.get((org.translation_key, org.locale_id))
        if state is not None and not state.complete:
            shown = sources.get((org.translation_key, state.source_locale_id), org)
            if shown is org:
                continue  # no source to show: leave it out rather than mislabel it
        documents[org_id] = {
            "id": shown.pk,
            "language": shown.locale.language_code,
            "name": shown.name,
            "offers": shown.offers,
            "serves": shown.serves,
            "area": shown.area,
            "how_to_reach": shown.how_to_reach,
            "phone": shown.phone,
            "email": shown.email,
            "website": shown.website,
            "verified_on": shown.verified_on,
        }
    return documents


def _section_html(pages):
    """(page id, section id) → front-end HTML of the section body.

    Links to pages go to that page's public URL, or lose their target when
    the page is not public (no slug of a draft leaks). Other link types go
    through Wagtail's expansion, all bodies in one call. Relative URLs are
    made absolute.
    """
    bodies = []
    for page in pages:
        for block in page.sections:
            body = block.value["body"]
            source = body.source if hasattr(body, "source") else str(body)
            bodies.append(((page.pk, str(block.id)), source or ""))
    linked_ids = set()
    for _key, source in bodies:
        for attributes in ANCHOR_RE.findall(source):
            attrs = dict(ATTRIBUTE_RE.findall(attributes))
            if attrs.get("linktype") == "page" and attrs.get("id", "").isdigit():
                linked_ids.add(int(attrs["id"]))
    linked = Page.objects.filter(pk__in=linked_ids) if linked_ids else []
    page_urls = {page_id: absolute(url) for page_id, url in public_page_urls(linked).items()}

    def rewrite_page_link(match):
        attrs = dict(ATTRIBUTE_RE.findall(match.group(1)))
        if attrs.get("linktype") != "page":
            return match.group(0)
        url = page_urls.get(int(attrs["id"])) if attrs.get("id", "").isdigit() else None
        return f'<a href="{escape(url)}">' if url else "<a>"

    joined = BODY_SEPARATOR.join(
        ANCHOR_RE.sub(rewrite_page_link, source) for _key, source in bodies
    )
    if "linktype=" in joined:
        joined = expand_db_html(joined)
    # Expanded attributes are already escaped; only the configured base is added.
    base = escape(api_base_url())
    joined = re.sub(
        r'(href|src)="(/[^"]*)"', lambda m: f'{m.group(1)}="{base}{m.group(2)}"', joined
    )
    parts = joined.split(BODY_SEPARATOR)
    # A separator inside a body would shift every part after it: refuse, not mislabel.
    return {key: part for (key, _source), part in zip(bodies, parts, strict=True)}
