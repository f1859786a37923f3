"""The snapshot in the store: the 13 contract tables written whole (an import) and read back,
whole or what checking some pegawai needs; one table or some of its rows."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain import snapshot as contract
from selaras.domain.pegawai import principal_expr
from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.store import uow
from selaras.store.bulk import (
    IN_CHUNK,
    SQLITE_BULK_CACHE_KIB,
    Progress,
    cursor,
    insert_frame,
    quote,
    read_table,
    typed_frame,
)
from selaras.store.database import SQLITE_BUSY_TIMEOUT_MS, Store
from selaras.store.generasi import next_generation

# --------------------------------------------------------------------------------- snapshot


def save_snapshot(store: Store, snapshot: Snapshot, *, progress: Progress | None = None) -> None:
    """Replace the 13 contract tables with ``snapshot`` in one transaction (holding the data
    lock, see ``selaras.store.uow``), then fold the SQLite WAL back.

    Either every table holds the new snapshot afterwards or (on any error) nothing changed.
    """
    uow.run(store, lambda u: replace_snapshot(u.store, snapshot, progress=progress), name="import")
    checkpoint(store)


def checkpoint(store: Store) -> None:
    """After a large write: on SQLite, fold the WAL back into the database file."""
    if store.dialect == "sqlite" and not isinstance(store, uow.BoundStore):
        _sqlite_checkpoint(store)


def replace_snapshot(store: Store, snapshot: Snapshot, *, progress: Progress | None = None) -> None:
    """Replace the 13 contract tables with ``snapshot`` in one write transaction of ``store``.

    Secondary indexes are dropped and rebuilt inside the transaction: building an index once
    from sorted data is several times faster than maintaining it row by row.
    """
    # On SQLite the default 2 MB page cache makes the index rebuilds spill to disk.
    cache = SQLITE_BULK_CACHE_KIB if store.dialect == "sqlite" else None
    with store.write() as conn, cursor(conn, cache) as cur:
        if store.dialect == "postgresql":
            names = ", ".join(quote(conn, t.name) for t in TABLES)
            cur.execute(f"TRUNCATE {names}")
        for table in TABLES:
            if store.dialect != "postgresql":
                cur.execute(f"DELETE FROM {quote(conn, table.name)}")
            indexes = _secondary_indexes(store, cur, table.name)
            for name, _ddl in indexes:
                cur.execute(f"DROP INDEX {quote(conn, name)}")
            _bulk_insert(store, conn, cur, table.name, snapshot[table.name], progress)
            for _name, ddl in indexes:
                cur.execute(ddl)
            if store.dialect == "postgresql":
                # Fresh statistics, or the planner guesses badly on the first lookups.
                cur.execute(f"ANALYZE {quote(conn, table.name)}")
    # In the import's unit of work: a run in parts sees that its later parts would read other data.
    next_generation(store)


def load_snapshot(store: Store, nips: Collection[str] | None = None) -> Snapshot:
    """Read the snapshot from the store: all of it, or what checking ``nips`` needs.

    With ``nips``: those pegawai; the Dapodik PTK matched by their NIP or NIK and the PTK's
    PMM SKP, RHK and assessments; their instansi with its periods; their units, the units and
    schools of their PTK and SKP, and those units' parents; the superiors (``atasan_nip`` of
    those units in e-Kinerja, ``pmm_skp.atasan_nip`` of their SKP) with their SIASN, Dapodik
    and PMM rows; and the e-Kinerja SKP, RHK and assessments of the pegawai and the superiors.
    Nothing else of their instansi: a batch of a few hundred pegawai spread over the country
    must not read every unit of every instansi it touches.
    """
    with store.read() as conn, cursor(conn) as cur:
        if nips is None:
            return Snapshot({t.name: read_table(store, conn, cur, t.name) for t in TABLES})
        return _load_subset(_Reader(store, conn, cur), set(nips))


class _Reader:
    """Chunked ``WHERE column IN (...)`` reads of contract tables into typed frames."""

    def __init__(self, store: Store, conn: sa.Connection, cur: Any) -> None:
        self.store, self.conn, self.cur = store, conn, cur
        self.ph = "?" if store.dialect == "sqlite" else "%s"

    def where(self, table: str, column: str, values: Iterable[object]) -> pl.DataFrame:
        wanted = sorted({v for v in values if v is not None})
        cols = ", ".join(quote(self.conn, c) for c in TABLE[table].column_names)
        rows: list[tuple[Any, ...]] = []
        if self.store.dialect == "postgresql":
            # One array parameter: no per-value placeholders for the driver to parse.
            if wanted:
                self.cur.execute(
                    f"SELECT {cols} FROM {quote(self.conn, table)} WHERE {quote(self.conn, column)} = ANY(%s)",
                    (wanted,),
                )
                rows = self.cur.fetchall()
            return typed_frame(self.store, table, rows)
        for i in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[i : i + IN_CHUNK]
            marks = ", ".join([self.ph] * len(chunk))
            self.cur.execute(
                f"SELECT {cols} FROM {quote(self.conn, table)} WHERE {quote(self.conn, column)} IN ({marks})",
                chunk,
            )
            rows.extend(self.cur.fetchall())
        return typed_frame(self.store, table, rows)

    def first(self, table: str) -> pl.DataFrame:
        """One row of ``table`` (none when it is empty)."""
        cols = ", ".join(quote(self.conn, c) for c in TABLE[table].column_names)
        self.cur.execute(f"SELECT {cols} FROM {quote(self.conn, table)} LIMIT 1")
        return typed_frame(self.store, table, self.cur.fetchall())


def _ids(*frames_and_columns: tuple[pl.DataFrame, str]) -> set[Any]:
    """The distinct non-null values of these columns of these frames."""
    out: set[Any] = set()
    for df, col in frames_and_columns:
        out.update(df[col].drop_nulls().to_list())
    return out


def _load_subset(r: _Reader, nips: set[str]) -> Snapshot:
    """What checking ``nips`` needs (see :func:`load_snapshot`), each table's rows once."""
    own = _own_rows(r, nips)
    pegawai, ptk, skp = own["siasn_pegawai"], own["dapodik_ptk"], own["pmm_skp"]
    school_npsn = _ids((ptk, "npsn"), (skp, "npsn"))
    units = _unit_rows(r, pegawai, school_npsn)
    superiors = _superiors(pegawai, skp, units, school_npsn)
    sup = _superior_rows(r, superiors - nips, ptk, _ids((skp, "pmm_skp_id")))
    ekinerja = _ekinerja_rows(r, nips | superiors, _ids((pegawai, "instansi_id")))
    tugas, lead_ptk = _leader_rows(r, school_npsn)
    frames = {
        "dapodik_tugas_tambahan": tugas,
        "instansi": r.where("instansi", "instansi_id", _ids((pegawai, "instansi_id"))),
        "siasn_unor": units["siasn_unor"],
        "siasn_pegawai": pl.concat([pegawai, sup["siasn_pegawai"]]),
        "dapodik_sekolah": units["dapodik_sekolah"],
        "dapodik_ptk": pl.concat([ptk, sup["dapodik_ptk"], lead_ptk]),
        "pmm_skp": pl.concat([skp, sup["pmm_skp"]]),
        "pmm_rhk": pl.concat([own["pmm_rhk"], sup["pmm_rhk"]]),
        "pmm_penilaian": own["pmm_penilaian"],
        "ekinerja_unor": units["ekinerja_unor"],
        **ekinerja,
        **_year_end_subset(r, nips, school_npsn, _ids((ptk, "ptk_id"), (sup["dapodik_ptk"], "ptk_id"))),
    }
    frames["dapodik_ptk"] = pl.concat([frames["dapodik_ptk"], frames.pop("_ptk_sekolah")])
    return Snapshot(
        {
            name: df.unique(subset=list(TABLE[name].key), keep="first", maintain_order=True)
            for name, df in frames.items()
        }
    )


def _own_rows(r: _Reader, nips: set[str]) -> dict[str, pl.DataFrame]:
    """The pegawai ``nips``, their Dapodik PTK (by NIP or NIK) and the PTK's PMM SKP, RHK and
    assessments."""
    pegawai = r.where("siasn_pegawai", "nip", nips)
    ptk = pl.concat(
        [
            r.where("dapodik_ptk", "nip", nips),
            r.where("dapodik_ptk", "nik", _ids((pegawai, "nik"))),
        ]
    )
    skp = r.where("pmm_skp", "ptk_id", _ids((ptk, "ptk_id")))
    skp_ids = _ids((skp, "pmm_skp_id"))
    return {
        "siasn_pegawai": pegawai,
        "dapodik_ptk": ptk,
        "pmm_skp": skp,
        "pmm_rhk": r.where("pmm_rhk", "pmm_skp_id", skp_ids),
        "pmm_penilaian": r.where("pmm_penilaian", "pmm_skp_id", skp_ids),
    }


def _unit_rows(r: _Reader, pegawai: pl.DataFrame, school_npsn: set[Any]) -> dict[str, pl.DataFrame]:
    """The SIASN units of the pegawai and of their schools (``school_npsn``) with the units'
    parents, those units in e-Kinerja, and the schools."""
    unor = pl.concat(
        [
            r.where("siasn_unor", "npsn", school_npsn),
            r.where("siasn_unor", "unor_id", _ids((pegawai, "unor_id"))),
        ]
    )
    parents = _ids((unor, "parent_unor_id")) - _ids((unor, "unor_id"))
    unor = pl.concat([unor, r.where("siasn_unor", "unor_id", parents)])
    return {
        "siasn_unor": unor,
        "dapodik_sekolah": r.where("dapodik_sekolah", "npsn", school_npsn | _ids((unor, "npsn"))),
        "ekinerja_unor": r.where("ekinerja_unor", "unor_id", _ids((unor, "unor_id"), (pegawai, "unor_id"))),
    }


def _superiors(
    pegawai: pl.DataFrame, skp: pl.DataFrame, units: dict[str, pl.DataFrame], school_npsn: set[Any]
) -> set[Any]:
    """The NIPs of the superiors the checks compare.

    The heads (in e-Kinerja) of the pegawai's own units, of the units of their schools and of
    those units' parents, and the approvers of their SKP; not the heads of every unit of the
    instansi (tens of thousands for a batch of a few hundred pegawai spread over the country).
    """
    unor, ekinerja_unor = units["siasn_unor"], units["ekinerja_unor"]
    own_units = _ids((pegawai, "unor_id")) | _ids((unor.filter(pl.col("npsn").is_in(list(school_npsn))), "unor_id"))
    own_units |= _ids((unor.filter(pl.col("unor_id").is_in(list(own_units))), "parent_unor_id"))
    return _ids((ekinerja_unor.filter(pl.col("unor_id").is_in(list(own_units))), "atasan_nip"), (skp, "atasan_nip"))


def _superior_rows(r: _Reader, others: set[Any], ptk: pl.DataFrame, skp_ids: set[Any]) -> dict[str, pl.DataFrame]:
    """The superiors who are not among the pegawai asked for (``others``): their SIASN rows,
    PTK, and the PMM SKP and RHK not read already (of ``ptk`` / ``skp_ids``)."""
    sup_ptk = r.where("dapodik_ptk", "nip", others)
    sup_skp = r.where("pmm_skp", "ptk_id", _ids((sup_ptk, "ptk_id")) - _ids((ptk, "ptk_id")))
    return {
        "siasn_pegawai": r.where("siasn_pegawai", "nip", others),
        "dapodik_ptk": sup_ptk,
        "pmm_skp": sup_skp,
        "pmm_rhk": r.where("pmm_rhk", "pmm_skp_id", _ids((sup_skp, "pmm_skp_id")) - skp_ids),
    }


def _ekinerja_rows(r: _Reader, nips: set[Any], instansi_ids: set[Any]) -> dict[str, pl.DataFrame]:
    """The e-Kinerja SKP, RHK and assessments of ``nips``; the periods of their instansi and
    of those SKP."""
    ek_skp = r.where("ekinerja_skp", "nip", nips)
    ek_skp_ids = _ids((ek_skp, "skp_id"))
    periode = r.where("ekinerja_periode", "instansi_id", instansi_ids)
    periode = pl.concat(
        [
            periode,
            r.where("ekinerja_periode", "periode_id", _ids((ek_skp, "periode_id")) - _ids((periode, "periode_id"))),
        ]
    )
    return {
        "ekinerja_periode": periode,
        "ekinerja_skp": ek_skp,
        "ekinerja_rhk": r.where("ekinerja_rhk", "skp_id", ek_skp_ids),
        "ekinerja_penilaian": r.where("ekinerja_penilaian", "skp_id", ek_skp_ids),
    }


def _leader_rows(r: _Reader, school_npsn: set[Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Who leads the schools (leaders.md): their duties and the PTK who may lead them. With no
    duty at these schools, one row of the table still says the snapshot has the duty file."""
    tugas = r.where("dapodik_tugas_tambahan", "npsn", school_npsn)
    if tugas.height == 0:
        tugas = r.first("dapodik_tugas_tambahan")
    lead_ptk = (
        pl.concat(
            [
                r.where("dapodik_ptk", "ptk_id", _ids((tugas, "ptk_id"))),
                r.where("dapodik_ptk", "npsn", school_npsn).filter(principal_expr()),
            ]
        )
        if tugas.height
        else r.where("dapodik_ptk", "ptk_id", [])  # no duty file: nothing reads them (as before)
    )
    return tugas, lead_ptk


def _year_end_subset(r: _Reader, nips: set[str], npsn: set[Any], ptk_ids: set[Any]) -> dict[str, pl.DataFrame]:
    """The year-end rows (annual.md) of ``nips``: their jenjang, credit and e-Kinerja rating, their
    schools' PKO, and every rating at those schools (``_ptk_sekolah``: the PTK rated there, for
    the distribution rule TAH-04)."""
    mates = r.where("dapodik_ptk", "npsn", npsn)
    return {
        "pmm_predikat_organisasi": r.where("pmm_predikat_organisasi", "npsn", npsn),
        "pmm_predikat": r.where("pmm_predikat", "ptk_id", ptk_ids | set(mates["ptk_id"].to_list())),
        "siasn_jabatan": r.where("siasn_jabatan", "nip", nips),
        "siasn_angka_kredit": r.where("siasn_angka_kredit", "nip", nips),
        "ekinerja_predikat": r.where("ekinerja_predikat", "nip", nips),
        "_ptk_sekolah": mates,
    }


def load_table(store: Store, name: str) -> pl.DataFrame:
    """One whole contract table, typed as in a snapshot."""
    if name not in TABLE:
        raise KeyError(f"no contract table {name!r}")
    with store.read() as conn, cursor(conn) as cur:
        return read_table(store, conn, cur, name)


def rows_where(store: Store, table: str, column: str, values: Iterable[str], columns: list[str]) -> pl.DataFrame:
    """``columns`` of the stored rows of contract ``table`` whose ``column`` is one of ``values``."""
    from selaras.store.tables import CONTRACT

    t = CONTRACT[table]
    wanted = sorted(set(values))
    schema = {c: TABLE[table].column(c).dtype for c in columns}
    rows: list[tuple[object, ...]] = []
    if wanted:
        with store.read() as conn:
            for i in range(0, len(wanted), IN_CHUNK):
                query = sa.select(*(t.c[c] for c in columns)).where(t.c[column].in_(wanted[i : i + IN_CHUNK]))
                rows.extend(tuple(r) for r in conn.execute(query))
    return pl.DataFrame(rows, schema=schema, orient="row")


def _secondary_indexes(store: Store, cur: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``table`` other than its primary key."""
    if store.dialect == "postgresql":
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            " ORDER BY c.relname",
            (table,),
        )
    else:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table,),
        )
    return [(name, ddl) for name, ddl in cur.fetchall()]


def _bulk_insert(
    store: Store,
    conn: sa.Connection,
    cur: Any,
    name: str,
    df: pl.DataFrame,
    progress: Progress | None,
) -> None:
    key = list(TABLE[name].key)
    df = contract.conform(name, df)
    # Sent in key order, the rows arrive as appends instead of page splits. Only the order is
    # computed here; each chunk is gathered in turn, so no sorted copy of the table is held.
    order = df.select(pl.arg_sort_by(key).alias("i"))["i"]
    insert_frame(store, conn, cur, name, df, progress, order)


def _sqlite_checkpoint(store: Store) -> None:
    # A snapshot replace leaves a WAL as large as the data; fold it back into the database
    # file and truncate it now. Best effort: when readers keep the WAL busy for more than a
    # moment, SQLite's automatic checkpoints do it later.
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA busy_timeout=2000")
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
