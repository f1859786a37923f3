"""Pulling fresh data from the live sources (in the contract's shapes) into the store.

``refresh_pegawai`` brings a batch of pegawai up to date with the sources (on demand, before a
check); ``refresh_changed`` brings in everything changed since the last pull (a periodic job).

Everything of a refresh is pulled before anything is written: when a source is unavailable
(``SourceUnavailable``, SYS-01) or answers outside the contract as a whole
(``SourceContractError``), the call raises and the store is unchanged. A record that breaks
the contract is left out (its stored version stays as it was) and reported in
``RefreshResult.problems`` (SYS-02); a PMM SKP is taken whole with its RHK and assessments or
not at all. Rows are removed only on the word of a clean answer: an answer with a rejected
record cannot prove that a row is gone, so it deletes nothing.

A refresh is written in one transaction (``write_rows``): whole or not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from selaras.domain.snapshot import TABLE
from selaras.sources.clients import Sources
from selaras.sources.http import EPOCH, Batch
from selaras.sources.problems import SourceProblem
from selaras.sources.refresh import pull_changed, unor_tree
from selaras.store.changes import write_rows
from selaras.store.database import Store
from selaras.store.snapshots import rows_where

__all__ = ["SOURCE_TABLES", "RefreshResult", "problems_by_nip", "refresh_changed", "refresh_pegawai"]

SOURCE_TABLES: tuple[str, ...] = (
    "instansi",
    "siasn_unor",
    "siasn_pegawai",
    "dapodik_sekolah",
    "dapodik_ptk",
    "dapodik_tugas_tambahan",
    "pmm_skp",
    "pmm_rhk",
    "pmm_penilaian",
    # The year's end (annual.md).
    "siasn_jabatan",
    "siasn_angka_kredit",
    "pmm_predikat_organisasi",
    "pmm_predikat",
)
"""The contract tables the sources serve, in the order a refresh writes them."""


@dataclass
class RefreshResult:
    """What a refresh did."""

    nips: list[str]
    """The pegawai whose data was refreshed or changed (sorted): the ones to check again."""
    problems: list[SourceProblem] = field(default_factory=list)
    """Records left out because they break the contract (SYS-02)."""
    written: dict[str, int] = field(default_factory=dict)
    """Rows inserted or updated per table."""
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows deleted per table."""
    watermark: datetime | None = None
    """The latest ``diperbarui`` seen: the ``since`` of the next ``refresh_changed``."""


# ------------------------------------------------------------------------------ per pegawai


def refresh_pegawai(store: Store, sources: Sources, nips: Collection[str]) -> RefreshResult:
    """Bring the source data of ``nips`` in the store up to date.

    Pulls, with key-list queries: their SIASN pegawai; the Dapodik PTK matched by their NIP
    or NIK (and, by id, the stored PTK that were matched before and no longer are); the PMM
    SKP of those PTK with RHK and assessments; the schools of the PTK and SKP; the units of
    the pegawai and of those schools with their parent units; the instansi of all of them.
    Then writes them. For each SKP pulled, stored RHK and assessments it no longer has are
    deleted; stored SKP of those PTK that PMM no longer serves are deleted with theirs; a
    pegawai SIASN no longer serves is deleted, as is a stored PTK Dapodik no longer has.
    """
    wanted = sorted(set(nips))
    p = _pull_pegawai(store, sources, wanted)
    deletes = _pegawai_deletes(store, wanted, p)
    problems = [problem for b in p.batches() for problem in b.problems]
    written, deleted = _write(store, p.upserts(), deletes)
    stamps = [b.diperbarui for b in p.batches() if b.diperbarui]
    return RefreshResult(wanted, problems, written, deleted, max(stamps) if stamps else None)


@dataclass
class _PegawaiPull:
    """Everything ``refresh_pegawai`` pulled for its pegawai, before anything is written."""

    pegawai: Batch
    ptk: Batch
    recheck: Batch
    """The stored PTK no longer matched to them, asked for again by id."""
    stale: list[str]
    all_ptk: Batch
    ptk_ids: list[str]
    npsn: list[str]
    skp: Batch
    sekolah: Batch
    tugas: Batch
    unor: Batch
    instansi: Batch
    year_end: tuple[Batch, Batch, Batch, Batch]
    """The year's end (annual.md): jabatan, angka kredit, predikat, predikat organisasi."""

    def batches(self) -> tuple[Batch, ...]:
        """Every answer, in the order they are read for problems and watermarks."""
        parts = (self.pegawai, self.ptk, self.recheck, self.skp, self.sekolah, self.tugas, self.unor, self.instansi)
        return (*parts, *self.year_end)

    def upserts(self) -> dict[str, pl.DataFrame]:
        """The rows to insert or update, per contract table."""
        jabatan, angka, predikat, pko = self.year_end
        return {
            "instansi": self.instansi["instansi"],
            "siasn_unor": self.unor["siasn_unor"],
            "siasn_pegawai": self.pegawai["siasn_pegawai"],
            "dapodik_sekolah": self.sekolah["dapodik_sekolah"],
            "dapodik_ptk": self.all_ptk["dapodik_ptk"],
            "dapodik_tugas_tambahan": self.tugas["dapodik_tugas_tambahan"],
            "pmm_skp": self.skp["pmm_skp"],
            "pmm_rhk": self.skp["pmm_rhk"],
            "pmm_penilaian": self.skp["pmm_penilaian"],
            "siasn_jabatan": jabatan["siasn_jabatan"],
            "siasn_angka_kredit": angka["siasn_angka_kredit"],
            "pmm_predikat": predikat["pmm_predikat"],
            "pmm_predikat_organisasi": pko["pmm_predikat_organisasi"],
        }


def _pull_pegawai(store: Store, sources: Sources, wanted: list[str]) -> _PegawaiPull:
    """Pull what ``refresh_pegawai`` writes (the store read only to find the stale PTK)."""
    pegawai = sources.siasn.pegawai(nip=wanted)
    niks = pegawai.values("siasn_pegawai", "nik")
    old_niks = _column(rows_where(store, "siasn_pegawai", "nip", wanted, ["nik"]), "nik")
    ptk = Batch.merge(
        [sources.dapodik.ptk(nip=wanted), sources.dapodik.ptk(nik=niks)],
        ["dapodik_ptk"],
    )
    served_ptk = set(ptk.values("dapodik_ptk", "ptk_id"))
    stored_ptk = rows_where(store, "dapodik_ptk", "nip", wanted, ["ptk_id"]).vstack(
        rows_where(store, "dapodik_ptk", "nik", sorted(set(niks) | set(old_niks)), ["ptk_id"])
    )
    stale = sorted(set(_column(stored_ptk, "ptk_id")) - served_ptk)
    recheck = sources.dapodik.ptk(ptk_id=stale)
    ptk_ids = sorted(served_ptk | set(stale))
    skp = sources.pmm.skp(ptk_id=ptk_ids)
    all_ptk = Batch.merge([ptk, recheck], ["dapodik_ptk"])
    npsn = sorted(set(all_ptk.values("dapodik_ptk", "npsn")) | set(skp.values("pmm_skp", "npsn")))
    sekolah = sources.dapodik.sekolah(npsn=npsn)
    # The leaders' duties at their schools (who leads them) and those their PTK hold elsewhere.
    tugas = Batch.merge(
        [sources.dapodik.tugas_tambahan(npsn=npsn), sources.dapodik.tugas_tambahan(ptk_id=ptk_ids)],
        ["dapodik_tugas_tambahan"],
    )
    unor = unor_tree(
        sources,
        [sources.siasn.unor(unor_id=pegawai.values("siasn_pegawai", "unor_id")), sources.siasn.unor(npsn=npsn)],
    )
    instansi_ids = (
        set(pegawai.values("siasn_pegawai", "instansi_id"))
        | set(unor.values("siasn_unor", "instansi_id"))
        | set(sekolah.values("dapodik_sekolah", "instansi_id"))
    )
    instansi = sources.siasn.instansi(instansi_id=sorted(instansi_ids))
    # The year's end (annual.md): their jenjang and credit, their ratings, their schools' PKO.
    year_end = (
        sources.siasn.jabatan(nip=wanted),
        sources.siasn.angka_kredit(nip=wanted),
        sources.pmm.predikat(ptk_id=ptk_ids),
        sources.pmm.predikat_organisasi(npsn=npsn),
    )
    return _PegawaiPull(
        pegawai, ptk, recheck, stale, all_ptk, ptk_ids, npsn, skp, sekolah, tugas, unor, instansi, year_end
    )


def _pegawai_deletes(store: Store, wanted: list[str], p: _PegawaiPull) -> dict[str, pl.DataFrame]:
    """The keys to delete, each only on the word of a clean answer (see the module)."""
    deletes: dict[str, pl.DataFrame] = {}
    if p.pegawai.clean:
        gone = sorted(set(wanted) - set(p.pegawai.values("siasn_pegawai", "nip")))
        deletes["siasn_pegawai"] = pl.DataFrame({"nip": gone}, schema={"nip": pl.String})
    if p.recheck.clean:
        gone = sorted(set(p.stale) - set(p.recheck.values("dapodik_ptk", "ptk_id")))
        deletes["dapodik_ptk"] = pl.DataFrame({"ptk_id": gone}, schema={"ptk_id": pl.String})
    if p.tugas.clean:
        # A duty no longer served at one of these schools has ended.
        key = list(TABLE["dapodik_tugas_tambahan"].key)
        stored_tugas = rows_where(store, "dapodik_tugas_tambahan", "npsn", p.npsn, key)
        deletes["dapodik_tugas_tambahan"] = stored_tugas.join(
            p.tugas["dapodik_tugas_tambahan"].select(key), on=key, how="anti"
        )
    if p.skp.clean:
        stored_skp = rows_where(store, "pmm_skp", "ptk_id", p.ptk_ids, ["pmm_skp_id"])
        served_skp = set(p.skp.values("pmm_skp", "pmm_skp_id"))
        gone = sorted(set(_column(stored_skp, "pmm_skp_id")) - served_skp)
        _add_deletes(deletes, _plans_gone(store, gone))
    _add_deletes(deletes, _children_gone(store, p.skp))
    return deletes


# --------------------------------------------------------------------------- incremental


def refresh_changed(
    store: Store, sources: Sources, since: datetime | None, *, overlap: timedelta = timedelta(0)
) -> RefreshResult:
    """Pull every record changed after ``since`` (everything when None) from the three
    sources and write it to the store.

    Returns the pegawai affected: whose own SIASN row changed; of a changed unit (its
    members, and the pegawai of the school matched to it); of a changed school (its PTK's
    pegawai and the members of its unit); of a changed PTK (by its NIP or NIK, before and
    after the change); the owner of a changed PMM SKP (through its PTK). And the new
    watermark: the latest ``diperbarui`` seen (``since`` when nothing changed), to be
    stored by the caller and passed as ``since`` next time.

    The tables are pulled one after another, so a record changed in a table already pulled
    while a later one is pulled may carry a ``diperbarui`` below the watermark and be missed
    next time; ``overlap`` asks that much further back (such records come twice, which is
    harmless: every write is idempotent).
    """
    query_since = EPOCH if since is None else since - overlap
    batches = pull_changed(sources, query_since)
    # Only rows that differ from the store count: an overlap, or a source that re-stamps
    # records without changing them, must not queue anyone again.
    changed = {name: _changed(store, name, batch[name]) for name, batch in batches.items()}
    for child in ("pmm_rhk", "pmm_penilaian"):
        changed[child] = _changed(store, child, batches["pmm_skp"][child])
    gone = _children_gone(store, batches["pmm_skp"])
    skp_ids = (
        set(_column(changed["pmm_skp"], "pmm_skp_id"))
        | set(_column(changed["pmm_rhk"], "pmm_skp_id"))
        | set(_column(changed["pmm_penilaian"], "pmm_skp_id"))
        | {k for df in gone.values() if df.height for k in _stored_skp_of(store, df)}
    )
    skp_all = batches["pmm_skp"]["pmm_skp"]
    skp_rows = skp_all.filter(pl.col("pmm_skp_id").is_in(sorted(skp_ids)))

    # What the changed rows were before, to find the pegawai they belonged to then.
    before = _Before(
        unor=rows_where(store, "siasn_unor", "unor_id", _column(changed["siasn_unor"], "unor_id"), ["npsn"]),
        ptk=rows_where(store, "dapodik_ptk", "ptk_id", _column(changed["dapodik_ptk"], "ptk_id"), ["nip", "nik"]),
        skp=rows_where(store, "pmm_skp", "pmm_skp_id", _column(skp_rows, "pmm_skp_id"), ["ptk_id"]),
    )

    written, deleted = _write(store, changed, gone)
    nips = _changed_pegawai(store, changed, skp_rows, before)

    problems = [p for b in batches.values() for p in b.problems]
    stamps = [b.diperbarui for b in batches.values() if b.diperbarui is not None]
    watermark = max(stamps) if stamps else since
    if since is not None and watermark is not None and watermark < since:
        watermark = since  # an overlap only ever looks back; the mark never goes back
    return RefreshResult(sorted(nips), problems, written, deleted, watermark)


@dataclass(frozen=True)
class _Before:
    """What the changed units, PTK and SKP were in the store before the refresh wrote them."""

    unor: pl.DataFrame
    ptk: pl.DataFrame
    skp: pl.DataFrame


def _changed_pegawai(
    store: Store, changed: Mapping[str, pl.DataFrame], skp_rows: pl.DataFrame, before: _Before
) -> set[str]:
    """The pegawai the changed rows concern, before and after the change (see ``refresh_changed``)."""
    unor = changed["siasn_unor"]
    ptk = changed["dapodik_ptk"]
    unor_ids = set(_column(unor, "unor_id"))
    npsn = (
        set(_column(changed["dapodik_sekolah"], "npsn"))
        | set(_column(unor, "npsn"))
        | set(_column(before.unor, "npsn"))
    )
    unor_ids |= set(_column(rows_where(store, "siasn_unor", "npsn", sorted(npsn), ["unor_id"]), "unor_id"))
    ptk_ids = set(_column(skp_rows, "ptk_id")) | set(_column(before.skp, "ptk_id"))
    # A changed rating concerns its PTK; a changed PKO every pegawai of the school.
    ptk_ids |= set(_column(changed["pmm_predikat"], "ptk_id"))
    npsn |= set(_column(changed["pmm_predikat_organisasi"], "npsn"))
    # A changed duty changes who leads its school: its holder and every PTK there.
    ptk_ids |= set(_column(changed["dapodik_tugas_tambahan"], "ptk_id"))
    npsn |= set(_column(changed["dapodik_tugas_tambahan"], "npsn"))
    ptk_rows = pl.concat(
        [
            ptk.select("nip", "nik"),
            before.ptk,
            rows_where(store, "dapodik_ptk", "ptk_id", sorted(ptk_ids), ["nip", "nik"]),
            rows_where(store, "dapodik_ptk", "npsn", sorted(npsn), ["nip", "nik"]),
        ]
    )
    nips = set(_column(changed["siasn_pegawai"], "nip"))
    nips |= set(_column(changed["siasn_jabatan"], "nip")) | set(_column(changed["siasn_angka_kredit"], "nip"))
    nips |= set(_column(rows_where(store, "siasn_pegawai", "unor_id", sorted(unor_ids), ["nip"]), "nip"))
    nips |= set(_column(rows_where(store, "siasn_pegawai", "nip", _column(ptk_rows, "nip"), ["nip"]), "nip"))
    nips |= set(_column(rows_where(store, "siasn_pegawai", "nik", _column(ptk_rows, "nik"), ["nip"]), "nip"))
    return nips


# ------------------------------------------------------------------------------ helpers


def _changed(store: Store, name: str, df: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``df`` that are new or differ from the stored row with the same key."""
    if not df.height:
        return df
    key = list(TABLE[name].key)
    columns = list(TABLE[name].column_names)
    stored = rows_where(store, name, key[0], _column(df, key[0]), columns)
    return df.select(columns).join(stored, on=columns, how="anti", nulls_equal=True)


def _stored_skp_of(store: Store, keys: pl.DataFrame) -> list[str]:
    """The SKP ids named by keys of RHK or assessment rows."""
    if "pmm_skp_id" in keys.columns:
        return _column(keys, "pmm_skp_id")
    return _column(
        rows_where(store, "pmm_rhk", "pmm_rhk_id", _column(keys, "pmm_rhk_id"), ["pmm_skp_id"]), "pmm_skp_id"
    )


_REAL_RECORD = {
    "data-utama": "siasn_pegawai",
    "rw-jabatan": "siasn_pegawai",
    "ref-unor": "siasn_unor",
    "getGtk": "dapodik_ptk",
    "getSekolah": "dapodik_sekolah",
}
"""The contract table of each record of the real shapes (``sources.mapping``): their problems
name the source's record, keyed as the contract's table is."""


def problems_by_nip(
    store: Store, problems: Iterable[SourceProblem], nips: Collection[str]
) -> tuple[dict[str, list[SourceProblem]], list[SourceProblem]]:
    """Each problem given to the pegawai of ``nips`` whose data it is (as stored); and the
    problems that belong to none of them (to be reported to the source's owner)."""
    wanted = sorted(set(nips))
    problems = list(problems)
    if not problems:
        return {}, []
    peg = rows_where(store, "siasn_pegawai", "nip", wanted, ["nip", "nik", "unor_id", "instansi_id"])
    nik_nip = dict(zip(_column(peg, "nik"), _column(peg, "nip"), strict=True))
    ptk = rows_where(store, "dapodik_ptk", "nip", wanted, ["ptk_id", "nip", "nik", "npsn"]).vstack(
        rows_where(store, "dapodik_ptk", "nik", sorted(nik_nip), ["ptk_id", "nip", "nik", "npsn"])
    )
    ptk_nip = {
        r["ptk_id"]: r["nip"] if r["nip"] in set(wanted) else nik_nip.get(r["nik"]) for r in ptk.iter_rows(named=True)
    }
    skp = rows_where(store, "pmm_skp", "ptk_id", sorted(ptk_nip), ["pmm_skp_id", "ptk_id"])
    skp_nip = {r["pmm_skp_id"]: ptk_nip.get(r["ptk_id"]) for r in skp.iter_rows(named=True)}
    rhk = rows_where(store, "pmm_rhk", "pmm_skp_id", sorted(skp_nip), ["pmm_rhk_id", "pmm_skp_id"])
    rhk_nip = {r["pmm_rhk_id"]: skp_nip.get(r["pmm_skp_id"]) for r in rhk.iter_rows(named=True)}

    def of(column: str, frame: pl.DataFrame, value: str) -> set[str]:
        return set(frame.filter(pl.col(column) == value)["nip"].to_list()) if frame.height else set()

    mine: dict[str, list[SourceProblem]] = {}
    orphans: list[SourceProblem] = []
    for p in problems:
        key = (p.key or "").split(", ")[0]
        table = _REAL_RECORD.get(p.table, p.table)
        owners: set[str | None]
        if table == "siasn_pegawai":
            owners = {key} & set(wanted)  # type: ignore[assignment]
        elif table == "dapodik_ptk":
            owners = {ptk_nip.get(key)}
        elif table in ("pmm_skp", "pmm_penilaian"):
            owners = {skp_nip.get(key)}
        elif table == "pmm_rhk":
            owners = {rhk_nip.get(key)}
        elif table == "siasn_unor":
            owners = of("unor_id", peg, key)  # type: ignore[assignment]
        elif table == "instansi":
            owners = of("instansi_id", peg, key)  # type: ignore[assignment]
        elif table == "dapodik_sekolah":
            owners = {ptk_nip.get(r) for r in ptk.filter(pl.col("npsn") == key)["ptk_id"].to_list()}
        else:
            owners = set()
        found = sorted(o for o in owners if o)
        for nip in found:
            mine.setdefault(nip, []).append(p)
        if not found:
            orphans.append(p)
    return mine, orphans


def _column(df: pl.DataFrame, name: str) -> list[str]:
    return df.get_column(name).drop_nulls().unique().sort().to_list()


def _plans_gone(store: Store, skp_ids: list[str]) -> dict[str, pl.DataFrame]:
    """Keys to delete for SKP that are gone: the SKP and their RHK and assessments."""
    return {
        "pmm_skp": pl.DataFrame({"pmm_skp_id": skp_ids}, schema={"pmm_skp_id": pl.String}),
        "pmm_rhk": rows_where(store, "pmm_rhk", "pmm_skp_id", skp_ids, ["pmm_rhk_id"]),
        "pmm_penilaian": rows_where(store, "pmm_penilaian", "pmm_skp_id", skp_ids, list(TABLE["pmm_penilaian"].key)),
    }


def _children_gone(store: Store, skp: Batch) -> dict[str, pl.DataFrame]:
    """Keys of the stored RHK and assessments of the SKP served that the SKP no longer has."""
    ids = _column(skp["pmm_skp"], "pmm_skp_id")
    out = {}
    for name in ("pmm_rhk", "pmm_penilaian"):
        key = list(TABLE[name].key)
        stored = rows_where(store, name, "pmm_skp_id", ids, key)
        out[name] = stored.join(skp[name].select(key), on=key, how="anti")
    return out


def _add_deletes(deletes: dict[str, pl.DataFrame], more: Mapping[str, pl.DataFrame]) -> None:
    for name, keys in more.items():
        deletes[name] = pl.concat([deletes[name], keys]) if name in deletes else keys


def _write(
    store: Store, upserts: Mapping[str, pl.DataFrame], deletes: Mapping[str, pl.DataFrame]
) -> tuple[dict[str, int], dict[str, int]]:
    """Upsert, then delete, in one transaction; the row counts per table."""
    ups = {n: upserts[n] for n in SOURCE_TABLES if n in upserts and upserts[n].height}
    dels = {n: deletes[n].unique() for n in reversed(SOURCE_TABLES) if n in deletes and deletes[n].height}
    write_rows(store, ups, dels)
    return {n: df.height for n, df in ups.items()}, {n: df.height for n, df in dels.items()}
