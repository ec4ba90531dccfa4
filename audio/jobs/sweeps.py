"""The worker's hourly sweeps: voice what changed underneath, forget old task records."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import Page

from audio.models import AudioJob
from audio.phone_files import pages_with_phone_audio_behind
from audio.status import page_audio_statuses
from cms.visibility import public_pages

from .queue import request_audio, voiced_page_models


def queue_stale_audio():
    """Queue the live voiced pages whose audio no longer matches their text, and those never queued.

    Voiced pages are the guides and the phone line's menus (``voiced_page_models``); a
    page's audio is its web renditions and its phone files (``phone_files``).

    Publishing queues audio by itself; this catches what changed underneath
    it: an upgrade that reads text differently, a page published before audio
    existed. A page whose last run failed is left to its editors, who see
    why: retrying it every hour would fail the same way. Returns the page ids.
    """
    queued = []
    # Only what the public may see is voiced: never a draft, a private or an expired page.
    voiced = Page.objects.type(*voiced_page_models()).select_related("locale").specific()
    pages = list(public_pages(voiced))
    # Normalizing every text again (memoized per process), not trusting the renditions' text
    # keys: after an upgrade that reads text differently, this is what notices.
    statuses = page_audio_statuses(pages, trust_text_key=False)
    ready = [s for s in statuses if s.job is not None and s.job.state == AudioJob.State.READY]
    web_stale = {s.page.pk for s in ready if any(v.state == "stale" for v in s.variants)}
    # Phone files are checked only where the web's are right: a job for stale web audio
    # makes both anyway.
    web_right = [s for s in ready if s.page.pk not in web_stale]
    behind = web_stale | {page.pk for page in pages_with_phone_audio_behind(web_right)}
    for page, status in zip(pages, statuses, strict=True):
        if status.job is None or page.pk in behind:  # never queued, or behind its text
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
    cutoff = (now or timezone.now()) - timedelta(days=settings.ALTAVOZ_TASK_RESULTS_DAYS)
    old = DBTaskResult.objects.finished().filter(
        finished_at__lt=cutoff
    ) | DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    deleted, _by_model = old.delete()
    return deleted
