"""Web processes do not load the signal-processing stack (PyAV, NumPy, SciPy, pyloudnorm).

Together they are about 125 MB in each process; only the audio worker (and an editor's
upload or "Escuchar") needs them. A module-level import anywhere on the web's path undoes
that silently, so a fresh interpreter starts Django as gunicorn does, loads every URL and
admin hook, serves the public pages, the API and a feed, and lists what it imported.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.audio.fixtures import publish_guide, section_value

ROOT = Path(__file__).resolve().parent.parent
# Nor PJSIP: only the self-hosted phone line (`manage.py phone_line`) uses it.
HEAVY = ("av", "numpy", "scipy", "pyloudnorm", "pjsua2")

SERVE_AS_A_WEB_PROCESS = """
import json, sys
import django
django.setup()
from config.wsgi import application  # noqa: F401  (what gunicorn loads)
from django.urls import get_resolver
from wagtail import hooks
from django.test import Client

get_resolver().url_patterns
hooks.search_for_hooks()
client = Client()
urls = ["/es/", %r, "/api/v2/guides/", "/feeds/es/podcast.xml", "/feeds/es/radio.xml"]
statuses = {url: client.get(url, HTTP_HOST="127.0.0.1").status_code for url in urls}
print(json.dumps({"statuses": statuses, "heavy": sorted(m for m in %r if m in sys.modules)}))
"""


def database_url():
    """The test database, for another process to read."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# Committed, so that the other process sees the guide.
@pytest.mark.django_db(transaction=True)
def test_a_web_process_serves_pages_api_and_feeds_without_the_audio_stack():
    guide = publish_guide("sin-numpy", [section_value("Salud", "<p>Una frase. Otra frase.</p>")])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVE_AS_A_WEB_PROCESS % (guide.get_url(None), HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["statuses"].values()) == {200}, (report["statuses"], result.stderr[-3000:])
    assert report["heavy"] == [], f"loaded in a web process: {report['heavy']}"
