"""What the API's documents are made from, and how a change to it is noticed: declared once.

Every model whose rows ``documents`` (with ``translations``, ``audio`` and
what they call) reads is listed in ``DEPENDENCIES``, with the fields read
and how a change reaches the content token (``state``):

- ``aggregates``: SQL aggregates over the model's table, part of the token.
  They see changes made by any process, even ``bulk_create`` and
  ``update()``, which send no signal.
- ``forget_on``: signals after which this process re-reads the token at once
  (the aggregates would see the change within the freshness interval anyway).
- ``bump_on``: signals that bump ``ContentVersion``, for changes no
  aggregate sees (an edited organization, a moved page).
- ``noticed_via``: the dependency whose aggregates move whenever this one
  changes (a live revision only changes when its page is published).

``state`` builds the token's SQL from ``aggregates`` and ``signals`` connects
its receivers from ``forget_on``/``bump_on``. ``tests/api/test_dependencies.py``
builds every document for a realistic site while recording the columns its
queries read, and fails on any model or field not declared here: add the new
model or field, and say how its changes are noticed.

Fields are names as in ``Model._meta`` (``"locale"`` for ``locale_id``); each
model lists only the columns of its own table (``cms.GuidePage`` its own,
``wagtailcore.Page`` the ones it shares with every page type). A field counts
as read when a query names its column: where a whole row is loaded, every
column is listed, used or not, so that a new column is a decision too.
"""

from dataclasses import dataclass

# Signals a dependency can name in forget_on / bump_on (see ``signals``).
SIGNAL_NAMES = ("post_save", "post_delete", "page_published", "page_unpublished", "post_page_move")


def _names(text: str) -> tuple[str, ...]:
    """Field names written as words, so that a long list stays a few lines."""
    return tuple(text.split())


@dataclass(frozen=True)
class Dependency:
    """One model the documents read, and how a change to it reaches the content token."""

    model: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    aggregates: tuple[str, ...] = ()
    forget_on: tuple[str, ...] = ()
    bump_on: tuple[str, ...] = ()
    noticed_via: str = ""


DEPENDENCIES = (
    # Visibility (live, expiry, tree path), URLs, publish dates; the whole row
    # is loaded for every public guide. Publishing moves last_published_at,
    # unpublishing the live ids, a new or deleted page COUNT and MAX(id); a
    # move changes only path/url_path, so it bumps the version.
    Dependency(
        "wagtailcore.Page",
        fields=_names(
            "id path depth numchild translation_key locale content_type title draft_title slug"
            " url_path seo_title search_description show_in_menus live has_unpublished_changes"
            " first_published_at last_published_at live_revision latest_revision"
            " latest_revision_created_at go_live_at expire_at expired locked locked_at"
            " locked_by owner alias_of"
        ),
        aggregates=(
            "COUNT(*)",
            "MAX(id)",
            "MAX(last_published_at)",
            "SUM(CASE WHEN live THEN id ELSE 0 END)",
            "MAX(expire_at)",
            "MAX(go_live_at)",
        ),
        forget_on=("page_published", "page_unpublished", "post_delete"),
        bump_on=("post_page_move",),
    ),
    # A guide's content: the row, or its live revision when it has a draft.
    # Either way it reaches the public only by publishing (Page's aggregates).
    Dependency(
        "cms.GuidePage",
        fields=_names(
            "page_ptr place_name department summary last_reviewed discreet_title sections"
            " organizations"
        ),
        noticed_via="wagtailcore.Page",
    ),
    # The published content of a page with a draft (content; the rest of the
    # row comes along). A page's live revision changes only when it is
    # published, which moves Page's last_published_at.
    Dependency(
        "wagtailcore.Revision",
        fields=_names(
            "id content content_type base_content_type object_id object_str created_at user"
            " approved_go_live_at"
        ),
        noticed_via="wagtailcore.Page",
    ),
    # Pages under a restriction (and their descendants) are not public.
    Dependency(
        "wagtailcore.PageViewRestriction",
        fields=("id", "page", "restriction_type", "password"),
        aggregates=("COUNT(*)", "MAX(id)"),
        forget_on=("post_save", "post_delete"),
    ),
    # URLs: which site a page is under, its hostname and port. A hostname or
    # port edit moves no aggregate, so saves bump the version too.
    Dependency(
        "wagtailcore.Site",
        fields=("id", "hostname", "port", "site_name", "root_page", "is_default_site"),
        aggregates=("COUNT(*)", "MAX(id)", "SUM(root_page_id)"),
        bump_on=("post_save", "post_delete"),
    ),
    # Language codes of every document; edited rarely, and no aggregate sees it.
    Dependency(
        "wagtailcore.Locale", fields=("id", "language_code"), bump_on=("post_save", "post_delete")
    ),
    # Organizations listed by guides: snippets, saved without publishing.
    Dependency(
        "cms.Organization",
        fields=_names(
            "id translation_key locale name offers serves area how_to_reach phone email"
            " website verified_on"
        ),
        bump_on=("post_save", "post_delete"),
    ),
    # Renditions are written by the audio worker with bulk_create (no signal):
    # a new one moves COUNT and MAX(id), a retired one MAX(retired_at).
    Dependency(
        "audio.Rendition",
        fields=_names(
            "id page variant state engine voice audio captions chapters mime_type bitrate"
            " duration size_bytes sha256 sections content_hash text_key clip_keys segment_keys"
            " loudness_lufs true_peak_dbtp generated_at retired_at"
        ),
        aggregates=("COUNT(*)", "MAX(id)", "MAX(retired_at)"),
        forget_on=("post_save", "post_delete"),
    ),
    # Whether new audio is being made ("pending", "generating"). Every state
    # change stamps one of the three times.
    Dependency(
        "audio.AudioJob",
        fields=_names(
            "id page state requested_at started_at finished_at heartbeat_at worker attempts"
            " force error summary"
        ),
        aggregates=("COUNT(*)", "MAX(requested_at)", "MAX(started_at)", "MAX(finished_at)"),
        forget_on=("post_save", "post_delete"),
    ),
    # Kaqchikel recordings: current, stale or missing per section.
    Dependency(
        "audio.SectionRecording",
        fields=_names(
            "id page section_id audio original_name duration source_text_hash uploaded_at"
            " uploaded_by"
        ),
        aggregates=("COUNT(*)", "MAX(id)", "MAX(uploaded_at)"),
        forget_on=("post_save", "post_delete"),
    ),
    # Each guide's latest public version (audio.changes): rows are only ever
    # added, by the audio job, so COUNT and MAX(id) move with every new one.
    Dependency(
        "audio.PublishedVersion",
        fields=_names(
            "id page number revision previous_revision language sections changes recorded_at"
        ),
        aggregates=("COUNT(*)", "MAX(id)"),
        forget_on=("post_save", "post_delete"),
    ),
    # The lexicon feeds the content hash that rendition statuses compare.
    # The audio app requeues every page using an edited or deleted entry
    # (audio.signals), which moves AudioJob's MAX(requested_at).
    Dependency(
        "audio.PronunciationEntry",
        fields=("locale", "written", "spoken"),
        noticed_via="audio.AudioJob",
    ),
    # wagtail-localize: which objects are translations, of what, and how far
    # along (rows loaded whole). A translation switched off ("stop syncing")
    # or a new one moves these aggregates.
    Dependency(
        "wagtail_localize.Translation",
        fields=_names(
            "id uuid source target_locale created_at translations_last_updated_at"
            " destination_last_updated_at enabled"
        ),
        aggregates=("COUNT(*)", "SUM(CASE WHEN enabled THEN id ELSE 0 END)"),
    ),
    # Re-extracting a source (on publish or "Sync translations") stamps it.
    Dependency(
        "wagtail_localize.TranslationSource",
        fields=_names(
            "id object specific_content_type locale object_repr content_json schema_version"
            " created_at last_updated_at"
        ),
        aggregates=("COUNT(*)", "MAX(last_updated_at)"),
    ),
    # A source's strings: rewritten only when the source is re-extracted.
    Dependency(
        "wagtail_localize.StringSegment",
        fields=("source", "string", "context"),
        noticed_via="wagtail_localize.TranslationSource",
    ),
    # Translated strings (progress, and "translated after publish").
    Dependency(
        "wagtail_localize.StringTranslation",
        fields=("translation_of", "context", "locale", "created_at", "has_error"),
        aggregates=("COUNT(*)", "MAX(updated_at)"),
    ),
    # The counter the bump_on signals raise. The build also locks its row
    # while it reconciles the sync log.
    Dependency("api.ContentVersion", fields=("id", "value"), aggregates=("MAX(value)",)),
)

# Tables the build reads that cannot change what a document says.
EXEMPT = {
    # Ids of model classes: fixed by migrations.
    "contenttypes.ContentType": "framework bookkeeping",
    # Page.with_content_json carries the admin's comments along; no document shows them.
    "wagtailcore.Comment": "admin comments, never in a document",
    # Written from the built documents (their digests), downstream of them.
    "api.SyncRecord": "the API's own sync log",
}


def by_model() -> dict[str, Dependency]:
    """Dependencies by model label ("app_label.ModelName")."""
    return {dependency.model: dependency for dependency in DEPENDENCIES}
