"""Snapshots written as files: a folder of CSV files, or an XLSX workbook with one sheet per table.

The CSV writer streams: a table is turned into text and written a slice at a time, and a sync's
changes are written part by part (:class:`SnapshotWriter`), so the national snapshot is written
without any table's whole text held. The counterpart that reads them is :mod:`selaras.sources.files`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from selaras.domain.results import EkinerjaChanges
from selaras.domain.snapshot import TABLE, TABLES, Kind, Snapshot, Table
from selaras.domain.sync import apply, key_hashes, staying

__all__ = ["XLSX_MAX_ROWS", "SnapshotWriter", "write_snapshot"]

XLSX_MAX_ROWS = 1_048_575
"""Data rows that fit in one sheet (Excel's 1,048,576 rows less the header)."""

_WRITE_BLOCK = 250_000
"""Rows turned into text and written at a time."""


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write every table of ``snapshot``: a folder of CSV files, or a workbook when ``path``
    ends with ``.xlsx``. Dates are ISO, booleans 1/0, no value is an empty cell. See
    :class:`SnapshotWriter`, which this is without changes."""
    with SnapshotWriter(snapshot, path):
        pass


class SnapshotWriter:
    """Writes ``snapshot`` with the changes :meth:`add` is given (a sync's, part by part) to
    ``path``, when the ``with`` block ends: what is written is ``apply(snapshot, changes)``
    (:func:`selaras.domain.sync.apply`), row for row, and the same whether the changes came at
    once or in parts touching disjoint rows.

    A CSV folder is written without the new tables or a whole table's text ever held: each
    part's upserted rows go to a file as they come, only which old rows stay is kept (one
    boolean per row); a changed table is then written as its staying old rows, a slice at a
    time, followed by the upserted rows' file. A workbook (at most a million rows a sheet) is
    built in memory.

    Atomic: the folder is written beside ``path`` and put in place only when every file is
    complete, so a failure (in the block too) leaves ``path`` as it was. A new ``path`` (or
    an empty folder) is replaced by one rename; an existing folder with files keeps its other
    files and has each table file replaced by a rename of the complete file.
    """

    def __init__(self, snapshot: Snapshot, path: Path) -> None:
        self.snapshot = snapshot
        self.path = Path(path)
        self.workbook = self.path.suffix.lower() == ".xlsx"
        self._parts: list[EkinerjaChanges] = []  # workbook only
        self._stay: dict[str, pl.Series | None] = {}
        # Each part's changed keys are looked up among the old keys' hashes: a whole table's
        # keys compared for every part cost seconds at national scale.
        self._hashes: dict[str, pl.Series] = {}
        self._partial: Path | None = None

    def __enter__(self) -> SnapshotWriter:
        if not self.workbook:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Beside the target, so the rename stays on one file system; made with mkdir, so
            # it gets the usual permissions (a tempfile folder would be private to its owner).
            self._partial = self.path.with_name(f".{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
            self._partial.mkdir()
        return self

    def add(self, changes: EkinerjaChanges) -> None:
        """Changes to write, touching rows that no earlier ones touched."""
        if self._partial is None:
            self._parts.append(changes)
            return
        for name in set(changes.upserts) | set(changes.deletes):
            if name not in self._hashes:
                self._hashes[name] = key_hashes(self.snapshot[name], name)
            stay = staying(self.snapshot[name], name, changes, self._hashes[name])
            before = self._stay.get(name)
            self._stay[name] = stay if before is None else before if stay is None else before & stay
            up = changes.upserts.get(name)
            if up is not None and up.height:
                with self._upserted(name).open("ab") as f:
                    _write_rows(f, TABLE[name], up)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._partial is None:
            if kind is None:
                s = self.snapshot if not self._parts else apply(self.snapshot, EkinerjaChanges.union(self._parts))
                _write_workbook(s, self.path)
            return
        try:
            if kind is None:
                self._write_tables(self._partial)
                self._put_in_place(self._partial)
        finally:
            shutil.rmtree(self._partial, ignore_errors=True)

    def _upserted(self, name: str) -> Path:
        assert self._partial is not None
        return self._partial / f"{TABLE[name].file_name}.baru"

    def _write_tables(self, folder: Path) -> None:
        for t in TABLES:
            old, stay = self.snapshot[t.name], self._stay.get(t.name)
            with (folder / t.file_name).open("wb") as f:
                f.write((",".join(t.column_names) + "\n").encode())
                for start in range(0, old.height, _WRITE_BLOCK):
                    rows = old.slice(start, _WRITE_BLOCK)
                    _write_rows(f, t, rows if stay is None else rows.filter(stay.slice(start, _WRITE_BLOCK)))
                upserted = self._upserted(t.name)
                if upserted.exists():
                    with upserted.open("rb") as up:
                        shutil.copyfileobj(up, f, 1 << 24)
                    upserted.unlink()

    def _put_in_place(self, folder: Path) -> None:
        if self.path.is_dir() and any(self.path.iterdir()):
            for t in TABLES:
                os.replace(folder / t.file_name, self.path / t.file_name)
        else:
            os.replace(folder, self.path)  # an empty folder at ``path`` is replaced too


def _write_rows(f: BinaryIO, table: Table, rows: pl.DataFrame) -> None:
    """Append ``rows`` of ``table`` to the open file as CSV text, a slice at a time."""
    for start in range(0, rows.height, _WRITE_BLOCK):
        _as_text(rows.slice(start, _WRITE_BLOCK), table).write_csv(f, include_header=False, null_value="")


def _as_text(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """The table as the strings written to a file; null for no value."""
    exprs: list[pl.Expr] = []
    for c in table.columns:
        s = pl.col(c.name)
        if c.kind is Kind.DATE:
            exprs.append(s.dt.strftime("%Y-%m-%d"))
        elif c.kind is Kind.BOOL:
            exprs.append(pl.when(s).then(pl.lit("1")).when(s.not_()).then(pl.lit("0")).alias(c.name))
        elif c.kind in (Kind.INT, Kind.DECIMAL):
            exprs.append(s.cast(pl.String))
        else:
            # An empty string and no value are the same cell in a file.
            exprs.append(pl.when(s != "").then(s).alias(c.name))
    return frame.select(exprs)


# --- XLSX --------------------------------------------------------------------------------


def _text_cell(ws: Any, value: str | None) -> object:
    """A cell that stays text: openpyxl would take "=..." for a formula, which reads back empty."""
    if value is None or not value.startswith("="):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _write_workbook(snapshot: Snapshot, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    too_big = [(t.name, snapshot[t.name].height) for t in TABLES if snapshot[t.name].height > XLSX_MAX_ROWS]
    if too_big:
        listed = ", ".join(f"{name} ({_thousands(n)} baris)" for name, n in too_big)
        raise ValueError(
            f"tabel terlalu besar untuk XLSX (paling banyak {_thousands(XLSX_MAX_ROWS)} baris "
            f"data per lembar): {listed}; tulis sebagai folder CSV"
        )
    wb = Workbook(write_only=True)
    for t in TABLES:
        ws = wb.create_sheet(t.name)
        ws.append(t.column_names)
        for i, row in enumerate(_as_text(snapshot[t.name], t).iter_rows(), start=2):
            try:
                ws.append([_text_cell(ws, v) for v in row])
            except IllegalCharacterError as e:
                raise ValueError(
                    f"tabel {t.name} baris {i} berisi karakter kendali yang tidak dapat "
                    f"disimpan di XLSX; tulis sebagai folder CSV"
                ) from e
    path.parent.mkdir(parents=True, exist_ok=True)
    # Saved beside the target first so a failure never leaves a half-written workbook.
    partial = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
