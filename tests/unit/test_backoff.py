"""Backoff, Retry-After and the rate limit of the source clients: pure logic, no sleeping."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

from selaras.sources.transport import TokenBucket, backoff_delay, parse_retry_after


def test_full_jitter_stays_under_a_doubling_ceiling_capped() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (9, 5.0)]:
        delays = [backoff_delay(attempt, 0.5, 5.0, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling  # the whole range is used, not a fixed value
        assert min(delays) < 0.2 * ceiling


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("besok", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)


def test_the_token_bucket_lets_a_burst_through_then_spaces_requests() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4.0, burst=2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == [0.0, 0.0, 0.25, 0.5, 0.75]
    clock.now = 10.0  # long idle: the bucket is full again, but never beyond the burst
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.25]


def test_the_token_bucket_is_fair_across_threads() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, burst=1, clock=clock, sleep=clock.sleep)
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(25)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 100 acquisitions at 10/s from a bucket of 1: every reservation is a distinct slot.
    assert sorted(round(w, 6) for w in clock.slept) == [round(0.1 * i, 6) for i in range(1, 100)]


def test_no_rate_limit_never_waits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(None, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(1000)] == [0.0] * 1000
    assert clock.slept == []
