"""How the real sources name and spell things, mapped to the snapshot (``sources-real.md``).

One declarative table per kind of source record: from the source's field names (SIASN's web
service, Dapodik's school web service, the labels of Dapodik's own GTK export) to the columns
of a snapshot table (``selaras.domain.snapshot``), each with the conversion of its values. The
connectors (``sources.siasn``, ``sources.dapodik``) and the file readers use these same tables.

A mapped row holds text in the snapshot's file format (dates ``YYYY-MM-DD``, booleans ``1``/``0``,
the enumerations' own values) or None; the usual contract validation (``sources.validation``)
checks its formats afterwards. What a table maps is all a row ever holds: every other field of
a record (a password hash, a phone number, a field BKN added yesterday) is left behind unread.

A value that cannot be mapped (an unknown ``kedudukanPnsNama``, a date that is no date) is a
:class:`SourceProblem` (SYS-02) naming the source, the record and the source's field; the row
then has None in that column. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from selaras.sources.problems import SourceProblem

__all__ = [
    "MAPPINGS",
    "FieldMap",
    "SourceProblem",
    "SourceMapping",
    "Unmappable",
    "convert_date",
    "find_mapping",
    "is_duty",
    "jenis_tugas",
    "map_record",
    "match_headers",
    "penugasan",
]


class Unmappable(ValueError):
    """A source value that has no snapshot value; the message is the rule, in Indonesian."""


Converter = Callable[[str], "str | None"]


@dataclass(frozen=True)
class FieldMap:
    """One snapshot column and the source fields that fill it."""

    column: str
    names: tuple[str, ...]
    """The source's field names for it, first found wins (matched trimmed, case-insensitively)."""
    convert: Converter | None = None
    """Text of the source -> text of the snapshot; raises :class:`Unmappable`."""
    required: bool = False
    """A record without a value here is refused (the source's field is named)."""


@dataclass(frozen=True)
class SourceMapping:
    """How one kind of source record becomes a row of one target table."""

    name: str
    """The mapping's name, e.g. ``siasn.data-utama``; said to the user by the file readers."""
    source: str
    """``SIASN`` or ``Dapodik`` (as ``snapshot.Table.system``)."""
    record: str
    """The source's name for the record: ``data-utama``, ``getGtk``, an export's name."""
    table: str
    """The target: a snapshot table, or ``siasn_rw_jabatan`` (leader facts, not in the snapshot)."""
    key: tuple[str, ...]
    """The source fields naming a record in a problem."""
    fields: tuple[FieldMap, ...]
    given: tuple[str, ...] = ()
    """Columns the caller supplies (``context`` of :func:`map_record`): not in the record
    itself, e.g. the NPSN of the school whose service answered."""

    @property
    def columns(self) -> list[str]:
        """The columns of a mapped row, in order."""
        return [f.column for f in self.fields] + [c for c in self.given if c not in {f.column for f in self.fields}]


def _text(value: object) -> str | None:
    """A JSON or cell value as trimmed text; None for null or blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dict, list)):
        raise Unmappable("harus satu nilai, bukan objek atau daftar")
    text = str(value).strip()
    return text or None


# ------------------------------------------------------------------------- value converters

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
NO_DATE = "01-01-0001"
"""SIASN's spelling of "no date"."""


def convert_date(text: str) -> str | None:
    """``DD-MM-YYYY`` (SIASN, also with ``/`` or ``.``) or ``YYYY-MM-DD`` as ``YYYY-MM-DD``;
    ``01-01-0001`` (and any year 0001) is no date."""
    m = _DMY.match(text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _YMD.match(text)
        if not m:
            raise Unmappable("tanggal harus berformat DD-MM-YYYY")
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    if year <= 1:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise Unmappable("tanggal tidak ada di kalender") from None


def _status(text: str) -> str:
    t = text.casefold()
    for start, value in (
        ("aktif", "AKTIF"),
        ("cltn", "CLTN"),
        ("pensiun", "PENSIUN"),
        ("meninggal", "MENINGGAL"),
        ("diberhentikan", "BERHENTI"),
        ("berhenti", "BERHENTI"),
        ("pemberhentian", "BERHENTI"),
    ):
        if t.startswith(start):
            return value
    raise Unmappable("kedudukan pegawai tidak dikenal (Aktif, CLTN, Pensiun, Meninggal, Diberhentikan)")


def _jenis_asn(text: str) -> str:
    t = text.casefold()
    if "pppk" in t:
        return "PPPK"
    if "pns" in t:
        return "PNS"
    # The snapshot takes any other text as "not ASN" (PMM-09 tells it): refusing it would hide that.
    return text.upper()


_JENIS_JABATAN = {"1": "STRUKTURAL", "2": "FUNGSIONAL", "4": "PELAKSANA"}


def _jabatan_jenis(text: str) -> str:
    t = text.casefold()
    if t in _JENIS_JABATAN:
        return _JENIS_JABATAN[t]
    # By name, as exports spell it ("Jabatan Fungsional Tertentu"); "fungsional umum" is the
    # old name of pelaksana, so it is looked for first.
    for word, value in (("fungsional umum", "PELAKSANA"), ("pelaksana", "PELAKSANA")):
        if word in t:
            return value
    for word, value in (("struktural", "STRUKTURAL"), ("fungsional", "FUNGSIONAL")):
        if word in t:
            return value
    raise Unmappable("jenis jabatan tidak dikenal (1 struktural, 2 fungsional, 4 pelaksana)")


def _definitif(text: str) -> str:
    """``jenisPenugasanId``: ``D`` is definitive (1); anything else acting (0)."""
    return "1" if text.casefold() == "d" else "0"


def _flag(text: str) -> str:
    t = text.casefold()
    if t in ("1", "true", "ya", "y"):
        return "1"
    if t in ("0", "false", "tidak", "t", "n"):
        return "0"
    raise Unmappable("nilai harus 1 atau 0")


_KEPALA_SEKOLAH = "Kepala Sekolah"
_NO_DUTY = {"-", "tidak ada", "tidak", "0"}


def _tugas_tambahan(text: str) -> str | None:
    """Dapodik's extra duty: none spelt ``-``; Kepala Sekolah spelt as the domain does."""
    t = text.casefold()
    if t in _NO_DUTY:
        return None
    return _KEPALA_SEKOLAH if t == _KEPALA_SEKOLAH.casefold() else text


_DUTY_LABELS = {
    "kepala sekolah": "KEPALA_SEKOLAH",
    "plt kepala sekolah": "PLT_KEPALA_SEKOLAH",
    "plh kepala sekolah": "PLH_KEPALA_SEKOLAH",
}


def _duty_label(text: str) -> str:
    return " ".join(text.replace(".", " ").casefold().split())


def jenis_tugas(text: str) -> str | None:
    """``jabatan_ptk_id_str`` as a leader's duty (this project's reading of getGtk): "Kepala
    Sekolah", "PLT Kepala Sekolah", "PLH Kepala Sekolah" (case and dots aside) are the
    ``dapodik_tugas_tambahan`` jenis; any other duty ("-", "Wakil Kepala Sekolah") is none. An
    acting label naming the principal in another spelling ("Pjs Kepala Sekolah") is refused."""
    t = _duty_label(text)
    if t in _DUTY_LABELS:
        return _DUTY_LABELS[t]
    if "kepala sekolah" in t and t.split()[0] in ("plt", "plh", "pjs", "pj", "pelaksana"):
        raise Unmappable("tugas kepala sekolah tidak dikenal (Kepala Sekolah, PLT Kepala Sekolah, PLH Kepala Sekolah)")
    return None


def _tugas_tambahan_gtk(text: str) -> str | None:
    """getGtk's extra duty as the PTK's ``tugas_tambahan``: an acting principal's duty is not
    the PTK's own (it is a ``dapodik_tugas_tambahan`` row), so it is none here."""
    if _duty_label(text) in ("plt kepala sekolah", "plh kepala sekolah"):
        return None
    return _tugas_tambahan(text)


_JENIS_PTK = (
    "Guru Mapel",
    "Guru Kelas",
    "Guru BK",
    "Guru Pengganti",
    "Guru TIK",
    "Guru Pendamping",
    "Guru Pendamping Khusus",
    "Kepala Sekolah",
    "Tenaga Administrasi Sekolah",
)
_JENIS_PTK_BY_FOLD = {v.casefold(): v for v in _JENIS_PTK}


def _jenis_ptk(text: str) -> str:
    """Jenis PTK as the domain spells it when known (case aside), else as Dapodik has it."""
    return _JENIS_PTK_BY_FOLD.get(text.casefold(), text)


def digits(text: str) -> str | None:
    """NIP, NIK, NUPTK as entered: Dapodik writes none as ``-`` or ``0``, Excel adds a ``'``."""
    t = text.lstrip("'").strip()
    return None if t in ("-", "0", "") else t


# ------------------------------------------------------------------------------ the tables

_F = FieldMap
MAPPINGS: dict[str, SourceMapping] = {
    m.name: m
    for m in (
        SourceMapping(
            "siasn.data-utama",
            "SIASN",
            "data-utama",
            "siasn_pegawai",
            ("nipBaru",),
            (
                _F("nip", ("nipBaru",), digits, required=True),
                _F("nik", ("nik",), digits),
                _F("nama", ("nama",), required=True),
                _F("instansi_id", ("instansiKerjaId", "instansiIndukId"), required=True),
                _F("unor_id", ("unorId",)),
                _F("jenis_asn", ("jenisPegawaiNama",), _jenis_asn),
                _F("status", ("kedudukanPnsNama", "statusPegawai"), _status, required=True),
                _F("jabatan_nama", ("jabatanNama", "jabatanFungsionalNama")),
                _F("jabatan_jenis", ("jenisJabatanId",), _jabatan_jenis),
            ),
        ),
        SourceMapping(
            "siasn.ref-unor",
            "SIASN",
            "ref-unor",
            "siasn_unor",
            ("Id",),
            (
                _F("unor_id", ("Id",), required=True),
                _F("nama", ("NamaUnor",), required=True),
                _F("parent_unor_id", ("DiatasanId",)),
                _F("instansi_id", ("InstansiId",)),
                _F("aktif", ("Aktif",), _flag),
            ),
            given=("instansi_id", "npsn", "aktif"),
        ),
        SourceMapping(
            "siasn.rw-jabatan",
            "SIASN",
            "rw-jabatan",
            "siasn_rw_jabatan",
            ("id",),
            (
                _F("riwayat_id", ("id",), required=True),
                _F("nip", ("nipBaru",), digits, required=True),
                _F("unor_id", ("unorId",)),
                _F("unor_nama", ("unorNama",)),
                _F("jabatan_nama", ("namaJabatan", "jabatanNama", "jabatanFungsionalNama")),
                _F("jabatan_jenis", ("jenisJabatan", "jenisJabatanId"), _jabatan_jenis),
                _F("definitif", ("jenisPenugasanId",), _definitif),
                _F("jenis_mutasi", ("jenisMutasiId",)),
                _F("nomor_sk", ("nomorSk",)),
                _F("tmt", ("tmtJabatan",), convert_date),
            ),
        ),
        SourceMapping(
            "dapodik.getSekolah",
            "Dapodik",
            "getSekolah",
            "dapodik_sekolah",
            ("npsn",),
            (
                _F("npsn", ("npsn",), required=True),
                _F("nama", ("nama",), required=True),
            ),
            given=("instansi_id",),
        ),
        SourceMapping(
            "dapodik.getGtk",
            "Dapodik",
            "getGtk",
            "dapodik_ptk",
            ("ptk_id",),
            (
                _F("ptk_id", ("ptk_id",), required=True),
                _F("nik", ("nik",), digits),
                _F("nuptk", ("nuptk",), digits),
                _F("nama", ("nama",), required=True),
                _F("nip", ("nip",), digits),
                _F("jenis_ptk", ("jenis_ptk_id_str",), _jenis_ptk, required=True),
                _F("tugas_tambahan", ("jabatan_ptk_id_str",), _tugas_tambahan_gtk),
                # Not a snapshot column: 1 at the PTK's own school; a row at another school is a
                # duty there (a Plt), not the PTK's place. conform() drops it.
                _F("ptk_induk", ("ptk_induk",), _flag),
                _F("npsn", ("npsn",)),
            ),
            given=("npsn",),
        ),
        SourceMapping(
            # The same getGtk rows read for the leaders' duties (this project's reading, see
            # sources-real.md): a row at a school not the PTK's own (``ptk_induk`` 0) whose
            # jabatan is Kepala Sekolah, PLT or PLH Kepala Sekolah is a duty at that school; at
            # its own school an acting duty, or a Kepala Sekolah duty with a decree number.
            # A duty listed is current: it has no TST. sources.dapodik keeps the rows that are
            # duties (:func:`is_duty`).
            "dapodik.getGtk-tugas",
            "Dapodik",
            "getGtk",
            "dapodik_tugas_tambahan",
            ("ptk_id",),
            (
                _F("ptk_id", ("ptk_id",), required=True),
                _F("npsn", ("npsn",)),
                _F("jenis", ("jabatan_ptk_id_str",), jenis_tugas),
                _F("nomor_sk", ("nomor_surat_tugas",)),
                _F("tmt", ("tmt_tugas", "tanggal_surat_tugas"), convert_date),
                _F("ptk_induk", ("ptk_induk",), _flag),
            ),
            given=("npsn",),
        ),
        SourceMapping(
            # The labels of the "Unduh GTK" export of the Dapodik application (this project's
            # reading); that export has no PTK id, so a file needs a "PTK ID" column added.
            "dapodik.ekspor-gtk",
            "Dapodik",
            "ekspor GTK",
            "dapodik_ptk",
            ("ptk id", "nik", "nama"),
            (
                _F("ptk_id", ("ptk_id", "PTK ID", "ID PTK"), required=True),
                _F("nik", ("NIK",), digits),
                _F("nuptk", ("NUPTK",), digits),
                _F("nama", ("Nama",), required=True),
                _F("nip", ("NIP",), digits),
                _F("jenis_ptk", ("Jenis PTK",), _jenis_ptk, required=True),
                _F("tugas_tambahan", ("Tugas Tambahan",), _tugas_tambahan),
                _F("npsn", ("NPSN", "npsn")),
            ),
            given=("npsn",),
        ),
    )
}


def _fold(name: str) -> str:
    return name.strip().casefold()


def match_headers(mapping: SourceMapping, headers: Iterable[str]) -> dict[str, str]:
    """Which of ``headers`` (a file's header row) fills which column: ``{header: column}``,
    the first of a column's names present winning. Unknown headers are left out."""
    by_fold = {}
    for h in headers:
        by_fold.setdefault(_fold(h), h)
    found: dict[str, str] = {}
    for f in mapping.fields:
        for name in f.names:
            header = by_fold.get(_fold(name))
            if header is not None:
                found[header] = f.column
                break
    return found


def find_mapping(headers: Iterable[str], table: str | None = None) -> SourceMapping | None:
    """The mapping a file's header row is written in: one whose required fields are all
    there (the columns it gets from the caller aside), the most headers matched winning;
    None when none fits (the snapshot's own column names, or an unknown export). ``table``
    limits the choice to mappings into that table."""
    headers = list(headers)
    best: tuple[int, SourceMapping] | None = None
    for m in MAPPINGS.values():
        if table is not None and m.table != table:
            continue
        matched = match_headers(m, headers)
        needed = {f.column for f in m.fields if f.required and f.column not in m.given}
        if not needed <= set(matched.values()):
            continue
        # A header that is also the snapshot's own column name proves nothing about the source.
        own = sum(1 for h, c in matched.items() if _fold(h) != _fold(c))
        if own and (best is None or own > best[0]):
            best = (own, m)
    return None if best is None else best[1]


def _key(mapping: SourceMapping, record: Mapping[str, object]) -> str | None:
    folded = {_fold(k): v for k, v in record.items() if isinstance(k, str)}
    parts = []
    for name in mapping.key:
        try:
            value = _text(folded.get(_fold(name)))
        except Unmappable:
            value = None
        if value is not None:
            parts.append(value)
    return ", ".join(parts) if parts else None


def map_record(
    mapping: SourceMapping,
    record: Mapping[str, object],
    context: Mapping[str, str | None] | None = None,
) -> tuple[dict[str, str | None], list[SourceProblem]]:
    """One source record as a row of ``mapping.table`` and the problems of its values.

    ``context`` gives the columns the record lacks (``mapping.given``): a record's own value
    wins over it. The row has every column of ``mapping.columns``; a value that does not map is
    None there and named in a problem. A record with problems must not be used whole: the
    caller refuses it (SYS-02)."""
    folded = {_fold(k): v for k, v in record.items() if isinstance(k, str)}
    row: dict[str, str | None] = {}
    problems: list[SourceProblem] = []
    key = None
    for f in mapping.fields:
        value: str | None = None
        name = f.names[0]
        for candidate in f.names:
            c = _fold(candidate)
            if c in folded and folded[c] is not None:
                name = candidate
                raw = folded[c]
                try:
                    text = _text(raw)
                    value = f.convert(text) if (f.convert is not None and text is not None) else text
                except Unmappable as e:
                    key = key if key is not None else _key(mapping, record)
                    shown = None if isinstance(raw, (dict, list)) else str(raw)[:80]
                    problems.append(SourceProblem(mapping.source, mapping.record, key, candidate, shown, str(e)))
                    value = None
                    break
                if value is not None:
                    break
        if value is None and context is not None and f.column in mapping.given:
            value = context.get(f.column)
        if value is None and f.required and not any(p.field in f.names for p in problems):
            key = key if key is not None else _key(mapping, record)
            problems.append(SourceProblem(mapping.source, mapping.record, key, name, None, "wajib diisi"))
        row[f.column] = value
    for column in mapping.given:
        if column not in row:
            row[column] = None if context is None else context.get(column)
    return row, problems


def is_duty(row: Mapping[str, str | None]) -> bool:
    """Whether a row mapped with ``dapodik.getGtk-tugas`` is a leader's duty: a jenis, and at
    the PTK's own school (``ptk_induk`` 1) an acting one or a principal's with a decree
    number (a principal without one is the PTK's own ``tugas_tambahan``)."""
    jenis = row.get("jenis")
    if jenis is None:
        return False
    return row.get("ptk_induk") == "0" or jenis != "KEPALA_SEKOLAH" or row.get("nomor_sk") is not None


def penugasan(row: Mapping[str, str | None]) -> str:
    """A mapped ``rw-jabatan`` row's assignment: ``DEFINITIF``, or for an acting one ``PLH``
    when the position's name says Plh and ``PLT`` otherwise."""
    if row.get("definitif") != "0":
        return "DEFINITIF"
    name = (row.get("jabatan_nama") or "").casefold()
    return "PLH" if re.search(r"\bplh\b", name) else "PLT"
