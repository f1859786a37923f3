"""The live pulls of the sync jobs and of the scheduled refresh when the sources are configured
in their real shapes (``sources.connectors.RealSources``): the pieces of ``selaras tarik``, so
one client and one mapping serve the command, the jobs and the schedule.

- :func:`tarik_pegawai`: before a batch of sync jobs checks its pegawai, their fresh data: from
  SIASN their ``data-utama`` (and their superiors'), from Dapodik their schools' ``getGtk`` and
  ``getSekolah``, from PMM the plans of those schools' PTK. The pegawai a source that stays
  unavailable could not give, or whose school's own service stays offline, are returned
  (SYS-01): the caller keeps their jobs queued and tries again with backoff, and goes on with
  the others. The records refused (SYS-02) are returned, to be given to the pegawai whose data
  they are.
- :func:`tarik_terjadwal`: every instansi of the store pulled as ``selaras tarik --semua`` does
  (SIASN has no feed of changes: its pegawai are read by NIP), the pegawai whose data changed
  queued for a re-check with the reason JADWAL. An instansi whose source stays unavailable
  keeps its data as it was and is pulled again next round; the others are taken.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from selaras.jobs.queue import Alasan
from selaras.sources.connectors import RealSources
from selaras.sources.problems import SourceProblem
from selaras.sources.transport import SourceContractError, SourceUnavailable
from selaras.store.database import Store
from selaras.store.snapshots import rows_where
from selaras.usecases.tarik import instansi_tersimpan, tarik_instansi

__all__ = ["Tarikan", "tarik_pegawai", "tarik_terjadwal"]

log = logging.getLogger("selaras.jobs")


@dataclass
class Tarikan:
    """What a sync job's pull gave."""

    problems: list[SourceProblem] = field(default_factory=list)
    """Records refused (SYS-02)."""
    tertunda: dict[str, SourceUnavailable] = field(default_factory=dict)
    """NIP -> the failure that kept their fresh data out (SYS-01): a source unavailable for
    their instansi, or their school's own Dapodik service. Their jobs wait and try again."""


def tarik_pegawai(store: Store, sources: RealSources, nips: Collection[str], *, tahun: int, pelaku: str) -> Tarikan:
    """Pull the fresh source data of ``nips`` into the store, instansi by instansi (as stored;
    for a pegawai not stored yet, as the SIASN roster or their own SIASN record says): the
    records refused (SYS-02), and the pegawai whose data a source could not give (SYS-01: for
    an instansi, every one of its pegawai; for a school offline, its pegawai only, the others
    are pulled). ``nips`` themselves are not queued again: the caller is checking them. A pull
    that found nothing new, changed or refused leaves no audit row. A whole source unavailable
    before any instansi is known raises :class:`SourceUnavailable`."""
    wanted = sorted(set(nips))
    stored = rows_where(store, "siasn_pegawai", "nip", wanted, ["nip", "instansi_id"])
    groups: dict[str, list[str]] = {}
    for nip, instansi_id in stored.select("nip", "instansi_id").iter_rows():
        if instansi_id:
            groups.setdefault(instansi_id, []).append(nip)
    known = {n for g in groups.values() for n in g}
    out = Tarikan()
    for nip in wanted:
        if nip in known:
            continue
        instansi_id = sources.daftar_nip.get(nip)
        if instansi_id is None and sources.siasn is not None:
            # New to the store and to the roster: SIASN's own record says where they work.
            record, problem = sources.siasn.data_utama(nip)
            if problem is not None:
                out.problems.append(problem)
            elif record is not None:
                found = record.get("instansiKerjaId") or record.get("instansiIndukId")
                instansi_id = found.strip() if isinstance(found, str) and found.strip() else None
        if instansi_id:
            groups.setdefault(instansi_id, []).append(nip)
    for instansi_id, group in sorted(groups.items()):
        try:
            done = tarik_instansi(
                store,
                sources,
                instansi_id,
                tahun=tahun,
                pelaku=pelaku,
                nips=group,
                alasan=Alasan.TARIK.value,
                kecuali=wanted,
                audit_bila_sama=False,
            )
        except SourceUnavailable as e:
            out.tertunda.update(dict.fromkeys(group, e))
            continue
        out.problems.extend(done.problems)
        if done.sekolah_tidak_terjangkau:
            attempts = sources.dapodik.config.settings.max_attempts if sources.dapodik is not None else 1
            for nip, npsns in _schools_by_nip(store, group).items():
                for npsn in sorted(npsns & set(done.sekolah_tidak_terjangkau)):
                    # Checked without their school's fresh PTK data they would be checked on stale data.
                    reason = done.sekolah_tidak_terjangkau[npsn]
                    out.tertunda[nip] = SourceUnavailable("Dapodik", f"getGtk?npsn={npsn}", reason, attempts)
    return out


def _schools_by_nip(store: Store, nips: list[str]) -> dict[str, set[str]]:
    """NIP -> the schools of the stored PTK matched to them (by NIP, or by their NIK)."""
    pegawai = rows_where(store, "siasn_pegawai", "nip", nips, ["nip", "nik"])
    nip_of_nik = {k: n for n, k in pegawai.iter_rows() if k}
    out: dict[str, set[str]] = {}
    for nip, npsn in rows_where(store, "dapodik_ptk", "nip", nips, ["nip", "npsn"]).iter_rows():
        out.setdefault(nip, set()).add(npsn)
    for nik, npsn in rows_where(store, "dapodik_ptk", "nik", sorted(nip_of_nik), ["nik", "npsn"]).iter_rows():
        out.setdefault(nip_of_nik[nik], set()).add(npsn)
    return out


def tarik_terjadwal(store: Store, sources: RealSources, tahun: int) -> int:
    """Pull every stored instansi and queue (reason JADWAL) the re-check of the pegawai whose
    data changed; how many were queued. An instansi a source fails for is logged and left as
    it was; a source refusing Selaras's credentials stops the round (it would refuse them all)."""
    sources.roster_done.clear()  # each round reads the roster afresh
    queued = 0
    for instansi_id in instansi_tersimpan(store):
        try:
            done = tarik_instansi(
                store,
                sources,
                instansi_id,
                tahun=tahun,
                pelaku="selaras",
                alasan=Alasan.JADWAL.value,
                audit_bila_sama=False,
            )
        except (SourceUnavailable, SourceContractError) as e:
            log.warning("scheduled refresh: instansi %s left as it was: %s", instansi_id, e)
            continue
        for npsn, reason in done.sekolah_tidak_terjangkau.items():
            log.warning("scheduled refresh: school %s unreachable (%s); pulled again next round", npsn, reason)
        queued += len(done.nips)
    return queued
