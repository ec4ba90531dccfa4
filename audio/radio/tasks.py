from django.conf import settings
from django_tasks import task

from .downloads import build_requested_package


@task(queue_name=settings.ALTAVOZ_AUDIO_QUEUE)
def build_radio_package_task(package_id: int):
    """Background task: build one radio package asked for in the admin."""
    return build_requested_package(package_id)
