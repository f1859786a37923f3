"""``selaras tarik``: pull one instansi (or every one) from the configured sources into the store.

Per instansi: the schools from PMM's padanan (and those stored), their Dapodik services, the
PMM plans of their PTK, the pegawai named by Dapodik, by PMM (superiors), by e-Kinerja and by
the store, from SIASN with the instansi's units. Everything of an instansi is pulled before
anything is written; then one unit of work writes the new and changed rows, replaces the RHK
and assessments of each plan served, audits the pull, queues the re-check (both flows) of
every pegawai whose data changed, sends the refused records (SYS-02) to their source's owner,
and commits once. A source that stays unavailable (SYS-01)
for an instansi leaves that instansi's data as it was: the next pull finds it all again, and
since rows are written by key nothing is ever doubled. A record refused (SYS-02) leaves its
stored version as it was. Nothing is deleted but a plan's RHK and assessments that PMM no
longer serves with it (a pegawai missing from one answer is not proof that it is gone).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from selaras.catalogue.words import angka
from selaras.domain.pemberitahuan import for_source_owners
from selaras.domain.results import Flow
from selaras.domain.snapshot import TABLE, conform
from selaras.jobs import queue
from selaras.sources.connectors import RealSources, padanan
from selaras.sources.http import Batch
from selaras.sources.problems import SourceProblem
from selaras.store import admin as repo
from selaras.store import notices, uow
from selaras.store.changes import write_rows
from selaras.store.database import Store
from selaras.store.snapshots import rows_where

__all__ = ["SOURCE_OF", "Hitungan", "InstansiTarik", "instansi_tersimpan", "summary_of", "tarik_instansi", "tugas_of"]

SOURCE_OF: dict[str, str] = {
    "instansi": "SIASN",
    "siasn_unor": "SIASN",
    "siasn_pegawai": "SIASN",
    "dapodik_sekolah": "Dapodik",
    "dapodik_ptk": "Dapodik",
    "dapodik_tugas_tambahan": "Dapodik",
    "pmm_skp": "PMM",
    "pmm_rhk": "PMM",
    "pmm_penilaian": "PMM",
}
"""The source of each table a pull writes, in the order it writes them."""

Progress = Callable[[str, int, int], None]


@dataclass
class Hitungan:
    """Records of one source: new, changed, unchanged, refused."""

    baru: int = 0
    berubah: int = 0
    sama: int = 0
    ditolak: int = 0

    def add(self, other: Hitungan) -> None:
        """Add ``other``'s counts to these."""
        self.baru += other.baru
        self.berubah += other.berubah
        self.sama += other.sama
        self.ditolak += other.ditolak


@dataclass
class InstansiTarik:
    """What the pull of one instansi did."""

    instansi_id: str
    hitungan: dict[str, Hitungan] = field(default_factory=dict)
    """Per source (``SIASN``, ``Dapodik``, ``PMM``)."""
    problems: list[SourceProblem] = field(default_factory=list)
    nips: list[str] = field(default_factory=list)
    """The pegawai whose re-check was queued."""
    tidak_di_siasn: list[str] = field(default_factory=list)
    """NIPs named by Dapodik, PMM or the store that SIASN does not know."""
    sekolah_tidak_terjangkau: dict[str, str] = field(default_factory=dict)
    """Schools whose own Dapodik service stayed unavailable (SYS-01): NPSN -> reason. Their
    data stays as stored; pull again when they are back."""
    tugas: Hitungan = field(default_factory=Hitungan)
    """The leaders' duties (also in Dapodik's counts): new, changed, unchanged, refused."""
    tugas_berakhir: int = 0
    """Duties no longer listed by their school's service, removed."""


def instansi_tersimpan(store: Store) -> list[str]:
    """The instansi in the store (what "every instansi" means)."""
    from selaras.store.snapshots import load_table

    return sorted(load_table(store, "instansi").get_column("instansi_id").to_list())


def _stored(store: Store, table: str, column: str, values: Sequence[str], columns: list[str]) -> pl.DataFrame:
    return rows_where(store, table, column, sorted(set(values)), columns)


def _values(df: pl.DataFrame, column: str) -> list[str]:
    return df.get_column(column).drop_nulls().unique().sort().to_list() if df.height else []


def tarik_instansi(
    store: Store,
    sources: RealSources,
    instansi_id: str,
    *,
    tahun: int,
    pelaku: str,
    progress: Progress | None = None,
    nips: Collection[str] | None = None,
    alasan: str = queue.Alasan.TARIK.value,
    kecuali: Collection[str] = (),
    audit_bila_sama: bool = True,
) -> InstansiTarik:
    """Pull ``instansi_id`` from ``sources`` and write it in one unit of work (see the module).

    ``nips`` narrows the pull to those pegawai (a sync job's pull before it checks them): from
    Dapodik their schools (as stored), from PMM the plans of those schools' PTK, from SIASN
    these NIPs and the superiors those plans name. ``kecuali``: pegawai whose re-check is not
    queued (the job checking them is running). ``alasan``: of the re-checks queued.
    ``audit_bila_sama`` False: no audit row for a pull that found nothing new, changed or
    refused (the jobs and the schedule pull often)."""
    tell = progress or (lambda _what, _done, _total: None)
    stored_sekolah = _stored(store, "dapodik_sekolah", "instansi_id", [instansi_id], ["npsn"])
    pairs = padanan(sources.pmm, instansi_id) if sources.pmm is not None else []
    npsns = sorted({n for n, _ in pairs} | set(_values(stored_sekolah, "npsn")))
    if nips is not None:
        npsns = sorted(set(npsns) & set(_schools_of(store, nips)))
    unor_npsn = {u: n for n, u in pairs if u is not None}

    pulled = _Pulled()
    ptk = _pull_dapodik(store, sources, instansi_id, npsns, tell, pulled)
    if sources.pmm is not None:
        tell("PMM", 0, 1)
        skp: Batch = sources.pmm.skp(ptk_id=_values(ptk, "ptk_id"))
        for name in ("pmm_skp", "pmm_rhk", "pmm_penilaian"):
            pulled.frames[name] = skp[name]
        pulled.refused["PMM"] = len({(p.table, p.key) for p in skp.problems})
        pulled.problems += skp.problems
        tell("PMM", 1, 1)
    if sources.siasn is not None:
        _pull_siasn(store, sources, instansi_id, nips, ptk, unor_npsn, tell, pulled)

    def work(u: uow.UnitOfWork) -> InstansiTarik:
        result = _write_pull(u.store, instansi_id, pulled)
        skip = set(kecuali)
        result.nips = [n for n in result.nips if n not in skip]
        for flow in Flow:
            queue.submit(u.store, result.nips, flow, tahun, alasan=alasan, diminta_oleh=pelaku)
        # SYS-02 goes to the source's owner, as the scheduled refresh's does.
        notices.save(u.store, for_source_owners(pulled.problems))
        if not audit_bila_sama and not any(h.baru or h.berubah or h.ditolak for h in result.hitungan.values()):
            return result
        _audit(u.store, instansi_id, pelaku, result, sources.configured, "dapodik_tugas_tambahan" in pulled.frames)
        return result

    done = uow.run(store, work, name="tarik")
    if nips is None:
        sources.roster_done.update(n for n, i in sources.daftar_nip.items() if i is None)
    return done


@dataclass
class _Pulled:
    """What the pull of one instansi got from the sources, before anything is written."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    """The records served, per contract table."""
    refused: dict[str, int] = field(default_factory=lambda: {"SIASN": 0, "Dapodik": 0, "PMM": 0})
    problems: list[SourceProblem] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    """The schools whose Dapodik service answered."""
    unreachable: dict[str, str] = field(default_factory=dict)
    tugas_ditolak: int = 0
    missing: list[str] = field(default_factory=list)
    """NIPs SIASN does not know."""


def _pull_dapodik(
    store: Store, sources: RealSources, instansi_id: str, npsns: list[str], tell: Progress, pulled: _Pulled
) -> pl.DataFrame:
    """Pull the schools' Dapodik services into ``pulled``; the PTK whose plans PMM is asked for
    (those served, with the stored ones of a school not heard from)."""
    ptk_all = None
    if sources.dapodik is not None:
        d = sources.dapodik.pull(instansi_id, npsns, progress=lambda i, n: tell("Dapodik", i, n))
        pulled.frames["dapodik_sekolah"], pulled.frames["dapodik_ptk"] = d.sekolah.frame, d.ptk.frame
        pulled.frames["dapodik_tugas_tambahan"] = d.tugas.frame
        pulled.answered = d.terjawab
        pulled.refused["Dapodik"] = d.sekolah.refused + d.ptk.refused + d.tugas.refused
        pulled.tugas_ditolak = d.tugas.refused
        pulled.problems += d.problems
        pulled.unreachable = {n: e.reason for n, e in d.tidak_terjangkau.items()}
        if pulled.unreachable:
            # The PTK of a school not heard from are those stored: their plans are still pulled.
            kept = _stored(store, "dapodik_ptk", "npsn", sorted(pulled.unreachable), ["ptk_id", "nip", "nik"])
            ptk_all = pl.concat([d.ptk.frame.select("ptk_id", "nip", "nik"), kept])
    ptk = ptk_all if ptk_all is not None else pulled.frames.get("dapodik_ptk")
    if ptk is None:
        ptk = _stored(store, "dapodik_ptk", "npsn", npsns, ["ptk_id", "nip", "nik"])
    return ptk


def _pull_siasn(
    store: Store,
    sources: RealSources,
    instansi_id: str,
    nips: Collection[str] | None,
    ptk: pl.DataFrame,
    unor_npsn: dict[str, str],
    tell: Progress,
    pulled: _Pulled,
) -> None:
    """Pull the instansi's pegawai (or ``nips`` and the superiors the plans name) and units from
    SIASN into ``pulled``."""
    assert sources.siasn is not None
    frames = pulled.frames
    if nips is None:
        wanted = set(_roster(store, instansi_id, ptk, frames.get("pmm_skp"))) | set(sources.nips_of(instansi_id))
    else:
        wanted = set(nips) | set(_superiors(frames.get("pmm_skp")))
    s = sources.siasn.pull(instansi_id, sorted(wanted), npsn=unor_npsn, progress=lambda i, n: tell("SIASN", i, n))
    frames["siasn_unor"], frames["siasn_pegawai"] = s.unor.frame, s.pegawai.frame
    known = set(
        _values(
            _stored(store, "instansi", "instansi_id", _values(s.instansi, "instansi_id"), ["instansi_id"]),
            "instansi_id",
        )
    )
    # A name SIASN gives never overwrites one an admin has; an instansi new to the store is added.
    frames["instansi"] = conform("instansi", s.instansi.filter(~pl.col("instansi_id").is_in(sorted(known))))
    pulled.refused["SIASN"] = s.unor.refused + s.pegawai.refused
    pulled.problems += s.problems
    pulled.missing = s.tidak_ada


def _write_pull(store: Store, instansi_id: str, pulled: _Pulled) -> InstansiTarik:
    """Write the new and changed rows and what is gone (in the unit of work's ``store``); the
    counts, and in ``nips`` every pegawai whose data changed."""
    frames = pulled.frames
    result = InstansiTarik(
        instansi_id,
        {k: Hitungan(ditolak=v) for k, v in pulled.refused.items()},
        pulled.problems,
        [],
        pulled.missing,
        pulled.unreachable,
    )
    upserts: dict[str, pl.DataFrame] = {}
    changed: dict[str, pl.DataFrame] = {}
    for name in SOURCE_OF:
        if name not in frames:
            continue
        new, diff, same = _compare(store, name, frames[name])
        count = result.hitungan[SOURCE_OF[name]]
        count.add(Hitungan(new.height, diff.height, same))
        if name == "dapodik_tugas_tambahan":
            result.tugas = Hitungan(new.height, diff.height, same, pulled.tugas_ditolak)
        changed[name] = pl.concat([new, diff])
        upserts[name] = changed[name]
    deletes = _children_gone(store, frames) if "pmm_skp" in frames else {}
    if "dapodik_tugas_tambahan" in frames:
        # A school's duties are replaced as its PTK are: one no longer listed has ended.
        deletes["dapodik_tugas_tambahan"] = _duties_gone(store, pulled.answered, frames["dapodik_tugas_tambahan"])
        changed["dapodik_tugas_tambahan_selesai"] = deletes["dapodik_tugas_tambahan"]
        result.tugas_berakhir = deletes["dapodik_tugas_tambahan"].height
    # The plans of RHK about to go are found before they go.
    gone_skp = _plans_of(store, deletes)
    write_rows(store, upserts, deletes)
    result.nips = _touched(store, changed, gone_skp)
    return result


def _audit(
    store: Store, instansi_id: str, pelaku: str, result: InstansiTarik, configured: Collection[str], tugas: bool
) -> None:
    """The pull's audit row: its counts per source (and of the duties), and the re-checks queued."""
    named = _stored(store, "instansi", "instansi_id", [instansi_id], ["nama"])
    sesudah: dict[str, str] = {
        f"tarik_{source.lower()}": (
            f"{angka(h.baru)} baru, {angka(h.berubah)} berubah, {angka(h.sama)} sama, {angka(h.ditolak)} ditolak"
        )
        for source, h in result.hitungan.items()
        if source in configured
    }
    if tugas:
        t = result.tugas
        sesudah["tarik_tugas_tambahan"] = (
            f"{angka(t.baru)} baru, {angka(t.berubah)} berubah, {angka(t.sama)} sama, "
            f"{angka(t.ditolak)} ditolak, {angka(result.tugas_berakhir)} berakhir"
        )
    sesudah["diperiksa_ulang"] = angka(len(result.nips))
    with store.write() as conn:
        repo.insert_audit(
            conn,
            username=pelaku,
            peran="admin",
            aksi="TARIK_DATA",
            sasaran=named["nama"][0] if named.height else instansi_id,
            instansi_id=instansi_id,
            sesudah=sesudah,
        )


def _schools_of(store: Store, nips: Collection[str]) -> list[str]:
    """The schools of the stored PTK matched to ``nips`` (by NIP, or by the NIK SIASN gives)."""
    niks = _values(_stored(store, "siasn_pegawai", "nip", list(nips), ["nik"]), "nik")
    ptk = _stored(store, "dapodik_ptk", "nip", list(nips), ["npsn"]).vstack(
        _stored(store, "dapodik_ptk", "nik", niks, ["npsn"])
    )
    return _values(ptk, "npsn")


def _superiors(skp: pl.DataFrame | None) -> list[str]:
    """The superiors the plans pulled name (checking a teacher reads their principal's SIASN
    record too)."""
    if skp is None or not skp.height:
        return []
    return [n for n in _values(skp, "atasan_nip") if len(n) == 18 and n.isdigit()]


def _roster(store: Store, instansi_id: str, ptk: pl.DataFrame, skp: pl.DataFrame | None) -> list[str]:
    """The NIPs to read from SIASN (which has no list of an instansi's pegawai): those of the
    PTK, the PMM superiors, the pegawai stored for the instansi, e-Kinerja's plans and heads."""
    nips = set(_values(ptk, "nip"))
    if skp is not None:
        nips |= set(_values(skp, "atasan_nip"))
    nips |= set(_values(_stored(store, "siasn_pegawai", "instansi_id", [instansi_id], ["nip"]), "nip"))
    periode = _values(_stored(store, "ekinerja_periode", "instansi_id", [instansi_id], ["periode_id"]), "periode_id")
    plans = _stored(store, "ekinerja_skp", "periode_id", periode, ["nip", "atasan_nip"])
    nips |= set(_values(plans, "nip")) | set(_values(plans, "atasan_nip"))
    return sorted(n for n in nips if len(n) == 18 and n.isdigit())


def _compare(store: Store, name: str, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The rows of ``df`` new to the store, those that differ from the stored row with their
    key, and how many are the same."""
    columns = TABLE[name].column_names
    key = list(TABLE[name].key)
    df = conform(name, df).unique(subset=key, keep="last", maintain_order=True)
    if not df.height:
        return df, df, 0
    stored = conform(name, rows_where(store, name, key[0], _values(df, key[0]), columns))
    new = df.join(stored.select(key), on=key, how="anti", nulls_equal=True)
    old = df.join(stored.select(key), on=key, how="semi", nulls_equal=True)
    diff = old.join(stored, on=columns, how="anti", nulls_equal=True)
    return new, diff, old.height - diff.height


def _children_gone(store: Store, frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Stored RHK and assessments of the plans served that PMM no longer serves with them."""
    ids = _values(frames["pmm_skp"], "pmm_skp_id")
    out = {}
    for name in ("pmm_rhk", "pmm_penilaian"):
        key = list(TABLE[name].key)
        stored = conform(name, rows_where(store, name, "pmm_skp_id", ids, key)).select(key)
        out[name] = stored.join(conform(name, frames[name]).select(key), on=key, how="anti")
    return out


def _duties_gone(store: Store, npsns: Sequence[str], served: pl.DataFrame) -> pl.DataFrame:
    """The stored duties at the schools ``npsns`` (those whose service answered) not served now."""
    key = list(TABLE["dapodik_tugas_tambahan"].key)
    stored = conform("dapodik_tugas_tambahan", rows_where(store, "dapodik_tugas_tambahan", "npsn", sorted(npsns), key))
    return stored.select(key).join(conform("dapodik_tugas_tambahan", served).select(key), on=key, how="anti")


def _plans_of(store: Store, gone: Mapping[str, pl.DataFrame]) -> set[str]:
    """The plans whose RHK or assessments are in ``gone``."""
    ids: set[str] = set()
    if "pmm_penilaian" in gone:
        ids |= set(_values(gone["pmm_penilaian"], "pmm_skp_id"))
    if "pmm_rhk" in gone and gone["pmm_rhk"].height:
        rhk = _stored(store, "pmm_rhk", "pmm_rhk_id", _values(gone["pmm_rhk"], "pmm_rhk_id"), ["pmm_skp_id"])
        ids |= set(_values(rhk, "pmm_skp_id"))
    return ids


_DUTY_CHANGES = ("dapodik_tugas_tambahan", "dapodik_tugas_tambahan_selesai")


def _touched(store: Store, changed: Mapping[str, pl.DataFrame], gone_skp: set[str]) -> list[str]:
    """The pegawai whose data a pull changed: their own row; the PTK matched to them (by NIP
    or NIK); the plans of those PTK; the members of a changed unit; the PTK of a changed school."""
    empty = pl.DataFrame()

    def of(name: str) -> pl.DataFrame:
        return changed.get(name, empty)

    nips = set(_values(of("siasn_pegawai"), "nip"))
    skp_ids = set(gone_skp)
    for name in ("pmm_skp", "pmm_rhk", "pmm_penilaian"):
        skp_ids |= set(_values(of(name), "pmm_skp_id"))
    ptk_ids = set(_values(_stored(store, "pmm_skp", "pmm_skp_id", sorted(skp_ids), ["ptk_id"]), "ptk_id"))
    ptk_ids |= set(_values(of("dapodik_ptk"), "ptk_id"))
    # A duty begun or ended changes who leads its school: its holder and the school's PTK.
    duties = (
        pl.concat([of(n).select("ptk_id", "npsn") for n in _DUTY_CHANGES if of(n).height])
        if any(of(n).height for n in _DUTY_CHANGES)
        else pl.DataFrame()
    )
    ptk_ids |= set(_values(duties, "ptk_id"))
    schools = set(_values(of("dapodik_sekolah"), "npsn")) | set(_values(duties, "npsn"))
    if schools:
        at = _stored(store, "dapodik_ptk", "npsn", sorted(schools), ["ptk_id"])
        ptk_ids |= set(_values(at, "ptk_id"))
    ptk = _stored(store, "dapodik_ptk", "ptk_id", sorted(ptk_ids), ["nip", "nik"])
    nips |= set(_values(_stored(store, "siasn_pegawai", "nip", _values(ptk, "nip"), ["nip"]), "nip"))
    nips |= set(_values(_stored(store, "siasn_pegawai", "nik", _values(ptk, "nik"), ["nip"]), "nip"))
    if of("siasn_unor").height:
        members = _stored(store, "siasn_pegawai", "unor_id", _values(of("siasn_unor"), "unor_id"), ["nip"])
        nips |= set(_values(members, "nip"))
    return sorted(nips)


def tugas_of(results: Sequence[InstansiTarik]) -> tuple[Hitungan, int]:
    """The leaders' duties of several instansi: their counts, and how many ended."""
    total = Hitungan()
    for r in results:
        total.add(r.tugas)
    return total, sum(r.tugas_berakhir for r in results)


def summary_of(results: Sequence[InstansiTarik]) -> dict[str, Hitungan]:
    """The counts of several instansi, per source."""
    total = {s: Hitungan() for s in ("SIASN", "Dapodik", "PMM")}
    for r in results:
        for source, h in r.hitungan.items():
            total.setdefault(source, Hitungan()).add(h)
    return total
