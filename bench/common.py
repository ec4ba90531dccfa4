"""Plumbing every benchmark shares: the ``--smoke`` switch, throwaway data, and the exit code.

``--smoke`` runs a benchmark on a small input, in seconds, so that CI
(``make bench-smoke``) notices a benchmark that no longer runs: figures are
printed, no timing is judged, and the exit code is non-zero only when
something broke (an exception, a failed request, a functional check).

The switch is read from ``sys.argv`` when this module is imported, because
benchmarks choose their database before ``django.setup()``, earlier than
their argument parser runs.
"""

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

SMOKE = "--smoke" in sys.argv[1:]
SMOKE_HELP = "a few seconds on a small input: figures printed, no timing judged (CI)"
# Sections of a demo guide a smoke run keeps: enough for an edit of the 4th.
SMOKE_SECTIONS = 4


def throwaway_database(prefix: str) -> Path:
    """Point Django at a new SQLite file and var dir (call before ``django.setup()``)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["ALTAVOZ_VAR_DIR"] = str(workdir)
    return workdir


def load_demo_database() -> None:
    """Migrate and load the demo guides (no audio)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)


def shorten_guide(page, sections: int = SMOKE_SECTIONS):
    """Publish ``page`` with only its first ``sections`` sections (smoke runs)."""
    page.sections = page.sections.get_prep_value()[:sections]
    page.save_revision().publish()
    return page


def exit_code(checks: Iterable[tuple[str, bool]]) -> int:
    """Print functional checks (not timings); 1 if any failed."""
    failed = [name for name, ok in checks if not ok]
    for name in failed:
        print(f"BROKEN  {name}", file=sys.stderr)
    return 1 if failed else 0
