"""Redis as a cache that may go away: an unreachable Redis is a cache miss, never a 500.

What Altavoz keeps in the cache can all be made again: the API's snapshot is also held in
process memory and rebuilt from the database, and throttle counts only fail open (a
request is let through while Redis is down). Django's own RedisCache raises redis-py's
connection errors into the request instead; this backend answers as if the cache were
empty, logs a warning (at most once a minute per process), and gives up on an unreachable
server after a short timeout instead of redis-py's default of waiting for ever.
``/healthz`` still says "not ok" while Redis is down: it checks that what it stored comes
back. `make cluster-check` stops Redis under load (tests/cluster).
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (ConnectionError, TimeoutError)
TIMEOUT_SECONDS = 2.0
WARNING_INTERVAL_SECONDS = 60.0


class ForgivingRedisCacheClient(RedisCacheClient):
    warned_at = float("-inf")

    def __init__(self, servers, **options):
        options.setdefault("socket_connect_timeout", TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", TIMEOUT_SECONDS)
        super().__init__(servers, **options)

    def unavailable(self, error):
        now = time.monotonic()
        if now - ForgivingRedisCacheClient.warned_at >= WARNING_INTERVAL_SECONDS:
            ForgivingRedisCacheClient.warned_at = now
            logger.warning("Redis cache unavailable, answering without it: %s", error)

    def add(self, key, value, timeout):
        try:
            return super().add(key, value, timeout)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return False

    def get(self, key, default):
        try:
            return super().get(key, default)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return default

    def set(self, key, value, timeout):
        try:
            super().set(key, value, timeout)
        except UNAVAILABLE as error:
            self.unavailable(error)

    def touch(self, key, timeout):
        try:
            return super().touch(key, timeout)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return False

    def delete(self, key):
        try:
            return super().delete(key)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return False

    def get_many(self, keys):
        try:
            return super().get_many(keys)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return {}

    def has_key(self, key):
        try:
            return super().has_key(key)
        except UNAVAILABLE as error:
            self.unavailable(error)
            return False

    def incr(self, key, delta):
        try:
            return super().incr(key, delta)
        except UNAVAILABLE as error:
            self.unavailable(error)
            raise ValueError(f"Key {key!r} not found (the cache is unavailable).") from error

    def set_many(self, data, timeout):
        try:
            super().set_many(data, timeout)
        except UNAVAILABLE as error:
            self.unavailable(error)

    def delete_many(self, keys):
        try:
            super().delete_many(keys)
        except UNAVAILABLE as error:
            self.unavailable(error)

    def clear(self):
        try:
            return super().clear()
        except UNAVAILABLE as error:
            self.unavailable(error)
            return False


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient
