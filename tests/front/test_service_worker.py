"""The service worker script: at the root, never stale, our origin only."""

import pytest

from cms.views import OFFLINE_CACHE

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_at_the_root_for_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Security-Policy"] == "default-src 'self'"
    assert not response.cookies
    script = response.content.decode()
    assert f'var CACHE = "{OFFLINE_CACHE}";' in script
    # Never the admin or the API; only what a listener saved, refreshed by the one script
    # the page uses too (static/js/saved.js), never cached on its own.
    assert "admin|api" in script
    assert "cache.put" not in script and "cache.add" not in script
    assert 'importScripts("/static/js/saved.js");' in script
    assert "://" not in script  # no other origin


def test_service_worker_is_not_redirected_into_a_language(client):
    assert client.get("/es/sw.js").status_code == 404
    assert client.post("/sw.js").status_code == 405


def test_guide_page_names_the_same_worker_and_cache(client, test_guide):
    from audio.jobs import run_job

    run_job(test_guide.pk)
    html = client.get(test_guide.url).content.decode()
    assert 'data-service-worker="/sw.js"' in html
    assert f'data-cache="{OFFLINE_CACHE}"' in html
