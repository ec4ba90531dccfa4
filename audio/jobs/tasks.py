"""The queue's task: what a worker process runs for a page (django-tasks names it by this path)."""

from django.conf import settings
from django_tasks import task

from .runner import run_job


@task(queue_name=settings.ALTAVOZ_AUDIO_QUEUE)
def generate_page_audio_task(page_id: int):
    """Background task: generate (or refresh) one page's audio renditions."""
    return run_job(page_id)
