"""The store's batch as parts of whole instansi, each read from the database on its own.

:func:`store_parts` is :func:`selaras.domain.partition.parts` without the whole snapshot in
memory: the same groups of instansi (sorted by ``instansi_id``, an instansi never split, at
most ``size`` pegawai a part unless one instansi alone is larger), and each part's snapshot
holds exactly the rows ``partition._part`` selects from the full snapshot for those instansi.

Each part is read with set-based SQL in its own read transaction: the part's instansi, NIPs,
PTK, PMM SKP, superiors and e-Kinerja SKP ids go into small temporary tables, and every contract
table is then read once through a join with them (``IN (SELECT ...)``). The small reference
tables (instansi, SIASN units, schools, e-Kinerja units and periods) are read whole once, in the
transaction that also counts the pegawai per instansi, and shared by every part.

No transaction is open while a part is being used (between two ``next()``), so the caller may
write to the store (sync changes, the log) and a later part sees those writes; on SQLite the
WAL can be checkpointed between parts.

A use case that writes what it computes from a part plans the parts first (:func:`plan_parts`:
only which instansi go together) and reads each part with :func:`load_part` inside that part's
own write transaction (``selaras.store.uow``), so that it computes on the data it writes against.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain.partition import PART_PEGAWAI, Part
from selaras.domain.snapshot import Snapshot
from selaras.store.bulk import quote, read_table
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot

SMALL_TABLES = (
    "instansi",
    "siasn_unor",
    "dapodik_sekolah",
    "ekinerja_unor",
    "ekinerja_periode",
    "dapodik_tugas_tambahan",
)
"""Read whole once and shared by every part (as ``partition._part`` keeps them whole)."""
TEMP_CACHE_KIB = 64 * 1024
"""SQLite page cache of the temp schema (the part's key tables) while a part is read."""
FEW_NIPS = 1_000
"""A batch of at most this many NIPs is read with ``load_snapshot(store, nips)`` (one part)."""

# The temporary tables of one part: (name, key column).
_SEL = "_selaras_part_sel"  # the NIPs asked for (only when ``nips`` is given)
_INST = "_selaras_part_instansi"  # the part's instansi
_NIP = "_selaras_part_nip"  # the part's own pegawai (nip, nik)
_ATASAN = "_selaras_part_atasan"  # their superiors outside the part
_PTK = "_selaras_part_ptk"  # the PTK of the pegawai and of the superiors
_SKP = "_selaras_part_skp"  # the PMM SKP of those PTK
_EK = "_selaras_part_ek"  # the e-Kinerja SKP of the part
_TEMP = (
    (_INST, "instansi_id"),
    (_NIP, "nip"),
    (_ATASAN, "nip"),
    (_PTK, "ptk_id"),
    (_SKP, "pmm_skp_id"),
    (_EK, "skp_id"),
)


def store_parts(
    store: Store,
    *,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    size: int = PART_PEGAWAI,
) -> Iterator[Part]:
    """The batch of ``nips`` / ``instansi_id`` (default: everyone) as parts of whole instansi.

    Yields ``Part(snapshot, nips)`` like :func:`selaras.domain.partition.parts` applied to the
    store's whole snapshot, reading one part at a time. Exceptions: a whole store of at most
    ``size`` pegawai is one part with the whole snapshot and ``nips=None`` (as ``parts``
    does), and at most ``FEW_NIPS`` NIPs are one part read by ``load_snapshot(store, nips)``.
    Pegawai without an ``instansi_id`` belong to no part (as in ``parts``).
    """
    small: dict[str, pl.DataFrame] = {}
    for plan in plan_parts(store, nips=nips, instansi_id=instansi_id, size=size):
        yield load_part(store, plan, small=small)


@dataclass(frozen=True)
class PartPlan:
    """What one part of a batch is, before it is read: read it with :func:`load_part`.

    ``kind`` is ``"few"`` (the listed ``nips``, read by ``load_snapshot``), ``"whole"`` (the
    whole store, ``nips=None``) or ``"group"`` (the pegawai of ``instansi``, only ``nips``
    when given).
    """

    kind: str
    instansi: tuple[str, ...] = ()
    nips: tuple[str, ...] | None = None
    instansi_id: str | None = None


def plan_parts(
    store: Store,
    *,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    size: int = PART_PEGAWAI,
) -> list[PartPlan]:
    """The parts of :func:`store_parts` as plans, each to be read later by :func:`load_part`.

    For a use case that reads each part in its own write transaction (under the data lock),
    so that a part is planned on exactly the data it is written against: only which instansi
    make a part is decided here, from the counts of this moment.
    """
    wanted = None if nips is None else sorted(set(nips))
    if wanted is not None and len(wanted) <= FEW_NIPS:
        return [PartPlan("few", nips=tuple(wanted), instansi_id=instansi_id)]
    with store.read() as conn:
        cur = _cursor(conn)
        try:
            if wanted is not None:
                _create_temp(store, conn, cur, _SEL, "nip")
                _fill(store, conn, cur, _SEL, ("nip",), [(n,) for n in wanted])
            counts = _counts(store, conn, cur, wanted is not None, instansi_id)
            if wanted is not None:
                cur.execute(f"DROP TABLE {quote(conn, _SEL)}")
        finally:
            cur.close()
    if wanted is None and instansi_id is None and sum(n for _, n in counts) <= size:
        return [PartPlan("whole")]
    sel = None if wanted is None else tuple(wanted)
    return [PartPlan("group", instansi=tuple(g), nips=sel) for g in _groups(counts, size)]


def load_part(
    store: Store, plan: PartPlan, *, only: Collection[str] | None = None, small: dict[str, pl.DataFrame] | None = None
) -> Part:
    """Read the part ``plan`` describes (as :func:`store_parts` would); with ``only``, just
    those of its pegawai (others may still be read as superiors).

    ``small``: the small reference tables, when already read (an empty dict is filled by the
    first part that reads them, for the next ones to share); by default read fresh."""
    if plan.kind == "whole" and only is None:
        return Part(load_snapshot(store), None)
    if plan.kind == "group":
        wanted = plan.nips
        if only is not None:
            wanted = tuple(sorted(set(only) if wanted is None else set(wanted) & set(only)))
        if wanted is not None and not wanted:
            return Part(load_snapshot(store, []), [])
        if not small:
            with store.read() as conn:
                cur = _cursor(conn)
                try:
                    fresh = {name: read_table(store, conn, cur, name) for name in SMALL_TABLES}
                finally:
                    cur.close()
            if small is None:
                small = fresh
            else:
                small.update(fresh)
        return _load_part(store, small, list(plan.instansi), None if wanted is None else list(wanted))
    asked = plan.nips if plan.kind == "few" else None
    wanted_set = set(only) if asked is None else set(asked) & set(only if only is not None else asked)
    wanted_list = sorted(wanted_set)
    s = load_snapshot(store, wanted_list)
    peg = s["siasn_pegawai"].filter(pl.col("nip").is_in(wanted_list))
    if plan.instansi_id is not None:
        peg = peg.filter(pl.col("instansi_id") == plan.instansi_id)
    return Part(s, peg["nip"].to_list())


def _groups(counts: Sequence[tuple[str, int]], size: int) -> Iterator[list[str]]:
    """The instansi in ``partition.parts``' groups: sorted by id, none split, ≤ ``size``."""
    total = sum(n for _, n in counts)
    if total <= size:
        if counts:
            yield [i for i, _ in counts]
        return
    group: list[str] = []
    count = 0
    for inst, n in counts:
        if group and count + n > size:
            yield group
            group, count = [], 0
        group.append(inst)
        count += n
    if group:
        yield group


def _counts(
    store: Store, conn: sa.Connection, cur: Any, selected: bool, instansi_id: str | None
) -> list[tuple[str, int]]:
    """(instansi_id, pegawai) of the batch, sorted by ``instansi_id`` as polars sorts it."""
    where = ["instansi_id IS NOT NULL"]
    params: list[Any] = []
    if selected:
        where.append(f"nip IN (SELECT nip FROM {quote(conn, _SEL)})")
    if instansi_id is not None:
        where.append(f"instansi_id = {_ph(store)}")
        params.append(instansi_id)
    cur.execute(
        f"SELECT instansi_id, COUNT(*) FROM siasn_pegawai WHERE {' AND '.join(where)} GROUP BY instansi_id",
        params,
    )
    # Sorted here, not by ORDER BY: PostgreSQL's collation may order texts unlike polars.
    return sorted((str(i), int(n)) for i, n in cur.fetchall())


def _load_part(
    store: Store,
    small: dict[str, pl.DataFrame],
    instansi: list[str],
    wanted: list[str] | None,
) -> Part:
    """One part: the rows ``partition._part`` selects for ``instansi``, read set-based."""
    with store.read() as conn:
        cur = _cursor(conn)
        cache_size = _temp_cache(store, cur)
        try:
            q = {name: quote(conn, name) for name, _ in _TEMP}
            q[_SEL] = quote(conn, _SEL)
            for name, key in _TEMP:
                _create_temp(store, conn, cur, name, key, "nik" if name == _NIP else None)
            _fill(store, conn, cur, _INST, ("instansi_id",), [(i,) for i in instansi])
            k = _Keys(store, conn, cur, q)
            pegawai = _part_pegawai(k, wanted)
            _fill_own_keys(k)
            _fill_superior_keys(k, small)
            _fill_ekinerja_keys(k)
            frames = _part_frames(k, pegawai)
            part_nips = pegawai["nip"].sort().to_list()
            for name in (*(n for n, _ in _TEMP), *([_SEL] if wanted is not None else [])):
                cur.execute(f"DROP TABLE {q[name]}")
        finally:
            if cache_size is not None:
                cur.execute(f"PRAGMA temp.cache_size={int(cache_size)}")
            cur.close()
    return Part(Snapshot({**small, **frames}), part_nips)


@dataclass(frozen=True)
class _Keys:
    """The read transaction of one part and the quoted names of its key tables."""

    store: Store
    conn: sa.Connection
    cur: Any
    q: dict[str, str]

    @property
    def inst(self) -> str:
        """The part's instansi, as a subquery."""
        return f"SELECT instansi_id FROM {self.q[_INST]}"

    def analyze(self, name: str) -> None:
        """Statistics of the key table just filled, for the plans of the next statements."""
        if self.store.dialect == "postgresql":
            self.cur.execute(f"ANALYZE {self.q[name]}")

    def read(self, table: str, where: str) -> pl.DataFrame:
        """The rows of contract ``table`` matching the SQL ``where``."""
        return read_table(self.store, self.conn, self.cur, table, where)


def _part_pegawai(k: _Keys, wanted: list[str] | None) -> pl.DataFrame:
    """The part's pegawai (only ``wanted`` when given), their NIP and NIK in the key table."""
    # ``instansi_id`` needs no filter: the group is that instansi.
    where = f"instansi_id IN ({k.inst})"
    if wanted is not None:
        _create_temp(k.store, k.conn, k.cur, _SEL, "nip")
        _fill(k.store, k.conn, k.cur, _SEL, ("nip",), [(n,) for n in wanted])
        where += f" AND nip IN (SELECT nip FROM {k.q[_SEL]})"
    pegawai = k.read("siasn_pegawai", where)
    _fill(k.store, k.conn, k.cur, _NIP, ("nip", "nik"), pegawai.select("nip", "nik").iter_rows())
    k.analyze(_NIP)
    return pegawai


def _fill_own_keys(k: _Keys) -> None:
    """The keys of the pegawai's PTK (matched by NIP or by NIK) and of their PMM SKP."""
    q, cur = k.q, k.cur
    own = f"SELECT nip FROM {q[_NIP]}"
    cur.execute(
        f"INSERT INTO {q[_PTK]} (ptk_id)"
        f" SELECT ptk_id FROM dapodik_ptk WHERE nip IN ({own})"
        f" UNION SELECT ptk_id FROM dapodik_ptk WHERE nik IN (SELECT nik FROM {q[_NIP]} WHERE nik IS NOT NULL)"
    )
    k.analyze(_PTK)
    cur.execute(
        f"INSERT INTO {q[_SKP]} (pmm_skp_id)"
        f" SELECT pmm_skp_id FROM pmm_skp WHERE ptk_id IN (SELECT ptk_id FROM {q[_PTK]})"
    )
    k.analyze(_SKP)


def _fill_superior_keys(k: _Keys, small: dict[str, pl.DataFrame]) -> None:
    """The superiors (of the instansi's units in e-Kinerja and named on their SKP), their PTK
    and PMM SKP, and the PTK who may lead the part's schools."""
    q, cur = k.q, k.cur
    cur.execute(
        f"INSERT INTO {q[_ATASAN]} (nip) SELECT a.nip FROM ("
        f" SELECT atasan_nip AS nip FROM ekinerja_unor WHERE unor_id IN"
        f" (SELECT unor_id FROM siasn_unor WHERE instansi_id IN ({k.inst}))"
        f" UNION SELECT atasan_nip AS nip FROM pmm_skp WHERE pmm_skp_id IN (SELECT pmm_skp_id FROM {q[_SKP]})"
        f") a WHERE a.nip IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {q[_NIP]} n WHERE n.nip = a.nip)"
    )
    k.analyze(_ATASAN)
    atasan = f"SELECT nip FROM {q[_ATASAN]}"
    sup_ptk = f"SELECT ptk_id FROM dapodik_ptk WHERE nip IN ({atasan})"
    # The superiors' PMM SKP (before their PTK join the part's: an own PTK may be one).
    # Keys already there are skipped by the key table's primary key, not by NOT IN: on
    # PostgreSQL a NOT IN over a subquery larger than work_mem is run once per row.
    cur.execute(
        f"INSERT INTO {q[_SKP]} (pmm_skp_id)"
        f" SELECT pmm_skp_id FROM pmm_skp WHERE ptk_id IN ({sup_ptk})"
        " ON CONFLICT (pmm_skp_id) DO NOTHING"
    )
    cur.execute(
        f"INSERT INTO {q[_PTK]} (ptk_id)"
        f" SELECT ptk_id FROM dapodik_ptk WHERE nip IN ({atasan})"
        " ON CONFLICT (ptk_id) DO NOTHING"
    )
    if small.get("dapodik_tugas_tambahan") is not None and small["dapodik_tugas_tambahan"].height:
        # Who may lead the part's schools (partition.leader_ptk): duty holders, principals.
        schools = f"SELECT npsn FROM pmm_skp WHERE pmm_skp_id IN (SELECT pmm_skp_id FROM {q[_SKP]})"
        cur.execute(
            f"INSERT INTO {q[_PTK]} (ptk_id)"
            f" SELECT ptk_id FROM dapodik_tugas_tambahan WHERE npsn IN ({schools})"
            f" UNION SELECT ptk_id FROM dapodik_ptk WHERE npsn IN ({schools})"
            " AND (jenis_ptk = 'Kepala Sekolah' OR tugas_tambahan = 'Kepala Sekolah')"
            " ON CONFLICT (ptk_id) DO NOTHING"
        )
    k.analyze(_PTK)
    k.analyze(_SKP)


def _fill_ekinerja_keys(k: _Keys) -> None:
    """The keys of the e-Kinerja SKP of the pegawai and superiors, and of the part's PMM SKP."""
    q = k.q
    # One condition at a time. Read with ``a IN (...) OR b IN (...)``, PostgreSQL cannot join
    # and runs each subquery once per row of ekinerja_skp when it exceeds work_mem (minutes for
    # a part of 250,000 pegawai).
    own, atasan = f"SELECT nip FROM {q[_NIP]}", f"SELECT nip FROM {q[_ATASAN]}"
    for column, keys in (("nip", own), ("nip", atasan), ("pmm_skp_id", f"SELECT pmm_skp_id FROM {q[_SKP]}")):
        k.cur.execute(
            f"INSERT INTO {q[_EK]} (skp_id) SELECT skp_id FROM ekinerja_skp WHERE {column} IN ({keys})"
            " ON CONFLICT (skp_id) DO NOTHING"
        )
    k.analyze(_EK)


def _part_frames(k: _Keys, pegawai: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every table of the part but the small shared ones, read through its key tables."""

    def read(table: str, column: str, temp: str, key: str) -> pl.DataFrame:
        return k.read(table, f"{quote(k.conn, column)} IN (SELECT {key} FROM {k.q[temp]})")

    return {
        "siasn_pegawai": pl.concat([pegawai, read("siasn_pegawai", "nip", _ATASAN, "nip")]),
        "dapodik_ptk": read("dapodik_ptk", "ptk_id", _PTK, "ptk_id"),
        "pmm_skp": read("pmm_skp", "pmm_skp_id", _SKP, "pmm_skp_id"),
        "pmm_rhk": read("pmm_rhk", "pmm_skp_id", _SKP, "pmm_skp_id"),
        "pmm_penilaian": read("pmm_penilaian", "pmm_skp_id", _SKP, "pmm_skp_id"),
        "ekinerja_skp": k.read("ekinerja_skp", f"skp_id IN (SELECT skp_id FROM {k.q[_EK]})"),
        "ekinerja_rhk": read("ekinerja_rhk", "skp_id", _EK, "skp_id"),
        "ekinerja_penilaian": read("ekinerja_penilaian", "skp_id", _EK, "skp_id"),
        # The year's end (annual.md): the part's own rows, and its schools' PKO.
        "pmm_predikat": read("pmm_predikat", "ptk_id", _PTK, "ptk_id"),
        "siasn_jabatan": read("siasn_jabatan", "nip", _NIP, "nip"),
        "siasn_angka_kredit": read("siasn_angka_kredit", "nip", _NIP, "nip"),
        "ekinerja_predikat": read("ekinerja_predikat", "nip", _NIP, "nip"),
        "pmm_predikat_organisasi": k.read(
            "pmm_predikat_organisasi",
            f"npsn IN (SELECT npsn FROM dapodik_sekolah WHERE instansi_id IN ({k.inst}))",
        ),
    }


# ---------------------------------------------------------------------------- internals


def _cursor(conn: sa.Connection) -> Any:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw.cursor()


def _temp_cache(store: Store, cur: Any) -> int | None:
    """On SQLite, a page cache for the part's key tables; the size to restore after.

    They (tens of MB) then stay in memory instead of spilling to a temp file. A bigger cache
    for the main schema was measured: no faster (the rows come from the OS page cache)."""
    if store.dialect != "sqlite":
        return None
    cache_size = cur.execute("PRAGMA temp.cache_size").fetchone()[0]
    cur.execute(f"PRAGMA temp.cache_size=-{TEMP_CACHE_KIB}")
    return int(cache_size)


def _ph(store: Store) -> str:
    return "?" if store.dialect == "sqlite" else "%s"


def _create_temp(store: Store, conn: sa.Connection, cur: Any, name: str, key: str, extra: str | None = None) -> None:
    """A temporary key table (plus an ``extra`` column); dropped at commit (PostgreSQL) or by the caller."""
    columns = f"{quote(conn, key)} TEXT PRIMARY KEY" + (f", {quote(conn, extra)} TEXT" if extra else "")
    if store.dialect == "postgresql":
        cur.execute(f"CREATE TEMPORARY TABLE {quote(conn, name)} ({columns}) ON COMMIT DROP")
    else:
        # A pooled SQLite connection keeps its temp tables: start from an empty one.
        cur.execute(f"DROP TABLE IF EXISTS temp.{quote(conn, name)}")
        cur.execute(f"CREATE TEMP TABLE {quote(conn, name)} ({columns}) WITHOUT ROWID")


def _fill(
    store: Store, conn: sa.Connection, cur: Any, name: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` into the temporary table ``name`` (COPY on PostgreSQL)."""
    cols = ", ".join(quote(conn, c) for c in columns)
    if store.dialect == "postgresql":
        with cur.copy(f"COPY {quote(conn, name)} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    cur.executemany(f"INSERT INTO {quote(conn, name)} ({cols}) VALUES ({marks})", rows)
