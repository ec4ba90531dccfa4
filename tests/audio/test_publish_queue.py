"""Which publishes queue audio work."""

import pytest

from audio.models import AudioJob

from .fixtures import audio_tasks_for

pytestmark = pytest.mark.django_db


def test_publishing_a_guide_queues_its_audio(small_guide):
    assert AudioJob.objects.get(page=small_guide).state == "queued"


def test_publishing_a_home_page_queues_nothing():
    """Home pages have no text to read: a job for one could only fail."""
    from cms.models import HomePage

    home = HomePage.objects.get(locale__language_code="es")
    AudioJob.objects.filter(page=home).delete()
    home.save_revision().publish()
    assert not AudioJob.objects.filter(page=home).exists()


def test_an_editor_publishing_in_the_admin_queues_audio(
    admin_client, django_capture_on_commit_callbacks, task_backend
):
    from cms.models import GuidePage
    from tests.test_admin_editing import add_guide

    with django_capture_on_commit_callbacks(execute=True):
        assert add_guide(admin_client, slug="desde-el-admin").status_code == 302
    guide = GuidePage.objects.get(slug="desde-el-admin")
    assert AudioJob.objects.get(page=guide).state == "queued"
    assert len(audio_tasks_for(guide)) == 1


def test_a_translation_published_through_wagtail_localize_queues_its_audio(
    small_guide, django_capture_on_commit_callbacks, task_backend
):
    from cms.localization import fill_translation, submit_translation
    from cms.models import GuidePage

    with django_capture_on_commit_callbacks(execute=True):
        translation = submit_translation(small_guide, "en")
    english = GuidePage.objects.get(
        translation_key=small_guide.translation_key, locale__language_code="en"
    )
    AudioJob.objects.filter(page=english).update(state="ready")
    task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # A translator's PO upload, then "Publish" in wagtail-localize's editor.
        strings = {e.msgid: f"EN {e.msgid}" for e in translation.export_po() if not e.obsolete}
        assert fill_translation(translation, strings) > 0
    assert AudioJob.objects.get(page=english).state == "queued"
    assert len(audio_tasks_for(english)) == 1


def test_loading_the_demo_queued_audio_for_every_demo_guide():
    from cms.models import GuidePage

    demo = GuidePage.objects.filter(slug__in=["mixco", "patzun"])
    assert demo.count() == 6  # es, en, cak
    assert set(AudioJob.objects.filter(page__in=demo).values_list("page_id", flat=True)) == set(
        demo.values_list("pk", flat=True)
    )


def test_the_worker_queues_guides_whose_audio_no_longer_matches_their_text(
    small_guide, django_capture_on_commit_callbacks, task_backend
):
    """After an upgrade reads text differently, say: no one publishes, yet the audio must follow."""
    from audio.jobs import queue_stale_audio, run_job
    from audio.models import Rendition

    run_job(small_guide.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert small_guide.pk not in queue_stale_audio()  # its audio matches its text
    assert not audio_tasks_for(small_guide)

    Rendition.objects.filter(page=small_guide, state="live").update(
        content_hash="made-from-older-text"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert small_guide.pk in queue_stale_audio()
    assert AudioJob.objects.get(page=small_guide).state == "queued"
    assert len(audio_tasks_for(small_guide)) == 1


def test_a_guide_whose_last_run_failed_is_left_to_its_editors(small_guide, task_backend):
    from audio.jobs import queue_stale_audio, run_job
    from audio.models import Rendition

    run_job(small_guide.pk)
    Rendition.objects.filter(page=small_guide, state="live").update(
        content_hash="made-from-older-text"
    )
    AudioJob.objects.filter(page=small_guide).update(state="failed", error="Google said no")
    assert small_guide.pk not in queue_stale_audio()


def test_a_guide_never_queued_is_queued(small_guide, task_backend):
    from audio.jobs import queue_stale_audio

    AudioJob.objects.filter(page=small_guide).delete()
    assert small_guide.pk in queue_stale_audio()
    assert AudioJob.objects.get(page=small_guide).state == "queued"
