"""The pulls of a refresh that only talk to the sources (``usecases.refresh`` compares and
writes them): every table's changes since a time, and units with all their parent units."""

from __future__ import annotations

from datetime import datetime

from selaras.sources.clients import Sources
from selaras.sources.http import Batch

MAX_UNOR_DEPTH = 20
"""Levels of parent units followed up (a cycle in SIASN must not loop forever)."""


def pull_changed(sources: Sources, since: datetime) -> dict[str, Batch]:
    """Every record changed after ``since`` at the three sources, per contract table (PMM's
    SKP with their RHK and assessments), one table after another."""
    return {
        "instansi": sources.siasn.instansi(since=since),
        "siasn_unor": sources.siasn.unor(since=since),
        "siasn_pegawai": sources.siasn.pegawai(since=since),
        "dapodik_sekolah": sources.dapodik.sekolah(since=since),
        "dapodik_ptk": sources.dapodik.ptk(since=since),
        "dapodik_tugas_tambahan": sources.dapodik.tugas_tambahan(since=since),
        "pmm_skp": sources.pmm.skp(since=since),
        "siasn_jabatan": sources.siasn.jabatan(since=since),
        "siasn_angka_kredit": sources.siasn.angka_kredit(since=since),
        "pmm_predikat": sources.pmm.predikat(since=since),
        "pmm_predikat_organisasi": sources.pmm.predikat_organisasi(since=since),
    }


def unor_tree(sources: Sources, batches: list[Batch]) -> Batch:
    """The units of ``batches`` with all their parent units, one request per level."""
    unor = Batch.merge(batches, ["siasn_unor"])
    for _ in range(MAX_UNOR_DEPTH):
        have = set(unor.values("siasn_unor", "unor_id"))
        missing = sorted(set(unor.values("siasn_unor", "parent_unor_id")) - have)
        if not missing:
            break
        parents = sources.siasn.unor(unor_id=missing)
        if not parents["siasn_unor"].height:
            break  # dangling parents: nothing more to follow
        unor = Batch.merge([unor, parents], ["siasn_unor"])
    return unor
