"""Which publishes queue audio work."""

import pytest

from audio.models import AudioJob

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
