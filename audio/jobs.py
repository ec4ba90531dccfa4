"""Audio jobs: queue on publish, one worker per page at a time, survive crashes.

The unit of work is a page (each locale's page is its own row). Its AudioJob
row is the lock and the status editors see:

- ``request_audio`` marks the job queued and enqueues a task on commit — unless
  a task is already queued (publishes collapse) or running (the worker will
  run once more when done).
- ``run_job`` claims the row under ``SELECT ... FOR UPDATE``; a second worker
  finding it running with a fresh heartbeat leaves it alone.
- A worker killed mid-job stops its heartbeat; ``recover_stalled_jobs`` (run
  by ``audio_worker``) queues such jobs again. Nothing it half-made was live:
  renditions are swapped in only when complete (see ``publishing``).
"""

import logging
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import AudioJob

logger = logging.getLogger(__name__)
# Unique per process start, not just host and pid: a worker restarted in a
# container often gets the pid its dead predecessor had.
WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


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
    from .tasks import generate_page_audio_task

    generate_page_audio_task.enqueue(page_id)


def claim(page_id, worker=WORKER_ID):
    """Mark the job running for this worker, or return None if it is not ours to run."""
    stall_limit = timezone.now() - timedelta(seconds=settings.ALTAVOZ_AUDIO_STALL_SECONDS)
    with transaction.atomic():
        job = AudioJob.objects.select_for_update().filter(page_id=page_id).first()
        if job is None:
            return None
        if (
            job.state == AudioJob.State.RUNNING
            and job.heartbeat_at
            and job.heartbeat_at > stall_limit
        ):
            return None  # another worker is on it and alive
        if (
            job.state in (AudioJob.State.READY, AudioJob.State.FAILED)
            and job.finished_at
            and (job.finished_at >= job.requested_at)
        ):
            return None  # nothing was requested since the last run
        now = timezone.now()
        job.state = AudioJob.State.RUNNING
        job.started_at = job.heartbeat_at = now
        job.worker = worker
        job.attempts += 1
        job.save()
        return job


def heartbeat(job):
    """Touch the job's heartbeat; never waits on a lock someone else holds."""
    with transaction.atomic():
        rows = AudioJob.objects.filter(pk=job.pk, worker=job.worker)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        pks = list(rows.values_list("pk", flat=True))
        AudioJob.objects.filter(pk__in=pks).update(heartbeat_at=timezone.now())


@contextmanager
def beating_heart(job):
    """Report the worker alive from a side thread while the job runs.

    Stages take seconds to minutes (mastering a long guide); a thread keeps
    the heartbeat regular so "stalled" means the process is gone.
    """
    stop = threading.Event()
    interval = max(0.2, settings.ALTAVOZ_AUDIO_STALL_SECONDS / 4)

    def beat():
        try:
            while not stop.wait(interval):
                try:
                    heartbeat(job)
                except DatabaseError:  # a missed beat only risks a takeover
                    logger.warning("Missed a heartbeat for page %s", job.page_id)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.page_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def finish(job, summary):
    """Record success; returns False when a newer request arrived (run again)."""
    return _close(job, AudioJob.State.READY, summary=summary, error="")


def fail(job, error):
    """Record failure (the live audio stays); returns False when asked to run again."""
    return _close(job, AudioJob.State.FAILED, error=str(error)[:2000] or error.__class__.__name__)


def _close(job, final_state, **fields):
    with transaction.atomic():
        current = AudioJob.objects.select_for_update().get(pk=job.pk)
        rerun = current.requested_at > job.started_at
        current.state = AudioJob.State.QUEUED if rerun else final_state
        current.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(current, name, value)
        if final_state == AudioJob.State.READY and not rerun:
            current.force = False
        current.save()
    return not rerun


def run_job(page_id, worker=WORKER_ID):
    """Generate a page's audio if this worker may; loops while new requests arrive."""
    from wagtail.models import Page

    from .pipeline import generate_page_audio

    summary = None
    while True:
        job = claim(page_id, worker)
        if job is None:
            return summary
        page = Page.objects.filter(pk=page_id).first()
        if page is None:
            AudioJob.objects.filter(pk=job.pk).delete()
            return summary
        try:
            with beating_heart(job):
                summary = generate_page_audio(page.specific, force=job.force)
        except Exception as error:  # the job records why; the live audio stays
            logger.exception("Audio generation failed for page %s", page_id)
            if fail(job, error):
                return {"error": str(error)}
            continue
        if finish(job, summary):
            return summary


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


def queue_stale_audio():
    """Queue the live guides whose audio no longer matches their text, and those never queued.

    Publishing queues audio by itself; this catches what changed underneath
    it: an upgrade that reads text differently, a page published before audio
    existed. A page whose last run failed is left to its editors, who see
    why: retrying it every hour would fail the same way. Returns the page ids.
    """
    from cms.models import GuidePage
    from cms.visibility import public_pages

    from .status import page_audio_status

    queued = []
    # Only what the public may see is voiced: never a draft, a private or an expired page.
    for page in public_pages(GuidePage.objects.all()).select_related("locale"):
        status = page_audio_status(page)
        never_queued = status.job is None
        stale = (
            status.job is not None
            and status.job.state == AudioJob.State.READY
            and any(variant.state == "stale" for variant in status.variants)
        )
        if never_queued or stale:
            request_audio(page)
            queued.append(page.pk)
    return queued


def prune_task_results(now=None):
    """Delete the queue's records of tasks that finished over ``ALTAVOZ_TASK_RESULTS_DAYS`` ago.

    The database task backend keeps a row per task (one per publish) for
    ever; the worker's hourly sweep keeps the table from growing without end.
    A task whose worker was killed stays "running" in its record (its job was
    taken over): one started that long ago goes too. Returns how many went.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - timedelta(days=settings.ALTAVOZ_TASK_RESULTS_DAYS)
    old = DBTaskResult.objects.finished().filter(
        finished_at__lt=cutoff
    ) | DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    deleted, _by_model = old.delete()
    return deleted
