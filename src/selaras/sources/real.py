"""What the connectors of the real sources share (``sources.siasn``, ``sources.dapodik``).

One :class:`Transport` per source: a pooled ``httpx.Client``, a token bucket (rate limit per
source), a bound on the requests in flight (``concurrency``), and the retries of
``docs/source-api.md``: a timeout, a refused connection, 5xx, 429 (its ``Retry-After``) and a
body that is not JSON are SYS-01 and asked again with backoff; after ``max_attempts`` the call
raises :class:`SourceUnavailable`. A 401 asks the source's ``renew`` hook for fresh tokens and
tries once more. The records mapped (``sources.mapping``) are checked against the data contract
like any other source's (:func:`validated`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import polars as pl

from selaras.domain.snapshot import TABLE, Kind, conform, empty_frame
from selaras.sources.http import check_records
from selaras.sources.mapping import SourceMapping, map_record
from selaras.sources.problems import SourceProblem
from selaras.sources.transport import PooledClient, Sleep, SourceConfigError, SourceUnavailable, parse_retry_after

__all__ = ["Pulled", "RealSettings", "Transport", "validated"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RealSettings:
    """Timeouts, retries and limits of one real source."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    rate_limit: float | None = 20.0
    """Requests per second at most to this source (None: unlimited)."""
    concurrency: int = 4
    """Requests in flight at once to this source."""


RENEWALS = 3
"""Times one request fetches fresh tokens after a 401 before the refusal is final."""


class Unauthorized(Exception):
    """A 401 the renewal of the tokens did not cure."""


class Transport(PooledClient):
    """Requests to one real source with rate limit, bounded concurrency and retries."""

    def __init__(
        self,
        source: str,
        settings: RealSettings,
        *,
        base_url: str = "",
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            source,
            base_url=base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            connections=max(1, settings.concurrency),
            rate_limit=settings.rate_limit,
            sleep=sleep,
            rng=rng,
            transport=transport,
        )
        self.settings = settings
        self.requests = 0

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Callable[[], Mapping[str, str]] | None = None,
        renew: Callable[[Mapping[str, str]], None] | None = None,
        ok: Iterable[int] = (200,),
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, retried on the transient failures (SYS-01); a 401 calls ``renew`` with
        the headers it was sent with (to drop those tokens) and tries again once. A status in
        ``ok`` is returned; any other 4xx raises :class:`SourceConfigError`."""
        s = self.settings
        accepted = set(ok)
        reason = ""
        renewals = 0
        attempt = 0
        while attempt < s.max_attempts:
            attempt += 1
            self._limiter.acquire()
            asked: float | None = None
            try:
                with self._lock:
                    self.requests += 1
                sent = dict(headers() if headers else {})
                response = self._http.request(method, url, headers=sent, **kwargs)
            except httpx.TimeoutException as e:
                reason = f"batas waktu habis ({type(e).__name__})"
            except httpx.TransportError as e:
                reason = f"koneksi gagal ({type(e).__name__}: {e})"
            else:
                status = response.status_code
                if status in accepted:
                    return response
                if status == 401 and renew is not None and renewals < RENEWALS:
                    # An expired token: fetch fresh ones and ask again, not counted as a failure.
                    # More than once: under concurrency the fresh token may expire again before
                    # this request is resent; credentials that are refused fail at the token fetch.
                    renewals += 1
                    renew(sent)
                    attempt -= 1
                    continue
                if status in (401, 403):
                    raise SourceConfigError(self.source, url, status, "token ditolak; periksa kunci dan akun sumber")
                if status == 429:
                    reason = "HTTP 429 (terlalu banyak permintaan)"
                    asked = parse_retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    reason = f"HTTP {status}"
                else:
                    raise SourceConfigError(self.source, url, status, response.text[:300])
            if attempt < s.max_attempts:
                if asked is not None:
                    delay = min(asked, s.retry_after_cap)
                else:
                    delay = self.backoff(attempt, s.backoff_base, s.backoff_cap)
                self._sleep(delay)
        raise SourceUnavailable(self.source, url, reason, s.max_attempts)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """:meth:`request` and its body as JSON, whatever its ``Content-Type`` says (Dapodik
        labels JSON ``text/html``); a body that is not JSON is retried like a 5xx."""
        for attempt in range(1, self.settings.max_attempts + 1):
            response = self.request(method, url, **kwargs)
            try:
                return json.loads(response.content)
            except ValueError:
                # A cut-off body is what a dropped connection or a failing proxy gives.
                if attempt < self.settings.max_attempts:
                    self._sleep(self.backoff(attempt, self.settings.backoff_base, self.settings.backoff_cap))
        raise SourceUnavailable(
            self.source, url, "jawaban bukan JSON yang sah (terpotong?)", self.settings.max_attempts
        )

    def map_concurrent(self, work: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``work`` over ``items`` with at most ``concurrency`` in flight, results in order.
        The first exception is raised (the rest are not started)."""
        workers = max(1, self.settings.concurrency)
        if workers == 1 or len(items) <= 1:
            yield from (work(i) for i in items)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"selaras-{self.source}") as pool:
            # A window of futures keeps the memory of a national pull bounded.
            window = workers * 4
            futures = [pool.submit(work, i) for i in items[:window]]
            position = window
            try:
                while futures:
                    result = futures.pop(0).result()
                    if position < len(items):
                        futures.append(pool.submit(work, items[position]))
                        position += 1
                    yield result
            finally:
                for f in futures:
                    f.cancel()


@dataclass
class Pulled:
    """Records of one kind pulled from a real source: the valid ones as a contract-typed
    frame, and the problems of those refused (SYS-02)."""

    table: str
    frame: pl.DataFrame
    problems: list[SourceProblem] = field(default_factory=list)
    refused: int = 0
    """Records left out."""


def validated(
    mapping: SourceMapping,
    records: Iterable[tuple[Mapping[str, Any], Mapping[str, str | None] | None]],
    *,
    keep: Callable[[Mapping[str, str | None]], bool] | None = None,
) -> Pulled:
    """Map each (record, context) with ``mapping`` and check the rows against the contract
    table ``mapping.table``: a record whose value cannot be mapped, or whose row breaks the
    contract, is refused with its problems; ``keep`` drops rows silently (not refused).
    The frame holds only the table's columns: nothing else of a record is kept."""
    table = TABLE[mapping.table]
    rows: list[dict[str, Any]] = []
    problems: list[SourceProblem] = []
    refused = 0
    for record, context in records:
        row, found = map_record(mapping, record, context)
        if keep is not None and not keep(row):
            continue
        if found:
            problems.extend(found)
            refused += 1
            continue
        rows.append(row)
    typed = [
        {
            c.name: (r.get(c.name) == "1" if c.kind is Kind.BOOL and r.get(c.name) is not None else r.get(c.name))
            for c in table.columns
        }
        for r in rows
    ]
    if not typed:
        return Pulled(table.name, empty_frame(table.name), problems, refused)
    frame, bad = check_records(mapping.source, f"{mapping.source} {mapping.record}", table, typed)
    for pos in sorted(bad):
        problems.extend(bad[pos])
    mask = pl.Series([i not in bad for i in range(len(typed))], dtype=pl.Boolean)
    return Pulled(table.name, conform(table.name, frame.filter(mask)), problems, refused + len(bad))
