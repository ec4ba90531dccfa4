"""WSGI entry point; production deployments set DJANGO_SETTINGS_MODULE."""

import ctypes
import ctypes.util
import os

from django.core.wsgi import get_wsgi_application

# glibc's malloc gives threads that contend for it arenas of their own (up to 8 per core),
# and memory freed in one arena is not reused by another: with gunicorn's threads that
# inflates each web process's resident size (#13's 300 MB target). Two arenas, as
# MALLOC_ARENA_MAX=2 would give; set before the worker's threads start. An operator's own
# MALLOC_ARENA_MAX wins; other C libraries are left alone.
M_ARENA_MAX = -8  # from glibc's malloc.h
WEB_MALLOC_ARENAS = 2


def limit_malloc_arenas() -> None:
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(M_ARENA_MAX, WEB_MALLOC_ARENAS)
    except (OSError, AttributeError, TypeError):
        pass


limit_malloc_arenas()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
