"""Snapshots as files: a folder of CSV files, or an XLSX workbook with one sheet per table.

Reading validates everything against the data contract (``selaras.domain.snapshot``) and
either returns a typed :class:`Snapshot` or raises :class:`SnapshotError` listing every
problem. CSV folders are read and checked with vectorised polars operations, so the national
snapshot (tens of millions of rows) is read in seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from selaras.domain.snapshot import TABLE, TABLES, Kind, Snapshot, Table
from selaras.sources.validation import (
    LIMIT,
    ROW,
    Findings,
    Problem,
    Progress,
    RawTable,
    SnapshotError,
    empty_raw,
    keep_valid,
    validate,
)

__all__ = [
    "XLSX_MAX_ROWS",
    "Problem",
    "ReadResult",
    "SnapshotError",
    "read_snapshot",
    "write_problems",
    "write_snapshot",
]

XLSX_MAX_ROWS = 1_048_575
"""Data rows that fit in one sheet (Excel's 1,048,576 rows less the header)."""

_EMPTY_FILE = "berkas kosong: tidak ada baris judul"
_EMPTY_SHEET = "lembar kosong: tidak ada baris judul"
_WRONG_COUNT = "jumlah kolom salah"
# Excel keeps 15 significant digits of a number: a longer NIP/NIK typed as a number is
# already corrupted, so it must not be read as if it were right.
_EXCEL_DIGITS = 10**15


@dataclass
class ReadResult:
    """A snapshot read from files, and (lenient mode) the rows that were left out."""

    snapshot: Snapshot
    rejected: list[Problem] = field(default_factory=list)


def read_snapshot(
    path: Path,
    *,
    lenient: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> ReadResult:
    """Read and validate a snapshot from a folder of CSV files or an ``.xlsx`` workbook.

    Strict (default): any problem raises :class:`SnapshotError` with all problems found in
    all files (at most 1000 per file, column and rule, plus a count of the rest); nothing is returned.
    Lenient: rows with problems, and rows pointing at them, are left out and each is listed
    in ``ReadResult.rejected`` with its reasons; problems with a whole file (unreadable,
    missing required column, unknown sheet) still raise :class:`SnapshotError`.
    ``progress`` is called with a message and the fraction done (0 to 1).
    """
    path = Path(path)
    report: Progress = progress or (lambda _message, _fraction: None)
    findings = Findings()
    if not path.exists():
        raise SnapshotError([Problem(str(path), None, None, None, "folder atau berkas tidak ditemukan")])
    if path.is_dir():
        tables = _read_folder(path, findings, report)
    elif path.suffix.lower() == ".xlsx":
        tables = _read_workbook(path, findings, report)
    else:
        raise SnapshotError([Problem(path.name, None, None, None, "bukan folder berkas CSV atau workbook .xlsx")])
    validate(tables, findings, report)
    if findings.file_level or (findings.any and not lenient):
        raise SnapshotError(findings.problems(limit=LIMIT))
    report("menyusun snapshot", 0.95)
    if lenient:
        frames = keep_valid(tables, findings)
        rejected = findings.problems()
    else:
        frames = {name: raw.frame.drop(ROW) for name, raw in tables.items() if raw.frame is not None}
        rejected = []
    snapshot = Snapshot(frames)
    report("selesai", 1.0)
    return ReadResult(snapshot, rejected)


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write every table of ``snapshot``: a folder of CSV files, or a workbook when ``path``
    ends with ``.xlsx``. Dates are ISO, booleans 1/0, no value is an empty cell."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        _write_workbook(snapshot, path)
        return
    path.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        _as_text(snapshot[t.name], t).write_csv(path / t.file_name, null_value="")


def write_problems(problems: Sequence[Problem], path: Path) -> None:
    """Write problems as a CSV report with the columns file,row,column,value,rule."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "file": [p.file for p in problems],
            "row": [p.row for p in problems],
            "column": [p.column for p in problems],
            "value": [p.value for p in problems],
            "rule": [p.rule for p in problems],
        },
        schema={"file": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "rule": pl.String},
    ).write_csv(path, null_value="")


# --- CSV ---------------------------------------------------------------------------------


def _read_folder(folder: Path, findings: Findings, report: Progress) -> dict[str, RawTable]:
    known = {t.file_name for t in TABLES}
    for p in sorted(folder.iterdir()):
        # A misnamed export ("Dapodik PTK.csv") would otherwise be an empty table unnoticed.
        if p.is_file() and p.suffix.lower() == ".csv" and p.name not in known:
            findings.add_file(
                p.name,
                f"berkas '{p.name}' bukan nama tabel snapshot "
                f"(yang diterima: {', '.join(t.file_name for t in TABLES)})",
            )
    tables: dict[str, RawTable] = {}
    for i, t in enumerate(TABLES):
        report(f"membaca {t.file_name}", 0.6 * i / len(TABLES))
        p = folder / t.file_name
        tables[t.name] = _read_csv(p, t, findings) if p.is_file() else empty_raw(t, t.file_name)
    return tables


def _read_csv(path: Path, table: Table, findings: Findings) -> RawTable:
    label = path.name
    unreadable = RawTable(table, label, None)
    if path.stat().st_size == 0:
        findings.add_file(label, _EMPTY_FILE)
        return unreadable
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            first = next(csv.reader(f), None)
    except UnicodeDecodeError:
        findings.add_file(label, _not_utf8(path))
        return unreadable
    header = [h.strip() for h in first or []]
    if not any(header):
        findings.add_file(label, _EMPTY_FILE)
        return unreadable
    if len(header) == 1 and ";" in header[0]:
        findings.add_file(label, "pemisah kolom harus koma (,), bukan titik koma (;)")
        return unreadable
    positions = _positions(header, table, label, findings)
    if not positions:
        return unreadable
    try:
        data = pl.read_csv(
            path,
            has_header=True,
            infer_schema=False,
            columns=list(positions.values()),
            truncate_ragged_lines=True,
            null_values=[""],
            raise_if_empty=False,
            encoding="utf8",
        )
        counts = _field_counts(path, data.height)
    except pl.exceptions.PolarsError as e:
        if "utf-8" in str(e).lower() or "utf8" in str(e).lower():
            findings.add_file(label, _not_utf8(path))
            return unreadable
        counts = None  # quoting the fast reader refuses; the slow one below decides
    if counts is None:
        parsed = _parse_slowly(path, positions)
        if isinstance(parsed, str):
            findings.add_file(label, parsed)
            return unreadable
        data, counts = parsed
    data.columns = list(positions)
    frame = pl.concat([data, counts], how="horizontal").with_row_index(ROW, offset=2)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    raw = RawTable(table, label, frame)
    wrong = frame.filter(~pl.col("_kosong") & (pl.col("_n") != len(header)))
    findings.add_rows(
        raw,
        wrong.select(ROW, "_n"),
        what=_WRONG_COUNT,
        rule=pl.concat_str(
            pl.lit(f"{_WRONG_COUNT}: baris ini punya "),
            pl.col("_n").cast(pl.String),
            pl.lit(f" kolom, baris judul punya {len(header)}"),
        ),
    )
    if frame.get_column("_kosong").any():
        frame = frame.filter(~pl.col("_kosong"))
    raw.frame = frame.drop("_n", "_kosong")
    raw.broken = wrong.get_column(ROW)
    return raw


def _positions(header: list[str], table: Table, label: str, findings: Findings) -> dict[str, int]:
    """Where each contract column is in the header; reports missing and repeated ones."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        if name not in table.column_names:
            continue
        if name in positions:
            findings.add_file(label, "kolom muncul lebih dari sekali di baris judul", name)
            continue
        positions[name] = i
    for c in table.columns:
        if c.required and c.name not in positions:
            findings.add_file(label, "kolom wajib tidak ada", c.name)
    return positions


def _field_counts(path: Path, rows: int) -> pl.DataFrame | None:
    """Fields in each data record (``_n``) and whether it is blank (``_kosong``), found from
    the raw lines, because the CSV reader pads short rows without saying so. None when the
    records cannot be matched to the ``rows`` rows the reader found."""
    lines = pl.read_csv(
        path,
        has_header=False,
        schema={"l": pl.String},
        quote_char=None,
        separator="\x00",
        truncate_ragged_lines=True,
        raise_if_empty=False,
        encoding="utf8",
    )
    line = pl.col("l")
    per_line = lines.select(
        line.str.count_matches(",", literal=True).fill_null(0).cast(pl.Int64).alias("_n"),
        line.str.count_matches('"', literal=True).fill_null(0).alias("_q"),
        (line.is_null() | line.str.contains(r"^[\s,]*$")).alias("_kosong"),
    )
    quotes = per_line.get_column("_q")
    if quotes.sum():
        odd = (quotes % 2 == 1).cast(pl.UInt32)
        # A quoted field with a line break spans lines: a line can start inside it.
        inside = (odd.cum_sum() % 2).shift(1, fill_value=0) == 1
        where = ((quotes > 0) | inside).arg_true()
        # Commas inside quotes are not separators; a line that starts inside a quoted field
        # gets the opening quote back, and an unclosed one runs to the end of the line.
        outside = (
            pl.DataFrame({"l": lines.get_column("l").gather(where), "i": inside.gather(where)})
            .select(
                pl.when(pl.col("i"))
                .then(pl.concat_str(pl.lit('"'), pl.col("l")))
                .otherwise("l")
                .str.replace_all(r'"(?:[^"]|"")*(?:"|$)', "")
                .str.count_matches(",", literal=True)
                .cast(pl.Int64)
            )
            .to_series()
        )
        per_line = per_line.with_columns(per_line.get_column("_n").scatter(where, outside))
        if odd.sum():
            per_line = (
                per_line.with_columns((~inside).cast(pl.UInt32).cum_sum().alias("_r"))
                .group_by("_r", maintain_order=True)
                .agg(pl.col("_n").sum(), pl.col("_kosong").all())
            )
    counts = per_line.select((pl.col("_n") + 1).alias("_n"), "_kosong").slice(1)
    if counts.height == rows:
        return counts
    return None


def _parse_slowly(path: Path, positions: dict[str, int]) -> tuple[pl.DataFrame, pl.DataFrame] | str:
    """Data and field counts with Python's csv module, for files whose quoting the fast path
    cannot follow (a stray quote inside an unquoted field). A rule text when the quoting is
    broken beyond reading."""
    columns: dict[str, list[str | None]] = {name: [] for name in positions}
    n: list[int] = []
    blank: list[bool] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        start = 1
        try:
            next(reader, None)
            while True:
                start = reader.line_num + 1
                record = next(reader, None)
                if record is None:
                    break
                n.append(len(record) or 1)
                blank.append(all(not v.strip() for v in record))
                for name, i in positions.items():
                    columns[name].append(record[i] or None if i < len(record) else None)
        except csv.Error:
            return (
                f'berkas CSV rusak mulai baris {start}: tanda kutip (") tidak '
                "berpasangan; nilai yang berisi koma, tanda kutip atau baris baru harus diapit "
                'tanda kutip, dan tanda kutip di dalamnya ditulis dua kali ("")'
            )
    data = pl.DataFrame(columns, schema={name: pl.String for name in positions})
    counts = pl.DataFrame({"_n": n, "_kosong": blank}, schema={"_n": pl.Int64, "_kosong": pl.Boolean})
    return data, counts


def _not_utf8(path: Path) -> str:
    """The rule for a file that is not UTF-8, naming the first bad byte."""
    offset = 0
    line = 1
    carry = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(1 << 24)
            data = carry + chunk
            if not data:
                break
            try:
                data.decode("utf-8")
                usable = len(data)
            except UnicodeDecodeError as e:
                if chunk and e.end == len(data) and e.reason == "unexpected end of data":
                    usable = e.start  # a character cut by the chunk boundary
                else:
                    where = line + data.count(b"\n", 0, e.start)
                    return (
                        f"berkas bukan UTF-8 (byte 0x{data[e.start]:02X} pada posisi "
                        f"{offset + e.start}, baris {where}); simpan ulang sebagai CSV UTF-8"
                    )
            line += data.count(b"\n", 0, usable)
            offset += usable
            carry = data[usable:]
            if not chunk:
                break
    return "berkas bukan UTF-8; simpan ulang sebagai CSV UTF-8"


def _as_text(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """The table as the strings written to a file; null for no value."""
    exprs: list[pl.Expr] = []
    for c in table.columns:
        s = pl.col(c.name)
        if c.kind is Kind.DATE:
            exprs.append(s.dt.strftime("%Y-%m-%d"))
        elif c.kind is Kind.BOOL:
            exprs.append(pl.when(s).then(pl.lit("1")).when(s.not_()).then(pl.lit("0")).alias(c.name))
        elif c.kind is Kind.INT:
            exprs.append(s.cast(pl.String))
        else:
            # An empty string and no value are the same cell in a file.
            exprs.append(pl.when(s != "").then(s).alias(c.name))
    return frame.select(exprs)


# --- XLSX --------------------------------------------------------------------------------


def _read_workbook(path: Path, findings: Findings, report: Progress) -> dict[str, RawTable]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is no workbook
        raise SnapshotError([Problem(path.name, None, None, None, f"berkas bukan workbook XLSX yang sah ({e})")]) from e
    tables: dict[str, RawTable] = {}
    try:
        for sheet in wb.sheetnames:
            if sheet not in TABLE:
                findings.add_file(
                    f"{path.name}:{sheet}",
                    f"lembar '{sheet}' bukan nama tabel snapshot (yang diterima: {', '.join(TABLE)})",
                )
        for i, t in enumerate(TABLES):
            report(f"membaca lembar {t.name}", 0.6 * i / len(TABLES))
            label = f"{path.name}:{t.name}"
            if t.name in wb.sheetnames:
                tables[t.name] = _read_sheet(wb[t.name], t, label, findings)
            else:
                tables[t.name] = empty_raw(t, label)
    finally:
        wb.close()
    return tables


def _read_sheet(ws: Any, table: Table, label: str, findings: Findings) -> RawTable:
    ws.reset_dimensions()  # the stored dimensions may be wrong, and would cut rows off
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None) or ()
    header = [("" if v is None else str(v)).strip() for v in first]
    while header and not header[-1]:
        header.pop()
    if not header:
        findings.add_file(label, _EMPTY_SHEET)
        return RawTable(table, label, None)
    positions = _positions(header, table, label, findings)
    numbers: list[int] = []
    columns: dict[str, list[str | None]] = {name: [] for name in positions}
    wrong: list[tuple[int, int]] = []
    long_numbers: list[tuple[int, str, str]] = []
    for number, values in enumerate(rows, start=2):
        if all(v is None or v == "" for v in values):
            continue
        numbers.append(number)
        beyond = [i for i, v in enumerate(values[len(header) :], start=len(header)) if v not in (None, "")]
        if beyond:
            wrong.append((number, beyond[-1] + 1))
        for name, i in positions.items():
            v = values[i] if i < len(values) else None
            if isinstance(v, float) and v.is_integer() and abs(v) >= _EXCEL_DIGITS:
                long_numbers.append((number, name, str(int(v))))
            columns[name].append(_cell_text(v))
    schema: dict[str, pl.DataType] = {ROW: pl.Int64()}
    schema.update({name: pl.String() for name in positions})
    raw = RawTable(table, label, pl.DataFrame({ROW: numbers, **columns}, schema=schema))
    findings.add_rows(
        raw,
        pl.DataFrame(wrong, schema={ROW: pl.Int64, "_n": pl.Int64}, orient="row"),
        what=_WRONG_COUNT,
        rule=pl.concat_str(
            pl.lit(f"{_WRONG_COUNT}: ada nilai di kolom ke-"),
            pl.col("_n").cast(pl.String),
            pl.lit(f", baris judul hanya punya {len(header)} kolom"),
        ),
    )
    numbers_frame = pl.DataFrame(long_numbers, schema={ROW: pl.Int64, "_k": pl.String, "_v": pl.String}, orient="row")
    for name in positions:
        findings.add_rows(
            raw,
            numbers_frame.filter(pl.col("_k") == name),
            what="angka lebih dari 15 digit disimpan sebagai angka di Excel sehingga "
            "digit terakhirnya bisa berubah; simpan kolom ini sebagai Teks",
            column=name,
            value=pl.col("_v"),
        )
    return raw


def _cell_text(v: object) -> str | None:
    """A workbook cell as the text it would have in a CSV file."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


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
