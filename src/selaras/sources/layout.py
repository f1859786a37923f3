"""How a file people already have is laid out: the column separator of a CSV file and the
row of its header, below any title lines, found once from its first bytes; the header row of a
sheet with title lines above its table.

Excel in an Indonesian locale saves "CSV" with ``;`` between columns (the comma is the decimal
separator there), often with a UTF-8 BOM and CRLF line ends; a workbook exported by an
application often has a title, a date or a blank line above the table. The readers in
:mod:`selaras.sources.files` ask here once per file and then read the whole file with what was
found, on the same vectorised path as a comma-separated file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from selaras.catalogue.sentences import SOURCES

SEPARATORS = (",", ";")
"""The column separators a CSV file may use; the first is the contract's own."""

SEPARATOR_NAME = {",": SOURCES["pemisah_koma"], ";": SOURCES["pemisah_titik_koma"]}
"""How a separator is named to a person."""

CONTRACT = SOURCES["kontrak"]
"""How the contract's own column names are named when said which mapping a file used."""

HEADER_SEARCH_ROWS = 30
"""Rows of a sheet searched for the header: title lines are a few, never a page."""

_FIRST_BYTES = 1 << 16


@dataclass(frozen=True)
class FileFormat:
    """How one file or sheet was read: said to the person importing it."""

    label: str
    """The file (``siasn_pegawai.csv``) or sheet (``data.xlsx:siasn_pegawai``)."""
    separator: str | None
    """The column separator of a CSV file; None for a sheet."""
    header_row: int = 1
    """The row number of the header (1 unless title lines are above it)."""
    mapping: str | None = None
    """The source mapping of the column names (``siasn.data-utama``); None for the contract's."""
    headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Contract column -> the file's own header for it, where they differ (a mapped file)."""

    @property
    def way(self) -> str:
        """How it was read, without the file's name."""
        t = SOURCES
        parts = [
            t["dibaca_kolom"].format(kontrak=CONTRACT)
            if self.mapping is None
            else t["dibaca_pemetaan"].format(pemetaan=self.mapping)
        ]
        if self.separator is not None:
            parts.append(t["dibaca_pemisah"].format(pemisah=SEPARATOR_NAME.get(self.separator, repr(self.separator))))
        if self.header_row != 1:
            parts.append(t["dibaca_baris_judul"].format(baris=self.header_row))
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.label}: {self.way}"


def describe(formats: Sequence[FileFormat]) -> list[str]:
    """One line per way of reading, naming the files read that way: what an import says."""
    ways: dict[str, list[str]] = {}
    for f in formats:
        ways.setdefault(f.way, []).append(f.label)
    return [f"{way}: {', '.join(labels)}" for way, labels in ways.items()]


def csv_layout(path: Path, complete: Callable[[list[str]], bool], known: Callable[[str], bool]) -> tuple[str, int]:
    """The column separator of the CSV file at ``path`` and the number of lines above its
    header (title lines, as a sheet saved as CSV keeps them), found from its first bytes.

    The header is the first line that ``complete`` accepts, split by a comma or else by a
    semicolon; when no line is complete, the line with the most names that are ``known`` (by
    either separator), else the first line with :func:`separator_of_line`'s separator. A
    comma-separated file with its header on the first line is found by one split of one line."""
    with path.open("rb") as f:
        head = f.read(_FIRST_BYTES)
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")[:HEADER_SEARCH_ROWS]]
    if not lines:
        return SEPARATORS[0], 0
    best: tuple[int, str, int] = (0, separator_of_line(lines[0]), 0)
    for sep in SEPARATORS:
        for i, line in enumerate(lines):
            cells = cell_texts(next(csv.reader(io.StringIO(line), delimiter=sep), []))
            if complete(cells):
                return sep, i
            n = sum(1 for c in cells if c and known(c))
            if n > best[0]:
                best = (n, sep, i)
    return best[1], best[2]


def separator_of_line(line: str) -> str:
    """The one of :data:`SEPARATORS` that splits ``line`` into the most fields outside quotes;
    a comma when none splits it."""
    best, most = SEPARATORS[0], 0
    for sep in SEPARATORS:
        fields = next(csv.reader(io.StringIO(line), delimiter=sep), [])
        if len(fields) > most:
            best, most = sep, len(fields)
    return best


def header_row(
    rows: Sequence[Sequence[object]], complete: Callable[[list[str]], bool], known: Callable[[str], bool]
) -> int:
    """The index (0 for the first) of the header among ``rows`` (the first rows of a sheet):
    the first row that ``complete`` accepts (it names every column of the contract or of a
    source mapping); else the row with the most names that are ``known``; else the first row,
    whose missing columns are then reported as usual."""
    best, most = 0, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = cell_texts(row)
        if complete(cells):
            return i
        n = sum(1 for c in cells if c and known(c))
        if n > most:
            best, most = i, n
    return best


def cell_texts(row: Iterable[object]) -> list[str]:
    """The cells of a header row as trimmed texts (empty for an empty cell), trailing empty
    cells left out."""
    cells = [("" if v is None else str(v)).strip() for v in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells
