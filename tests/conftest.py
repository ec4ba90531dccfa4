import pytest

pytest_plugins = ["tests.audio.fixtures"]


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
