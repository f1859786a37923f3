"""The project's own source API (``docs/source-api.md``) as both sides see it: its endpoints (the
contract the simulator serves and the clients ask), its timestamps, and the records of an answer
checked against the data contract (``selaras.domain.snapshot``).

A record that breaks the contract is left out and reported as a :class:`SourceProblem` (SYS-02);
the valid records of the same answer are kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from selaras.domain.snapshot import TABLE, Column, Kind, Table, conform, empty_frame
from selaras.sources.problems import SourceProblem
from selaras.sources.transport import SourceContractError
from selaras.sources.validation import Findings, RawTable, check_table

__all__ = [
    "EPOCH",
    "MAX_LIMIT",
    "RESOURCES",
    "SOURCE_PREFIX",
    "Batch",
    "Resource",
    "api_table",
    "check_records",
    "format_timestamp",
    "parse_records",
    "parse_timestamp",
]

MAX_LIMIT = 1000
"""Records per page, and values per key-list filter, that a source accepts at most."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def check_records(
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
    frame, found = check_records(source, label, table, objects)
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
        child_frame, child_found = check_records(source, label, child_table, rows)
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
