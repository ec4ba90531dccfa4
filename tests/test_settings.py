"""Production settings refuse the unsafe defaults instead of running with them."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(*args, **env):
    """Run Python from the project root with ``env`` instead of any DJANGO_* variable of ours
    (a variable given as None is removed)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ALTAVOZ_ADMIN_2FA"))
    }
    environment.update(env)
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def import_production_settings(**env):
    return run_python("-c", "import config.settings.production", **env)


def test_production_refuses_the_default_secret_key():
    result = import_production_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50, DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_production_refuses_the_admin_without_two_factor_sign_in():
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50, ALTAVOZ_ADMIN_2FA="0")
    assert result.returncode != 0
    assert "ALTAVOZ_ADMIN_2FA must be on" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_production_passes_the_deployment_checks():
    """HTTPS redirect, HSTS, secure cookies...: `check --deploy` warns only of per-domain
    choices."""
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="altavoz.example",
    )
    assert result.returncode == 0, result.stderr
    warnings = set(re.findall(r"\((\w+\.\w\d+)\)", result.stdout + result.stderr))
    # HSTS for subdomains and browser preloading depend on who else uses the domain.
    assert warnings <= {"security.W005", "security.W021"}, result.stderr


def test_database_url_selects_the_database(tmp_path):
    db = tmp_path / "other.sqlite3"
    result = run_python(
        "-c",
        "import config.settings.base as s; print(s.DATABASES['default']['NAME'])",
        DATABASE_URL=f"sqlite:///{db}",
    )
    assert result.stdout.strip() == str(db)


def test_migrate_works_on_a_fresh_clone_without_var(tmp_path):
    """The default SQLite file's folder is made: `manage.py migrate` must not say "unable to open
    database file"."""
    var = tmp_path / "not-yet" / "var"
    result = run_python(
        "manage.py",
        "migrate",
        "--noinput",
        "--plan",
        ALTAVOZ_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=None,
    )  # the default SQLite file, even in the PostgreSQL run
    assert result.returncode == 0, result.stderr
    assert var.is_dir()


def test_a_malformed_number_stops_start_up_naming_the_variable():
    result = import_production_settings(
        DJANGO_SECRET_KEY="x" * 50, ALTAVOZ_AUDIO_GRACE_SECONDS="24h"
    )
    assert result.returncode != 0
    assert "ALTAVOZ_AUDIO_GRACE_SECONDS must be a whole number" in result.stderr
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50, ALTAVOZ_TASK_RESULTS_DAYS="-1")
    assert "ALTAVOZ_TASK_RESULTS_DAYS must be a whole number of at least 0" in result.stderr


def test_an_empty_number_means_its_default():
    result = run_python(
        "-c",
        "import config.settings.base as s; print(s.ALTAVOZ_AUDIO_CACHE_DAYS)",
        ALTAVOZ_AUDIO_CACHE_DAYS=" ",
    )
    assert result.stdout.strip() == "30", result.stderr


def api_rate_setting(value):
    """What the API throttle reads from ALTAVOZ_API_ANON_RATE=value, as (requests, seconds)."""
    return run_python(
        "-c",
        "import config.settings.base as s; from cms.api.http import parse_rate; "
        "print(parse_rate(s.ALTAVOZ_API_ANON_RATE))",
        DJANGO_SETTINGS_MODULE="config.settings.test",
        ALTAVOZ_API_ANON_RATE=value,
    )


def test_a_malformed_api_rate_stops_start_up_naming_the_variable():
    """A typo would otherwise make every API request a 500."""
    for typo in (
        "600 per minute",
        "600/fortnight",
        "six/minute",
        "600/",
        "/minute",
        "0/minute",
        "600/minute/2",
    ):
        result = import_production_settings(DJANGO_SECRET_KEY="x" * 50, ALTAVOZ_API_ANON_RATE=typo)
        assert result.returncode != 0, typo
        assert "ALTAVOZ_API_ANON_RATE must be" in result.stderr, (typo, result.stderr)
        assert repr(typo) in result.stderr


def test_api_rates_are_read_per_second_minute_hour_or_day():
    expected = {
        "30/second": (30, 1),
        "600/minute": (600, 60),
        " 600 / min ": (600, 60),
        "5000/hour": (5000, 3600),
        "100000/d": (100000, 86400),
        "1000000000/minute": (1000000000, 60),
    }
    for value, rate in expected.items():
        result = api_rate_setting(value)
        assert result.stdout.strip() == str(rate), (value, result.stderr)


def test_an_empty_api_rate_turns_throttling_off():
    for empty in ("", " "):
        result = api_rate_setting(empty)
        assert result.stdout.strip() == "(None, None)", result.stderr
