"""Leak crawl (issue #11): nothing of a hidden page reaches the public, through any surface.

One guide per way a page can be hidden — unpublished, never published, a draft
of a live page, a draft of a translation (wagtail-localize writes it into the
page row), private by password, by group, by login, live under a private
parent, expired, scheduled, deleted, in moderation (new, and changes to a live
page) — each with its own secret words in its title, summary, discreet title,
section heading, key point, body, slug and in an organization only it uses.
Where the page was public first, its audio is generated for real (espeak, and
a Kaqchikel recording) before it is hidden, so its files exist on disk.

Then an anonymous client crawls every public surface in every locale — front
pages, feeds, the API (ours and Wagtail's stock pages endpoint), the service
worker — and every same-origin URL found in what they return (links, media,
captions, chapters, feed enclosures), breadth-first, reading the tags inside
the audio files. No secret word may appear anywhere, and no file of a hidden
page may be served; a hidden guide's saved-copy manifest (``/guardado/<id>.json``)
answers exactly like an id that never existed. A public control guide (and the live versions of the
drafted ones) must be reached, so a crawl that fetches nothing fails.

The data is built once for the module inside a transaction that is rolled
back at the end; the tests below only read what the crawl recorded, one test
per kind of surface so that each lists all of its leaks at once.
"""

import html
import io
import json
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import av
import mutagen
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from tests.audio.fixtures import make_audio_file

LOCALES = ("es", "en", "cak")
# Words: a prefix, the state, the field. The prefixes differ by language and
# by whether the word may be seen, and no word is a substring of another.
SECRET, SECRET_EN = "secretoxq", "secretenxq"
PUBLIC, PUBLIC_EN = "publicoxq", "publicenxq"
FIELDS = (
    "titulo",
    "resumen",
    "discreto",
    "encabezado",
    "clave",
    "cuerpo",
    "slug",
    "org",
    "orgoferta",
)
SECRET_RE = re.compile(rf"(?:{SECRET}|{SECRET_EN})[a-z]+")
MAX_FETCHES = 3000
FEEDS = ("podcast.xml", "radio.xml")  # listeners' discreet feed, stations' feed

# The data is built by the module fixture; the mark makes pytest-django set up the test database.
pytestmark = pytest.mark.django_db


def words(prefix, state):
    return {name: f"{prefix}{state}{name}" for name in FIELDS}


def english(text, to=PUBLIC_EN):
    """A translator's "English" for a Spanish string: each marked word gets the English prefix."""
    return re.sub(rf"(?:{SECRET}|{PUBLIC})([a-z]+)", lambda m: f"{to}{m.group(1)}", text)


# --- The hidden states and the control ------------------------------------------


@dataclass
class Built:
    """What the crawl needs to know of the data: secrets, hidden files, where to look."""

    secrets: dict = field(default_factory=dict)  # word → state
    hidden_files: dict = field(default_factory=dict)  # media name → state
    page_paths: set = field(default_factory=set)  # every page URL, hidden or not
    page_ids: set = field(default_factory=set)
    api_slugs: set = field(default_factory=set)  # (locale, slug)
    missing_paths: dict = field(
        default_factory=dict
    )  # URL of a hidden, unrestricted page → state: must be a 404
    redirect_paths: set = field(default_factory=set)  # old URLs Wagtail redirects from
    control: dict = field(default_factory=dict)  # what must be reached
    # Page id → (language, section ids of its latest draft): "Escuchar" must voice none of them
    # for anyone who may not edit the page.
    drafts: dict = field(default_factory=dict)
    hidden_versions: int = 0  # versions (audio.changes) of hidden pages, naming secret words
    # Page id → state: its saved-guide manifest must answer exactly like an unknown id's.
    hidden_ids: dict = field(default_factory=dict)

    def hide(self, state, prefix=SECRET):
        for word in words(prefix, state).values():
            self.secrets[word] = state


def section(w, links=""):
    return {
        "type": "section",
        "id": str(uuid.uuid4()),
        "value": {
            "heading": f"Pregunta {w['encabezado']}",
            "body": f"<p>Texto {w['cuerpo']}.{links}</p>",
            "key_point": f"Importa {w['clave']}.",
            "pictogram": "health",
        },
    }


def organization(w):
    from wagtail.models import Locale

    from cms.models import Organization

    return Organization.objects.create(
        locale=Locale.objects.get(language_code="es"),
        name=f"Colectivo {w['org']}",
        offers=f"Ofrece {w['orgoferta']}.",
    )


def guide_values(w, links=""):
    return {
        "title": f"Guía {w['titulo']}",
        "slug": w["slug"],
        "place_name": "Mixco",
        "department": "Guatemala",
        "summary": f"Resumen {w['resumen']}.",
        "last_reviewed": date(2026, 11, 1),
        "discreet_title": f"Notas {w['discreto']}",
        "sections": [section(w, links)],
        "organizations": [{"type": "organization", "value": organization(w).pk}],
    }


def add_guide(parent, w, publish=True, links="", **extra):
    from cms.models import GuidePage

    guide = parent.add_child(instance=GuidePage(live=False, **guide_values(w, links), **extra))
    if publish:
        guide.save_revision().publish()
    return GuidePage.objects.get(pk=guide.pk)


def draft_values(page, w):
    """Put ``w``'s words in every text field of ``page`` (not saved)."""
    values = guide_values(w)
    for name in ("title", "slug", "summary", "discreet_title", "organizations"):
        setattr(page, name, values[name])
    raw = page.sections.get_prep_value()
    raw[0]["value"].update(values["sections"][0]["value"])
    page.sections = raw
    return page


def translate(page, language, convert=None, publish=True):
    """Submit ``page`` for translation; with ``convert``, fill every string with
    ``convert(source)``."""
    from cms.localization import fill_translation, submit_translation
    from cms.models import GuidePage

    with TestCase.captureOnCommitCallbacks(execute=True):  # wagtail-localize publishes on commit
        translation = submit_translation(page, language)
        if convert is not None:
            strings = {e.msgid: convert(e.msgid) for e in translation.export_po() if not e.obsolete}
            fill_translation(translation, strings, publish=publish)
    return GuidePage.objects.get(
        translation_key=page.translation_key, locale__language_code=language
    ), translation


def record(page):
    """A Kaqchikel recording (a tone) for every section of ``page``, as an upload stores it."""
    from audio.models import SectionRecording
    from audio.recordings import recording_statuses, source_text_hashes

    hashes = source_text_hashes(page)
    tone = make_audio_file(0.6)
    for status in recording_statuses(page):
        recording = SectionRecording(
            page=page,
            section_id=status.section.id,
            duration=0.6,
            source_text_hash=hashes.get(status.section.id, ""),
        )
        recording.audio.save(f"{page.pk}-{status.section.id}.wav", ContentFile(tone), save=False)
        recording.save()


def make_audio(*pages):
    from audio.jobs import request_audio, run_job

    for page in pages:
        request_audio(page)
        result = run_job(page.pk)
        assert result and result.get("published"), (page, result)


def files_of(pages):
    """Every stored file of these pages: renditions (audio, captions, chapters, any state),
    recordings and the phone line's section files (any state)."""
    from audio.models import PhoneAudio, Rendition, SectionRecording

    names = set()
    for rendition in Rendition.objects.filter(page__in=pages):
        names.update(f.name for f in (rendition.audio, rendition.captions, rendition.chapters) if f)
    names.update(r.audio.name for r in SectionRecording.objects.filter(page__in=pages))
    names.update(r.audio.name for r in PhoneAudio.objects.filter(page__in=pages))
    return names


def build():
    """Create the control and one guide per hidden state; returns a ``Built``."""
    from wagtail.models import GroupApprovalTask, Page, PageViewRestriction, Workflow, WorkflowTask

    from audio.jobs import queue_stale_audio, run_job
    from audio.models import AudioJob
    from cms.localization import fill_translation
    from cms.models import GuidePage, HomePage

    built = Built()
    es_home = HomePage.objects.get(locale__language_code="es")
    last_demo_page = Page.objects.order_by("-pk").values_list("pk", flat=True).first()
    editor = _editor()

    def hidden_later(state, translate_to_cak=True, parent=es_home):
        """A guide with secret words, public (with its audio) until it is hidden below."""
        built.hide(state)
        guide = add_guide(parent, words(SECRET, state))
        pages = [guide]
        if translate_to_cak:  # an incomplete translation: it shows (and plays) the Spanish
            cak, _translation = translate(guide, "cak")
            pages.append(cak)
        make_audio(guide)
        return guide, pages

    hidden_pages = {}  # state → pages whose files must not be served

    # Public first, hidden afterwards.
    unpublished, hidden_pages["despublicada"] = hidden_later("despublicada")
    by_password, hidden_pages["privadaclave"] = hidden_later("privadaclave")
    cak_by_password = hidden_pages["privadaclave"][1]
    record(cak_by_password)  # Kaqchikel audio from recordings, of a page that will be private
    make_audio(cak_by_password)
    by_group, hidden_pages["privadagrupo"] = hidden_later("privadagrupo")
    by_login, hidden_pages["privadasesion"] = hidden_later("privadasesion")
    expired, hidden_pages["caducada"] = hidden_later("caducada")
    deleted, hidden_pages["borrada"] = hidden_later("borrada", translate_to_cak=False)

    # Live under a private parent (the restriction is on the folder, not on the guide).
    built.hide("padreprivado")
    folder_word = f"{SECRET}padreprivadocarpeta"
    folder = es_home.add_child(instance=Page(title=f"Carpeta {folder_word}", slug=folder_word))
    folder.save_revision().publish()
    built.secrets[folder_word] = "padreprivado"
    under_private, pages = hidden_later("padreprivado", translate_to_cak=False, parent=folder)
    hidden_pages["padreprivado"] = pages + [folder]

    # An English translation that expires while its Spanish source stays public.
    built.hide("traduccioncaducada", SECRET_EN)
    es_of_expired = add_guide(es_home, words(PUBLIC, "traduccioncaducada"))
    en_expired, _translation = translate(es_of_expired, "en", lambda s: english(s, SECRET_EN))
    make_audio(es_of_expired, en_expired)
    hidden_pages["traduccioncaducada"] = [en_expired]

    # Live pages whose next version is not public: the live version is what must be served.
    drafted = add_guide(es_home, words(PUBLIC, "borradorvivo"))
    make_audio(drafted)
    # A second public version (a new section) before the secret draft: the version the API
    # and feeds describe is this one, never the draft.
    drafted.sections = [*drafted.sections.get_prep_value(), section(words(PUBLIC, "versiondos"))]
    drafted.save_revision().publish()
    make_audio(drafted)
    es_of_translation = add_guide(es_home, words(PUBLIC, "borradortraduccion"))
    en_translated, en_translation = translate(es_of_translation, "en", english)
    make_audio(es_of_translation, en_translated)
    in_moderation_live = add_guide(es_home, words(PUBLIC, "cambiosmoderacion"))

    # Never public.
    built.hide("nuncapublicada")
    never = add_guide(es_home, words(SECRET, "nuncapublicada"), publish=False)
    never.save_revision(user=editor)
    built.hide("programada")
    scheduled = add_guide(
        es_home,
        words(SECRET, "programada"),
        publish=False,
        go_live_at=timezone.now() + timedelta(days=30),
    )
    scheduled.save_revision(user=editor).publish()
    built.hide("moderacion")
    moderated = add_guide(es_home, words(SECRET, "moderacion"), publish=False)
    moderated.save_revision(user=editor)
    workflow = Workflow.objects.create(name="Revisión (leak crawl)")
    task = GroupApprovalTask.objects.create(name="Moderar (leak crawl)")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    workflow.start(moderated, editor)

    # The control: public in every language, with rich-text links to hidden pages and one public
    # page.
    link_targets = [
        never,
        by_password,
        under_private,
        expired,
        scheduled,
        moderated,
        unpublished,
        by_group,
        by_login,
    ]
    links = "".join(
        f' Vea <a linktype="page" id="{page.pk}">más datos</a>.' for page in link_targets
    )
    links += f' Y <a linktype="page" id="{drafted.pk}">{PUBLIC}controlenlace</a>.'
    control = add_guide(es_home, words(PUBLIC, "control"), links=links)
    control_en, _translation = translate(control, "en", english)
    control_cak, _translation = translate(control, "cak")
    record(control_cak)
    make_audio(control, control_en, control_cak)

    # The phone line's menu: live and public, but no web page. Its URL must be a 404 and its
    # words on no web surface (the stock pages endpoint lists every other page type).
    from audio.phone.models import PhoneMenuPage

    built.hide("menutelefono")
    phone_words = words(SECRET, "menutelefono")
    phone_menu = es_home.add_child(
        instance=PhoneMenuPage(
            title=f"Menú {phone_words['titulo']}",
            slug=phone_words["slug"],
            greeting=f"Hola {phone_words['cuerpo']}.",
            guides=[
                {
                    "type": "guide",
                    "value": {"guide": control.pk, "sentence": f"{phone_words['clave']} 1."},
                }
            ],
        )
    )
    phone_menu.save_revision().publish()
    built.missing_paths[phone_menu.get_url(None)] = "menutelefono"

    # URLs that must answer as if there were no page (a restricted page may ask for a password or
    # sign-in).
    for state, pages in [
        *hidden_pages.items(),
        ("nuncapublicada", [never]),
        ("programada", [scheduled]),
        ("moderacion", [moderated]),
    ]:
        for page in pages:
            built.hidden_ids[page.pk] = state
            if (
                state
                in (
                    "despublicada",
                    "caducada",
                    "borrada",
                    "traduccioncaducada",
                    "nuncapublicada",
                    "programada",
                    "moderacion",
                )
                or page.locale.language_code != "es"
            ):
                built.missing_paths[page.get_url(None)] = state

    # Every page URL and id, taken while all the pages still exist.
    for page in Page.objects.filter(depth__gt=1).specific():
        url = page.get_url(None)
        if url:
            built.page_paths.add(urlsplit(url).path)
        built.page_ids.add(page.pk)
        if isinstance(page, GuidePage):
            built.api_slugs.add((page.locale.language_code, page.slug))

    # Hide them.
    unpublished.unpublish()
    PageViewRestriction.objects.create(
        page=by_password, restriction_type=PageViewRestriction.PASSWORD, password="clave-secreta"
    )
    group_restriction = PageViewRestriction.objects.create(
        page=by_group, restriction_type=PageViewRestriction.GROUPS
    )
    group_restriction.groups.add(Group.objects.create(name="Equipo (leak crawl)"))
    PageViewRestriction.objects.create(page=by_login, restriction_type=PageViewRestriction.LOGIN)
    PageViewRestriction.objects.create(page=folder, restriction_type=PageViewRestriction.LOGIN)
    GuidePage.objects.filter(pk__in=[expired.pk, en_expired.pk]).update(
        expire_at=timezone.now() - timedelta(minutes=5)
    )
    for name in files_of(hidden_pages["borrada"]):
        built.hidden_files[name] = "borrada"
    deleted.delete()
    del hidden_pages["borrada"]

    built.hide("borradorvivo")
    draft_values(drafted, words(SECRET, "borradorvivo")).save_revision(user=editor)

    built.hide("borradortraduccion", SECRET_EN)
    # Slug included: wagtail-localize saves a draft's slug into the page row too.
    draft_strings = {
        entry.msgid: english(entry.msgid, SECRET_EN)
        for entry in en_translation.export_po()
        if not entry.obsolete
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert fill_translation(en_translation, draft_strings, publish=False)

    built.hide("cambiosmoderacion")
    draft_values(in_moderation_live, words(SECRET, "cambiosmoderacion")).save_revision(user=editor)
    workflow.start(in_moderation_live, editor)

    # The worker's hourly sweep, then its jobs: it must voice neither drafts nor hidden pages.
    # (Only this module's pages are run: the demo guides' long audio would take minutes.)
    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_stale_audio()
    queued = AudioJob.objects.filter(state=AudioJob.State.QUEUED, page_id__gt=last_demo_page)
    for page_id in queued.values_list("page_id", flat=True):
        run_job(page_id)

    for state, pages in hidden_pages.items():
        for name in files_of(pages):
            built.hidden_files[name] = state
    built.hidden_versions = _versions_naming_secrets()

    from wagtail.contrib.redirects.models import Redirect

    built.redirect_paths = set(Redirect.objects.values_list("old_path", flat=True))

    from audio.models import PhoneAudio, Rendition

    listen = Rendition.objects.get(page=control, variant="listen", state="live")
    built.control = {
        "es": control.get_url(None),
        "en": control_en.get_url(None),
        "cak": control_cak.get_url(None),
        "drafted": drafted.get_url(None),
        "translated": en_translated.get_url(None),
        "moderated": in_moderation_live.get_url(None),
        "drafted_id": drafted.pk,
        "drafted_section": _section_saying(drafted, "borradorvivoclave"),
        "audio": settings.MEDIA_URL + listen.audio.name,
        "captions": settings.MEDIA_URL + listen.captions.name,
        "ids": {control.pk, control_en.pk, control_cak.pk},
        # Nothing public links the phone line's files (its app asks for them): seeded.
        "phone": sorted(
            settings.MEDIA_URL + name
            for name in PhoneAudio.objects.filter(page=control, state="live").values_list(
                "audio", flat=True
            )
        ),
    }
    built.drafts = draft_sections(last_demo_page)
    return built


def draft_sections(after_page_id):
    """This module's guides: page id → (language, the section ids of the latest draft)."""
    from audio.text import speech_sections
    from cms.models import GuidePage

    return {
        page.pk: (
            page.locale.language_code,
            [s.id for s in speech_sections(page.get_latest_revision_as_object())],
        )
        for page in GuidePage.objects.filter(pk__gt=after_page_id).select_related("locale")
    }


def _section_saying(page, word):
    """The id of the section of ``page``'s latest draft whose spoken text holds ``word``."""
    from audio.text import speech_sections

    draft = page.get_latest_revision_as_object()
    return next(s.id for s in speech_sections(draft) if word in s.text.lower())


def _versions_naming_secrets():
    """How many recorded versions name a secret word: they exist, and must never be shown."""
    from audio.models import PublishedVersion

    return sum(
        bool(SECRET_RE.search(json.dumps(version.changes)))
        for version in PublishedVersion.objects.all()
    )


def _editor():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(
        "leak-crawl-editor", "leak@example.invalid", "pw"
    )


# --- The crawl --------------------------------------------------------------------


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    body: bytes
    headers: str
    location: str = ""
    error: str = ""  # the exception behind a server error
    tags: str = ""  # audio files: every tag mutagen reads


@dataclass
class Leak:
    url: str
    word: str
    state: str
    where: str


# Attributes whose relative values ("?datos=ahorro") are URLs; any other attribute counts when it is
# a path.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "data"}


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values = []  # (is a URL attribute, value)

    def handle_starttag(self, tag, attrs):
        self.values.extend((name in URL_ATTRIBUTES, value) for name, value in attrs if value)

    handle_startendtag = handle_starttag


ORIGINS = ("http://testserver", "https://testserver")


def same_origin(value, base=None):
    """The path (and query) of ``value`` if it is one of our URLs, else None."""
    value = html.unescape(value.strip())
    for origin in (
        *ORIGINS,
        settings.ALTAVOZ_API_BASE_URL.rstrip("/"),
        settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
    ):
        if value.startswith(origin + "/"):
            value = value[len(origin) :]
            break
    if (
        base is not None
        and not value.startswith("/")
        and not re.match(r"^[a-z][a-z0-9+.-]*:", value)
    ):
        value = urljoin(base, value)  # relative (e.g. "?datos=ahorro")
    if not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.path.startswith(
        ("/admin/", "/static/")
    ):  # not public surfaces (static files are not content)
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_in(response):
    """Same-origin URLs in a response: attributes, JSON strings, feed URLs, quoted paths."""
    kind = response.content_type
    if not kind.startswith("text/") and not any(t in kind for t in ("json", "xml", "javascript")):
        return []  # audio and other binary files
    text = response.body.decode("utf-8", "replace")
    found = []
    if "html" in kind:
        parser = _Attributes()
        parser.feed(text)
        found = [
            same_origin(value, response.url if is_url else None) for is_url, value in parser.values
        ]
    elif "json" in kind:
        try:
            found = [same_origin(value) for value in _strings(json.loads(text))]
        except ValueError:
            pass
    elif "xml" in kind:
        try:
            root = ET.fromstring(response.body)
            for element in root.iter():
                found += [same_origin(value) for value in element.attrib.values()]
                found.append(same_origin(element.text or ""))
        except ET.ParseError:
            pass
    found += [
        same_origin(m) for m in re.findall(r"""["'(](/[^"'\s)<>]+|https?://[^"'\s)<>]+)""", text)
    ]
    return [url for url in found if url]


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def audio_tags(body):
    """Every tag of an audio file (ID3 frames with their chapters, Vorbis comments, WebM tags), as
    text."""
    if body.startswith(b"\x1aE\xdf\xa3"):  # WebM (EBML): mutagen does not read it
        with av.open(io.BytesIO(body)) as container:
            chapters = [chapter["metadata"] for chapter in container.chapters()]
            return repr(
                [dict(container.metadata), dict(container.streams.audio[0].metadata), chapters]
            )
    try:
        audio = mutagen.File(io.BytesIO(body))
    except Exception as error:  # noqa: BLE001 - a file mutagen cannot read is reported, not fatal
        return f"<unreadable: {error}>"
    if audio is None or audio.tags is None:
        return ""
    parts = [audio.tags.pprint()]
    for frame in getattr(audio.tags, "values", lambda: [])():
        parts.append(repr(frame))
    return "\n".join(parts)


class Crawler:
    def __init__(self, client):
        self.client = client
        self.seen = set()
        self.queue = deque()
        self.responses = {}

    def add(self, url):
        if url and url not in self.seen and len(self.seen) < MAX_FETCHES:
            self.seen.add(url)
            self.queue.append(url)

    def run(self):
        while self.queue:
            url = self.queue.popleft()
            response = self.fetch(url)
            self.responses[url] = response
            for link in links_in(response):
                self.add(link)
            if response.location:
                self.add(same_origin(response.location, url))

    def fetch(self, url):
        raw = self.client.get(url)
        # Reading streamed content closes the response as the test client does (closing it
        # by hand would send request_finished, which closes the connection mid-transaction).
        body = b"".join(raw.streaming_content) if raw.streaming else raw.content
        headers = "\n".join(f"{name}: {value}" for name, value in raw.items())
        response = Response(
            url,
            raw.status_code,
            raw.get("Content-Type", ""),
            body,
            headers,
            raw.get("Location", ""),
        )
        if getattr(raw, "exc_info", None):
            response.error = repr(raw.exc_info[1])
        is_audio = response.content_type.startswith("audio/") or urlsplit(url).path.endswith(
            (".mp3", ".opus", ".webm")
        )
        if raw.status_code in (200, 206) and is_audio:
            response.tags = audio_tags(body)
        return response


def saved_manifest(page_id):
    """What a guide saved on a phone compares itself with (cms.views.saved_guide)."""
    return f"/guardado/{page_id}.json"


def unknown_id(built):
    return max(built.page_ids) + 1000


def seeds(built):
    """The public surfaces, and every URL and id of every page (hidden or not), in every locale."""
    urls = ["/", "/sw.js", "/robots.txt", "/sitemap.xml", "/healthz"]
    for locale in LOCALES:
        urls.append(f"/{locale}/")
        urls += [f"/feeds/{locale}/{feed}" for feed in FEEDS]
        urls += [
            f"/api/v2/guides/?locale={locale}&fields=*&limit=200",
            f"/api/v2/pages/?locale={locale}",
        ]
    urls += [
        "/api/v2/guides/",
        "/api/v2/guides/?fields=*&limit=200",
        "/api/v2/guides/?changed_since=2000-01-01T00:00:00Z&fields=*&limit=200",
        "/api/v2/renditions/?limit=200",
        "/api/schema/",
        "/api/docs/",
    ]
    for offset in range(0, len(built.page_ids) + 20, 20):
        for query in (
            "",
            "&type=cms.GuidePage&fields=*",
            "&type=cms.GuidePage&fields=*&rich_text_format=html",
            "&type=cms.GuidePage&fields=*&rich_text_format=markdown",
            "&type=cms.HomePage&fields=*",
        ):
            urls.append(f"/api/v2/pages/?limit=20&offset={offset}{query}")
    for path in sorted(built.redirect_paths):
        urls += [path, path.rstrip("/") + "/"]
    for path in sorted(built.page_paths):
        urls.append(path)
        urls.append("/api/v2/pages/find/?" + urlencode({"html_path": path}))
    urls.append(saved_manifest(unknown_id(built)))
    for page_id in sorted(built.page_ids):
        urls += [
            saved_manifest(page_id),
            f"/api/v2/guides/{page_id}/",
            f"/api/v2/pages/{page_id}/",
            f"/api/v2/pages/{page_id}/?fields=*&rich_text_format=html",
            f"/api/v2/pages/{page_id}/?fields=*&rich_text_format=markdown",
        ]
    for locale, slug in sorted(built.api_slugs):
        urls.append(f"/api/v2/guides/{locale}/{slug}/")
    urls += built.control["phone"]
    return urls


def oracle_probes(built):
    """Queries that must find nothing: a search or a filter on a hidden word answers "it exists"."""
    probes = []
    for word in sorted(built.secrets):
        if word.endswith(("titulo", "cuerpo", "resumen")):
            probes.append(("/api/v2/pages/?" + urlencode({"search": word}), word))
        if word.endswith("titulo"):
            probes.append(
                (
                    "/api/v2/pages/?"
                    + urlencode({"type": "cms.GuidePage", "title": f"Guía {word}"}),
                    word,
                )
            )
        if word.endswith("slug"):
            probes.append(("/api/v2/guides/?" + urlencode({"slug": word}), word))
            probes.append(
                ("/api/v2/pages/?" + urlencode({"type": "cms.GuidePage", "slug": word}), word)
            )
    return probes


@dataclass
class CrawlResult:
    built: Built
    responses: dict
    leaks: list
    oracle_leaks: list
    hidden_file_statuses: dict  # media name → status
    hidden_files_on_disk: int
    seconds: float
    draft_probes: list  # (account, Response) of "Escuchar" asked by who may not edit the page
    draft_control: Response  # the editor's, on a secret draft: must be heard
    studio_probes: list  # (account, Response) of the recording studio, by who may not edit

    def leaks_under(self, *prefixes, exclude=()):
        return [
            leak
            for leak in self.leaks
            if leak.url.startswith(prefixes) and not leak.url.startswith(exclude)
        ]


def find_leaks(response, secrets):
    lowered_url = response.url.lower()
    places = {
        "body": response.body.decode("utf-8", "replace").lower(),
        "headers": response.headers.lower(),
    }
    if response.tags:
        places["audio tags"] = response.tags.lower()
    leaks = []
    for where, text in places.items():
        for word in set(SECRET_RE.findall(text)):
            if word in lowered_url:
                # The requested URL echoed back (a login redirect's ?next=, a password form).
                continue
            state = secrets.get(word) or next(
                (s for w, s in secrets.items() if word.startswith(w)), "?"
            )
            leaks.append(Leak(response.url, word, state, where))
    return leaks


def crawl(built):
    client = Client(raise_request_exception=False)  # a failing surface is recorded, not fatal
    crawler = Crawler(client)
    for url in seeds(built):
        crawler.add(url)
    crawler.run()

    leaks = []
    for response in crawler.responses.values():
        leaks += find_leaks(response, built.secrets)

    oracle = []
    for url, word in oracle_probes(built):
        response = client.get(url)
        if response.status_code == 200 and json.loads(response.content).get("items"):
            oracle.append(Leak(url, word, built.secrets[word], "search/filter finds it"))

    statuses = {}
    on_disk = 0
    for name, _state in sorted(built.hidden_files.items()):
        on_disk += default_storage.exists(name)
        response = client.get(settings.MEDIA_URL + name)
        statuses[name] = response.status_code
        if response.streaming:
            b"".join(response.streaming_content)
    return crawler.responses, leaks, oracle, statuses, on_disk


def listen_to_draft(client, page_id, section_id):
    """POST to the page editor's "Escuchar" (admin only, audio/admin/listen.py) and record it."""
    from django.urls import reverse

    url = reverse("altavoz_audio:listen_draft", args=[page_id])
    raw = client.post(url, {"section": section_id})
    headers = "\n".join(f"{name}: {value}" for name, value in raw.items())
    return Response(
        f"{url}#{section_id}",
        raw.status_code,
        raw.get("Content-Type", ""),
        raw.content,
        headers,
        raw.get("Location", ""),
    )


def open_studio(client, page_id, section_ids):
    """The recording studio of a page (admin only, audio/admin/studio.py): its list of sections,
    each section's page (its text, to read aloud) and keeping a take; as Responses."""
    from django.urls import reverse

    urls = [reverse("altavoz_audio:studio", args=[page_id])]
    urls += [reverse("altavoz_audio:studio_section", args=[page_id, s]) for s in section_ids]
    responses = [(url, client.get(url)) for url in urls]
    keep = reverse("altavoz_audio:studio_keep", args=[page_id, section_ids[0]])
    tone = SimpleUploadedFile("toma", make_audio_file(1.0), content_type="audio/wav")
    responses.append((keep, client.post(keep, {"audio": tone}, HTTP_ACCEPT="application/json")))
    return [
        Response(
            url,
            raw.status_code,
            raw.get("Content-Type", ""),
            raw.content,
            "\n".join(f"{name}: {value}" for name, value in raw.items()),
            raw.get("Location", ""),
        )
        for url, raw in responses
    ]


def probe_draft_listening(built):
    """Every section of every draft, asked by accounts that may not edit it: (who, Response)s.

    Anonymous; a radio station (no page at all); translators, on pages of other locales.
    Plus the control: the editor hears the live page's secret draft (the probe reaches drafts).
    The same accounts open each draft's recording studio (studio probes).
    """
    from django.contrib.auth import get_user_model

    from cms.accounts.groups import setup_groups
    from tests.signing_in import sign_in

    setup_groups()
    accounts = {"anonymous": (Client(raise_request_exception=False), None)}
    for group, language in (
        ("Emisoras de radio", None),
        ("Traductores (en)", "en"),
        ("Traductores (cak)", "cak"),
    ):
        user = get_user_model().objects.create_user(f"leak-crawl-{language or 'radio'}")
        user.groups.add(Group.objects.get(name=group))
        accounts[group] = (sign_in(Client(raise_request_exception=False), user), language)
    probes, studio = [], []
    for page_id, (language, section_ids) in sorted(built.drafts.items()):
        for who, (client, may_edit_language) in accounts.items():
            if language == may_edit_language:
                continue  # a translator may hear her own locale's drafts
            probes += [(who, listen_to_draft(client, page_id, s)) for s in section_ids]
            if section_ids:
                studio += [(who, r) for r in open_studio(client, page_id, section_ids)]
    editor = sign_in(Client(raise_request_exception=False), _editor_account())
    control = listen_to_draft(editor, built.control["drafted_id"], built.control["drafted_section"])
    return probes, control, studio


def _editor_account():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="leak-crawl-editor")


def reset_api_caches():
    from django.core.cache import cache

    from cms.api import snapshot, state

    cache.clear()
    state.remember(None)
    snapshot.forget_local()


@pytest.fixture(scope="module")
def result(django_db_setup, django_db_blocker):
    media_before = _media_files()
    started = time.monotonic()
    with (
        django_db_blocker.unblock(),
        override_settings(ALTAVOZ_API_ANON_RATE="", ALTAVOZ_API_FRESHNESS_SECONDS=0),
    ):
        reset_api_caches()
        try:
            with transaction.atomic():
                built = build()
                reset_api_caches()
                responses, leaks, oracle, statuses, on_disk = crawl(built)
                draft_probes, draft_control, studio_probes = probe_draft_listening(built)
                transaction.set_rollback(True)
        finally:
            reset_api_caches()
    seconds = time.monotonic() - started
    print(f"\nleak crawl: {len(responses)} URLs fetched in {seconds:.1f} s")  # noqa: T201
    yield CrawlResult(
        built,
        responses,
        leaks,
        oracle,
        statuses,
        on_disk,
        seconds,
        draft_probes,
        draft_control,
        studio_probes,
    )
    for name in _media_files() - media_before:  # the rows are rolled back; their files go too
        Path(settings.MEDIA_ROOT, name).unlink(missing_ok=True)


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def report(leaks):
    """One line per surface URL and hidden state, with the secret words found there."""
    grouped = {}
    for leak in leaks:
        grouped.setdefault((leak.url, leak.where, leak.state), set()).add(leak.word)
    lines = [
        f"{url}  [{where}]  state {state}: {', '.join(sorted(found))}"
        for (url, where, state), found in sorted(grouped.items())
    ]
    return f"{len(leaks)} leaks\n" + "\n".join(lines)


# --- The tests ----------------------------------------------------------------------


def test_the_crawl_reached_public_content(result):
    """A crawl that fetched nothing (or only errors) would find no leak: check it saw the public
    guides."""
    responses, control = result.responses, result.built.control

    def body(url):
        response = responses.get(url)
        assert response is not None, f"never fetched: {url}"
        assert response.status == 200, (url, response.status)
        return response.body.decode("utf-8", "replace")

    assert len(responses) > 100
    assert f"{PUBLIC}controltitulo" in body(control["es"])
    assert f"{PUBLIC}controlcuerpo" in body(control["es"])
    assert f"{PUBLIC}controlorg" in body(control["es"])  # its organization
    assert f"{PUBLIC_EN}controltitulo" in body(control["en"])
    assert f"{PUBLIC}controltitulo" in body(control["cak"])  # Kaqchikel not translated: the Spanish
    assert f"{PUBLIC}borradorvivotitulo" in body(
        control["drafted"]
    )  # the live version of a drafted page
    assert f"{PUBLIC_EN}borradortraducciontitulo" in body(control["translated"])
    assert f"{PUBLIC}cambiosmoderaciontitulo" in body(control["moderated"])
    assert f"{PUBLIC}controltitulo" in body("/api/v2/guides/?fields=*&limit=200")
    assert f"{PUBLIC}controltitulo" in body("/feeds/es/radio.xml")  # stations' feed: real titles
    assert control["audio"] in body(
        "/feeds/es/podcast.xml"
    )  # listeners' feed: discreet titles, same audio
    # Media were found by following links (not seeded): the control's audio, read by mutagen, and
    # its captions.
    audio = responses.get(control["audio"])
    assert audio is not None and audio.status == 200 and audio.tags, control["audio"]
    assert f"{PUBLIC}controlcuerpo" in body(control["captions"])
    assert any(url.endswith(".webm") and r.status == 200 for url, r in responses.items())
    # The public control's phone files are served (the hidden guides' must not be).
    assert len(control["phone"]) >= 4
    for url in control["phone"]:
        assert responses[url].status == 200 and responses[url].body.startswith(b"RIFF"), url
    assert any(
        url.endswith(".json") and url.startswith("/media/") and r.status == 200
        for url, r in responses.items()
    )


def test_no_secret_in_the_api(result):
    leaks = result.leaks_under("/api/")
    assert not leaks, report(leaks)


def test_no_hidden_page_is_found_by_searching_or_filtering_the_api(result):
    assert not result.oracle_leaks, report(result.oracle_leaks)


def test_no_secret_in_front_pages(result):
    leaks = [
        leak
        for leak in result.leaks
        if not leak.url.startswith(("/api/", "/feeds/", settings.MEDIA_URL))
    ]
    assert not leaks, report(leaks)


def test_hidden_pages_answer_like_missing_pages(result):
    """Not a redirect (to where?), not a fallback: the URL of an unrestricted hidden page is a
    404."""
    answered = [
        f"{path}  [{result.responses[path].status} {result.responses[path].location}]  "
        f"(state: {state})"
        for path, state in sorted(result.built.missing_paths.items())
        if result.responses[path].status != 404
    ]
    assert len(result.built.missing_paths) >= 10
    assert not answered, "\n" + "\n".join(answered)


def test_versions_are_described_only_from_what_was_public(result):
    """The new version fields (API sync, both feeds) were crawled: the drafted guide's second
    public version is named there, and the hidden pages' recorded versions, which name their
    secret words, are nowhere (the leak tests above search every crawled body for them)."""
    responses, built = result.responses, result.built
    assert built.hidden_versions > 0  # so the other tests could have found them
    listing = json.loads(responses["/api/v2/guides/?fields=*&limit=200"].body)
    drafted = next(item for item in listing["items"] if item["id"] == built.control["drafted_id"])
    assert drafted["version"]["number"] == 2
    assert [(c["heading"], c["change"]) for c in drafted["version"]["changed_sections"]] == [
        (f"Pregunta {PUBLIC}versiondosencabezado", "added")
    ]
    radio = responses["/feeds/es/radio.xml"].body.decode()
    assert f"Nueva sección: Pregunta {PUBLIC}versiondosencabezado" in radio


def test_hidden_guides_saved_copies_are_told_what_an_unknown_guide_is_told(result):
    """A saved copy's manifest (issue #14) never describes a hidden guide: not its version, not
    its files, not even that it exists. Every hidden state gets the unknown id's exact answer."""
    responses, built = result.responses, result.built
    unknown = responses[saved_manifest(unknown_id(built))]
    assert unknown.status == 404

    def answer(response):
        return response.status, response.content_type, response.body, response.headers

    differ = [
        f"{url}  [{responses[url].status}]  (state: {state})"
        for url, state in sorted((saved_manifest(i), s) for i, s in built.hidden_ids.items())
        if answer(responses[url]) != answer(unknown)
    ]
    assert len(built.hidden_ids) >= 15
    assert not differ, "\n" + "\n".join(differ)
    for page_id in built.control["ids"]:  # and the public control is described
        manifest = json.loads(responses[saved_manifest(page_id)].body)
        assert manifest["guide"] == page_id and manifest["variants"], manifest


def test_no_secret_in_feeds(result):
    leaks = result.leaks_under("/feeds/")
    assert not leaks, report(leaks)


def test_no_secret_in_media_files_or_audio_tags(result):
    leaks = result.leaks_under(settings.MEDIA_URL)
    assert not leaks, report(leaks)


def test_no_file_of_a_hidden_page_is_served(result):
    built = result.built
    assert len(built.hidden_files) > 20 and result.hidden_files_on_disk > 20, (
        "the hidden guides' audio was not made: this test would prove nothing"
    )
    phone_files = [name for name in built.hidden_files if name.startswith("audio/phone/")]
    assert len(phone_files) > 10, "the hidden guides' phone files were not made"
    served = [
        f"{settings.MEDIA_URL}{name}  [{status}]  (state: {built.hidden_files[name]})"
        for name, status in result.hidden_file_statuses.items()
        if status != 404
    ]
    # And none was reached through a link either (with any status but 404).
    media = settings.MEDIA_URL
    served += [
        f"{url}  [{response.status}]  (state: {built.hidden_files[url[len(media) :]]}, linked)"
        for url, response in result.responses.items()
        if url.startswith(media)
        and url[len(media) :] in built.hidden_files
        and response.status != 404
    ]
    assert not served, "\n" + "\n".join(sorted(set(served)))


def test_no_public_surface_fails(result):
    """A server error is no leak, but it hides what the surface would have shown: the crawl must see
    it all."""
    failed = [
        f"{url}  [{response.status}]  {response.error}"
        for url, response in result.responses.items()
        if response.status >= 500
    ]
    assert not failed, "\n" + "\n".join(sorted(failed))


def test_no_draft_is_heard_without_edit_permission(result):
    """The page editor's "Escuchar" voices drafts: only for editors of the page, never for
    visitors, stations or another locale's translators (issue #14)."""
    control = result.draft_control
    assert control.status == 200 and control.content_type == "audio/mpeg", control
    assert f"{SECRET}borradorvivoclave" in control.headers.lower()  # the draft, as it will be read
    assert len(result.draft_probes) > 50
    heard = [
        f"{who}: {response.url} [{response.status} {response.content_type}]"
        for who, response in result.draft_probes
        if response.status == 200 or response.content_type.startswith("audio/")
    ]
    assert not heard, "\n" + "\n".join(heard)
    leaks = [
        leak for _who, r in result.draft_probes for leak in find_leaks(r, result.built.secrets)
    ]
    assert not leaks, report(leaks)


def test_no_recording_studio_opens_without_edit_permission(result):
    """The recording studio shows a page's text to read aloud and keeps takes (issue #14 part 5):
    it is no public surface. Visitors are sent to sign in; stations and another locale's
    translators are refused, and nothing they send is kept."""
    probes = result.studio_probes
    assert len(probes) > 50
    opened = [
        f"{who}: {response.url} [{response.status}]"
        for who, response in probes
        if response.status not in (302, 403, 404)
        or (
            response.status == 302
            and "login" not in response.location
            and response.location != "/admin/"
        )
    ]
    assert not opened, "\n" + "\n".join(opened)
    anonymous = [r for who, r in probes if who == "anonymous"]
    assert anonymous and all("/admin/login/" in r.location for r in anonymous)
    leaks = [leak for _who, r in probes for leak in find_leaks(r, result.built.secrets)]
    assert not leaks, report(leaks)
    assert not any("/keep/" in r.url and r.status == 200 for _who, r in probes)
