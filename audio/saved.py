"""What a guide saved on a phone needs to know to refresh itself (issue #14, part 4).

The front's "Guardar" keeps a guide's page, captions and audio in the phone's cache
(``site/static/js/saved.js``). When the phone is online again, the saved copy asks
``/guardado/<page id>.json`` for this small document and compares it with what it
holds: the page's token, each variant's audio (URL, SHA-256, bytes) and captions, and
the latest public versions with the sections each changed (``audio.changes``). It then
downloads only what differs and says which sections changed.

Only what ``cms.visibility`` lets the public see is described: a draft, a private,
expired or unpublished guide, or a translation falling back to a hidden source, gets
None here, and the view answers exactly as for an id that never existed. The saved
copy reads that answer as "no longer available here".
"""

import hashlib
import json

from cms import visibility
from cms.models import GuidePage

from .listening import listening_audio
from .models import PublishedVersion

# Versions described: a phone that held an older one is told "updated", without the list.
VERSIONS_DESCRIBED = 10
CHANGE_FIELDS = ("id", "heading", "change", "text", "audio")


def saved_guide_manifest(page_id: int) -> dict | None:
    """The refresh document of guide ``page_id``, or None when the public may not see it."""
    page = GuidePage.objects.filter(pk=page_id).select_related("locale").first()
    if page is None:
        return None
    shown = visibility.shown_version(page)
    if shown is None:
        return None
    audio = listening_audio(page)
    variants = {
        name: _variant_document(rendition)
        for name, rendition in sorted((audio.renditions if audio else {}).items())
    }
    versions = list(
        PublishedVersion.objects.filter(page_id=page.pk).order_by("-number")[:VERSIONS_DESCRIBED]
    )
    latest = versions[0] if versions else None
    return {
        "guide": page.pk,
        "language": shown.language,
        "page": {"url": page.get_url(None), "hash": _page_hash(page, shown, variants, latest)},
        "version": latest.number if latest else None,
        "variants": variants,
        "versions": [_version_document(version) for version in versions],
    }


def _variant_document(rendition) -> dict:
    return {
        "audio": rendition.audio.url,
        "sha256": rendition.sha256,
        "bytes": rendition.size_bytes,
        "type": rendition.mime_type,
        # Captions' names carry their content hash, as the audio's do: a new name is new text.
        "captions": rendition.captions.url if rendition.captions else None,
    }


def _version_document(version) -> dict:
    return {
        "number": version.number,
        "recorded_at": version.recorded_at.isoformat(),
        "changed_sections": [
            {key: change[key] for key in CHANGE_FIELDS} for change in version.changes
        ],
    }


def _page_hash(page, shown, variants, latest) -> str:
    """A token of what the saved page shows: its published revision (and its source's, for a
    fallback), its language, the audio it links to and its version. A new token means the saved
    page must be fetched again; the same token, that it is still the page the server sends."""
    parts = [
        page.live_revision_id,
        shown.object.live_revision_id,
        shown.language,
        latest.number if latest else None,
        [[name, variant["sha256"], variant["captions"]] for name, variant in variants.items()],
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
