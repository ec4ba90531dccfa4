"""Keeping a web process's resident size down (#13: at most 300 MB at 600 guides).

glibc's malloc keeps memory that Python freed: in extra arenas for threads, and as free
pages inside its heap after a burst of allocations. Both are asked back here; other C
libraries (musl, macOS) are left alone.
"""

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # from glibc's malloc.h
WEB_MALLOC_ARENAS = 2


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None


def limit_malloc_arenas() -> None:
    """Two malloc arenas, as MALLOC_ARENA_MAX=2 would give; call before threads start.

    glibc gives threads that contend for malloc arenas of their own (up to 8 per core), and
    memory freed in one is not reused by another: with gunicorn's threads that inflates each
    web process. An operator's own MALLOC_ARENA_MAX wins.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    libc = _libc()
    try:
        libc.mallopt(M_ARENA_MAX, WEB_MALLOC_ARENAS)
    except (AttributeError, TypeError):
        pass


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system, after a build that peaked high.

    Building the API's snapshot at 600 guides reads every page's revisions and text and
    frees most of it; without this the process stays at that peak (about 130 MB more,
    measured on the growth benchmark's database). A few milliseconds, once per build.
    """
    libc = _libc()
    try:
        libc.malloc_trim(0)
    except (AttributeError, TypeError):
        pass
