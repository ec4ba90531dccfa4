"""Production settings refuse the unsafe defaults instead of running with them."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_production_settings(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.production"],
        cwd=ROOT, env=environment, capture_output=True, text=True,
    )


def test_production_refuses_the_default_secret_key():
    result = import_production_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50, DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = import_production_settings(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_production_passes_the_deployment_checks():
    """HTTPS redirect, HSTS, secure cookies...: `check --deploy` warns only of per-domain choices."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="altavoz.example",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    warnings = set(re.findall(r"\((\w+\.\w\d+)\)", result.stdout + result.stderr))
    # HSTS for subdomains and browser preloading depend on who else uses the domain.
    assert warnings <= {"security.W005", "security.W021"}, result.stderr


def test_database_url_selects_the_database(tmp_path):
    db = tmp_path / "other.sqlite3"
    environment = dict(os.environ, DATABASE_URL=f"sqlite:///{db}")
    result = subprocess.run(
        [sys.executable, "-c",
         "import config.settings.base as s; print(s.DATABASES['default']['NAME'])"],
        cwd=ROOT, env=environment, capture_output=True, text=True,
    )
    assert result.stdout.strip() == str(db)
