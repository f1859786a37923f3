"""Splitting a national batch into parts of whole instansi, to bound memory.

A pegawai's checks read only the data of their own instansi and of their superiors, so a batch
can be evaluated one group of instansi at a time with the same rules. Each part holds the
pegawai of its instansi and every row their checks and sync need (their PTK, plans, RHK and
assessments; the superiors' SIASN, PMM and e-Kinerja rows; the small reference tables whole).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import polars as pl

from selaras.domain.pegawai import principal_expr
from selaras.domain.snapshot import Snapshot

PART_PEGAWAI = 250_000
"""Pegawai per part: large enough for set-based speed, small enough to keep memory bounded."""

SNAPSHOT_PART_PEGAWAI = 125_000
"""Pegawai per part when the whole snapshot is held in memory beside the part (a snapshot read
from files): the national snapshot takes about 4.5 GiB, a part of 250,000 pegawai about 1.6 GiB
more while it is evaluated and synced."""


@dataclass
class Part:
    """One part of a batch: its snapshot and the pegawai it is about (None: all of them)."""

    snapshot: Snapshot
    nips: list[str] | None


def parts(
    s: Snapshot,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    size: int = PART_PEGAWAI,
) -> Iterator[Part]:
    """The batch of ``nips`` / ``instansi_id`` (default: everyone) as parts of whole instansi."""
    peg = s["siasn_pegawai"].select("nip", "instansi_id")
    if nips is not None:
        peg = peg.filter(pl.col("nip").is_in(list(nips)))
    if instansi_id is not None:
        peg = peg.filter(pl.col("instansi_id") == instansi_id)
    if peg.height <= size:
        yield Part(s, None if nips is None else peg["nip"].to_list())
        return
    sizes = peg.group_by("instansi_id").len().sort("instansi_id")
    group: list[str] = []
    count = 0
    for row in sizes.iter_rows(named=True):
        if group and count + row["len"] > size:
            yield _part(s, peg, group)
            group, count = [], 0
        group.append(row["instansi_id"])
        count += row["len"]
    if group:
        yield _part(s, peg, group)


def of_pegawai(s: Snapshot, nips: pl.Series) -> Snapshot:
    """The rows checking ``nips`` needs, cut from ``s`` (the whole snapshot or a part) as a part
    is: their rows, their superiors', and the superiors of every unit of the instansi in ``s``.

    A sync's second round checks only the teachers waiting on a superior just synced; on the
    rows of those teachers and their superiors it does the same work without the whole part's.
    """
    instansi = s["siasn_pegawai"].get_column("instansi_id").drop_nulls().unique().to_list()
    return _cut(s, nips.unique(), instansi)


def _part(s: Snapshot, peg: pl.DataFrame, instansi: list[str]) -> Part:
    nips = peg.filter(pl.col("instansi_id").is_in(instansi))["nip"]
    return Part(_cut(s, nips, instansi), nips.to_list())


def _cut(s: Snapshot, nips: pl.Series, instansi: list[str]) -> Snapshot:
    pegawai = s["siasn_pegawai"].filter(pl.col("nip").is_in(nips.implode()))
    unor = s["siasn_unor"].filter(pl.col("instansi_id").is_in(instansi))["unor_id"]
    ptk = s["dapodik_ptk"].filter(
        pl.col("nip").is_in(nips.implode()) | pl.col("nik").is_in(pegawai["nik"].drop_nulls().implode())
    )
    skp = s["pmm_skp"].filter(pl.col("ptk_id").is_in(ptk["ptk_id"].implode()))
    atasan = pl.concat(
        [
            s["ekinerja_unor"].filter(pl.col("unor_id").is_in(unor.implode()))["atasan_nip"],
            skp["atasan_nip"],
        ]
    ).drop_nulls()
    atasan = atasan.filter(~atasan.is_in(nips.implode())).unique()
    atasan_peg = s["siasn_pegawai"].filter(pl.col("nip").is_in(atasan.implode()))
    pegawai = pl.concat([pegawai, atasan_peg])
    # A superior's PTK as every pegawai's is found: by NIP, else by NIK (the superior's plan
    # decides PMM-13's cause).
    atasan_ptk = s["dapodik_ptk"].filter(
        pl.col("nip").is_in(atasan.implode()) | pl.col("nik").is_in(atasan_peg["nik"].drop_nulls().implode())
    )
    ptk = pl.concat([ptk, atasan_ptk]).unique("ptk_id", keep="first", maintain_order=True)
    skp = pl.concat([skp, s["pmm_skp"].filter(pl.col("ptk_id").is_in(atasan_ptk["ptk_id"].implode()))]).unique(
        "pmm_skp_id", keep="first", maintain_order=True
    )
    ptk = pl.concat([ptk, leader_ptk(s, skp["npsn"])]).unique("ptk_id", keep="first", maintain_order=True)
    owners = pl.concat([nips, atasan])
    ek_skp = s["ekinerja_skp"].filter(
        pl.col("nip").is_in(owners.implode()) | pl.col("pmm_skp_id").is_in(skp["pmm_skp_id"].implode())
    )
    return s.replace(
        siasn_pegawai=pegawai,
        dapodik_ptk=ptk,
        pmm_skp=skp,
        pmm_rhk=s["pmm_rhk"].filter(pl.col("pmm_skp_id").is_in(skp["pmm_skp_id"].implode())),
        pmm_penilaian=s["pmm_penilaian"].filter(pl.col("pmm_skp_id").is_in(skp["pmm_skp_id"].implode())),
        ekinerja_skp=ek_skp,
        ekinerja_rhk=s["ekinerja_rhk"].filter(pl.col("skp_id").is_in(ek_skp["skp_id"].implode())),
        ekinerja_penilaian=s["ekinerja_penilaian"].filter(pl.col("skp_id").is_in(ek_skp["skp_id"].implode())),
        # The year's end (annual.md): the PKO of the part's instansi's schools, as the store reads it.
        pmm_predikat_organisasi=s["pmm_predikat_organisasi"].filter(
            pl.col("npsn").is_in(s["dapodik_sekolah"].filter(pl.col("instansi_id").is_in(instansi))["npsn"].implode())
        ),
        pmm_predikat=s["pmm_predikat"].filter(pl.col("ptk_id").is_in(ptk["ptk_id"].implode())),
        siasn_jabatan=s["siasn_jabatan"].filter(pl.col("nip").is_in(nips.implode())),
        siasn_angka_kredit=s["siasn_angka_kredit"].filter(pl.col("nip").is_in(nips.implode())),
        ekinerja_predikat=s["ekinerja_predikat"].filter(pl.col("nip").is_in(nips.implode())),
    )


def leader_ptk(s: Snapshot, npsn: pl.Series) -> pl.DataFrame:
    """The PTK who may lead the schools ``npsn`` (duty holders and Kepala Sekolah), which the
    leader L(s) needs (leaders.md); none without Dapodik's duty file, where nothing reads them."""
    duty = s["dapodik_tugas_tambahan"]
    if duty.height == 0:
        return s["dapodik_ptk"].clear()
    holders = duty.filter(pl.col("npsn").is_in(npsn.implode()))["ptk_id"]
    return s["dapodik_ptk"].filter(
        pl.col("ptk_id").is_in(holders.implode()) | (pl.col("npsn").is_in(npsn.implode()) & principal_expr())
    )
