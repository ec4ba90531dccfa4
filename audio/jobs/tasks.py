"""The queue's task: what a worker process runs for a page (django-tasks names it by this path)."""

from django.conf import settings
from django_tasks import task


@task(queue_name=settings.ALTAVOZ_AUDIO_QUEUE)
def generate_page_audio_task(page_id: int):
    """Background task: generate (or refresh) one page's audio renditions."""
    # Imported when run: web processes enqueue this task, and must not load the pipeline's
    # signal processing (PyAV, NumPy) only to name it.
    from .runner import run_job

    return run_job(page_id)
