"""Asking for audio: queue on publish (publishes collapse), and queue again what a dead worker left.

- ``request_audio`` marks the job queued and enqueues a task on commit, unless
  a task is already queued (publishes collapse) or running (the worker will
  run once more when done).
- A worker killed mid-job stops its heartbeat; ``recover_stalled_jobs`` (run
  by ``audio_worker``) queues such jobs again. Nothing it half-made was live:
  renditions are swapped in only when complete (see ``audio.publishing``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.models import get_page_models

from audio.models import AudioJob
from cms.models import GuidePage

from .lease import WORKER_ID
from .tasks import generate_page_audio_task

logger = logging.getLogger(__name__)


def voiced_page_models():
    """The page types read aloud: guides, and pages that say what they speak themselves
    (``spoken_sections``, as ``audio.text.speech`` reads them: the phone line's menus)."""
    return [
        model
        for model in get_page_models()
        if issubclass(model, GuidePage) or hasattr(model, "spoken_sections")
    ]


def is_voiced(model):
    return issubclass(model, tuple(voiced_page_models()))


def request_audio(page, force=False):
    """Ask for (re)generation of a page's audio after the current transaction commits."""
    _job, created = AudioJob.objects.get_or_create(page_id=page.pk)
    with transaction.atomic():
        job = AudioJob.objects.select_for_update().get(page_id=page.pk)
        job.requested_at = timezone.now()
        job.force = job.force or force
        needs_task = created or job.state in (AudioJob.State.READY, AudioJob.State.FAILED)
        if job.state != AudioJob.State.RUNNING:
            job.state = AudioJob.State.QUEUED
            job.error = ""
        job.save()
    if needs_task:
        transaction.on_commit(lambda: enqueue(page.pk))
    return job


def enqueue(page_id):
    generate_page_audio_task.enqueue(page_id)


def recover_stalled_jobs():
    """Queue again the jobs whose worker died, and queued jobs whose task was lost.

    A taken-over job goes back to "queued", so the next sweeps leave it alone
    until a worker picks it up (or, if its task is lost too, until another
    stall period passes). A worker never takes its own jobs for dead: the
    process running this sweep is alive, even when a busy database delayed
    its last heartbeat. Returns the page ids queued again.
    """
    limit = timezone.now() - timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    stalled = (Q(state=AudioJob.State.RUNNING, heartbeat_at__lt=limit) & ~Q(worker=WORKER_ID)) | Q(
        state=AudioJob.State.QUEUED, requested_at__lt=limit
    )
    recovered = []
    for page_id in AudioJob.objects.filter(stalled).values_list("page_id", flat=True):
        # Only if still stalled: a worker may have claimed it since.
        if AudioJob.objects.filter(stalled, page_id=page_id).update(
            state=AudioJob.State.QUEUED, requested_at=timezone.now()
        ):
            logger.warning("Re-queueing stalled audio job for page %s", page_id)
            enqueue(page_id)
            recovered.append(page_id)
    return recovered
