"""The live pulls of the sync jobs and of the scheduled refresh when the sources are configured
in their real shapes (``sources.connectors.RealSources``): the pieces of ``selaras tarik``, so
one client and one mapping serve the command, the jobs and the schedule.

- :func:`tarik_pegawai`: before a batch of sync jobs checks its pegawai, their fresh data: from
  SIASN their ``data-utama`` (and their superiors'), from Dapodik their schools' ``getGtk`` and
  ``getSekolah``, from PMM the plans of those schools' PTK. A source that stays unavailable, or
  one of their schools whose own service does, raises :class:`SourceUnavailable` (SYS-01): the
  caller keeps the jobs queued and tries again with backoff. The records refused (SYS-02) are
  returned, to be given to the pegawai whose data they are.
- :func:`tarik_terjadwal`: every instansi of the store pulled as ``selaras tarik --semua`` does
  (SIASN has no feed of changes: its pegawai are read by NIP), the pegawai whose data changed
  queued for a re-check with the reason JADWAL. An instansi whose source stays unavailable
  keeps its data as it was and is pulled again next round; the others are taken.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from selaras.jobs.queue import Alasan
from selaras.sources.connectors import RealSources
from selaras.sources.http import SourceContractError, SourceProblem, SourceUnavailable
from selaras.store.database import Store
from selaras.store.repository import rows_where
from selaras.usecases.tarik import instansi_tersimpan, tarik_instansi

__all__ = ["tarik_pegawai", "tarik_terjadwal"]

log = logging.getLogger("selaras.jobs")


def tarik_pegawai(
    store: Store, sources: RealSources, nips: Collection[str], *, tahun: int, pelaku: str
) -> list[SourceProblem]:
    """Pull the fresh source data of ``nips`` into the store, instansi by instansi (as stored;
    for a pegawai not stored yet, as the SIASN roster or their own SIASN record says); the
    records refused (SYS-02).
    Raises :class:`SourceUnavailable` (SYS-01) when a source, or a school of theirs, stays
    unavailable. ``nips`` themselves are not queued again: the caller is checking them. A pull
    that found nothing new, changed or refused leaves no audit row."""
    wanted = sorted(set(nips))
    stored = rows_where(store, "siasn_pegawai", "nip", wanted, ["nip", "instansi_id"])
    groups: dict[str, list[str]] = {}
    for nip, instansi_id in stored.select("nip", "instansi_id").iter_rows():
        if instansi_id:
            groups.setdefault(instansi_id, []).append(nip)
    known = {n for g in groups.values() for n in g}
    problems: list[SourceProblem] = []
    for nip in wanted:
        if nip in known:
            continue
        instansi_id = sources.daftar_nip.get(nip)
        if instansi_id is None and sources.siasn is not None:
            # New to the store and to the roster: SIASN's own record says where they work.
            record, problem = sources.siasn.data_utama(nip)
            if problem is not None:
                problems.append(problem)
            elif record is not None:
                found = record.get("instansiKerjaId") or record.get("instansiIndukId")
                instansi_id = found.strip() if isinstance(found, str) and found.strip() else None
        if instansi_id:
            groups.setdefault(instansi_id, []).append(nip)
    for instansi_id, group in sorted(groups.items()):
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
        if done.sekolah_tidak_terjangkau:
            # Checked without their school's fresh PTK data they would be checked on stale data.
            npsn, reason = sorted(done.sekolah_tidak_terjangkau.items())[0]
            attempts = sources.dapodik.config.settings.max_attempts if sources.dapodik is not None else 1
            raise SourceUnavailable("Dapodik", f"getGtk?npsn={npsn}", reason, attempts)
        problems.extend(done.problems)
    return problems


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
