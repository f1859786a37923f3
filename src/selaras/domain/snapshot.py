"""The snapshot: the data of the four systems at one moment (``snapshot.md``).

This module is the single definition of the data contract: every table, column, value
format, key and reference. The file readers validate against it, the store derives its
tables from it, the generator and the exporters write it.

In memory a snapshot is a set of polars data frames, one per table, with the column types
given here (identifiers and texts as strings, dates as ``Date``, booleans as ``Boolean``,
numbers as ``Int64``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from selaras.catalogue.sentences import SOURCES


class Kind(StrEnum):
    """The value format of a column."""

    ID = "id"
    TEXT = "text"
    NIP = "nip"
    NIK = "nik"
    NPSN = "npsn"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOL = "bool"
    ENUM = "enum"
    INT = "int"
    DECIMAL = "decimal"


PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.NIP: re.compile(r"^\d{18}$"),
    Kind.NIK: re.compile(r"^\d{16}$"),
    Kind.NPSN: re.compile(r"^\d{8}$"),
    Kind.DATE: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    Kind.TIMESTAMP: re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"),
    Kind.BOOL: re.compile(r"^[01]$"),
    Kind.INT: re.compile(r"^-?\d+$"),
    Kind.DECIMAL: re.compile(r"^-?\d+(\.\d+)?$"),
}

FORMAT_TEXT: dict[Kind, str] = {
    k: SOURCES[f"format_{k.value}"]
    for k in (Kind.NIP, Kind.NIK, Kind.NPSN, Kind.DATE, Kind.TIMESTAMP, Kind.BOOL, Kind.INT, Kind.DECIMAL)
}

POLARS_TYPE: dict[Kind, pl.DataType] = {
    Kind.DATE: pl.Date(),
    Kind.BOOL: pl.Boolean(),
    Kind.INT: pl.Int64(),
    Kind.DECIMAL: pl.Float64(),
}


@dataclass(frozen=True)
class Column:
    """One column of a snapshot table."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    values: tuple[str, ...] = ()
    """The allowed values, for an enumeration."""
    references: tuple[str, str] | None = None
    """(table, column) this column points to; a value must exist there."""
    boleh_absen: bool = False
    """A column added to the contract later: a file whose header lacks it reads it as empty
    (an old snapshot reads as before); every other column must be in the header."""

    @property
    def dtype(self) -> pl.DataType:
        return POLARS_TYPE.get(self.kind, pl.String())


@dataclass(frozen=True)
class Table:
    """One snapshot table (one CSV file, one workbook sheet)."""

    name: str
    system: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}


STATUS_PEGAWAI = ("AKTIF", "PENSIUN", "BERHENTI", "MENINGGAL", "CLTN")
JABATAN_JENIS = ("FUNGSIONAL", "STRUKTURAL", "PELAKSANA")
STATUS_SKP = ("DRAF", "DIAJUKAN", "DISETUJUI", "DISEPAKATI")
JENIS_RHK = ("UTAMA", "TAMBAHAN")
TIPE_PERIODIK = ("BULANAN", "TRIWULANAN")
EKSPEKTASI = ("DIATAS", "SESUAI", "DIBAWAH")
PREDIKAT = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
JENIS_PERIODE = ("TAHUNAN", "PERIODIK")
SUMBER_SKP = ("PMM", "MANUAL")
# The year's end (annual.md): organisation ratings, jenjang, angka kredit.
PREDIKAT_ORGANISASI = ("ISTIMEWA", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
JENJANG = ("AHLI_PERTAMA", "AHLI_MUDA", "AHLI_MADYA", "AHLI_UTAMA")
JENIS_ANGKA_KREDIT = ("KONVERSI", "INTEGRASI", "PERTAMA")
# School leaders (leaders.md, issue 18).
JENIS_TUGAS_TAMBAHAN = ("KEPALA_SEKOLAH", "PLT_KEPALA_SEKOLAH", "PLH_KEPALA_SEKOLAH")
PENUGASAN_ATASAN = ("DEFINITIF", "PLT", "PLH")

_C = Column
TABLES: tuple[Table, ...] = (
    Table(
        "instansi",
        "SIASN",
        (
            _C("instansi_id", Kind.ID, True),
            _C("nama", Kind.TEXT, True),
        ),
        ("instansi_id",),
    ),
    Table(
        "siasn_unor",
        "SIASN",
        (
            _C("unor_id", Kind.ID, True),
            _C("instansi_id", Kind.ID, True, references=("instansi", "instansi_id")),
            _C("nama", Kind.TEXT, True),
            _C("parent_unor_id", Kind.ID, references=("siasn_unor", "unor_id")),
            _C("npsn", Kind.NPSN),
            _C("aktif", Kind.BOOL, True),
        ),
        ("unor_id",),
    ),
    Table(
        "siasn_pegawai",
        "SIASN",
        (
            _C("nip", Kind.NIP, True),
            _C("nik", Kind.NIK),
            _C("nama", Kind.TEXT, True),
            _C("instansi_id", Kind.ID, True, references=("instansi", "instansi_id")),
            # A unit that is missing or unknown is a data problem the check reports (PMM-03),
            # not an input error, so unor_id is deliberately not a reference.
            _C("unor_id", Kind.ID),
            _C("jenis_asn", Kind.TEXT),
            _C("status", Kind.ENUM, True, STATUS_PEGAWAI),
            _C("jabatan_nama", Kind.TEXT),
            _C("jabatan_jenis", Kind.ENUM, False, JABATAN_JENIS),
        ),
        ("nip",),
    ),
    Table(
        "dapodik_sekolah",
        "Dapodik",
        (
            _C("npsn", Kind.NPSN, True),
            _C("nama", Kind.TEXT, True),
            _C("instansi_id", Kind.ID, True, references=("instansi", "instansi_id")),
        ),
        ("npsn",),
    ),
    Table(
        "dapodik_ptk",
        "Dapodik",
        (
            _C("ptk_id", Kind.ID, True),
            _C("nik", Kind.NIK),
            _C("nuptk", Kind.TEXT),
            _C("nama", Kind.TEXT, True),
            _C("nip", Kind.NIP),
            _C("jenis_ptk", Kind.TEXT, True),
            _C("tugas_tambahan", Kind.TEXT),
            _C("npsn", Kind.NPSN, True, references=("dapodik_sekolah", "npsn")),
        ),
        ("ptk_id",),
    ),
    Table(
        "pmm_skp",
        "PMM",
        (
            _C("pmm_skp_id", Kind.ID, True),
            _C("ptk_id", Kind.ID, True, references=("dapodik_ptk", "ptk_id")),
            _C("npsn", Kind.NPSN, True, references=("dapodik_sekolah", "npsn")),
            _C("periode_awal", Kind.DATE, True),
            _C("periode_akhir", Kind.DATE, True),
            _C("status", Kind.ENUM, True, STATUS_SKP),
            _C("atasan_nip", Kind.NIP),
            _C("diperbarui", Kind.TIMESTAMP),
        ),
        ("pmm_skp_id",),
    ),
    Table(
        "pmm_rhk",
        "PMM",
        (
            _C("pmm_rhk_id", Kind.ID, True),
            _C("pmm_skp_id", Kind.ID, True, references=("pmm_skp", "pmm_skp_id")),
            _C("uraian", Kind.TEXT, True),
            _C("jenis", Kind.ENUM, True, JENIS_RHK),
            # The principal's RHK a teacher RHK derives from; one that cannot be found is the
            # data problem PMM-13, so it is not a reference.
            _C("induk_pmm_rhk_id", Kind.ID),
        ),
        ("pmm_rhk_id",),
    ),
    Table(
        "pmm_penilaian",
        "PMM",
        (
            _C("pmm_skp_id", Kind.ID, True, references=("pmm_skp", "pmm_skp_id")),
            _C("tipe_periodik", Kind.ENUM, True, TIPE_PERIODIK),
            _C("angka_periodik", Kind.INT, True),
            _C("hasil_kerja", Kind.ENUM, True, EKSPEKTASI),
            _C("perilaku", Kind.ENUM, True, EKSPEKTASI),
            _C("predikat", Kind.ENUM, True, PREDIKAT),
        ),
        ("pmm_skp_id", "tipe_periodik", "angka_periodik"),
    ),
    Table(
        "ekinerja_unor",
        "e-Kinerja",
        (
            _C("unor_id", Kind.ID, True),
            _C("aktif", Kind.BOOL, True),
            _C("atasan_nip", Kind.NIP),
            # leaders.md: how the head holds the unit (empty = DEFINITIF) and whether the head
            # has claimed its leadership (empty = 1); both optional, so old snapshots read as before.
            _C("atasan_penugasan", Kind.ENUM, False, PENUGASAN_ATASAN, boleh_absen=True),
            _C("pimpinan_diklaim", Kind.BOOL, boleh_absen=True),
        ),
        ("unor_id",),
    ),
    Table(
        "ekinerja_periode",
        "e-Kinerja",
        (
            _C("periode_id", Kind.ID, True),
            _C("instansi_id", Kind.ID, True, references=("instansi", "instansi_id")),
            _C("nama", Kind.TEXT),
            _C("jenis", Kind.ENUM, True, JENIS_PERIODE),
            _C("awal", Kind.DATE, True),
            _C("akhir", Kind.DATE, True),
            _C("tipe_periodik", Kind.ENUM, False, TIPE_PERIODIK),
            _C("angka_periodik", Kind.INT),
        ),
        ("periode_id",),
    ),
    Table(
        "ekinerja_skp",
        "e-Kinerja",
        (
            _C("skp_id", Kind.ID, True),
            _C("nip", Kind.NIP, True),
            _C("periode_id", Kind.ID, True, references=("ekinerja_periode", "periode_id")),
            _C("unor_id", Kind.ID),
            _C("atasan_nip", Kind.NIP),
            _C("sumber", Kind.ENUM, True, SUMBER_SKP),
            _C("pmm_skp_id", Kind.ID),
        ),
        ("skp_id",),
    ),
    Table(
        "ekinerja_rhk",
        "e-Kinerja",
        (
            _C("rhk_id", Kind.ID, True),
            _C("skp_id", Kind.ID, True, references=("ekinerja_skp", "skp_id")),
            _C("uraian", Kind.TEXT, True),
            _C("pmm_rhk_id", Kind.ID),
            _C("induk_rhk_id", Kind.ID),
        ),
        ("rhk_id",),
    ),
    Table(
        "ekinerja_penilaian",
        "e-Kinerja",
        (
            _C("skp_id", Kind.ID, True, references=("ekinerja_skp", "skp_id")),
            _C("periode_id", Kind.ID, True, references=("ekinerja_periode", "periode_id")),
            _C("hasil_kerja", Kind.ENUM, True, EKSPEKTASI),
            _C("perilaku", Kind.ENUM, True, EKSPEKTASI),
            _C("predikat", Kind.ENUM, True, PREDIKAT),
        ),
        ("skp_id", "periode_id"),
    ),
    # The year's end (annual.md): optional files; a snapshot without them reads as before.
    Table(
        "pmm_predikat_organisasi",
        "PMM",
        (
            _C("npsn", Kind.NPSN, True, references=("dapodik_sekolah", "npsn")),
            _C("tahun", Kind.INT, True),
            _C("predikat", Kind.ENUM, True, PREDIKAT_ORGANISASI),
            _C("ditetapkan_oleh_nip", Kind.NIP),
            _C("ditetapkan", Kind.DATE),
        ),
        ("npsn", "tahun"),
    ),
    Table(
        "pmm_predikat",
        "PMM",
        (
            _C("ptk_id", Kind.ID, True, references=("dapodik_ptk", "ptk_id")),
            _C("tahun", Kind.INT, True),
            _C("predikat", Kind.ENUM, True, PREDIKAT),
            _C("penilai_nip", Kind.NIP),
            _C("ditetapkan", Kind.DATE),
        ),
        ("ptk_id", "tahun"),
    ),
    Table(
        "siasn_jabatan",
        "SIASN",
        (
            _C("nip", Kind.NIP, True),
            # A jenjang or TMT that is missing is the data problem TAH-05, not an input error.
            _C("jenjang", Kind.ENUM, False, JENJANG),
            _C("golongan", Kind.TEXT),
            _C("tmt_jabatan", Kind.DATE, True),
            _C("tmt_golongan", Kind.DATE),
        ),
        ("nip", "tmt_jabatan"),
    ),
    Table(
        "siasn_angka_kredit",
        "SIASN",
        (
            _C("nip", Kind.NIP, True),
            _C("tahun", Kind.INT, True),
            _C("angka_kredit", Kind.DECIMAL, True),
            _C("jenis", Kind.ENUM, True, JENIS_ANGKA_KREDIT),
            _C("dasar", Kind.TEXT),
        ),
        ("nip", "tahun", "jenis"),
    ),
    Table(
        "ekinerja_predikat",
        "e-Kinerja",
        (
            _C("nip", Kind.NIP, True),
            _C("tahun", Kind.INT, True),
            _C("predikat", Kind.ENUM, True, PREDIKAT),
            _C("penilai_nip", Kind.NIP),
            _C("sumber", Kind.ENUM, True, SUMBER_SKP),
            _C("disinkron", Kind.TIMESTAMP),
        ),
        ("nip", "tahun"),
    ),
    # --- school leaders (leaders.md): optional; a snapshot without the file reads as before ---
    Table(
        "dapodik_tugas_tambahan",
        "Dapodik",
        (
            _C("ptk_id", Kind.ID, True, references=("dapodik_ptk", "ptk_id")),
            _C("npsn", Kind.NPSN, True, references=("dapodik_sekolah", "npsn")),
            _C("jenis", Kind.ENUM, True, JENIS_TUGAS_TAMBAHAN),
            # Kept as text: a decree number's digits are checked by PLT-02, not by the import.
            _C("nomor_sk", Kind.TEXT),
            # A duty without TMT is the data problem PLT-02 reports, not an input error.
            _C("tmt", Kind.DATE),
            _C("tst", Kind.DATE),
        ),
        ("ptk_id", "npsn", "jenis"),
    ),
)

TABLE: dict[str, Table] = {t.name: t for t in TABLES}
EKINERJA_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if t.system == "e-Kinerja")


def empty_frame(name: str) -> pl.DataFrame:
    """An empty data frame with the columns and types of table ``name``."""
    return pl.DataFrame(schema=TABLE[name].polars_schema)


def conform(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select the contract's columns of ``name`` in order, with the contract's types.

    Missing optional columns are added empty; extra columns are dropped. String columns of
    dates, booleans and numbers are converted (the caller has validated their format).
    """
    table = TABLE[name]
    exprs = []
    for c in table.columns:
        if c.name not in df.columns:
            exprs.append(pl.lit(None, dtype=c.dtype).alias(c.name))
            continue
        col = pl.col(c.name)
        current = df.schema[c.name]
        if current == c.dtype:
            exprs.append(col)
        elif current == pl.String and c.kind is Kind.DATE:
            exprs.append(col.str.to_date("%Y-%m-%d").alias(c.name))
        elif current == pl.String and c.kind is Kind.BOOL:
            exprs.append((col == "1").alias(c.name))
        else:
            exprs.append(col.cast(c.dtype).alias(c.name))
    return df.select(exprs)


INLINE_BYTES = 12
"""Polars keeps a string of up to 12 bytes inside its 16-byte view, a longer one in a buffer."""


_PLAINLY_DISTINCT = 1.25
"""How far over the sharing bound (a quarter of the rows distinct) an estimated distinct count
must be for :class:`SharedTexts` to leave a column as read without counting exactly: the
estimate is off by a few percent."""


class SharedTexts:
    """Stores each distinct text of a column once per block, however many rows repeat it.

    A polars string of more than 12 bytes is kept in a data buffer once per row, even when
    every row has the same text (the national snapshot repeats a few hundred RHK texts 17
    million times). Gathered from a column of the block's distinct values, the rows point into
    that column's buffer instead: the same values, each text stored once per block. A column
    whose values are mostly distinct (names, keys) is left as read.

    Distinct values are looked up within each block only: a dictionary carried across blocks
    (rebuilt for every block's lookup) cost seven times the reading itself on a column of
    many repeated ids, and saves only the few texts each block repeats."""

    def __init__(self) -> None:
        self._unshared: set[str] = set()
        self._estimated: set[str] = set()

    def share(self, block: pl.DataFrame) -> pl.DataFrame:
        """``block`` with the texts of its shareable columns stored once."""
        return block.with_columns(
            self._shared(block.get_column(name)) for name in block.columns if name not in self._unshared
        )

    def _shared(self, values: pl.Series) -> pl.Series:
        name = values.name
        if not (values.str.len_bytes() > INLINE_BYTES).any():
            return values  # every value fits in its view: nothing to share
        # A column plainly of distinct values (ids, names) is seen in its first block by an
        # estimate of its distinct count, hashing only, at a twentieth of the cost of the cast
        # below; the margin leaves every column near the bound to the exact count. Estimated
        # once: a column shared in its first block goes on to the exact count, as before.
        if name not in self._estimated:
            self._estimated.add(name)
            if values.to_frame().select(pl.first().approx_n_unique()).item() * 4 > values.len() * _PLAINLY_DISTINCT:
                self._unshared.add(name)
                return values
        # One hashing pass gives each row the code of its text and the distinct texts, held
        # apart from the block's buffer (a unique() and a replace_strict() took two passes).
        # (The categories live only as long as a column of them: ``coded`` is kept until read.)
        distinct = pl.Categories.random()
        coded = values.cast(pl.Categorical(distinct))
        known = distinct.to_series()
        codes = coded.to_physical()
        if known.len() * 4 > values.len():
            self._unshared.add(name)
            return values
        if known.null_count() or (codes.max() or 0) >= known.len():
            return values  # the categories did not come back whole: keep the texts as read
        return known.gather(codes).alias(name)


@dataclass
class Snapshot:
    """The four systems' data at one moment: one typed data frame per contract table."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for t in TABLES:
            if t.name in self.frames:
                self.frames[t.name] = conform(t.name, self.frames[t.name])
            else:
                self.frames[t.name] = empty_frame(t.name)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]

    def replace(self, **frames: pl.DataFrame) -> Snapshot:
        """A new snapshot with some tables replaced."""
        merged = dict(self.frames)
        merged.update(frames)
        return Snapshot(merged)

    def counts(self) -> dict[str, int]:
        """Row count per table."""
        return {name: df.height for name, df in self.frames.items()}

    @classmethod
    def from_rows(cls, rows: Mapping[str, Iterable[Mapping[str, object]]]) -> Snapshot:
        """Build a snapshot from plain rows (dicts), for tests and small fixtures.

        Values may be strings as in the CSV files or already typed (``date``, ``bool``, ``int``).
        """
        frames: dict[str, pl.DataFrame] = {}
        for name, table_rows in rows.items():
            table = TABLE[name]
            records = [dict(r) for r in table_rows]
            data: dict[str, list[object]] = {c: [] for c in table.column_names}
            for r in records:
                unknown = set(r) - set(data)
                if unknown:
                    raise KeyError(f"{name}: unknown columns {sorted(unknown)}")
                for c in table.columns:
                    v = r.get(c.name)
                    if isinstance(v, str) and c.kind is not Kind.TEXT and v == "":
                        v = None
                    if isinstance(v, str) and c.kind is Kind.DATE:
                        v = _date(v)
                    elif isinstance(v, str) and c.kind is Kind.BOOL:
                        v = v == "1"
                    elif isinstance(v, str) and c.kind is Kind.INT:
                        v = int(v)
                    elif isinstance(v, (str, int)) and c.kind is Kind.DECIMAL:
                        v = float(v)
                    data[c.name].append(v)
            frames[name] = pl.DataFrame(data, schema=table.polars_schema)
        return cls(frames)


def _date(text: str) -> object:
    from datetime import date

    return date.fromisoformat(text)
