import os

import pytest

pytest.register_assert_rewrite("tests.object_storage")
from tests.object_storage import use_bucket  # noqa: E402 (after the line above)

pytest_plugins = ["tests.audio.fixtures", "tests.object_storage"]


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """The demo guides, loaded once per run (cloned from a template when nothing they depend
    on changed: tests/demo_database.py); each test runs in a rolled-back transaction.
    Replaces pytest-django's fixture of the same name, honouring the same options."""
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests.demo_database import demo_database

    if not django_db_use_migrations:
        _disable_migrations()
        os.environ["ALTAVOZ_TEST_DB_TEMPLATE"] = "0"  # a template holds a migrated database
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with (
        django_db_blocker.unblock(),
        demo_database(
            verbosity=request.config.option.verbose,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=django_db_keepdb and not django_db_createdb,
        ),
    ):
        yield


@pytest.fixture(autouse=True)
def fresh_voices():
    """Voice failures are remembered process-wide (a failing voice rests); no test inherits
    another's."""
    from audio.voices import reset_failures

    reset_failures()
    yield
    reset_failures()


@pytest.fixture(autouse=True)
def fresh_feeds():
    """Feeds are remembered per process under the content token; a test's rolled-back data
    may repeat an earlier test's token."""
    from audio.radio.feeds import forget_built_feeds

    forget_built_feeds()
    yield
    forget_built_feeds()


@pytest.fixture(autouse=True)
def fresh_page_bodies():
    """Guides' bodies are remembered per process by published version; a test's rolled-back
    data may repeat an earlier test's ids."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture
def editor(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("editor", "editor@example.invalid", "pw")


@pytest.fixture
def admin_client(client, editor):
    from tests.signing_in import sign_in

    return sign_in(client, editor)


# `make test-s3` (ALTAVOZ_TEST_STORAGE=s3): the run's media go to one real S3 server
# (tests/object_storage.py) instead of the local disk.
TEST_STORAGE = os.environ.get("ALTAVOZ_TEST_STORAGE", "disk")


@pytest.fixture(scope="session", autouse=TEST_STORAGE == "s3")
def media_in_s3(s3_server):
    with use_bucket(s3_server, s3_server.new_bucket()) as bucket:
        yield bucket
