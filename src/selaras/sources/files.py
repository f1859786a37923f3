"""Snapshots read from files: a folder of CSV files, or an XLSX workbook with one sheet per table.

Reading validates everything against the data contract (``selaras.domain.snapshot``) and
either returns a typed :class:`Snapshot` or raises :class:`SnapshotError` listing every
problem. CSV folders are read and checked with vectorised polars operations, so the national
snapshot (tens of millions of rows) is read in seconds, and in little more memory than the
snapshot itself: one file at a time is read (in blocks), checked and typed; the raw lines are
streamed, never held; repeated texts are stored once. Writing them is
:mod:`selaras.sources.writer`.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import polars as pl

from selaras.domain.snapshot import TABLE, TABLES, SharedTexts, Snapshot, Table
from selaras.sources import mapped
from selaras.sources.layout import HEADER_SEARCH_ROWS, FileFormat, cell_texts, csv_layout, header_row
from selaras.sources.mapping import SourceMapping
from selaras.sources.records import has_nul, irregular_records, not_utf8, parse_slowly
from selaras.sources.validation import (
    LIMIT,
    ROW,
    Findings,
    Problem,
    Progress,
    RawTable,
    SnapshotError,
    check_header,
    check_references,
    check_table,
    empty_raw,
    keep_valid,
)

__all__ = ["Problem", "ReadResult", "SnapshotError", "read_snapshot", "write_problems"]

_EMPTY_FILE = "berkas kosong: tidak ada baris judul"
_EMPTY_SHEET = "lembar kosong: tidak ada baris judul"
_WRONG_COUNT = "jumlah kolom salah"
# Excel keeps 15 significant digits of a number: a longer NIP/NIK typed as a number is
# already corrupted, so it must not be read as if it were right.
_EXCEL_DIGITS = 10**15
_BLOCK = 250_000
"""CSV rows read at a time; the repeated texts of a block are shared before the next is read."""


@dataclass
class ReadResult:
    """A snapshot read from files, and (lenient mode) the rows that were left out."""

    snapshot: Snapshot
    rejected: list[Problem] = field(default_factory=list)
    formats: list[FileFormat] = field(default_factory=list)
    """How each file or sheet present was read (separator, header row, mapping), in table order."""


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
    formats: dict[str, FileFormat] = {}
    if not path.exists():
        raise SnapshotError([Problem(str(path), None, None, None, "folder atau berkas tidak ditemukan")])
    if path.is_dir():
        tables = _read_folder(path, findings, report, formats)
    elif path.suffix.lower() == ".xlsx":
        tables = _read_workbook(path, findings, report, formats)
    else:
        raise SnapshotError([Problem(path.name, None, None, None, "bukan folder berkas CSV atau workbook .xlsx")])
    report("memeriksa rujukan antartabel", 0.9)
    check_references(tables, findings)
    for f in formats.values():
        findings.relabel(f.label, f.headers)
    if findings.file_level or (findings.any and not lenient):
        raise SnapshotError(findings.problems(limit=LIMIT), [formats[t.name] for t in TABLES if t.name in formats])
    report("menyusun snapshot", 0.95)
    if lenient:
        frames = keep_valid(tables, findings)
        for f in formats.values():
            findings.relabel(f.label, f.headers)  # the rows rejected for pointing at rejected ones
        rejected = findings.problems()
    else:
        frames = {name: raw.frame for name, raw in tables.items() if raw.frame is not None}
        rejected = []
    tables.clear()  # the raw tables (lenient: the unfiltered frames) are no longer needed
    snapshot = Snapshot(frames)
    report("selesai", 1.0)
    return ReadResult(snapshot, rejected, [formats[t.name] for t in TABLES if t.name in formats])


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


def _read_folder(
    folder: Path, findings: Findings, report: Progress, formats: dict[str, FileFormat]
) -> dict[str, RawTable]:
    known = {t.file_name for t in TABLES}
    for p in sorted(folder.iterdir()):
        # A misnamed export ("Dapodik PTK.csv") would otherwise be an empty table unnoticed.
        if p.is_file() and p.suffix.lower() == ".csv" and p.name not in known:
            findings.add_file(
                p.name,
                f"berkas '{p.name}' bukan nama tabel snapshot "
                f"(yang diterima: {', '.join(t.file_name for t in TABLES)})",
            )
    # The largest files first, while little else is held: the working memory of reading one
    # then comes on top of the fewest tables already read.
    irregular = _not_regular(folder, findings)
    readable = {t.name: t.file_name not in irregular and (folder / t.file_name).is_file() for t in TABLES}
    sizes = {t.name: (folder / t.file_name).stat().st_size if readable[t.name] else 0 for t in TABLES}
    total = sum(sizes.values()) or 1
    done = 0
    tables: dict[str, RawTable] = {}
    found: dict[str, Findings] = {}
    for t in sorted(TABLES, key=lambda t: -sizes[t.name]):
        report(f"membaca {t.file_name}", 0.9 * done / total)
        found[t.name] = own = Findings()
        p = folder / t.file_name
        if t.file_name in irregular:
            raw = RawTable(t, t.file_name, None)  # reported already: never followed
        else:
            raw = _read_csv(p, t, own, formats) if p.is_file() else empty_raw(t, t.file_name)
        report(f"memeriksa {t.file_name}", 0.9 * (done + sizes[t.name] / 2) / total)
        tables[t.name] = _checked(raw, own)
        done += sizes[t.name]
    for t in TABLES:  # problems in the order of the tables
        findings.merge(found[t.name])
    return {t.name: tables[t.name] for t in TABLES}


def _not_regular(folder: Path, findings: Findings) -> set[str]:
    """The table files of ``folder`` that are not regular files of their own (a symbolic link,
    a device, a folder): each is reported and never opened. A link could lead anywhere on the
    machine (``/dev/zero``, another snapshot) and would not be the file that was handed over."""
    out = set()
    for t in TABLES:
        p = folder / t.file_name
        try:
            mode = p.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            rule = f"berkas '{t.file_name}' adalah tautan simbolik (symlink), bukan berkas biasa di dalam folder"
        elif not stat.S_ISREG(mode):
            rule = f"'{t.file_name}' bukan berkas biasa (mis. folder atau perangkat)"
        else:
            continue
        findings.add_file(t.file_name, rule + "; salin berkas aslinya ke folder snapshot")
        out.add(t.file_name)
    return out


def _checked(raw: RawTable, own: Findings) -> RawTable:
    """``raw`` after checking its values and key (problems go to ``own``, which holds those
    found in reading it); typed at once when it has none, so the strings of its dates,
    booleans and numbers are not kept."""
    check_table(raw, own)
    if raw.frame is not None and not own.any:
        raw.typed()
    return raw


def _read_csv(path: Path, table: Table, findings: Findings, formats: dict[str, FileFormat]) -> RawTable:
    label = path.name
    unreadable = RawTable(table, label, None)
    if path.stat().st_size == 0:
        findings.add_file(label, _EMPTY_FILE)
        return unreadable
    sep, skip = csv_layout(path, lambda cells: mapped.complete(table, cells), mapped.known(table))
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            first = next(itertools.islice(csv.reader(f, delimiter=sep), skip, None), None)
    except UnicodeDecodeError:
        findings.add_file(label, not_utf8(path))
        return unreadable
    header = [h.strip() for h in first or []]
    if not any(header):
        findings.add_file(label, _EMPTY_FILE)
        return unreadable
    mapping = mapped.choose(table, header)
    positions, headers = _layout(mapping, header, table, label, findings, skip + 1)
    formats[table.name] = FileFormat(label, sep, skip + 1, None if mapping is None else mapping.name, headers)
    if not positions:
        return unreadable
    try:
        data = _read_values(path, positions, sep, skip)
        # The fast record count splits lines at NUL: a file holding one is counted slowly
        # (and refused for it by the value checks).
        irregular = None if has_nul(path) else irregular_records(path, len(header), data.height, sep, skip)
    except pl.exceptions.PolarsError as e:
        if "utf-8" in str(e).lower() or "utf8" in str(e).lower():
            findings.add_file(label, not_utf8(path))
            return unreadable
        irregular = None  # quoting the fast reader refuses; the slow one below decides
    if irregular is None:
        parsed = parse_slowly(path, positions, len(header), sep, skip)
        if isinstance(parsed, str):
            findings.add_file(label, parsed)
            return unreadable
        data, irregular = parsed
    rows = None
    blank = irregular.filter(pl.col("_kosong")).get_column("_pos")
    if not blank.is_empty() or skip:
        kept = pl.repeat(True, data.height, eager=True).scatter(blank, False)
        data = data.filter(kept)
        rows = pl.int_range(skip + 2, kept.len() + skip + 2, dtype=pl.Int64, eager=True).filter(kept)
    wrong = irregular.filter(~pl.col("_kosong") & (pl.col("_n") != len(header))).select(
        (pl.col("_pos").cast(pl.Int64) + skip + 2).alias(ROW), "_n"
    )
    if mapping is not None:
        data, rows, unmapped = mapped.convert(mapping, data, rows, headers, kept=wrong.get_column(ROW))
    raw = RawTable(table, label, data, rows=rows)
    broken = wrong.get_column(ROW)
    if mapping is not None:  # a broken row is reported once, for its field count
        unmapped = unmapped.filter(~pl.col(ROW).is_in(broken.implode()))
        broken = pl.concat([broken, mapped.add_problems(findings, raw, unmapped, mapping)]).unique()
    findings.add_rows(
        raw,
        wrong,
        what=_WRONG_COUNT,
        rule=pl.concat_str(
            pl.lit(f"{_WRONG_COUNT}: baris ini punya "),
            pl.col("_n").cast(pl.String),
            pl.lit(f" kolom, baris judul punya {len(header)}"),
        ),
    )
    raw.broken = raw.positions(broken)
    return raw


def _read_values(path: Path, positions: dict[str, int], sep: str = ",", skip: int = 0) -> pl.DataFrame:
    """The ``positions`` columns of a CSV file as strings, null for an empty cell, short rows
    padded; read in blocks, each with its repeated texts shared (see :class:`SharedTexts`).
    ``skip`` lines (title lines) stand above the header."""
    scan = pl.scan_csv(
        path,
        has_header=True,
        separator=sep,
        skip_lines=skip,
        infer_schema=False,
        truncate_ragged_lines=True,
        null_values=[""],
        raise_if_empty=False,
        encoding="utf8",
    ).select(pl.nth(i).alias(name) for name, i in positions.items())
    repeats = SharedTexts()
    blocks = [repeats.share(block.rechunk()) for block in scan.collect_batches(chunk_size=_BLOCK)]
    if not blocks:
        return pl.DataFrame(schema={name: pl.String() for name in positions})
    return pl.concat(blocks)


def _layout(
    mapping: SourceMapping | None, header: list[str], table: Table, label: str, findings: Findings, row: int
) -> tuple[dict[str, int], dict[str, str]]:
    """Where each column to read is in the header (row ``row``), and the file's own names of
    the contract columns that it names otherwise: by the contract's names (``mapping`` None)
    or by a source's (:mod:`selaras.sources.mapped`). A header lacking columns has its cells
    that are no column name at all named too."""
    if mapping is None:
        positions, headers = _positions(header, table, label, findings), {}
    else:
        m = mapped.positions(mapping, table, header, label, findings)
        positions, headers = m.positions, m.headers
    if not set(table.column_names) <= set(positions):
        mapped.report_unknown(table, header, label, row, findings)
    return positions, headers


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
    check_header(table, label, positions, findings)
    return positions


# --- XLSX --------------------------------------------------------------------------------


def _read_workbook(
    path: Path, findings: Findings, report: Progress, formats: dict[str, FileFormat]
) -> dict[str, RawTable]:
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
            report(f"membaca lembar {t.name}", 0.9 * i / len(TABLES))
            own = Findings()
            label = f"{path.name}:{t.name}"
            raw = _read_sheet(wb[t.name], t, label, own, formats) if t.name in wb.sheetnames else empty_raw(t, label)
            report(f"memeriksa {label}", 0.9 * (i + 0.5) / len(TABLES))
            tables[t.name] = _checked(raw, own)
            findings.merge(own)
    finally:
        wb.close()
    return tables


def _read_sheet(ws: Any, table: Table, label: str, findings: Findings, formats: dict[str, FileFormat]) -> RawTable:
    ws.reset_dimensions()  # the stored dimensions may be wrong, and would cut rows off
    rows = ws.iter_rows(values_only=True)
    # Title lines may stand above the table: the header is found by its columns among the
    # first rows, which are held; the rest are streamed as before.
    ahead = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    at = header_row(ahead, lambda cells: mapped.complete(table, cells), mapped.known(table))
    header = cell_texts(ahead[at]) if ahead else []
    if not header:
        findings.add_file(label, _EMPTY_SHEET)
        return RawTable(table, label, None)
    mapping = mapped.choose(table, header)
    positions, headers = _layout(mapping, header, table, label, findings, at + 1)
    formats[table.name] = FileFormat(label, None, at + 1, None if mapping is None else mapping.name, headers)
    rows = itertools.chain(ahead[at + 1 :], rows)
    _cell_defects(ws, positions, label, findings, below=at + 1)
    numbers: list[int] = []
    columns: dict[str, list[str | None]] = {name: [] for name in positions}
    wrong: list[tuple[int, int]] = []
    long_numbers: list[tuple[int, str, str]] = []
    for number, values in enumerate(rows, start=at + 2):
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
    frame = pl.DataFrame(columns, schema={name: pl.String() for name in positions})
    row_numbers: pl.Series | None = pl.Series(ROW, numbers, dtype=pl.Int64)
    if mapping is not None:
        frame, row_numbers, unmapped = mapped.convert(mapping, frame, row_numbers, headers)
    raw = RawTable(table, label, frame, rows=row_numbers)
    if mapping is not None:
        raw.broken = raw.positions(mapped.add_problems(findings, raw, unmapped, mapping))
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


def _cell_defects(ws: Any, positions: dict[str, int], label: str, findings: Findings, *, below: int = 1) -> None:
    """Report the cells of contract columns that read as empty but are not: a formula whose
    value was never saved (a workbook written by a program, not recalculated by Excel), and a
    merged range (only its first cell holds the value). Found in the sheet's XML, which the
    read-only reader does not expose; one streaming pass. Only rows after row ``below`` (the
    header) count: a title line above the table is often one merged cell."""
    from openpyxl.utils.cell import column_index_from_string, range_boundaries

    names = {i: name for name, i in positions.items()}
    try:
        source = ws.parent._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError):  # not a read-only sheet of a zip archive: nothing to scan
        return
    with source:
        for _event, el in ElementTree.iterparse(source, events=("end",)):
            tag = el.tag.rpartition("}")[2]
            if tag == "c":
                formula = next((c for c in el if c.tag.rpartition("}")[2] == "f"), None)
                cached = next((c for c in el if c.tag.rpartition("}")[2] == "v"), None)
                ref = el.get("r") or ""
                # openpyxl and other writers save <v/> (empty) or no <v> at all: no value.
                if formula is not None and (cached is None or not cached.text) and ref:
                    letters = ref.rstrip("0123456789")
                    name = names.get(column_index_from_string(letters) - 1)
                    if name is not None and int(ref[len(letters) :]) > below:
                        findings.add_file(
                            label,
                            f"sel {ref} berisi rumus tanpa nilai tersimpan, sehingga terbaca kosong; buka "
                            "workbook di Excel lalu simpan ulang, atau tempel sebagai nilai",
                            name,
                            row=int(ref[len(letters) :]),
                            value=None if formula.text is None else f"={formula.text}",
                        )
                el.clear()
            elif tag == "row":
                el.clear()
            elif tag == "mergeCell" and (ref := el.get("ref")):
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                spanned = [names[i - 1] for i in range(min_col, max_col + 1) if i - 1 in names]
                if spanned and max_row > below:
                    findings.add_file(
                        label,
                        f"sel gabungan (merge) {ref}: hanya sel pertamanya berisi nilai, sel lainnya terbaca "
                        "kosong; pisahkan gabungan sel lalu isi setiap sel",
                        spanned[0],
                        row=min_row,
                        value=ref,
                    )


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
