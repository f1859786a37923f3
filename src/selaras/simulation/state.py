"""The data and the fault dice behind the simulator of the three source APIs
(``docs/source-api.md``; the app is ``simulation/simulator.py``), served from a snapshot.

It answers like PMM, SIASN and Dapodik would, from an in-memory :class:`Snapshot`, and injects
the failures Selaras must survive (slow answers, hangs, 5xx, 429, truncated bodies, records
that break the contract) at a configurable rate, reproducibly with a seed. The control
endpoints change the data ("the school operator fixed the NIP") and the faults through it.

Built for the national snapshot: every table is kept sorted by its key with a sorted index
per filter column, so a key-list lookup is a vectorised binary search (no scan, no Python loop
over rows), a page is a slice, and an incremental query walks an index sorted by
(``diperbarui``, key). A change through a control endpoint rebuilds the indexes of the tables
it touches (a second or so at national scale: control endpoints are for tests).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import polars as pl

from selaras.domain.snapshot import TABLE, Kind, Snapshot, conform
from selaras.sources.http import MAX_LIMIT, RESOURCES, Resource, format_timestamp, parse_timestamp

__all__ = ["DEFAULT_LIMIT", "FAULT_KINDS", "BadRequest", "Faults", "Simulator"]

FAULT_KINDS = ("latency", "timeout", "5xx", "429", "malformed", "invalid")
DEFAULT_LIMIT = 100
_CHILD_TABLES = {t: (r, fld) for r in RESOURCES for fld, t in r.nested}
_TOP_TABLES = {r.table: r for r in RESOURCES}


@dataclass
class Faults:
    """Which failures the simulator injects, and how often."""

    rate: float = 0.0
    """Share of data calls (0 to 1) that get a fault."""
    latency_ms: int = 0
    """Added to every data answer."""
    slow_ms: int = 200
    """Extra delay of a ``latency`` fault."""
    hang_s: float = 30.0
    """How long a ``timeout`` fault holds the answer back (longer than a client's read timeout)."""
    retry_after_s: float = 1.0
    """The ``Retry-After`` of a ``429`` fault (rounded up to whole seconds)."""
    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 1.0))
    """Relative weight of each kind in :data:`FAULT_KINDS`; a kind left out never happens."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if min(self.latency_ms, self.slow_ms, self.hang_s, self.retry_after_s) < 0:
            raise ValueError("delays must not be negative")
        unknown = set(self.weights) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must not be negative")
        if self.rate > 0 and not any(self.weights.values()):
            raise ValueError("a fault rate needs at least one kind with a weight")

    def changed(self, changes: Mapping[str, Any]) -> Faults:
        """A copy with some settings changed (``weights`` replaces the whole mapping)."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {', '.join(sorted(names))}")
        values = asdict(self)
        values.update(changes)
        return Faults(**values)


class BadRequest(ValueError):
    """A query or control request the simulator refuses (answered 400)."""


# ------------------------------------------------------------------------------- tables


def _micros(text: str) -> int:
    value = parse_timestamp(text)
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def _micros_column(stamps: pl.Series) -> pl.Series:
    distinct = stamps.drop_nulls().unique()
    mapping = {s: _micros(s) for s in distinct.to_list()}
    return stamps.replace_strict(mapping, default=None, return_dtype=pl.Int64).alias("_t")


def _json_schema(name: str, timed: bool) -> dict[str, pl.DataType]:
    """Columns as served: dates as ISO text, booleans and numbers as such; ``diperbarui`` and
    its microseconds ``_t`` for a top-level table."""
    schema: dict[str, pl.DataType] = {
        c.name: (pl.String() if c.kind is Kind.DATE else c.dtype) for c in TABLE[name].columns
    }
    if timed:
        schema["diperbarui"] = pl.String()
        schema["_t"] = pl.Int64()
    return schema


class _Data:
    """One served table, sorted by key, with a sorted index per filter column."""

    def __init__(self, name: str, frame: pl.DataFrame, index_columns: Sequence[str], timed: bool) -> None:
        self.name = name
        self.key = list(TABLE[name].key)
        self.index_columns = list(index_columns)
        self.timed = timed
        self.set(frame)

    def set(self, frame: pl.DataFrame) -> None:
        # A cursor names one row by one text: the key, or a composite key's values joined by a
        # separator below every printable character (so the text order is the key order).
        kunci = (
            pl.col(self.key[0])
            if len(self.key) == 1
            else pl.concat_str([pl.col(c).cast(pl.String) for c in self.key], separator="\x1f")
        )
        self.frame = frame.sort(kunci)
        self.kunci = self.frame.select(kunci.alias("k")).to_series()
        self.indexes: dict[str, tuple[pl.Series, pl.Series | None]] = {}
        position = pl.int_range(pl.len(), dtype=pl.Int64).alias("p")
        for c in self.index_columns:
            if self.key == [c]:
                self.indexes[c] = (self.frame.get_column(c), None)
            else:
                idx = self.frame.select(pl.col(c).alias("v"), position).drop_nulls("v").sort(["v", "p"])
                self.indexes[c] = (idx.get_column("v"), idx.get_column("p"))
        if self.timed:
            self.by_time = self.frame.select(pl.col("_t").alias("t"), self.kunci.alias("k"), position).sort(["t", "k"])

    def lookup(self, column: str, values: Sequence[str]) -> pl.Series:
        """Positions of the rows whose ``column`` is one of ``values`` (binary search)."""
        sorted_values, positions = self.indexes[column]
        wanted = pl.Series(values, dtype=pl.String).unique()
        ranges = pl.DataFrame(
            {
                "lo": sorted_values.search_sorted(wanted, side="left"),
                "hi": sorted_values.search_sorted(wanted, side="right"),
            }
        ).filter(pl.col("hi") > pl.col("lo"))
        found = ranges.select(pl.int_ranges("lo", "hi", dtype=pl.Int64).explode()).to_series()
        return found if positions is None else positions.gather(found)


def _served(name: str, df: pl.DataFrame, timed: bool, start: str) -> pl.DataFrame:
    """A snapshot table as served (see :func:`_json_schema`); a missing ``diperbarui`` is ``start``."""
    columns = [c for c in TABLE[name].columns if c.name != "diperbarui"]
    exprs = [pl.col(c.name).dt.strftime("%Y-%m-%d") if c.kind is Kind.DATE else pl.col(c.name) for c in columns]
    if timed:
        stamp = pl.col("diperbarui").fill_null(start) if "diperbarui" in df.columns else pl.lit(start, pl.String)
        out = df.with_columns(stamp.alias("_stamp")).select(*exprs, pl.col("_stamp").alias("diperbarui"))
        return out.with_columns(_micros_column(out.get_column("diperbarui")))
    return df.select(exprs)


def _break(name: str, value: Any) -> Any:
    """A value of the field the ``invalid`` fault spoils that breaks the contract."""
    if name in ("siasn_pegawai", "dapodik_sekolah", "dapodik_ptk"):
        return None if value is None else str(value)[:-1]  # NIP of 17 digits, NPSN of 7
    if name == "pmm_skp":
        return "SELESAI"  # not a status of the contract
    return None  # a required field left empty


_BROKEN_FIELD = {
    "instansi": "nama",
    "siasn_unor": "aktif",
    "siasn_pegawai": "nip",
    "dapodik_sekolah": "npsn",
    "dapodik_ptk": "npsn",
    "dapodik_tugas_tambahan": "jenis",
    "pmm_skp": "status",
    "siasn_jabatan": "tmt_jabatan",
    "siasn_angka_kredit": "jenis",
    "pmm_predikat_organisasi": "predikat",
    "pmm_predikat": "predikat",
}


# --------------------------------------------------------------------------- simulator


def _encode_cursor(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as e:
        raise BadRequest("cursor tidak sah") from e
    if not isinstance(parts, list) or not parts or parts[0] not in ("k", "d"):
        raise BadRequest("cursor tidak sah")
    return parts


class Simulator:
    """The data and the fault dice behind the simulated APIs (thread-safe)."""

    def __init__(self, snapshot: Snapshot, *, faults: Faults | None = None, seed: int | None = None) -> None:
        self._lock = threading.RLock()
        self.faults = faults or Faults()
        self._rng = random.Random(seed)
        started = datetime.now(UTC)
        start = format_timestamp(started)
        self.tables: dict[str, _Data] = {}
        for resource in RESOURCES:
            df = _served(resource.table, snapshot[resource.table], True, start)
            self.tables[resource.table] = _Data(resource.table, df, resource.filters, True)
            for _fld, child in resource.nested:
                parent_key = TABLE[resource.table].key[0]
                self.tables[child] = _Data(child, _served(child, snapshot[child], False, start), [parent_key], False)
        latest = [int(d.frame.get_column("_t").max()) for d in self.tables.values() if d.timed and d.frame.height]
        self._last = max([_micros(start), *latest])
        self.calls: dict[str, int] = {}
        self.fault_counts: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    # -- state

    def snapshot(self) -> Snapshot:
        """The data as served now, typed as a snapshot (``pmm_skp.diperbarui`` included)."""
        with self._lock:
            frames = {}
            for name, data in self.tables.items():
                df = data.frame.select(TABLE[name].column_names)
                dates = [c.name for c in TABLE[name].columns if c.kind is Kind.DATE]
                df = df.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False) for c in dates)
                frames[name] = conform(name, df)
            return Snapshot(frames)

    def stats(self) -> dict[str, Any]:
        """Data calls (total and per endpoint) and injected faults by kind."""
        with self._lock:
            return {"calls": sum(self.calls.values()), "endpoints": dict(self.calls), "faults": dict(self.fault_counts)}

    def set_faults(self, faults: Faults) -> None:
        """Use other fault settings from now on."""
        with self._lock:
            self.faults = faults

    def draw_fault(self, resource: Resource) -> str | None:
        """Count one data call and decide its fault (None: answer normally)."""
        with self._lock:
            endpoint = f"/{resource.prefix}/{resource.path}"
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
            f = self.faults
            if f.rate <= 0 or self._rng.random() >= f.rate:
                return None
            kinds = [k for k in FAULT_KINDS if f.weights.get(k, 0) > 0]
            kind = self._rng.choices(kinds, weights=[f.weights[k] for k in kinds])[0]
            self.fault_counts[kind] += 1
            return kind

    def server_error(self) -> int:
        """The status of a ``5xx`` fault."""
        with self._lock:
            return self._rng.choice((500, 502, 503, 504))

    def _tick(self) -> tuple[int, str]:
        # Strictly increasing, and after every timestamp in the data: a change is always newer.
        now = datetime.now(UTC)
        self._last = max(int(now.timestamp()) * 1_000_000 + now.microsecond, self._last + 1)
        seconds, micros = divmod(self._last, 1_000_000)
        when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
        return self._last, format_timestamp(when)

    # -- reading

    def answer(self, resource: Resource, query: Iterable[tuple[str, str]], *, invalid: bool = False) -> bytes:
        """The JSON body of one list call."""
        params: dict[str, str] = {}
        for name, value in query:
            if name in params:
                raise BadRequest(f"parameter {name} diberikan lebih dari sekali; pisahkan nilai dengan koma")
            params[name] = value
        allowed = {"limit", "cursor", "diperbarui_sejak", *resource.filters}
        unknown = set(params) - allowed
        if unknown:
            raise BadRequest(f"parameter tidak dikenal: {', '.join(sorted(unknown))}")
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
        except ValueError as e:
            raise BadRequest("limit harus bilangan bulat") from e
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit harus antara 1 dan {MAX_LIMIT}")
        filters: dict[str, list[str]] = {}
        for name in resource.filters:
            if name in params:
                values = [v for v in params[name].split(",") if v]
                if len(values) > MAX_LIMIT:
                    raise BadRequest(f"paling banyak {MAX_LIMIT} nilai untuk {name}")
                filters[name] = values
        since: int | None = None
        if "diperbarui_sejak" in params:
            try:
                since = _micros(params["diperbarui_sejak"])
            except ValueError as e:
                raise BadRequest("diperbarui_sejak harus waktu ISO") from e
        cursor = _decode_cursor(params["cursor"]) if "cursor" in params else None
        with self._lock:
            data = self.tables[resource.table]
            positions, next_cursor = self._page(data, filters, since, cursor, limit)
            page = data.frame.select(pl.exclude("_t")).gather(positions)
            if invalid and page.height:
                column = _BROKEN_FIELD[resource.table]
                row = self._rng.randrange(page.height)
                spoiled = _break(resource.table, page.get_column(column)[row])
                series = page.get_column(column).scatter(row, spoiled)
                page = page.with_columns(series)
            for fld, child in resource.nested:
                page = self._with_children(page, data.key[0], fld, self.tables[child])
        body = page.write_json().encode()
        return b'{"data":' + body + b',"next_cursor":' + json.dumps(next_cursor).encode() + b"}"

    def _page(
        self,
        data: _Data,
        filters: Mapping[str, list[str]],
        since: int | None,
        cursor: list[Any] | None,
        limit: int,
    ) -> tuple[pl.Series, str | None]:
        n = data.frame.height
        keys = data.kunci
        if filters or since is None:
            # Key order: a cursor is the last key served.
            if cursor is not None and (cursor[0] != "k" or len(cursor) != 2):
                raise BadRequest("cursor tidak cocok dengan permintaan ini")
            start = 0 if cursor is None else keys.search_sorted(str(cursor[1]), side="right")
            if not filters:
                positions = pl.int_range(start, min(start + limit + 1, n), dtype=pl.Int64, eager=True)
            else:
                found: pl.Series | None = None
                for column, values in filters.items():
                    hits = data.lookup(column, values)
                    found = hits if found is None else found.filter(found.is_in(hits.implode()))
                assert found is not None
                if since is not None:
                    found = found.filter(data.frame.get_column("_t").gather(found) > since)
                positions = found.unique().sort()
                positions = positions.filter(positions >= start).head(limit + 1)
            more = positions.len() > limit
            positions = positions.head(limit)
            last = keys[int(positions[-1])] if more else None
            return positions, None if last is None else _encode_cursor(["k", last])
        # Changed-since order: by (diperbarui, key), so a record changed while a client
        # pages through comes again at the end instead of being skipped.
        times = data.by_time.get_column("t")
        start = times.search_sorted(since, side="right")
        if cursor is not None:
            if cursor[0] != "d" or len(cursor) != 3:
                raise BadRequest("cursor tidak cocok dengan permintaan ini")
            t, k = int(cursor[1]), str(cursor[2])
            lo, hi = times.search_sorted(t, side="left"), times.search_sorted(t, side="right")
            after = lo + data.by_time.get_column("k").slice(lo, hi - lo).search_sorted(k, side="right")
            start = max(start, after)
        window = data.by_time.slice(start, limit + 1)
        more = window.height > limit
        window = window.head(limit)
        next_cursor = _encode_cursor(["d", int(window["t"][-1]), window["k"][-1]]) if more else None
        return window.get_column("p"), next_cursor

    def _with_children(self, page: pl.DataFrame, parent_key: str, fld: str, child: _Data) -> pl.DataFrame:
        columns = TABLE[child.name].column_names
        rows = child.frame.gather(child.lookup(parent_key, page.get_column(parent_key).to_list()).sort())
        grouped = (
            rows.with_columns(pl.col(parent_key).alias("_parent"))
            .group_by("_parent", maintain_order=True)
            .agg(pl.struct(columns).alias(fld))
        )
        if grouped.height == 0:
            grouped = pl.DataFrame(
                schema={"_parent": pl.String(), fld: pl.List(pl.Struct(child.frame.select(columns).schema))}
            )
        joined = page.join(grouped, left_on=parent_key, right_on="_parent", how="left", maintain_order="left")
        empty = pl.lit(pl.Series([[]], dtype=joined.schema[fld]))
        return joined.with_columns(pl.col(fld).fill_null(empty))

    # -- changing

    def upsert(self, table: str, records: Sequence[Any]) -> int:
        """Insert or update records by key (given fields replace, others are kept); the
        changed records (for an RHK or assessment: its SKP) get a new ``diperbarui``. A PMM
        SKP given with ``rhk`` / ``penilaian`` lists has those children replaced."""
        data = self._table(table)
        with self._lock:
            stamp = self._tick()
            rows, nested = self._merged(data, records, stamp)
            new = pl.DataFrame(rows, schema=data.frame.schema, orient="row") if rows else data.frame.clear()
            touched = self._parents(data, new)
            if table in _CHILD_TABLES:
                old = data.frame.join(new.select(data.key), on=data.key, how="semi")
                touched |= self._parents(data, old)
            data.set(pl.concat([data.frame.join(new.select(data.key), on=data.key, how="anti"), new]))
            for child_name, (parent_id, items) in nested:
                child = self.tables[child_name]
                kept = child.frame.filter(pl.col(data.key[0]) != parent_id)
                converted = [
                    self._converted(child, {**item, data.key[0]: item.get(data.key[0], parent_id)}) for item in items
                ]
                fresh = (
                    pl.DataFrame(converted, schema=child.frame.schema, orient="row")
                    if converted
                    else child.frame.clear()
                )
                child.set(pl.concat([kept.join(fresh.select(child.key), on=child.key, how="anti"), fresh]))
            self._bump(touched, stamp)
            return new.height

    def delete(self, table: str, keys: Sequence[Any]) -> int:
        """Delete records by key (a value, or an object for a composite key). Deleting an SKP
        deletes its RHK and assessments; deleting a child changes its SKP's ``diperbarui``."""
        data = self._table(table)
        with self._lock:
            key_rows = []
            for k in keys:
                if isinstance(k, dict):
                    key_rows.append(tuple(k.get(c) for c in data.key))
                elif len(data.key) == 1 and isinstance(k, str):
                    key_rows.append((k,))
                else:
                    raise BadRequest(f"kunci {k!r} tidak sah untuk {table} (kunci: {', '.join(data.key)})")
            wanted = pl.DataFrame(key_rows, schema={c: data.frame.schema[c] for c in data.key}, orient="row")
            gone = data.frame.join(wanted, on=data.key, how="semi")
            data.set(data.frame.join(wanted, on=data.key, how="anti"))
            if table in _TOP_TABLES:
                ids = gone.get_column(data.key[0]).implode()
                for _fld, child in _TOP_TABLES[table].nested:
                    c = self.tables[child]
                    c.set(c.frame.filter(~pl.col(data.key[0]).is_in(ids)))
            else:
                self._bump(self._parents(data, gone), self._tick())
            return gone.height

    def _table(self, table: str) -> _Data:
        if table not in self.tables:
            raise BadRequest(f"tabel {table!r} tidak dilayani simulator (yang ada: {', '.join(self.tables)})")
        return self.tables[table]

    def _parents(self, data: _Data, rows: pl.DataFrame) -> set[str]:
        if data.name not in _CHILD_TABLES:
            return set()
        parent_key = _CHILD_TABLES[data.name][0].table
        return set(rows.get_column(TABLE[parent_key].key[0]).drop_nulls().to_list())

    def _bump(self, skp_ids: set[str], stamp: tuple[int, str]) -> None:
        if not skp_ids:
            return
        skp = self.tables["pmm_skp"]
        hit = pl.col("pmm_skp_id").is_in(pl.Series(sorted(skp_ids), dtype=pl.String).implode())
        skp.set(
            skp.frame.with_columns(
                pl.when(hit).then(pl.lit(stamp[1])).otherwise(pl.col("diperbarui")).alias("diperbarui"),
                pl.when(hit).then(pl.lit(stamp[0])).otherwise(pl.col("_t")).alias("_t"),
            )
        )

    def _converted(self, data: _Data, record: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> tuple:
        """One record as a row of ``data``'s frame (``base``: the stored row it updates)."""
        row = dict(base) if base is not None else dict.fromkeys(data.frame.columns)
        for c in TABLE[data.name].columns:
            if c.name not in record or (c.name == "diperbarui" and data.timed):
                continue
            v = record[c.name]
            want: type = bool if c.kind is Kind.BOOL else int if c.kind is Kind.INT else str
            if c.kind is Kind.DECIMAL and type(v) in (int, float):
                v = float(v)
            elif v is not None and type(v) is not want:
                raise BadRequest(f"{data.name}.{c.name}: nilai {v!r} harus bertipe {want.__name__}")
            row[c.name] = v
        for k in data.key:
            if row.get(k) is None:
                raise BadRequest(f"{data.name}: kunci {k} wajib diisi")
        return tuple(row[c] for c in data.frame.columns)

    def _merged(
        self, data: _Data, records: Sequence[Any], stamp: tuple[int, str]
    ) -> tuple[list[tuple], list[tuple[str, tuple[str, list[dict[str, Any]]]]]]:
        known = set(TABLE[data.name].column_names) | ({"diperbarui"} if data.timed else set())
        resource = _TOP_TABLES.get(data.name)
        nested_fields = {fld: child for fld, child in resource.nested} if resource else {}
        given: dict[tuple, dict[str, Any]] = {}
        for r in records:
            if not isinstance(r, dict):
                raise BadRequest("setiap rekaman harus objek JSON")
            unknown = set(r) - known - set(nested_fields)
            if unknown:
                raise BadRequest(f"{data.name}: kolom tidak dikenal {sorted(unknown)}")
            key = tuple(r.get(k) for k in data.key)
            given[key] = {**given.get(key, {}), **r}
        stored = (
            {
                tuple(row[k] for k in data.key): row
                for row in data.frame.join(
                    pl.DataFrame(list(given), schema={k: data.frame.schema[k] for k in data.key}, orient="row"),
                    on=data.key,
                    how="semi",
                ).to_dicts()
            }
            if given
            else {}
        )
        rows: list[tuple] = []
        nested: list[tuple[str, tuple[str, list[dict[str, Any]]]]] = []
        for key, record in given.items():
            row = list(self._converted(data, record, stored.get(key)))
            if data.timed:
                columns = data.frame.columns
                row[columns.index("diperbarui")], row[columns.index("_t")] = stamp[1], stamp[0]
            rows.append(tuple(row))
            for fld, child in nested_fields.items():
                if fld in record:
                    items = record[fld]
                    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                        raise BadRequest(f"{fld} harus daftar objek JSON")
                    nested.append((child, (str(key[0]), items)))
        return rows, nested
