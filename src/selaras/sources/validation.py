"""Validation of snapshot input against the data contract (``selaras.domain.snapshot``).

The readers turn each file or sheet into a :class:`RawTable`: every value still a string, one
row per data row, whose spreadsheet row number is known without storing a column for it.
Everything here is vectorised with polars and holds no more than the table itself: the checks
produce boolean masks, and only offending rows are ever materialised, to word their messages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from selaras.domain.snapshot import FORMAT_TEXT, PATTERNS, TABLES, Column, Kind, Table, conform
from selaras.sources.layout import FileFormat

ROW = "__baris"
"""Spreadsheet row number of a data row (the header is row 1)."""

LIMIT = 1000
"""Problems kept per (file, rule) in an exception; the rest are counted in a summary."""

Progress = Callable[[str, float], None]

MAX_CELL_CHARS = 4_000
"""Characters a cell may hold (README, "Input limits"): the longest real value, an RHK text,
is a few hundred; a longer cell is a broken export, not data to store."""
# C0 controls, DEL and C1 controls. A NUL is refused by PostgreSQL and silently kept by SQLite;
# none of them belongs in the four systems' data. Free text may hold tab and line breaks.
_CONTROL = r"[\x00-\x1F\x7F-\x9F]"
# The same characters listed, for a search of many literals at once: a fifth less CPU than the
# regex's character class over every cell (the largest cost of checking the values).
_CONTROL_CHARS = [chr(i) for i in [*range(0x20), *range(0x7F, 0xA0)]]
_CONTROL_CHARS_IN_TEXT = [c for c in _CONTROL_CHARS if c not in "\t\n\r"]
_CONTROL_RULE = (
    "teks berisi karakter kendali (mis. NUL, kode 0-31 atau 127-159; hanya tab dan baris baru yang boleh); "
    "hapus karakter itu dari sumbernya"
)
_CONTROL_RULE_ID = "nilai berisi karakter kendali (mis. NUL, tab atau baris baru); hapus karakter itu dari sumbernya"
_SHOWN = 80
_TOO_LONG_RULE = f"isi sel lebih dari {MAX_CELL_CHARS:,} karakter".replace(",", ".")

# PATTERNS use \d, which in both Python and Rust regex also matches non-ASCII digits that
# the typed conversion cannot parse.
_REGEX: dict[Kind, str] = {k: p.pattern.replace(r"\d", "[0-9]") for k, p in PATTERNS.items()}
_TIME_IN_RANGE = (
    r"^.{10}(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?$"
)
_ROWS_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "file": pl.String(),
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "rule": pl.String(),
    "what": pl.String(),
}
_ORDER = {t.name: i for i, t in enumerate(TABLES)}


@dataclass(frozen=True)
class Problem:
    """One finding about bad input: where it is and which rule it breaks."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" baris {self.row}"
        if self.column is not None:
            where += f", kolom {self.column}"
        if self.value is not None:
            where += f": '{self.value}'"
        return f"{where} — {self.rule}"


class SnapshotError(Exception):
    """The input is not a valid snapshot; ``problems`` lists everything that was found."""

    def __init__(self, problems: Sequence[Problem], formats: Sequence[FileFormat] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        self.formats: list[FileFormat] = list(formats)
        """How the files that could be opened were read (the person sees which mapping and
        separator their columns were taken by)."""
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... dan {more} masalah lain" if more > 0 else ""
        super().__init__(f"snapshot tidak sah: {len(self.problems)} masalah\n{shown}{tail}")


@dataclass
class RawTable:
    """One table as read from its file or sheet: strings while it is checked, typed once clean."""

    table: Table
    label: str
    """How problems name the file: ``dapodik_ptk.csv`` or ``workbook.xlsx:dapodik_ptk``."""
    frame: pl.DataFrame | None
    """The contract columns found, all strings, null for an empty cell (typed by :meth:`typed`
    once the table is clean). None when the file could not be read at all (its problem is
    reported already)."""
    rows: pl.Series | None = None
    """The spreadsheet row number (Int64) of each frame row; None when they are simply 2, 3, 4,
    ... (the header is row 1), which is the rule for a CSV file without blank lines."""
    broken: pl.Series | None = None
    """Positions (frame row index) of the rows whose fields could not be split right: reported
    once, their values are not checked, since they would only repeat that problem."""
    found: frozenset[str] = field(init=False)
    """The columns the file has (a typed frame has every contract column)."""

    def __post_init__(self) -> None:
        self.found = frozenset(self.frame.columns) if self.frame is not None else frozenset()

    def has(self, column: str) -> bool:
        return column in self.found

    def row_numbers(self, positions: pl.Series) -> pl.Series:
        """The spreadsheet row numbers of the frame rows at ``positions``."""
        if self.rows is None:
            return (positions.cast(pl.Int64) + 2).alias(ROW)
        return self.rows.gather(positions).alias(ROW)

    def positions(self, row_numbers: pl.Series) -> pl.Series:
        """The frame rows that have these spreadsheet row numbers (which must exist)."""
        if self.rows is None:
            return (row_numbers - 2).cast(pl.get_index_type())
        return self.rows.search_sorted(row_numbers)

    def at(self, positions: pl.Series, *columns: str) -> pl.DataFrame:
        """``ROW`` and ``columns`` of the frame rows at ``positions``."""
        assert self.frame is not None
        picked = self.frame.select(pl.col(c).gather(positions) for c in columns)
        return pl.DataFrame([self.row_numbers(positions)]).hstack(picked)

    def offending(self, mask: pl.Expr | pl.Series, *columns: str) -> pl.DataFrame:
        """``ROW`` and ``columns`` of the rows to be checked (not broken) where ``mask`` holds."""
        assert self.frame is not None
        if isinstance(mask, pl.Expr):
            mask = self.frame.select(mask).to_series()
        positions = mask.fill_null(False).arg_true()
        if self.broken is not None and not self.broken.is_empty() and not positions.is_empty():
            positions = positions.filter(~positions.is_in(self.broken.implode()))
        return self.at(positions, *columns)

    def typed(self) -> None:
        """Give the frame the contract's columns and types (only for a table without problems:
        the conversions trust the values)."""
        assert self.frame is not None
        self.frame = conform(self.table.name, self.frame)


def empty_raw(table: Table, label: str) -> RawTable:
    """An absent file or sheet: an empty table with every column."""
    return RawTable(table, label, pl.DataFrame(schema={c: pl.String() for c in table.column_names}))


class Findings:
    """The problems found so far: file-level ones, and row-level ones kept as one frame."""

    def __init__(self) -> None:
        self.file_level: list[Problem] = []
        self._rows: list[pl.DataFrame] = []

    def add_file(
        self, file: str, rule: str, column: str | None = None, *, row: int | None = None, value: str | None = None
    ) -> None:
        """A problem with a whole file or sheet (it makes the snapshot unusable, even in lenient
        mode); ``row`` and ``value`` name the cell when one cell shows it (a formula, a merge)."""
        self.file_level.append(Problem(file, row, column, value, rule))

    def add_rows(
        self,
        raw: RawTable,
        offending: pl.DataFrame,
        *,
        what: str,
        rule: str | pl.Expr | None = None,
        column: str | None = None,
        value: pl.Expr | None = None,
    ) -> None:
        """One problem per row of ``offending`` (which holds ``ROW`` and what ``rule`` and
        ``value`` need). ``what`` names the rule for summaries; it is the rule when no
        per-row ``rule`` is given."""
        if offending.is_empty():
            return
        rule_expr = pl.lit(what) if rule is None else pl.lit(rule) if isinstance(rule, str) else rule
        self._rows.append(
            offending.select(
                pl.lit(raw.table.name, pl.String).alias("table"),
                pl.lit(raw.label, pl.String).alias("file"),
                pl.col(ROW).cast(pl.Int64).alias("row"),
                pl.lit(column, pl.String).alias("column"),
                (pl.lit(None, pl.String) if value is None else value.cast(pl.String)).alias("value"),
                rule_expr.cast(pl.String).alias("rule"),
                pl.lit(what, pl.String).alias("what"),
            )
        )

    def rows(self) -> pl.DataFrame:
        """Row-level problems as one frame, in the order they were found."""
        if not self._rows:
            return pl.DataFrame(schema=_ROWS_SCHEMA)
        merged = pl.concat(self._rows)
        self._rows = [merged]
        return merged

    @property
    def any(self) -> bool:
        return bool(self.file_level) or any(f.height for f in self._rows)

    def merge(self, other: Findings) -> None:
        """Add the problems of ``other`` after these."""
        self.file_level += other.file_level
        self._rows += other._rows

    def relabel(self, file: str, columns: Mapping[str, str]) -> None:
        """Name the columns of ``file``'s problems as its header does (``{contract column:
        header}``): a file with a source's own column names is told in its own words."""
        if not columns:
            return
        self.file_level = [
            Problem(p.file, p.row, columns.get(p.column, p.column), p.value, p.rule)
            if p.file == file and p.column is not None
            else p
            for p in self.file_level
        ]
        c = pl.col("column")
        mine = (pl.col("file") == file) & c.is_in(list(columns))
        self._rows = [
            f.with_columns(pl.when(mine).then(c.replace(columns)).otherwise(c).alias("column")) for f in self._rows
        ]

    def problems(self, limit: int | None = None) -> list[Problem]:
        """Every problem: file-level first, then by file and row. With ``limit``, at most that
        many per (file, column, rule), plus one problem saying how many more there were."""
        rows = self.rows().with_columns(pl.col("table").replace_strict(_ORDER, return_dtype=pl.Int64).alias("_t"))
        rows = rows.sort(["_t", "row"], maintain_order=True)
        summaries: list[Problem] = []
        if limit is not None:
            group = ["file", "column", "what"]
            counted = rows.with_columns(pl.int_range(pl.len()).over(group).alias("_n"))
            over = counted.group_by(group, maintain_order=True).agg(pl.len().alias("n")).filter(pl.col("n") > limit)
            rows = counted.filter(pl.col("_n") < limit)
            for file, column, what, n in over.iter_rows():
                summaries.append(
                    Problem(
                        file,
                        None,
                        column,
                        None,
                        f"{n - limit} baris lain juga melanggar aturan ini ({what}); "
                        f"hanya {limit} yang pertama dicantumkan",
                    )
                )
        found = [Problem(*r) for r in rows.select("file", "row", "column", "value", "rule").iter_rows()]
        return [*self.file_level, *found, *summaries]


KOLOM_WAJIB_TIDAK_ADA = "kolom wajib tidak ada"
KOLOM_TIDAK_ADA = "kolom tidak ada di baris judul (sel boleh kosong, tetapi kolomnya harus ada)"


def check_header(table: Table, label: str, found: Collection[str], findings: Findings) -> None:
    """Every contract column must be in the header, required or not: an optional column may
    have empty cells, it may not be absent (an absent ``unor_id`` would read as "no unit" for
    every pegawai). Each absent column is an input error naming the file and the column."""
    for c in table.columns:
        if c.name not in found and not c.boleh_absen:
            findings.add_file(label, KOLOM_WAJIB_TIDAK_ADA if c.required else KOLOM_TIDAK_ADA, c.name)


def check_table(raw: RawTable, findings: Findings) -> None:
    """Check every value and the key of one table against the contract."""
    if raw.frame is not None:
        _check_values(raw, findings)
        _check_key(raw, findings)


def check_references(tables: Mapping[str, RawTable], findings: Findings) -> None:
    """Check that every reference between ``tables`` points at a row that exists."""
    for raw in tables.values():
        _check_references(raw, tables, findings)


def _value_checks(col: Column) -> list[tuple[pl.Expr, str]]:
    """(mask of offending rows, rule) for each rule a value of ``col`` must follow."""
    s = pl.col(col.name)
    checks: list[tuple[pl.Expr, str]] = []
    if col.required:
        checks.append((s.is_null(), "nilai wajib kosong"))
    regex = _REGEX.get(col.kind)
    if regex is not None:
        checks.append((s.is_not_null() & ~s.str.contains(regex), FORMAT_TEXT[col.kind]))
        well_formed = s.str.contains(regex)
        if col.kind is Kind.DATE:
            bad = s.str.to_date("%Y-%m-%d", strict=False).is_null()
            checks.append((well_formed & bad, "tanggal tidak ada di kalender"))
        elif col.kind is Kind.TIMESTAMP:
            bad_day = s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).is_null()
            bad = bad_day | ~s.str.contains(_TIME_IN_RANGE)
            checks.append((well_formed & bad, "waktu tidak ada di kalender (tanggal atau jam)"))
        elif col.kind is Kind.INT:
            bad = s.cast(pl.Int64, strict=False).is_null()
            checks.append((well_formed & bad, "bilangan bulat terlalu besar"))
    if regex is None and col.kind is not Kind.ENUM:
        # (A value that must match a format or be one of a list is refused by that rule
        # already, with a control character or too long: one problem per cell, one pass less.)
        control = _CONTROL_CHARS_IN_TEXT if col.kind is Kind.TEXT else _CONTROL_CHARS
        checks.append((s.str.contains_any(control), _CONTROL_RULE if col.kind is Kind.TEXT else _CONTROL_RULE_ID))
        checks.append((s.str.len_chars() > MAX_CELL_CHARS, _TOO_LONG_RULE))
    if col.kind is Kind.ENUM:
        allowed = ", ".join(col.values)
        checks.append((s.is_not_null() & ~s.is_in(list(col.values)), f"nilai harus salah satu dari: {allowed}"))
    return checks


def _shown(value: pl.Expr) -> pl.Expr:
    """A value as a problem shows it: control characters as U+FFFD, at most 80 characters."""
    clean = value.str.replace_all(_CONTROL, "\ufffd")
    return pl.when(clean.str.len_chars() > _SHOWN).then(clean.str.slice(0, _SHOWN) + "…").otherwise(clean)


def _check_values(raw: RawTable, findings: Findings) -> None:
    assert raw.frame is not None
    checks: list[tuple[Column, str]] = []
    masks: list[pl.Expr] = []
    for col in raw.table.columns:
        if not raw.has(col.name):
            continue
        for mask, rule in _value_checks(col):
            masks.append(mask.fill_null(False).alias(f"_m{len(masks)}"))
            checks.append((col, rule))
    if not masks:
        return
    # One pass over the table for all rules (polars evaluates the expressions in parallel);
    # the result is one bit per row and rule.
    flags = raw.frame.select(masks)
    hits = flags.sum().row(0)
    for i, ((col, rule), n) in enumerate(zip(checks, hits, strict=True)):
        if not n:
            continue
        offending = raw.offending(flags.get_column(f"_m{i}"), col.name)
        value = None if rule == "nilai wajib kosong" else _shown(pl.col(col.name))
        findings.add_rows(raw, offending, what=rule, column=col.name, value=value)


def _key_exprs(table: Table) -> list[pl.Expr]:
    # "1" and "01" are the same number once typed, so INT key parts compare as numbers.
    return [
        pl.col(k).cast(pl.Int64, strict=False) if table.column(k).kind is Kind.INT else pl.col(k) for k in table.key
    ]


def _check_key(raw: RawTable, findings: Findings) -> None:
    assert raw.frame is not None
    table = raw.table
    if not all(raw.has(k) for k in table.key):
        return
    exprs = _key_exprs(table)
    complete = pl.all_horizontal([e.is_not_null() for e in exprs])
    # Hashes first: far cheaper than comparing the values, and equal keys always have equal
    # hashes; the rare collision is sorted out by the exact grouping below. The repeated
    # hashes are found by sorting, which needs a fraction of the memory of a hash table over
    # every row (is_duplicated).
    hashed = exprs[0].hash() if len(exprs) == 1 else pl.struct(exprs).hash()
    hashes = raw.frame.select(pl.when(complete).then(hashed)).to_series()
    ordered = hashes.drop_nulls().sort()
    repeated = ordered.filter(ordered == ordered.shift(1)).unique()
    del ordered
    if repeated.is_empty():
        return
    candidates = raw.offending(hashes.is_in(repeated.implode()), *table.key)
    later = candidates.with_columns(pl.col(ROW).min().over(exprs).alias("_pertama")).filter(
        pl.col(ROW) != pl.col("_pertama")
    )
    first = pl.col("_pertama").cast(pl.String)
    if len(table.key) == 1:
        k = table.key[0]
        rule = pl.concat_str(pl.lit(f"kunci ganda: {k} '"), pl.col(k), pl.lit("' sudah ada di baris "), first)
        value = pl.col(k)
    else:
        parts: list[pl.Expr] = [pl.lit("kunci ganda: (")]
        for i, k in enumerate(table.key):
            parts += [pl.lit(f"{', ' if i else ''}{k} '"), pl.col(k), pl.lit("'")]
        parts += [pl.lit(") sudah ada di baris "), first]
        rule = pl.concat_str(parts)
        value = pl.concat_str([pl.col(k) for k in table.key], separator=", ")
    findings.add_rows(
        raw,
        later,
        what=f"kunci ganda pada {', '.join(table.key)}",
        rule=rule,
        column=", ".join(table.key),
        value=value,
    )


def _references(table: Table) -> list[tuple[Column, str, str]]:
    return [(c, *c.references) for c in table.columns if c.references is not None]


def _where(target: RawTable, column: str, target_column: str) -> str:
    return target.label if column == target_column else f"{target.label} (kolom {target_column})"


def _dangling(raw: RawTable, column: str, values: pl.Series) -> pl.Series:
    """Whether each row's ``column`` has a value that is not among ``values`` (one bit a row)."""
    assert raw.frame is not None
    s = pl.col(column)
    return raw.frame.select((s.is_not_null() & ~s.is_in(values.drop_nulls().implode())).fill_null(False)).to_series()


def _check_references(raw: RawTable, tables: Mapping[str, RawTable], findings: Findings) -> None:
    for col, target_name, target_column in _references(raw.table):
        target = tables[target_name]
        if not raw.has(col.name) or not target.has(target_column):
            continue  # the missing file or column is reported on its own
        assert target.frame is not None
        offending = raw.offending(_dangling(raw, col.name, target.frame.get_column(target_column)), col.name)
        where = _where(target, col.name, target_column)
        rule = pl.concat_str(
            pl.lit(f"rujukan tidak ditemukan: {col.name} '"),
            pl.col(col.name),
            pl.lit(f"' tidak ada di {where}"),
        )
        findings.add_rows(
            raw,
            offending,
            what=f"rujukan {col.name} tidak ditemukan di {where}",
            rule=rule,
            column=col.name,
            value=pl.col(col.name),
        )


def keep_valid(tables: Mapping[str, RawTable], findings: Findings) -> dict[str, pl.DataFrame]:
    """The rows without problems, after also rejecting rows that point at rejected rows
    (repeated until nothing changes). Every rejection is added to ``findings``."""
    rows = findings.rows()
    keep: dict[str, pl.Series] = {}
    for name, raw in tables.items():
        assert raw.frame is not None
        keep[name] = pl.repeat(True, raw.frame.height, eager=True)
        bad = rows.filter(pl.col("table") == name).get_column("row").unique()
        if not bad.is_empty():
            keep[name] = keep[name].scatter(raw.positions(bad), False)
    changed = True
    while changed:
        changed = False
        for name, raw in tables.items():
            for col, target_name, target_column in _references(raw.table):
                target = tables[target_name]
                if not raw.has(col.name) or not target.has(target_column):
                    continue
                assert target.frame is not None
                values = target.frame.get_column(target_column)
                if not keep[target_name].all():
                    values = values.filter(keep[target_name])
                positions = (_dangling(raw, col.name, values) & keep[name]).arg_true()
                if positions.is_empty():
                    continue
                rejected_target = (
                    target.at((~keep[target_name]).arg_true(), target_column)
                    .group_by(target_column)
                    .agg(pl.col(ROW).min().alias("_ditolak"))
                )
                offending = raw.at(positions, col.name).join(
                    rejected_target, left_on=col.name, right_on=target_column, how="left"
                )
                rule = pl.concat_str(
                    pl.lit(f"rujukan ke baris yang ditolak: {col.name} '"),
                    pl.col(col.name),
                    pl.lit(f"' hanya ada di {target.label} baris "),
                    pl.col("_ditolak").cast(pl.String),
                    pl.lit(", yang ditolak"),
                )
                findings.add_rows(
                    raw,
                    offending,
                    what=f"rujukan {col.name} ke baris yang ditolak",
                    rule=rule,
                    column=col.name,
                    value=pl.col(col.name),
                )
                keep[name] = keep[name].scatter(positions, False)
                changed = True
    frames: dict[str, pl.DataFrame] = {}
    for name, raw in tables.items():
        assert raw.frame is not None
        frames[name] = raw.frame if keep[name].all() else raw.frame.filter(keep[name])
    return frames
