"""Clients of the live source APIs (PMM, SIASN, Dapodik), as documented in ``docs/source-api.md``.

Every answer is checked against the data contract (``selaras.domain.snapshot``) before it is
used: a record that breaks it is left out and reported as a :class:`SourceProblem` (SYS-02),
the valid records of the same answer are kept. A source that times out, refuses the
connection, answers 5xx or 429, or sends a body that is not JSON is asked again with
exponential backoff and full jitter; after ``max_attempts`` the call raises
:class:`SourceUnavailable` (SYS-01). A wrong token (401/403) or a refused request (other 4xx)
is a :class:`SourceConfigError`: asking again cannot help.

A client is thread-safe: one pooled ``httpx.Client`` and one token bucket per source.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import polars as pl

from selaras.domain.snapshot import TABLE, Column, Kind, Table, conform, empty_frame
from selaras.sources.problems import SourceProblem
from selaras.sources.validation import Findings, RawTable, check_table

__all__ = [
    "EPOCH",
    "RESOURCES",
    "Batch",
    "DapodikClient",
    "PmmClient",
    "Resource",
    "SiasnClient",
    "SourceClient",
    "SourceConfig",
    "SourceConfigError",
    "SourceContractError",
    "SourceError",
    "SourceProblem",
    "SourceUnavailable",
    "Sources",
    "TokenBucket",
    "backoff_delay",
    "format_timestamp",
    "parse_records",
    "parse_retry_after",
    "parse_timestamp",
]

MAX_LIMIT = 1000
"""Records per page, and values per key-list filter, that a source accepts at most."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Sleep = Callable[[float], None]


# --------------------------------------------------------------------------- the contract


@dataclass(frozen=True)
class Resource:
    """One list endpoint of a source API."""

    source: str
    """The system: ``SIASN``, ``Dapodik`` or ``PMM`` (as in ``snapshot.Table.system``)."""
    prefix: str
    """The path of the source's base URL on a shared server, e.g. ``siasn/v1``."""
    path: str
    """The endpoint below the base URL, e.g. ``pegawai``."""
    table: str
    """The contract table of its records."""
    filters: tuple[str, ...]
    """Columns that can be filtered by a comma-separated key list."""
    nested: tuple[tuple[str, str], ...] = ()
    """(field, table) of lists of child records carried by each record."""


RESOURCES: tuple[Resource, ...] = (
    Resource("SIASN", "siasn/v1", "instansi", "instansi", ("instansi_id",)),
    Resource("SIASN", "siasn/v1", "unor", "siasn_unor", ("unor_id", "instansi_id", "npsn")),
    Resource("SIASN", "siasn/v1", "pegawai", "siasn_pegawai", ("nip", "nik", "instansi_id", "unor_id")),
    Resource("Dapodik", "dapodik/v1", "sekolah", "dapodik_sekolah", ("npsn", "instansi_id")),
    Resource("Dapodik", "dapodik/v1", "ptk", "dapodik_ptk", ("ptk_id", "nip", "nik", "npsn")),
    # The school leaders' duties (leaders.md): optional in a snapshot, served like the PTK.
    Resource("Dapodik", "dapodik/v1", "tugas-tambahan", "dapodik_tugas_tambahan", ("ptk_id", "npsn")),
    Resource(
        "PMM",
        "pmm/v1",
        "skp",
        "pmm_skp",
        ("pmm_skp_id", "ptk_id", "npsn"),
        nested=(("rhk", "pmm_rhk"), ("penilaian", "pmm_penilaian")),
    ),
    # The year's end (annual.md): optional in a snapshot, served by the same APIs.
    Resource("SIASN", "siasn/v1", "jabatan", "siasn_jabatan", ("nip",)),
    Resource("SIASN", "siasn/v1", "angka-kredit", "siasn_angka_kredit", ("nip",)),
    Resource("PMM", "pmm/v1", "predikat-organisasi", "pmm_predikat_organisasi", ("npsn",)),
    Resource("PMM", "pmm/v1", "predikat", "pmm_predikat", ("ptk_id",)),
)
SOURCE_PREFIX: dict[str, str] = {r.source: r.prefix for r in RESOURCES}

_DIPERBARUI = Column("diperbarui", Kind.TIMESTAMP, True)


def api_table(name: str) -> Table:
    """The contract table ``name`` as a top-level API record: with a required ``diperbarui``."""
    t = TABLE[name]
    columns = tuple(c for c in t.columns if c.name != "diperbarui") + (_DIPERBARUI,)
    return Table(t.name, t.system, columns, t.key)


def parse_timestamp(text: str) -> datetime:
    """An ISO timestamp as an aware UTC datetime; one without a zone is taken as UTC."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """``value`` as the API writes it: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


# ------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class SourceConfig:
    """How to reach one source."""

    base_url: str
    token: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    """Seconds: the ceiling of the first backoff; it doubles with each attempt."""
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    """A ``Retry-After`` longer than this is shortened to it."""
    rate_limit: float | None = 10.0
    """Requests per second at most (None: unlimited)."""
    burst: float | None = None
    page_size: int = MAX_LIMIT
    batch_size: int = 200
    """Values per key-list filter in one request (longer lists are split)."""
    max_connections: int = 10


# ----------------------------------------------------------------------------- records


@dataclass
class Batch:
    """What a source served for one query: valid records as contract-typed frames (the
    resource's table and any nested tables), and the problems of the records left out."""

    frames: dict[str, pl.DataFrame]
    problems: list[SourceProblem] = field(default_factory=list)
    diperbarui: datetime | None = None
    """The latest ``diperbarui`` of any record served (valid or not)."""

    def __getitem__(self, table: str) -> pl.DataFrame:
        return self.frames[table]

    @property
    def clean(self) -> bool:
        """No record was left out."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise :class:`SourceContractError` when some record was left out."""
        if self.problems:
            raise SourceContractError(self.problems)

    def values(self, table: str, column: str) -> list[str]:
        """The distinct non-null values of ``column``."""
        return self.frames[table].get_column(column).drop_nulls().unique().sort().to_list()

    @staticmethod
    def merge(batches: Sequence[Batch], tables: Sequence[str]) -> Batch:
        """One batch of several; a record served twice is kept once (the later)."""
        frames = {}
        for name in tables:
            parts = [b.frames[name] for b in batches if name in b.frames]
            df = pl.concat(parts) if parts else empty_frame(name)
            frames[name] = df.unique(subset=list(TABLE[name].key), keep="last", maintain_order=True)
        stamps = [b.diperbarui for b in batches if b.diperbarui is not None]
        return Batch(frames, [p for b in batches for p in b.problems], max(stamps) if stamps else None)


_JSON_TYPE = {
    Kind.BOOL: (bool, "boolean (true/false)"),
    Kind.INT: (int, "bilangan bulat"),
    Kind.DECIMAL: (float, "angka"),
}
_JSON_NUMBER = (int, float)
"""The JSON types a DECIMAL column accepts (a whole number is a number too)."""


def _text_frame(table: Table, records: Sequence[Mapping[str, Any]]) -> tuple[pl.DataFrame, dict[tuple[int, str], str]]:
    """The records as a frame of strings, as a CSV file would give them, and the cells whose
    JSON type is wrong (position, column) -> shown value (they are nulled in the frame)."""
    data: dict[str, list[str | None]] = {}
    wrong: dict[tuple[int, str], str] = {}
    for c in table.columns:
        raw = [r.get(c.name) for r in records]
        wants = _JSON_NUMBER if c.kind is Kind.DECIMAL else (_JSON_TYPE.get(c.kind, (str, ""))[0],)
        if not {type(v) for v in raw} <= {*wants, type(None)}:
            for i, v in enumerate(raw):
                if v is not None and type(v) not in wants:
                    wrong[(i, c.name)] = json.dumps(v, ensure_ascii=False)[:200]
                    raw[i] = None
        if c.kind is Kind.BOOL:
            data[c.name] = [None if v is None else ("1" if v else "0") for v in raw]
        elif c.kind in (Kind.INT, Kind.DECIMAL):
            data[c.name] = [None if v is None else str(v) for v in raw]
        else:
            data[c.name] = raw  # type: ignore[assignment]
    return pl.DataFrame(data, schema={c: pl.String() for c in table.column_names}), wrong


def _key_text(table: Table, record: Mapping[str, Any]) -> str | None:
    parts = [record.get(k) for k in table.key]
    if all(p is None for p in parts):
        return None
    return ", ".join("" if p is None else str(p) for p in parts)


def _check(
    source: str, label: str, table: Table, records: Sequence[Mapping[str, Any]]
) -> tuple[pl.DataFrame, dict[int, list[SourceProblem]]]:
    """Validate ``records`` against ``table``: the string frame and the problems by position."""
    frame, wrong = _text_frame(table, records)
    findings = Findings()
    check_table(RawTable(table, label, frame), findings)
    found: dict[int, list[SourceProblem]] = {}

    def add(pos: int, column: str | None, value: str | None, rule: str) -> None:
        problem = SourceProblem(source, table.name, _key_text(table, records[pos]), column, value, rule)
        found.setdefault(pos, []).append(problem)

    for (pos, column), shown in wrong.items():
        want = _JSON_TYPE.get(table.column(column).kind, (str, "teks (string JSON)"))[1]
        add(pos, column, shown, f"tipe JSON salah: harus {want}")
    for row, column, value, rule in findings.rows().select("row", "column", "value", "rule").iter_rows():
        pos = int(row) - 2
        if (pos, column) in wrong and rule == "nilai wajib kosong":
            continue  # already reported as the wrong type
        add(pos, column, value, rule)
    return frame, found


def parse_records(source: str, resource: Resource, records: Sequence[Any], label: str | None = None) -> Batch:
    """Validate one answer's records against the contract: the valid ones as typed frames,
    a :class:`SourceProblem` for each offence. A record with nested children (a PMM SKP with
    its RHK and assessments) is taken whole or not at all."""
    label = label or f"{source} {resource.path}"
    table = api_table(resource.table)
    problems: list[SourceProblem] = []
    objects: list[Mapping[str, Any]] = []
    for r in records:
        if isinstance(r, dict):
            objects.append(r)
        else:
            problems.append(SourceProblem(source, table.name, None, None, str(r)[:200], "rekaman bukan objek JSON"))
    frame, found = _check(source, label, table, objects)
    bad = set(found)
    children: dict[str, tuple[pl.DataFrame, list[int]]] = {}
    for fld, child_name in resource.nested:
        child_table = TABLE[child_name]
        rows: list[Mapping[str, Any]] = []
        parents: list[int] = []
        for i, r in enumerate(objects):
            items = r.get(fld)
            if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                shown = None if items is None else json.dumps(items, ensure_ascii=False)[:200]
                found.setdefault(i, []).append(
                    SourceProblem(source, table.name, _key_text(table, r), fld, shown, "harus daftar objek JSON")
                )
                bad.add(i)
                continue
            rows.extend(items)
            parents.extend([i] * len(items))
        child_frame, child_found = _check(source, label, child_table, rows)
        for pos, ps in child_found.items():
            found.setdefault(parents[pos], []).extend(ps)
            bad.add(parents[pos])
        own = TABLE[resource.table].key[0]
        for child, parent in zip(rows, parents, strict=True):
            mine, theirs = child.get(own), objects[parent].get(own)
            if mine is not None and mine != theirs:
                rule = f"rujukan salah: {own} tidak sama dengan {own} rekaman induknya '{theirs}'"
                found.setdefault(parent, []).append(
                    SourceProblem(source, child_name, _key_text(child_table, child), own, str(mine), rule)
                )
                bad.add(parent)
        children[child_name] = (child_frame, parents)
    for pos in sorted(found):
        problems.extend(found[pos])
    keep = pl.Series([i not in bad for i in range(len(objects))], dtype=pl.Boolean)
    frames = {resource.table: conform(resource.table, frame.filter(keep))}
    for child_name, (child_frame, parents) in children.items():
        child_keep = pl.Series([p not in bad for p in parents], dtype=pl.Boolean)
        frames[child_name] = conform(child_name, child_frame.filter(child_keep))
    return Batch(frames, problems, _latest(frame.get_column("diperbarui")))


def _latest(stamps: pl.Series) -> datetime | None:
    latest = None
    for text in stamps.drop_nulls().unique().to_list():
        try:
            value = parse_timestamp(text)
        except ValueError:
            continue
        if latest is None or value > latest:
            latest = value
    return latest


# ------------------------------------------------------------------------------ clients


class SourceClient:
    """A client of one source API: paginated, filtered, validated reads with retries."""

    def __init__(
        self,
        source: str,
        config: SourceConfig,
        *,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.config = config
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._limiter = TokenBucket(config.rate_limit, config.burst, sleep=sleep)
        self._resources = {r.path: r for r in RESOURCES if r.source == source}
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {config.token}", "Accept": "application/json"},
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            limits=httpx.Limits(
                max_connections=config.max_connections, max_keepalive_connections=config.max_connections
            ),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get_json(self, path: str, params: Mapping[str, str]) -> Any:
        """GET ``path`` (relative to the base URL) and parse its JSON body, retrying the
        transient failures of SYS-01 with backoff; raises :class:`SourceUnavailable` after
        ``max_attempts``, :class:`SourceConfigError` at once on 401/403/other 4xx."""
        cfg = self.config
        reason = ""
        for attempt in range(1, cfg.max_attempts + 1):
            self._limiter.acquire()
            asked: float | None = None
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException as e:
                reason = f"batas waktu habis ({type(e).__name__})"
            except httpx.TransportError as e:
                reason = f"koneksi gagal ({type(e).__name__}: {e})"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise SourceConfigError(self.source, path, status, "token ditolak; periksa konfigurasi token")
                if status == 429:
                    reason = "HTTP 429 (terlalu banyak permintaan)"
                    asked = parse_retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    reason = f"HTTP {status}"
                elif status >= 300:
                    raise SourceConfigError(self.source, path, status, response.text[:300])
                else:
                    try:
                        return json.loads(response.content)
                    except ValueError:
                        # A cut-off body is what a dropped connection or a failing proxy gives.
                        reason = "jawaban bukan JSON yang sah (terpotong?)"
            if attempt < cfg.max_attempts:
                if asked is not None:
                    delay = min(asked, cfg.retry_after_cap)
                else:
                    with self._rng_lock:
                        delay = backoff_delay(attempt, cfg.backoff_base, cfg.backoff_cap, self._rng)
                self._sleep(delay)
        raise SourceUnavailable(self.source, path, reason, cfg.max_attempts)

    def fetch(self, path: str, *, since: datetime | None = None, **filters: Iterable[str] | None) -> Batch:
        """Every record of endpoint ``path`` (all pages) matching the filters: at most one
        key-list filter (split into requests of ``batch_size`` values), and records changed
        after ``since``. An empty key list gives an empty batch without a request."""
        resource = self._resources.get(path)
        if resource is None:
            raise ValueError(f"{self.source} has no endpoint {path!r}")
        given = {k: v for k, v in filters.items() if v is not None}
        unknown = set(given) - set(resource.filters)
        if unknown:
            raise ValueError(f"{self.source} {path} cannot be filtered by {sorted(unknown)}")
        if len(given) > 1:
            raise ValueError("at most one key-list filter per fetch")
        tables = [resource.table, *(t for _, t in resource.nested)]
        params: dict[str, str] = {}
        if since is not None:
            params["diperbarui_sejak"] = format_timestamp(since)
        if not given:
            return Batch.merge(list(self._pages(resource, params)), tables)
        ((name, raw),) = given.items()
        if isinstance(raw, str):
            raise TypeError(f"{name} takes a list of values, not one string")
        values = sorted({v for v in raw if v is not None})
        size = max(1, min(self.config.batch_size, MAX_LIMIT))
        batches = []
        for i in range(0, len(values), size):
            batches.extend(self._pages(resource, {**params, name: ",".join(values[i : i + size])}))
        return Batch.merge(batches, tables)

    def _pages(self, resource: Resource, params: Mapping[str, str]) -> Iterator[Batch]:
        cursor: str | None = None
        seen: set[str] = set()
        limit = str(max(1, min(self.config.page_size, MAX_LIMIT)))
        while True:
            query = {**params, "limit": limit}
            if cursor is not None:
                query["cursor"] = cursor
            body = self.get_json(resource.path, query)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise SourceContractError(
                    [SourceProblem(self.source, resource.table, None, "data", None, "jawaban tanpa daftar 'data'")]
                )
            yield parse_records(self.source, resource, body["data"])
            cursor = body.get("next_cursor")
            if cursor is None:
                return
            if not isinstance(cursor, str) or cursor in seen:
                rule = "next_cursor bukan teks" if not isinstance(cursor, str) else "next_cursor berulang"
                raise SourceContractError(
                    [SourceProblem(self.source, resource.table, None, "next_cursor", str(cursor)[:200], rule)]
                )
            seen.add(cursor)


class SiasnClient(SourceClient):
    """SIASN (BKN): instansi, units, pegawai."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("SIASN", config, **options)

    def instansi(self, *, instansi_id: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``instansi`` records."""
        return self.fetch("instansi", since=since, instansi_id=instansi_id)

    def unor(
        self,
        *,
        unor_id: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``siasn_unor`` records (one filter at most)."""
        return self.fetch("unor", since=since, unor_id=unor_id, instansi_id=instansi_id, npsn=npsn)

    def pegawai(
        self,
        *,
        nip: Iterable[str] | None = None,
        nik: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        unor_id: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``siasn_pegawai`` records (one filter at most)."""
        return self.fetch("pegawai", since=since, nip=nip, nik=nik, instansi_id=instansi_id, unor_id=unor_id)

    def jabatan(self, *, nip: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``siasn_jabatan`` records: the jenjang history."""
        return self.fetch("jabatan", since=since, nip=nip)

    def angka_kredit(self, *, nip: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``siasn_angka_kredit`` records: the credit recorded."""
        return self.fetch("angka-kredit", since=since, nip=nip)


class DapodikClient(SourceClient):
    """Dapodik / Verval PTK: schools and PTK."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("Dapodik", config, **options)

    def sekolah(
        self,
        *,
        npsn: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_sekolah`` records (one filter at most)."""
        return self.fetch("sekolah", since=since, npsn=npsn, instansi_id=instansi_id)

    def ptk(
        self,
        *,
        ptk_id: Iterable[str] | None = None,
        nip: Iterable[str] | None = None,
        nik: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_ptk`` records (one filter at most)."""
        return self.fetch("ptk", since=since, ptk_id=ptk_id, nip=nip, nik=nik, npsn=npsn)

    def tugas_tambahan(
        self,
        *,
        ptk_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_tugas_tambahan`` records, the leaders' duties (one filter at most)."""
        return self.fetch("tugas-tambahan", since=since, ptk_id=ptk_id, npsn=npsn)


class PmmClient(SourceClient):
    """PMM / Ruang GTK: SKP with their RHK and assessments."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("PMM", config, **options)

    def skp(
        self,
        *,
        pmm_skp_id: Iterable[str] | None = None,
        ptk_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``pmm_skp`` records with their ``pmm_rhk`` and ``pmm_penilaian`` (one filter at most)."""
        return self.fetch("skp", since=since, pmm_skp_id=pmm_skp_id, ptk_id=ptk_id, npsn=npsn)

    def predikat_organisasi(self, *, npsn: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``pmm_predikat_organisasi`` records: the schools' organisation ratings (PKO)."""
        return self.fetch("predikat-organisasi", since=since, npsn=npsn)

    def predikat(self, *, ptk_id: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``pmm_predikat`` records: the teachers' annual ratings."""
        return self.fetch("predikat", since=since, ptk_id=ptk_id)


_ENV_URL = {"PMM": "SELARAS_PMM_URL", "SIASN": "SELARAS_SIASN_URL", "Dapodik": "SELARAS_DAPODIK_URL"}
_ENV_TOKEN = {"PMM": "SELARAS_PMM_TOKEN", "SIASN": "SELARAS_SIASN_TOKEN", "Dapodik": "SELARAS_DAPODIK_TOKEN"}
_REAL_ENV = {"SELARAS_SIASN_API_URL", "SELARAS_DAPODIK_SEKOLAH_URL"}
_ENV_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SELARAS_SOURCE_CONNECT_TIMEOUT": ("connect_timeout", float),
    "SELARAS_SOURCE_READ_TIMEOUT": ("read_timeout", float),
    "SELARAS_SOURCE_MAX_ATTEMPTS": ("max_attempts", int),
    "SELARAS_SOURCE_RATE_LIMIT": ("rate_limit", float),
}


@dataclass
class Sources:
    """The three source clients."""

    siasn: SiasnClient
    dapodik: DapodikClient
    pmm: PmmClient

    @classmethod
    def from_configs(cls, siasn: SourceConfig, dapodik: SourceConfig, pmm: SourceConfig, **options: Any) -> Sources:
        """Clients for three configurations; ``options`` (``sleep``, ``rng``, ``transport``)
        go to each client."""
        return cls(SiasnClient(siasn, **options), DapodikClient(dapodik, **options), PmmClient(pmm, **options))

    @classmethod
    def from_base_url(cls, url: str, token: str, *, sleep: Sleep = time.sleep, **settings: Any) -> Sources:
        """Clients of three sources served by one server at ``url`` (the simulator):
        ``{url}/siasn/v1``, ``{url}/dapodik/v1``, ``{url}/pmm/v1``. ``settings`` are
        :class:`SourceConfig` fields."""
        root = url.rstrip("/")

        def config(source: str) -> SourceConfig:
            return SourceConfig(f"{root}/{SOURCE_PREFIX[source]}", token, **settings)

        return cls.from_configs(config("SIASN"), config("Dapodik"), config("PMM"), sleep=sleep)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Sources | None:
        """Clients configured by ``SELARAS_PMM_URL``, ``SELARAS_SIASN_URL``,
        ``SELARAS_DAPODIK_URL`` and ``SELARAS_SOURCE_TOKEN`` (or a per-source
        ``SELARAS_PMM_TOKEN`` ...), tuned by ``SELARAS_SOURCE_CONNECT_TIMEOUT``,
        ``_READ_TIMEOUT``, ``_MAX_ATTEMPTS``, ``_RATE_LIMIT``. None when no source URL is set;
        ``ValueError`` naming the missing variables when only some are."""
        env = os.environ if env is None else env
        urls = {s: env.get(v, "").strip() for s, v in _ENV_URL.items()}
        if not any(urls.values()):
            return None
        if not urls["SIASN"] and not urls["Dapodik"] and _REAL_ENV.intersection(k for k, v in env.items() if v):
            # Only PMM in this contract, SIASN and Dapodik in their real shapes: that is the
            # configuration of ``selaras tarik`` (sources.connectors), not of these clients.
            return None
        tokens = {s: (env.get(_ENV_TOKEN[s]) or env.get("SELARAS_SOURCE_TOKEN") or "").strip() for s in urls}
        missing = [_ENV_URL[s] for s, u in urls.items() if not u]
        missing += [f"{_ENV_TOKEN[s]} atau SELARAS_SOURCE_TOKEN" for s, t in tokens.items() if not t]
        if missing:
            raise ValueError(f"konfigurasi sumber data tidak lengkap: {', '.join(missing)} belum diisi")
        settings: dict[str, Any] = {}
        for var, (name, convert) in _ENV_OPTIONS.items():
            if env.get(var):
                try:
                    settings[name] = convert(env[var])
                except ValueError as e:
                    raise ValueError(f"{var}={env[var]!r} bukan angka") from e
        configs = {s: replace(SourceConfig(urls[s], tokens[s]), **settings) for s in urls}
        return cls.from_configs(configs["SIASN"], configs["Dapodik"], configs["PMM"])

    def close(self) -> None:
        """Close every client's connections."""
        for client in (self.siasn, self.dapodik, self.pmm):
            client.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
