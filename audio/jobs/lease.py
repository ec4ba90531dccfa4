"""A page's AudioJob row is the lease on its work: one worker at a time, and proof of life.

- ``claim`` takes the row under ``SELECT ... FOR UPDATE``; a second worker
  finding it running with a fresh heartbeat leaves it alone.
- ``beating_heart`` touches the heartbeat from a side thread while the job
  runs, so "stalled" means the process is gone (``queue.recover_stalled_jobs``).
- ``finish`` and ``fail`` close the lease, or hand it back to the queue when a
  newer request arrived meanwhile.
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
from django.utils import timezone

from audio.failures import job_failure
from audio.models import AudioJob

logger = logging.getLogger(__name__)
# Unique per process start, not just host and pid: a worker restarted in a
# container often gets the pid its dead predecessor had.
WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


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
    with side_heartbeat(lambda: heartbeat(job), f"heartbeat-{job.page_id}"):
        yield


@contextmanager
def side_heartbeat(touch, name):
    """Call ``touch()`` every quarter of the stall time from a side thread while the block runs.

    Shared by audio jobs and radio package builds: a missed beat (a busy database) only
    risks a takeover, so it is logged, not raised.
    """
    stop = threading.Event()
    interval = max(0.2, settings.ALTAVOZ_AUDIO_STALL_SECONDS / 4)

    def beat():
        try:
            while not stop.wait(interval):
                try:
                    touch()
                except DatabaseError:
                    logger.warning("Missed a heartbeat (%s)", name)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=name, daemon=True)
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
    """Record failure (the live audio stays); returns False when asked to run again.

    The message is for the server's maintainers; the summary keeps its kind, which the
    audio tab tells editors in their language (audio.failures).
    """
    return _close(
        job,
        AudioJob.State.FAILED,
        error=str(error)[:2000] or error.__class__.__name__,
        summary={"failure": job_failure(error)},
    )


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
