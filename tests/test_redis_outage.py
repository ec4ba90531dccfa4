"""An unreachable Redis is a cache miss, never an error in a request (config/cache.py).

make cluster-check stops a real Redis under listeners; here, the backend alone against a
port nothing listens on, and the API throttle counting through it.
"""

import pytest

from config.cache import ForgivingRedisCache
from tests.servers import free_port


@pytest.fixture
def unreachable_cache():
    return ForgivingRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"KEY_PREFIX": "t"})


def test_every_operation_answers_as_an_empty_cache(unreachable_cache):
    cache = unreachable_cache
    cache.set("key", "value")
    cache.set_many({"a": 1, "b": 2})
    cache.delete_many(["a", "b"])

    assert cache.get("key") is None
    assert cache.get("key", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("key", 1) is False
    assert cache.has_key("key") is False
    assert cache.touch("key") is False
    assert cache.delete("key") is False
    assert cache.clear() is False
    with pytest.raises(ValueError):  # as for a missing key: callers already handle it
        cache.incr("key")


def test_the_api_throttle_lets_requests_through(unreachable_cache, monkeypatch):
    from cms.api import throttling

    monkeypatch.setattr(throttling, "cache", unreachable_cache)

    assert throttling.count_request("client", limit=1, period=60, now=0.0) == 1
    assert throttling.count_request("client", limit=1, period=60, now=0.0) == 1


def test_connecting_gives_up_quickly(unreachable_cache):
    options = unreachable_cache._cache._pool_options
    assert options["socket_connect_timeout"] == options["socket_timeout"] == 2.0
