"""Run the background worker for audio (and Wagtail's own) tasks.

A thin wrapper around django-tasks-db's ``db_worker``: before starting, and
every ``--sweep-interval`` seconds (a minute) while it runs, Wagtail's
scheduled publishing runs (pages go live, and expired pages are unpublished,
which withdraws their audio), jobs whose worker died mid-run (no heartbeat)
are queued again, as are radio packages whose build stalled, and retired audio
files (renditions and phone files) past their grace period are deleted.
Once an hour (first one interval after start, so that starting stays quick):
guides whose audio no longer matches their text are queued; cached clips and
segments no rendition needs and nothing used for ALTAVOZ_AUDIO_CACHE_DAYS are
evicted; stray rendition and phone files are removed; records of tasks finished over
ALTAVOZ_TASK_RESULTS_DAYS ago, and admin sign-in records older than
ALTAVOZ_SIGN_IN_RECORDS_DAYS, are pruned; the weekly review digests are e-mailed
(once per account and week: the first hourly sweep of a week sends them).
django-tasks-db itself never retries a task. When the database goes away (a restart),
the worker waits for it and goes on instead of exiting.
"""

import io
import logging
import math
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections

from audio.jobs import prune_task_results, queue_stale_audio, recover_stalled_jobs
from audio.phone_files import cleanup_retired_phone_audio, remove_stray_phone_files
from audio.publishing import (
    cleanup_retired_renditions,
    evict_cached_audio,
    remove_stray_rendition_files,
)
from audio.radio.downloads import recover_stalled_packages
from cms.accounts.retention import prune_sign_in_records
from cms.reviews import send_review_reminders

logger = logging.getLogger(__name__)
EVICTION_INTERVAL_SECONDS = 3600
DATABASE_RETRY_SECONDS = 1.0


def publish_scheduled():
    """Wagtail's scheduled publishing and expiry; the front hides expired pages even before it
    runs."""
    call_command("publish_scheduled", stdout=io.StringIO())


class Command(BaseCommand):
    help = "Run the task worker (all queues) with stalled-job recovery."
    evicted_at = -math.inf  # the first full sweep does the hourly work

    def add_arguments(self, parser):
        parser.add_argument("--sweep-interval", type=float, default=60.0)
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--batch", action="store_true", help="Process outstanding tasks, then exit."
        )

    def handle(self, *args, sweep_interval=60.0, max_tasks=None, batch=False, **options):
        self.sweep(hourly=False)  # quick: take over dead workers' jobs before taking tasks
        stop = threading.Event()
        sweeper = threading.Thread(
            target=self.sweep_forever, args=(stop, sweep_interval), daemon=True
        )
        sweeper.start()
        try:
            worker_options = {"queue_name": "*", "startup_delay": False, "reload": False}
            if max_tasks:
                worker_options["max_tasks"] = max_tasks
            if batch:
                worker_options["batch"] = True
            while True:
                try:
                    call_command("db_worker", **worker_options)
                    break
                except DatabaseError:
                    # The database went away (a restart, a failover): wait for it rather than
                    # exit, so the worker needs no restart. A job it was running is taken over.
                    logger.exception(
                        "Task worker lost the database; retrying in %s s", DATABASE_RETRY_SECONDS
                    )
                    connections.close_all()
                    time.sleep(DATABASE_RETRY_SECONDS)
        finally:
            stop.set()

    def sweep_forever(self, stop, interval):
        while not stop.wait(interval):
            self.sweep()

    def sweep(self, hourly=True):
        try:
            publish_scheduled()
            recovered = recover_stalled_jobs()
            recover_stalled_packages()  # logs each package it queues again
            removed = cleanup_retired_renditions() + cleanup_retired_phone_audio()
            evicted = pruned = reminded = 0
            refreshed = []
            # What counts in days, or only changes with a deploy: once an hour is plenty.
            if hourly and time.monotonic() - self.evicted_at >= EVICTION_INTERVAL_SECONDS:
                self.evicted_at = time.monotonic()
                refreshed = queue_stale_audio()
                evicted = evict_cached_audio()
                removed += remove_stray_rendition_files() + remove_stray_phone_files()
                pruned = prune_task_results()
                # Admin sign-in records, kept ALTAVOZ_SIGN_IN_RECORDS_DAYS.
                pruned += prune_sign_in_records()
                # Weekly, guarded per account and week (cms.reviews): hourly is how it is sure
                # to run early in each week, whenever the worker was started.
                reminded = send_review_reminders()
            if reminded:
                logger.info("Sent %s weekly review digest(s).", reminded)
            if recovered or refreshed or removed or evicted or pruned:
                logger.info(
                    "Re-queued %s stalled job(s); queued %s page(s) with stale audio; "
                    "removed %s retired rendition(s) and stray file(s); "
                    "evicted %s cached clip(s)/segment(s); "
                    "pruned %s finished task or old sign-in record(s).",
                    len(recovered),
                    len(refreshed),
                    removed,
                    evicted,
                    pruned,
                )
        except Exception:  # the sweep must never take the worker down
            logger.exception("Audio sweep failed")
        finally:
            close_old_connections()
