"""The documents read nothing ``cms/api/dependencies.py`` does not declare (#12).

Every document kind (full guides, listing summaries, renditions, the pages
hidden from the stock endpoint) is built for a site with every kind of
content the documents can show, while the SQL is captured. Each column a
SELECT names is mapped back to its model and field through ``_meta``; any
one the registry does not declare (or exempt) is a way for the API to go
stale without an error, and fails the test.
"""

import dataclasses
import re
from collections.abc import Iterable, Mapping

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail_localize.models import Translation, TranslationSource

from audio.models import AudioJob, PronunciationEntry, SectionRecording
from audio.text import speech_sections
from cms.api import dependencies, snapshot, state
from cms.api.dependencies import DEPENDENCIES, EXEMPT, SIGNAL_NAMES, Dependency
from cms.api.models import ContentVersion
from cms.localization import fill_translation, translation_for
from cms.models import GuidePage

from .conftest import get_json, section

# "table"."column", or T3."column" / U0."column" for a table Django aliased.
COLUMN_RE = re.compile(r'(?:"(\w+)"|\b([A-Z]\d+))\."(\w+)"')
ALIAS_RE = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"\s+(?:AS\s+)?"?([A-Z]\d+)"?')
IDENTIFIER_RE = re.compile(r"\b[a-z_][a-z0-9_]*\b")
SQL_WORDS = {"case", "when", "then", "else", "end", "and", "or", "not", "null", "is"}


def columns_read(sqls: list[str]) -> set[tuple[str, str]]:
    """(model label, field name) for every column the SELECTs in ``sqls`` name.

    A table or column that maps to no model or field is kept as "?name", so
    that it is reported rather than missed.
    """
    models = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    found = set()
    for sql in sqls:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue  # the build's own writes (the sync log)
        aliases = dict((alias, table) for table, alias in ALIAS_RE.findall(sql))
        for table, alias, column in COLUMN_RE.findall(sql):
            table = table or aliases.get(alias, alias)
            model = models.get(table)
            if model is None:
                found.add((f"?{table}", column))
                continue
            field = next((f for f in model._meta.local_concrete_fields if f.column == column), None)
            found.add((model._meta.label, field.name if field else f"?{column}"))
    return found


def undeclared(
    reads: set[tuple[str, str]],
    registry: Iterable[Dependency] = DEPENDENCIES,
    exempt: Mapping[str, str] = EXEMPT,
) -> list[str]:
    """ "model.field" for each read neither declared in ``registry`` nor exempt."""
    declared = {(dependency.model, name) for dependency in registry for name in dependency.fields}
    return sorted(
        f"{model}.{name}"
        for model, name in reads
        if model not in exempt and (model, name) not in declared
    )


@pytest.fixture
def everything(db, make_guide, make_rendition) -> None:
    """The demo site plus one of every kind of thing a document can show or hide."""
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    kaqchikel = GuidePage.objects.get(locale__language_code="cak", slug="mixco")
    target = GuidePage.objects.get(locale__language_code="es", slug="patzun")
    # A page link in a body, to a public page and to a draft.
    draft = make_guide(slug="borrador", publish=False)
    linking = make_guide(
        slug="enlaces",
        sections=[
            section(
                "Enlaces",
                body=f'<p><a id="{target.pk}" linktype="page">a</a>'
                f' <a id="{draft.pk}" linktype="page">b</a></p>',
            )
        ],
    )
    # Unpublished changes: the document is built from the live revision.
    linking.title = "Borrador del título"
    linking.save_revision()
    # Audio: renditions (one retired), a job being made, recordings, a lexicon.
    make_rendition(linking)
    make_rendition(spanish)
    make_rendition(spanish, variant="lowdata", state="retired")
    AudioJob.objects.filter(page=linking).update(state=AudioJob.State.RUNNING)
    sections = speech_sections(spanish)
    SectionRecording.objects.create(
        page=kaqchikel,
        section_id=sections[1].id,
        audio="audio/recordings/a.wav",
        duration=3,
        source_text_hash=sections[1].text_hash,
    )
    PronunciationEntry.objects.create(locale=spanish.locale, written="VIH", spoken="ve i hache")
    # A translation part done: progress, and the fallback to the source.
    translation = translation_for(spanish, "cak")
    first = next(entry.msgid for entry in translation.export_po() if not entry.obsolete)
    fill_translation(translation, {first: "Kaqchikel"})
    # A restricted guide, and an expired one.
    restricted = make_guide(slug="privada")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    make_guide(slug="vencida", expire_at="2020-01-01T00:00:00Z")


@pytest.fixture
def reads(everything) -> set[tuple[str, str]]:
    """What building every document reads, from empty caches."""
    state.remember(None)
    snapshot.forget_local()
    with CaptureQueriesContext(connection) as queries:
        built = snapshot.build_snapshot()
    assert built.guides and built.renditions and built.hidden_from_stock
    return columns_read([query["sql"] for query in queries.captured_queries])


def test_documents_read_only_declared_fields(reads):
    missing = undeclared(reads)
    assert not missing, (
        "The API's documents read fields cms/api/dependencies.py does not declare; declare "
        "them there, with how a change to them reaches the content token:\n  "
        + "\n  ".join(missing)
    )


def test_every_declared_model_is_read(reads):
    """No stale entries, and the fixture reaches every kind of content."""
    read_models = {model for model, _field in reads}
    assert {dependency.model for dependency in DEPENDENCIES} - read_models == set()


@pytest.mark.parametrize(
    ("model", "field", "expected"),
    [
        # One field left out.
        ("cms.Organization", "phone", ["cms.Organization.phone"]),
        # A whole model left out.
        (
            "audio.PronunciationEntry",
            None,
            [
                "audio.PronunciationEntry.locale",
                "audio.PronunciationEntry.spoken",
                "audio.PronunciationEntry.written",
            ],
        ),
    ],
)
def test_the_check_reports_what_a_registry_leaves_out(reads, model, field, expected):
    registry = []
    for dependency in DEPENDENCIES:
        if dependency.model == model:
            if field is None:
                continue
            dependency = dataclasses.replace(
                dependency, fields=tuple(name for name in dependency.fields if name != field)
            )
        registry.append(dependency)
    assert undeclared(reads, registry) == expected


def test_the_check_reports_unknown_tables_and_columns():
    sqls = [
        'SELECT "wagtailcore_locale"."id", "wagtailcore_locale"."colour" FROM "wagtailcore_locale"',
        'SELECT T3."language_code" FROM "x" INNER JOIN "wagtailcore_locale" T3 ON (1)',
        'SELECT "nowhere"."id" FROM "nowhere"',
        'UPDATE "cms_organization" SET "phone" = \'\' WHERE "cms_organization"."id" = 1',
    ]
    assert columns_read(sqls) == {
        ("wagtailcore.Locale", "id"),
        ("wagtailcore.Locale", "?colour"),
        ("wagtailcore.Locale", "language_code"),
        ("?nowhere", "id"),
    }
    assert undeclared(columns_read(sqls)) == [
        "?nowhere.id",
        "wagtailcore.Locale.?colour",
    ]


def test_the_registry_is_well_formed():
    labels = {dependency.model for dependency in DEPENDENCIES}
    assert len(labels) == len(DEPENDENCIES), "one entry per model"
    for dependency in DEPENDENCIES:
        model = apps.get_model(dependency.model)
        fields = {field.name for field in model._meta.local_concrete_fields}
        assert set(dependency.fields) <= fields, dependency.model
        columns = {field.column for field in model._meta.local_concrete_fields}
        for expression in dependency.aggregates:
            names = set(IDENTIFIER_RE.findall(expression.lower())) - SQL_WORDS
            names -= {"count", "max", "min", "sum"}
            assert names <= columns, (dependency.model, expression)
        assert set(dependency.forget_on + dependency.bump_on) <= set(SIGNAL_NAMES)
        # Every dependency is noticed: by aggregates in the token, by signals
        # bumping the version, or through another dependency that is.
        if dependency.noticed_via:
            via = dependencies.by_model()[dependency.noticed_via]
            assert via.aggregates or via.bump_on, dependency.model
        else:
            assert dependency.aggregates or dependency.bump_on, dependency.model
    for label in EXEMPT:
        apps.get_model(label)
        assert label not in labels


def test_the_token_is_made_of_the_registry_aggregates(db):
    sql = state._fingerprint_sql()
    expected = sum(len(dependency.aggregates) for dependency in DEPENDENCIES)
    assert sql.count("(SELECT ") == expected
    state.read_token()  # valid SQL


def test_a_translation_switched_off_without_signals_is_seen(api):
    """Translations are in the token: a queryset update (no signal) still shows."""
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    before = get_json(api, "/api/v2/guides/cak/mixco/")["translation"]
    assert before["progress"] is not None
    Translation.objects.filter(pk=translation_for(spanish, "cak").pk).update(enabled=False)
    # Now a translation kept by hand.
    assert get_json(api, "/api/v2/guides/cak/mixco/")["translation"]["progress"] is None


def test_a_source_extracted_again_changes_the_token(db):
    spanish = GuidePage.objects.get(locale__language_code="es", slug="mixco")
    before = state.read_token()
    TranslationSource.objects.filter(pk=translation_for(spanish, "cak").source_id).update(
        last_updated_at=timezone.now()
    )
    assert state.read_token() != before


@pytest.mark.parametrize(
    "dependency",
    [dependency for dependency in DEPENDENCIES if "post_save" in dependency.bump_on],
    ids=lambda dependency: dependency.model,
)
def test_saving_a_model_the_registry_says_to_bump_for_bumps_the_version(db, dependency):
    instance = apps.get_model(dependency.model).objects.first()
    before = ContentVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    instance.save()
    assert ContentVersion.objects.get(pk=1).value == before + 1


def test_publishing_and_audio_jobs_make_this_process_reread_the_token(
    db, make_guide, django_capture_on_commit_callbacks
):
    guide = make_guide(publish=False)
    for change in (
        lambda: guide.save_revision().publish(),
        lambda: AudioJob.objects.get(page=guide).save(),
    ):
        state.remember("a token")
        with django_capture_on_commit_callbacks(execute=True):
            change()
        assert state._memo["token"] is None
