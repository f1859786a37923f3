"""The records of a CSV file counted from its raw lines: which are blank and which have the wrong
number of fields, what the fast CSV reader cannot say (it pads short rows without saying so);
Python's csv module for a file whose quoting the fast path cannot follow; whether a file holds
a NUL byte or is not UTF-8.
"""

from __future__ import annotations

import csv
import mmap
import os
import re
from pathlib import Path

import polars as pl

_QUOTED = r'"(?:[^"]|"")*(?:"|$)'
"""A quoted field, or the rest of a line inside one."""


def irregular_records(path: Path, fields: int, rows: int, sep: str = ",", skip: int = 0) -> pl.DataFrame | None:
    """The data records that are blank (``_kosong``) or whose field count (``_n``) is not
    ``fields``, by position (``_pos``, 0 for the first data record). They are found from the
    raw lines, because the CSV reader pads short rows without saying so. None when the records
    cannot be matched to the ``rows`` rows the reader found.

    The lines are streamed: only those that are not plainly regular (``fields`` - 1 commas, no
    quote, not starting with a space or a comma) are kept, as a few numbers each. ``sep`` is
    the file's column separator (a comma, or a semicolon; see :mod:`selaras.sources.layout`);
    ``skip`` lines (title lines) above the header are not read."""
    numbered = _lines(path, skip)
    line = pl.col("l")
    special, n_lines = _unplain_lines(numbered, fields, sep)
    # A line with an odd number of quotes opens a quoted field that runs on to the next such
    # line; the lines after it, up to that one, continue the same record.
    odd = pl.col("_odd").cast(pl.Int64)
    special = special.with_columns(((odd.cum_sum() - odd) % 2 == 1).alias("_inside"))
    turns = special.filter("_odd").get_column("_i").cast(pl.Int64)
    opens, closes = turns.gather_every(2), turns.gather_every(2, offset=1)
    if closes.len() < opens.len():
        closes = closes.append(pl.Series([n_lines - 1], dtype=pl.Int64))
    spans = closes - opens
    continued = pl.concat([pl.Series([0], dtype=pl.Int64), spans.cum_sum()])
    if n_lines - spans.sum() - 1 != rows:
        return None
    fields_of_line = pl.col("_o")
    if not turns.is_empty():
        # The lines that start inside a quoted field are counted again with its opening quote.
        inside = special.filter("_inside").get_column("_i")
        again = (
            numbered.filter(pl.col("_i").is_in(inside.implode()))
            .select("_i", _outside(pl.concat_str(pl.lit('"'), line), sep).alias("_o_in"))
            .collect(engine="streaming")
        )
        special = special.join(again, on="_i", how="left", maintain_order="left")
        fields_of_line = pl.when("_inside").then("_o_in").otherwise("_o")
    records = special.group_by((~pl.col("_inside")).cum_sum().alias("_r"), maintain_order=True).agg(
        pl.col("_i").first().cast(pl.Int64),
        (fields_of_line.cast(pl.Int64).sum() + 1).alias("_n"),
        pl.col("_kosong").all(),
    )
    # A record's number is its first line's, less the lines that continued earlier records.
    starts = records.get_column("_i")
    number = starts - continued.gather(closes.search_sorted(starts, side="left"))
    return (
        records.with_columns(number.alias("_pos") - 1)
        .filter(pl.col("_pos") >= 0, pl.col("_kosong") | (pl.col("_n") != fields))
        .select("_pos", "_n", "_kosong")
    )


def _lines(path: Path, skip: int) -> pl.LazyFrame:
    """The raw lines of ``path`` (``l``), numbered (``_i``) from the first after ``skip``."""
    return pl.scan_csv(
        path,
        has_header=False,
        schema={"l": pl.String},
        quote_char=None,
        separator="\x00",
        skip_lines=skip,
        truncate_ragged_lines=True,
        raise_if_empty=False,
        encoding="utf8",
    ).with_row_index("_i")


def _outside(text: pl.Expr, sep: str) -> pl.Expr:
    """How many separators ``text`` holds outside quotes (those inside are no separators)."""
    return text.str.replace_all(_QUOTED, "").str.count_matches(sep, literal=True).fill_null(0).cast(pl.UInt32)


def _unplain_lines(numbered: pl.LazyFrame, fields: int, sep: str) -> tuple[pl.DataFrame, int]:
    """The lines that are not plainly regular (``fields`` - 1 separators, no quote, not
    starting with a space or a separator), each as its number (``_i``), whether it has an odd
    number of quotes (``_odd``), whether it is blank (``_kosong``) and its separators outside
    quotes (``_o``); and the number of lines. One streaming pass."""
    line = pl.col("l")
    plain = (
        (line.str.count_matches(sep, literal=True) == fields - 1)
        & ~line.str.contains('"', literal=True)
        & ~line.str.contains(rf"^[\s{re.escape(sep)}]")
    )
    # (Counting with pl.len() would map the whole file into memory; the highest line number
    # is found in the same streaming pass.)
    special, last = pl.collect_all(
        [
            numbered.filter(~plain.fill_null(False)).select(
                "_i",
                (line.str.count_matches('"', literal=True).fill_null(0) % 2 == 1).alias("_odd"),
                (line.is_null() | line.str.contains(rf"^[\s{re.escape(sep)}]*$")).alias("_kosong"),
                _outside(line, sep).alias("_o"),
            ),
            numbered.select(pl.col("_i").max()),
        ],
        engine="streaming",
    )
    return special, 0 if last.item() is None else int(last.item()) + 1


def parse_slowly(
    path: Path, positions: dict[str, int], fields: int, sep: str = ",", skip: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame] | str:
    """Data and irregular records (as :func:`irregular_records`) with Python's csv module, for
    files whose quoting the fast path cannot follow (a stray quote inside an unquoted field).
    A rule text when the quoting is broken beyond reading."""
    columns: dict[str, list[str | None]] = {name: [] for name in positions}
    n: list[int] = []
    blank: list[bool] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=sep, strict=True)
        start = 1
        try:
            for _ in range(skip + 1):  # title lines and the header
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
    irregular = (
        pl.DataFrame({"_n": n, "_kosong": blank}, schema={"_n": pl.Int64, "_kosong": pl.Boolean})
        .with_row_index("_pos")
        .filter(pl.col("_kosong") | (pl.col("_n") != fields))
    )
    return data, irregular


def has_nul(path: Path) -> bool:
    """Whether the file holds a NUL byte anywhere. Searched in the file's pages mapped into
    memory: reading it in blocks copied every byte first, which took twice the CPU."""
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False  # an empty file cannot be mapped
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(b"\x00") != -1


def not_utf8(path: Path) -> str:
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
