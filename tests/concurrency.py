"""Several threads doing the same thing at the same moment: what races between requests,
workers or phone calls is tested with these."""

import os
import threading

import pytest
from django.db import connection


def at_once(work, count: int = 4, args=()):
    """Run ``work`` in ``count`` threads released together; their results (in the order they
    finished). ``args``, if given, holds one argument per thread. Each thread closes its own
    database connection, as a request or a worker would."""
    start = threading.Barrier(count)
    results = []

    def run(*arg):
        try:
            start.wait()
            results.append(work(*arg))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(args[number],) if args else ())
        for number in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def require_row_locks():
    """Skip on SQLite, where there are no row locks to test; fail instead where PostgreSQL was
    required (``make test-postgres`` sets ALTAVOZ_REQUIRE_POSTGRES): never a silent skip."""
    if connection.vendor == "postgresql":
        return
    reason = "row locks are what is under test: run on PostgreSQL (make test-postgres, CI)"
    if os.environ.get("ALTAVOZ_REQUIRE_POSTGRES"):
        pytest.fail(f"not on PostgreSQL ({connection.vendor}): {reason}")
    pytest.skip(reason)
