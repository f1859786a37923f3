"""A synthetic, realistic snapshot of the four systems, with known injected faults.

``generate(pegawai)`` builds the data of PMM, e-Kinerja, SIASN and Dapodik for one year as
they look in the sync season (snapshot taken mid-October of ``tahun``): nearly all plans
agreed in PMM, about 30% of pegawai already synced into e-Kinerja, and a small share of every
data disparity that ``errors.md`` describes. Alongside comes the *manifest*: for every pegawai
in scope the error codes that the rules of ``errors.md`` say hold. It is the oracle of the
end-to-end tests and the workload of the benchmarks.

Everything is vectorised (polars expressions over row indices; Python loops only over
instansi and batches), so the national scale (2.03 million pegawai, 17 million RHK) takes
about 20 seconds and 5 GB on two cores. Randomness is a counter-based hash (splitmix64 of a
seed, a named stream and the row number), so a seed gives the same snapshot on every run,
whatever the batch size.

Faults are injected one per victim, victims drawn disjointly, so that the manifest follows
from the injection and its knock-on effects:

* instansi level (only with 8 or more instansi; about 0.6% and 1.1% of them): no yearly
  period for ``tahun``, or two per-semester ones (PMM-06 for every pegawai there, who are
  otherwise fault-free and not synced); a broken periodic setup: both types, a number twice,
  or a number out of range (PER-01 for every pegawai there);
* school level, among schools with two teachers or more (0.5 to 1.2% of schools each): the
  school unit carries no NPSN (PMM-08 for all), the principal not synced yet (PMM-11 for the
  teachers), the unit inactive in e-Kinerja (PMM-03 for all), the unit's e-Kinerja superior
  still the former principal, now a pengawas with a hand-made SKP (PMM-12 for the teachers:
  their superior D is the PMM superior, the real principal, synced), the principal's
  e-Kinerja SKP made by hand (PMM-07 for the principal, PMM-13 for the teachers);
* teacher level, among teachers of fault-free schools (0.5 to 1.2% each): PMM-01 (NIP in
  Dapodik wrong or empty, found by NIK), PMM-02 (no SKP, or DRAF/DIAJUKAN/DISETUJUI),
  PMM-04 (jenis PTK of staff), PMM-05 (jabatan not Guru/FUNGSIONAL), PMM-06 (SKP from July
  of the year before to June), PMM-07 (a MANUAL e-Kinerja SKP), PMM-09 (not AKTIF, or
  HONORER), PMM-10 (SIASN unit of another school), PMM-12 (the PMM superior another
  principal, who is then D: PMM-13 beside it when D has an e-Kinerja SKP, else PMM-11),
  PMM-13 (an RHK without induk), PER-01 (assessments of the type the instansi does not use),
  PER-03 (no assessment yet), and rotations (two SKPs, no fault).

The penilaian codes of the manifest (PER-01/02/03) are computed from the generated tables.

The stages live in modules of their own, in the order they run: ``instansi`` (instansi and
their periods), ``pegawai`` (schools, pegawai, the faults they get, identities),
``siasn_dapodik`` (units, SIASN and Dapodik rows), ``skp`` (PMM SKP and RHK with their
e-Kinerja copies), ``penilaian`` (assessments), ``ekinerja`` (e-Kinerja SKP, the leaders'
stage of ``simulation/pimpinan.py`` and the year end of ``simulation/tahunan.py``) and
``manifest``; ``build`` holds what one stage leaves for the next, and ``randomness``, ``ids``,
``words`` and ``faults`` are what they draw from.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator.build import Build, ProgressFn, report
from selaras.simulation.generator.ekinerja import add_ekinerja, add_pimpinan, add_year_end
from selaras.simulation.generator.instansi import add_instansi, add_periode
from selaras.simulation.generator.manifest import manifest_of
from selaras.simulation.generator.pegawai import add_identitas, add_pegawai, add_sekolah
from selaras.simulation.generator.penilaian import add_penilaian
from selaras.simulation.generator.siasn_dapodik import add_siasn_dapodik
from selaras.simulation.generator.skp import add_pmm_skp, add_rhk

__all__ = ["Generated", "generate"]


MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "flow": pl.String(),
    "code": pl.String(),
}


@dataclass
class Generated:
    """A generated snapshot and the errors that must hold in it."""

    snapshot: Snapshot
    manifest: pl.DataFrame
    """Columns ``nip``, ``flow`` ("skp" or "penilaian"), ``code``: one row per error that the
    rules of errors.md say holds for that pegawai in scope; pegawai without rows have none."""


def generate(
    pegawai: int,
    *,
    seed: int = 1,
    tahun: int = 2026,
    instansi: int | None = None,
    progress: ProgressFn | None = None,
) -> Generated:
    """Generate a snapshot with ``pegawai`` ASN teachers and principals in scope.

    ``instansi`` is the number of regional governments (default: one per about 3,700
    pegawai, at least one). The same ``seed`` gives the same snapshot. ``progress`` is called
    as ``progress(stage, fraction)`` with a fraction from 0 to 1 as the work advances.
    """
    if pegawai < 1:
        raise ValueError("pegawai must be at least 1")
    if instansi is not None and instansi < 1:
        raise ValueError("instansi must be at least 1")
    b = Build(pegawai, seed, tahun, instansi, progress)
    b.report("instansi", 0.0)
    add_instansi(b)
    add_periode(b)
    b.report("sekolah", 0.01)
    add_sekolah(b)
    b.report("pegawai", 0.02)
    add_pegawai(b)
    b.report("identitas", 0.08)
    add_identitas(b)
    b.report("siasn_dapodik", 0.2)
    add_siasn_dapodik(b)
    b.report("pmm_skp", 0.34)
    add_pmm_skp(b)
    b.report("pmm_rhk", 0.4)
    add_rhk(b)
    b.report("pmm_penilaian", 0.74)
    add_penilaian(b)
    b.report("ekinerja", 0.86)
    add_ekinerja(b)
    # The year's ratings are set by the schools' leaders as the leadership stage leaves them.
    b.report("pimpinan", 0.88)
    add_pimpinan(b)
    b.report("tahunan", 0.9)
    add_year_end(b)
    b.report("manifest", 0.92)
    manifest = manifest_of(b)
    frames = b.frames
    # The working frames are no longer needed; free them before the snapshot is built.
    del b
    report(progress, "snapshot", 0.97)
    snapshot = Snapshot(frames)
    report(progress, "selesai", 1.0)
    return Generated(snapshot=snapshot, manifest=manifest)
