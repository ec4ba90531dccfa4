"""Process-wide politeness limits for engines that call a remote service.

A `Throttle` pairs a token bucket (how often requests may start) with a
bounded number of request slots (how many may be in flight). Engines get theirs
from `shared_throttle`, so every engine instance in the process that talks to the
same service with the same limits draws from one budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["RequestSlots", "Throttle", "TokenBucket", "shared_throttle"]


class TokenBucket:
    """Thread-safe token bucket that hands out waiting times instead of sleeping.

    The bucket refills at `rate` tokens per second up to `capacity`. Each
    `reserve()` takes one token, going into debt when the bucket is empty, and
    returns how many seconds the caller must wait before starting its request.
    Debt makes later callers wait longer, so requests stay spaced by 1/rate
    without anyone sleeping while holding the lock.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._updated_at = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before using it (0.0 if none)."""
        with self._lock:
            now = self._clock()
            refill = (now - self._updated_at) * self.rate
            self._tokens = min(self.capacity, self._tokens + refill)
            self._updated_at = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate


class RequestSlots:
    """A counting semaphore that can also say how many callers are waiting.

    `waiting` and `in_use` exist for logs and tests: they let a test observe
    that extra threads are blocked without guessing with real sleeps.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._in_use = 0
        self._waiting = 0
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self._in_use

    @property
    def waiting(self) -> int:
        with self._changed:
            return self._waiting

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Block until a slot is free, keep it for the `with` body."""
        with self._changed:
            self._waiting += 1
            try:
                self._changed.wait_for(lambda: self._in_use < self.limit)
            finally:
                self._waiting -= 1
            self._in_use += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= 1
                self._changed.notify()


@dataclass(frozen=True)
class Throttle:
    """The rate limit and concurrency bound shared by engines calling one service."""

    bucket: TokenBucket
    slots: RequestSlots


_throttles: dict[tuple[str, float, int], Throttle] = {}
_throttles_lock = threading.Lock()


def shared_throttle(service: str, requests_per_second: float, max_concurrency: int) -> Throttle:
    """Return the process-wide throttle for `service` with these limits.

    Engines configured alike share one throttle (one budget for the process).
    Engines given different limits for the same service get separate throttles:
    each limit holds for the engines that asked for it.

    The bucket allows a burst of up to one second's worth of requests
    (capacity = max(1, requests_per_second)), then spaces them at 1/rate.
    """
    if requests_per_second <= 0:
        raise ValueError(f"requests_per_second must be positive, got {requests_per_second!r}")
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
    key = (service, float(requests_per_second), int(max_concurrency))
    with _throttles_lock:
        throttle = _throttles.get(key)
        if throttle is None:
            throttle = Throttle(
                bucket=TokenBucket(
                    rate=requests_per_second, capacity=max(1.0, requests_per_second)
                ),
                slots=RequestSlots(max_concurrency),
            )
            _throttles[key] = throttle
        return throttle
