"""Reaching a source over HTTP: the errors of a source, the backoff and ``Retry-After`` of its
retries, its rate limit, and the pooled client every source's client is built on
(:class:`PooledClient`: the project's own API, ``sources.clients``, and the real sources,
``sources.real``).

A source that times out, refuses the connection, answers 5xx or 429, or sends a body that is not
JSON is asked again with exponential backoff and full jitter; after ``max_attempts`` the call
raises :class:`SourceUnavailable` (SYS-01). A wrong token (401/403) or a refused request (other
4xx) is a :class:`SourceConfigError`: asking again cannot help.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from selaras.sources.problems import SourceProblem

__all__ = [
    "PooledClient",
    "Sleep",
    "SourceConfigError",
    "SourceContractError",
    "SourceError",
    "SourceUnavailable",
    "TokenBucket",
    "backoff_delay",
    "parse_retry_after",
]

Sleep = Callable[[float], None]


# ------------------------------------------------------------------------------ errors


class SourceError(Exception):
    """Any failure to get data from a source."""


class SourceUnavailable(SourceError):
    """SYS-01: the source timed out, refused, answered 5xx/429 or garbage on every attempt."""

    code = "SYS-01"

    def __init__(self, source: str, path: str, reason: str, attempts: int) -> None:
        self.source, self.path, self.reason, self.attempts = source, path, reason, attempts
        super().__init__(f"{source} tidak dapat dihubungi ({path}): {reason}, setelah {attempts} percobaan")


class SourceConfigError(SourceError):
    """The source refused the request itself (wrong token, wrong URL, bad query): not retried."""

    def __init__(self, source: str, path: str, status: int, detail: str) -> None:
        self.source, self.path, self.status = source, path, status
        super().__init__(f"{source} menolak permintaan {path} (HTTP {status}): {detail}")


class SourceContractError(SourceError):
    """SYS-02: the source's answer breaks the contract; ``problems`` names every offence."""

    code = "SYS-02"

    def __init__(self, problems: Sequence[SourceProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        super().__init__(f"data dari sumber tidak valid: {len(self.problems)} masalah\n{shown}")


# ------------------------------------------------------------------ backoff, rate limit


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...): full jitter, uniform
    between 0 and ``min(cap, base * 2 ** (attempt - 1))``."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta seconds or an HTTP date);
    None when absent or unreadable. A date in the past gives 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts of up to ``burst``.

    Thread-safe: a caller reserves its token under the lock and sleeps outside it, so
    concurrent callers queue up fairly without holding each other up."""

    def __init__(
        self,
        rate: float | None,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.rate = rate if rate and rate > 0 else None
        self.burst = max(1.0, burst if burst is not None else (self.rate or 1.0))
        self._tokens = self.burst
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting for it when the bucket is empty; the seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


# ------------------------------------------------------------------------- pooled client


class PooledClient:
    """What every client of one source holds alike: a pooled ``httpx.Client``, a token bucket
    (the source's rate limit), and the random source of the backoff's jitter under a lock
    (the client is shared by threads)."""

    def __init__(
        self,
        source: str,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        connections: int,
        rate_limit: float | None,
        burst: float | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._limiter = TokenBucket(rate_limit, burst, sleep=sleep)
        self._http = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def backoff(self, attempt: int, base: float, cap: float) -> float:
        """Seconds to wait after failed attempt ``attempt`` (:func:`backoff_delay`)."""
        with self._lock:
            return backoff_delay(attempt, base, cap, self._rng)
