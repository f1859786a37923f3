"""Files with a source's own column names: a SIASN export (the web service's field names,
``nipBaru``, ``unorId`` ...), a Dapodik GTK list (``getGtk``'s ``jenis_ptk_id_str`` ..., or the
labels of the Dapodik application's export), read through the same mapping tables as the
connectors (:mod:`selaras.sources.mapping`).

Which mapping a file has is found from its header; its values are then converted column by
column with polars: a converter of the mapping is called once per distinct value (an
enumeration has a handful), never once per row, and the conversions of identifiers that
have as many distinct values as rows are done as expressions (:data:`_VECTORISED`, tested to
agree with the mapping's own). A value that does not map is a problem naming the file, the
row and the file's column; its row is refused for it (its other values are not checked, as
for a row whose fields could not be split).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from selaras.catalogue.sentences import SOURCES
from selaras.domain.snapshot import Table
from selaras.sources import mapping as source_mapping
from selaras.sources.mapping import MAPPINGS, SourceMapping, Unmappable, find_mapping, match_headers
from selaras.sources.validation import KOLOM_TIDAK_ADA, KOLOM_WAJIB_TIDAK_ADA, ROW, Findings, RawTable

UNKNOWN_HEADER = SOURCES["kolom_tidak_dikenal"]
_REPEATED = SOURCES["kolom_berulang"]


def _digits(s: pl.Expr) -> pl.Expr:
    """``mapping.digits`` as an expression: NIP, NIK, NUPTK as entered, without Excel's
    leading ``'``; ``-``, ``0`` and nothing are no value."""
    t = s.str.strip_chars_start("'").str.strip_chars()
    return pl.when(~t.is_in(["-", "0", ""])).then(t)


_VECTORISED: dict[Callable[[str], str | None], Callable[[pl.Expr], pl.Expr]] = {source_mapping.digits: _digits}
"""Converters with as many distinct values as rows, as polars expressions."""


def _fold(name: str) -> str:
    return name.strip().casefold()


def mappings_for(table: Table) -> list[SourceMapping]:
    """The source mappings whose rows are rows of ``table``."""
    return [m for m in MAPPINGS.values() if m.table == table.name]


def _filled(mapping: SourceMapping, table: Table, header: Sequence[str]) -> set[str]:
    """The contract columns a file with ``header`` has under ``mapping``: by the source's
    names, or (a column the record does not carry, e.g. the NPSN) by the contract's name."""
    return set(match_headers(mapping, header).values()) | (set(table.column_names) & set(header))


def choose(table: Table, header: Sequence[str]) -> SourceMapping | None:
    """The mapping of a file of ``table`` with ``header``: None (the contract's own names)
    when the header has every contract column; else the mapping the connectors' module finds
    (:func:`selaras.sources.mapping.find_mapping`). When none has all its required fields,
    the one that fills more contract columns than the contract's own names do, so that what
    is missing is named as that source names it; else None."""
    own = set(table.column_names) & set(header)
    if len(own) == len(table.columns):
        return None
    found = find_mapping(header, table.name)
    if found is not None:
        return found
    best, most = None, len(own)
    for m in mappings_for(table):
        n = len(_filled(m, table, header) & set(table.column_names))
        if n > most:
            best, most = m, n
    return best


def complete(table: Table, header: Sequence[str]) -> bool:
    """Whether ``header`` names every contract column, by the contract's or one mapping's names."""
    names = set(table.column_names)
    return names <= set(header) or any(names <= _filled(m, table, header) for m in mappings_for(table))


def known(table: Table) -> Callable[[str], bool]:
    """Whether a header cell is a column name of ``table``: the contract's, or a source's."""
    names = {_fold(c) for c in table.column_names}
    for m in mappings_for(table):
        names |= {_fold(n) for f in m.fields for n in f.names}
    return lambda cell: _fold(cell) in names


def report_unknown(table: Table, header: Sequence[str], label: str, row: int, findings: Findings) -> None:
    """Name every header cell of an incomplete header that is no column name at all: the
    person sees which of their columns was not understood."""
    is_known = known(table)
    for cell in header:
        if cell and not is_known(cell):
            findings.add_file(label, UNKNOWN_HEADER, cell, row=row)


@dataclass(frozen=True)
class Mapped:
    """Where a mapped file's columns are."""

    positions: dict[str, int]
    """Column of the read frame (a contract column, or a mapped one the contract lacks) ->
    position in the header."""
    headers: dict[str, str]
    """Contract column -> the file's own header for it, where they differ."""


def positions(mapping: SourceMapping, table: Table, header: Sequence[str], label: str, findings: Findings) -> Mapped:
    """The columns of a file with ``header`` under ``mapping``; a contract column it lacks is
    reported by the source's name for it (every column must be there, as in a contract file)."""
    index: dict[str, int] = {}
    repeated: set[str] = set()
    for i, h in enumerate(header):
        if _fold(h) in index:
            repeated.add(_fold(h))
        else:
            index[_fold(h)] = i
    out: dict[str, int] = {}
    headers: dict[str, str] = {}
    for h, column in match_headers(mapping, header).items():
        if _fold(h) in repeated:
            findings.add_file(label, _REPEATED, h)
            continue
        out[column] = index[_fold(h)]
        if h != column:
            headers[column] = h
    for c in table.columns:
        if c.name not in out and c.name in header:
            out[c.name] = header.index(c.name)
    source_name = {f.column: f.names[0] for f in mapping.fields}
    for c in table.columns:
        if c.name not in out:
            findings.add_file(
                label, KOLOM_WAJIB_TIDAK_ADA if c.required else KOLOM_TIDAK_ADA, source_name.get(c.name, c.name)
            )
    return Mapped(out, headers)


def convert(
    mapping: SourceMapping,
    frame: pl.DataFrame,
    rows: pl.Series | None,
    headers: dict[str, str],
    *,
    kept: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.Series | None, pl.DataFrame]:
    """The rows of a mapped file as the contract's text values, their row numbers, and the
    values that do not map (``ROW``, ``column`` as the file names it, ``value``, ``rule``).

    Values are trimmed and a blank is no value, as the connectors read them. A Dapodik row of
    a PTK at a school not their own (``ptk_induk`` 0: a duty there) is no PTK row, as in
    :mod:`selaras.sources.dapodik`, and is left out (unless its row number is in ``kept``: a
    row already reported by number must stay where it was)."""
    numbers = rows if rows is not None else pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    problems: list[pl.DataFrame] = []
    columns: list[pl.Series] = []
    for f in mapping.fields:
        if f.column not in frame.columns:
            continue
        original = frame.get_column(f.column)
        text = original.str.strip_chars()
        text = pl.select(pl.when(text != "").then(text)).to_series()
        if f.convert is None:
            columns.append(text.alias(f.column))
            continue
        vectorised = _VECTORISED.get(f.convert)
        if vectorised is not None:
            columns.append(pl.select(vectorised(pl.lit(text))).to_series().alias(f.column))
            continue
        distinct = text.drop_nulls().unique()
        values: list[str | None] = []
        rules: list[str | None] = []
        for v in distinct:
            try:
                values.append(f.convert(v))
                rules.append(None)
            except Unmappable as e:
                values.append(None)
                rules.append(str(e))
        converted = text.replace_strict(distinct, pl.Series(values, dtype=pl.String), default=None)
        rule = text.replace_strict(distinct, pl.Series(rules, dtype=pl.String), default=None)
        columns.append(converted.alias(f.column))
        bad = rule.is_not_null().arg_true()
        if not bad.is_empty():
            problems.append(
                pl.DataFrame(
                    {
                        ROW: numbers.gather(bad),
                        "column": pl.repeat(headers.get(f.column, f.column), bad.len(), eager=True, dtype=pl.String),
                        "value": original.gather(bad),
                        "rule": rule.gather(bad),
                    }
                )
            )
    out = frame.with_columns(columns)
    schema = {ROW: pl.Int64, "column": pl.String, "value": pl.String, "rule": pl.String}
    found = pl.concat(problems) if problems else pl.DataFrame(schema=schema)
    if "ptk_induk" in out.columns and mapping.table == "dapodik_ptk":
        keep = (out.get_column("ptk_induk") != "0").fill_null(True)
        if kept is not None and not kept.is_empty():
            keep = keep | numbers.is_in(kept.implode())
        if not keep.all():
            out, numbers = out.filter(keep), numbers.filter(keep)
            found = found.filter(pl.col(ROW).is_in(numbers.implode()))
            rows = numbers
    return out, rows, found


def add_problems(findings: Findings, raw: RawTable, found: pl.DataFrame, mapping: SourceMapping) -> pl.Series:
    """Add the values that do not map (from :func:`convert`) to ``findings``, by row; the row
    numbers of their rows, whose other values are not to be checked (they are refused for
    this already, and an unmapped value would only read as empty)."""
    unmappable = SOURCES["tidak_terpetakan"].format(pemetaan=mapping.name)
    for column in found.get_column("column").unique(maintain_order=True):
        findings.add_rows(
            raw,
            found.filter(pl.col("column") == column),
            what=unmappable,
            rule=pl.concat_str(pl.lit(f"{unmappable}: "), pl.col("rule")),
            column=column,
            value=pl.col("value"),
        )
    return found.get_column(ROW).unique()
