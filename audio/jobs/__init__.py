"""Audio jobs, top-down: sweeps → queue → tasks → runner → lease (see .importlinter).

The unit of work is a page (each locale's page is its own row); its AudioJob
row is the lock and the status editors see. Publishing queues audio, a worker
runs it, a killed worker's job is taken over, and nothing half-made is live:
renditions are swapped in only when complete (``audio.publishing``).
"""

from .lease import WORKER_ID, claim
from .queue import is_voiced, recover_stalled_jobs, request_audio, voiced_page_models
from .sweeps import prune_task_results, queue_stale_audio


def __getattr__(name: str):
    # ``run_job`` is loaded on first use (PEP 562): web processes import this package to
    # queue work, and the runner brings the pipeline's signal processing with it.
    if name == "run_job":
        from .runner import run_job

        return run_job
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "WORKER_ID",
    "claim",
    "is_voiced",
    "prune_task_results",
    "queue_stale_audio",
    "recover_stalled_jobs",
    "request_audio",
    "run_job",
    "voiced_page_models",
]
