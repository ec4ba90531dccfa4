import os

import pytest

pytest.register_assert_rewrite("tests.object_storage")
from tests.object_storage import use_bucket  # noqa: E402 (after the line above)

pytest_plugins = ["tests.audio.fixtures", "tests.object_storage"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo guides once per run; each test runs in a rolled-back transaction."""
    from cms.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture(autouse=True)
def fresh_voices():
    """Voice failures are remembered process-wide (a failing voice rests); no test inherits
    another's."""
    from audio.voices import reset_failures

    reset_failures()
    yield
    reset_failures()


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
