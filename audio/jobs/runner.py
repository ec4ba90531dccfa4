"""Run one page's job: claim it, voice the page, close it; again while requests keep coming."""

import logging

from wagtail.models import Page

from audio.models import AudioJob
from audio.pipeline import generate_page_audio

from .lease import WORKER_ID, beating_heart, claim, fail, finish

logger = logging.getLogger(__name__)


def run_job(page_id, worker=WORKER_ID):
    """Generate a page's audio if this worker may; loops while new requests arrive."""
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
