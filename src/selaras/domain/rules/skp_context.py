"""The frames the SKP rules share, each computed once per check (on first use).

A rule reads what it needs from :class:`SkpContext`; the superior D of PMM-11 and PMM-13, the
SKPs the SKP-level rules look at and the RHK links are defined here once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from selaras.domain.diagnosis import (
    BELUM_DI_SKP_ATASAN,
    INDUK_BUKAN_RHK_ATASAN,
    INDUK_KOSONG,
    PIMPINAN_BELUM_DIKLAIM,
)
from selaras.domain.pegawai import match_ptk
from selaras.domain.pimpinan import Kebijakan, ada_data_tugas, leaders
from selaras.domain.rules.common import DISEPAKATI, Scope, names, plans_of_year
from selaras.domain.snapshot import Snapshot


@dataclass
class SkpContext:
    """One check of flow SKP: the snapshot, the year, the scope, and the frames derived."""

    s: Snapshot
    tahun: int
    scope: Scope
    nips: Collection[str] | None = None
    synced: pl.Series | None = None
    """NIPs just synced on ``s`` (see :func:`selaras.domain.rules.evaluate.evaluate`)."""
    kebijakan: Kebijakan = field(default_factory=Kebijakan)
    """The check date and the instansi's Plt settings (leaders.md)."""

    @property
    def pegawai(self) -> pl.DataFrame:
        return self.scope.pegawai

    @cached_property
    def names(self) -> pl.DataFrame:
        return names(self.s)

    @cached_property
    def unit_by_npsn(self) -> pl.DataFrame:
        """The SIASN unit each school is matched to (an active one first, when several)."""
        return (
            self.s["siasn_unor"]
            .filter(pl.col("npsn").is_not_null())
            .sort(["npsn", "aktif", "unor_id"], descending=[False, True, False])
            .unique("npsn", keep="first", maintain_order=True)
            .select("npsn", pl.col("unor_id").alias("skp_unor_id"), pl.col("parent_unor_id"))
        )

    @cached_property
    def targets(self) -> pl.DataFrame:
        """The SKPs the SKP-level rules apply to, with school, unit, period and superior A.

        The agreed SKPs of the year; when none is agreed yet, all SKPs of the year, so the
        pegawai sees every other blocker at once (errors.md, Clarifications). ``atasan_ek`` is
        A: the e-Kinerja superior of the SKP's unit (of its parent for a principal).
        """
        s = self.s
        skp = self.scope.skp.join(
            self.pegawai.select("nip", "instansi_id", "instansi_nama", "kepala_sekolah"), on="nip", how="inner"
        )
        if ada_data_tugas(s):
            # Leadership is per school (leaders.md): an SKP is a leader's when its PTK leads
            # its school on the date (a Plt included), else a teacher's.
            lead = self.pimpinan.select("npsn", pl.col("ptk_id").alias("_l_ptk"))
            skp = (
                skp.join(lead, on="npsn", how="left")
                .with_columns((pl.col("ptk_id") == pl.col("_l_ptk")).fill_null(False).alias("kepala_sekolah"))
                .drop("_l_ptk")
            )
        skp = skp.with_columns((pl.col("status") == DISEPAKATI).any().over("nip").alias("ada_disepakati")).filter(
            ~pl.col("ada_disepakati") | (pl.col("status") == DISEPAKATI)
        )
        tahunan = (
            s["ekinerja_periode"]
            .filter(pl.col("jenis") == "TAHUNAN")
            .select("instansi_id", "periode_id", pl.col("awal").alias("p_awal"), pl.col("akhir").alias("p_akhir"))
        )
        periods = (
            skp.select("pmm_skp_id", "instansi_id", "periode_awal", "periode_akhir")
            .join(tahunan, on="instansi_id", how="inner")
            .filter((pl.col("p_awal") <= pl.col("periode_awal")) & (pl.col("p_akhir") >= pl.col("periode_akhir")))
            .sort("pmm_skp_id", "periode_id")
            .unique("pmm_skp_id", keep="first", maintain_order=True)
            .select("pmm_skp_id", "periode_id")
        )
        eu = s["ekinerja_unor"].select(
            pl.col("unor_id").alias("atasan_unor_id"),
            pl.col("atasan_nip").alias("atasan_ek"),
            pl.col("pimpinan_diklaim").fill_null(True),
        )
        sekolah = s["dapodik_sekolah"].select("npsn", pl.col("nama").alias("nama_sekolah"))
        return (
            skp.join(self.unit_by_npsn, on="npsn", how="left")
            .join(periods, on="pmm_skp_id", how="left")
            .with_columns(
                pl.when(pl.col("kepala_sekolah"))
                .then(pl.col("parent_unor_id"))
                .otherwise(pl.col("skp_unor_id"))
                .alias("atasan_unor_id")
            )
            .join(eu, on="atasan_unor_id", how="left")
            .join(sekolah, on="npsn", how="left")
        )

    @cached_property
    def matched(self) -> pl.DataFrame:
        """Targets whose school is matched to a unit (otherwise PMM-08 holds)."""
        return self.targets.filter(pl.col("skp_unor_id").is_not_null())

    @cached_property
    def teacher(self) -> pl.DataFrame:
        """A teacher's matched targets with both superiors named and the superior D resolved.

        ``pmm12``: A differs from the PMM superior (PMM-12 holds). ``atasan``: D, the superior
        whose e-Kinerja SKP the teacher's RHK must link to: A, unless PMM-12 holds; then the
        PMM superior when SIASN knows that NIP, else null. ``d_dinilai``: PMM-11 and PMM-13 can
        be evaluated (not when PMM-12 holds and D is unknown to SIASN).
        """
        siasn = self.s["siasn_pegawai"].select(pl.col("nip").alias("atasan_pmm"), pl.lit(True).alias("pmm_dikenal"))
        n = self.names
        t = (
            self.matched.filter(~pl.col("kepala_sekolah"))
            .join(n.rename({"nip": "atasan_pmm", "nama": "atasan_pmm_nama"}), on="atasan_pmm", how="left")
            .join(n.rename({"nip": "atasan_ek", "nama": "atasan_ek_nama"}), on="atasan_ek", how="left")
            .join(siasn.unique("atasan_pmm"), on="atasan_pmm", how="left")
            .with_columns(
                (
                    pl.col("atasan_pmm").is_not_null() & (pl.col("atasan_ek") != pl.col("atasan_pmm")).fill_null(True)
                ).alias("pmm12")
            )
        )
        return t.with_columns(
            pl.when(~pl.col("pmm12"))
            .then(pl.col("atasan_ek"))
            .when(pl.col("pmm_dikenal").fill_null(False))
            .then(pl.col("atasan_pmm"))
            .alias("atasan"),
            pl.when(~pl.col("pmm12"))
            .then(pl.col("atasan_ek_nama"))
            .otherwise(pl.col("atasan_pmm_nama"))
            .alias("atasan_nama"),
            (~pl.col("pmm12") | pl.col("pmm_dikenal").fill_null(False)).alias("d_dinilai"),
        )

    @cached_property
    def waiting(self) -> pl.DataFrame:
        """Teacher targets on which PMM-11 and PMM-13 are evaluated (a period, D resolvable),
        with ``atasan_skp_id``: D's e-Kinerja SKP for the period, if any (a MANUAL one counts)."""
        ek = (
            self.s["ekinerja_skp"]
            .sort("nip", "periode_id", "sumber", "skp_id", descending=[False, False, True, False])
            .unique(["nip", "periode_id"], keep="first", maintain_order=True)
            .select(pl.col("nip").alias("atasan"), "periode_id", pl.col("skp_id").alias("atasan_skp_id"))
        )
        return self.teacher.filter(pl.col("periode_id").is_not_null() & pl.col("d_dinilai")).join(
            ek, on=["atasan", "periode_id"], how="left"
        )

    def atasan_ek_rhk(self) -> pl.DataFrame:
        """e-Kinerja RHK carrying a PMM RHK id, by (owner NIP ``link_owner``, period,
        ``induk_pmm_rhk_id``), with its ``induk_rhk_id``; a PMM-synced SKP's RHK first."""
        s = self.s
        # Only the RHK some PMM RHK names as its parent can be linked to: the others need not
        # be sorted (most e-Kinerja RHK are teachers', which nobody names).
        parents = s["pmm_rhk"].get_column("induk_pmm_rhk_id").drop_nulls().unique()
        return (
            s["ekinerja_skp"]
            .select(pl.col("nip").alias("link_owner"), "periode_id", "skp_id", "sumber")
            .join(
                s["ekinerja_rhk"]
                .filter(pl.col("pmm_rhk_id").is_in(parents.implode()))
                .select("skp_id", "rhk_id", "pmm_rhk_id"),
                on="skp_id",
                how="inner",
            )
            .sort(
                "link_owner",
                "periode_id",
                "pmm_rhk_id",
                "sumber",
                "rhk_id",
                descending=[False, False, False, True, False],
            )
            .unique(["link_owner", "periode_id", "pmm_rhk_id"], keep="first", maintain_order=True)
            .select(
                "link_owner",
                "periode_id",
                pl.col("pmm_rhk_id").alias("induk_pmm_rhk_id"),
                pl.col("rhk_id").alias("induk_rhk_id"),
            )
        )

    @cached_property
    def rhk(self) -> pl.DataFrame:
        """The PMM RHK of every target SKP, each with the e-Kinerja RHK of the superior D it
        links to (``induk_rhk_id``; none for a principal's RHK).

        D is A except while PMM-12 holds, when the pegawai fails anyway: so for every pegawai
        the sync writes, this is the link to A's RHK; and one join serves the sync and PMM-13.
        """
        d = self.teacher.select("pmm_skp_id", "pmm12", pl.col("atasan").alias("_d"))
        # The owner of the RHK to link to is the SKP's: found once per SKP, and joined to the
        # RHK with the rest of the SKP's columns (one join over the RHK less).
        per_skp = (
            self.targets.select("pmm_skp_id", "nip", "kepala_sekolah", "periode_id", "atasan_ek")
            .join(d, on="pmm_skp_id", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("pmm12").fill_null(False))
                .then(pl.col("_d"))
                .otherwise(pl.col("atasan_ek"))
                .alias("link_owner")
            )
            .drop("pmm12", "_d")
        )
        return (
            self.s["pmm_rhk"]
            .join(per_skp, on="pmm_skp_id", how="inner")
            .join(self.atasan_ek_rhk(), on=["link_owner", "periode_id", "induk_pmm_rhk_id"], how="left")
            .with_columns(
                pl.when(pl.col("kepala_sekolah")).then(None).otherwise(pl.col("induk_rhk_id")).alias("induk_rhk_id")
            )
            .drop("link_owner")
        )

    @cached_property
    def atasan_pmm_rhk(self) -> pl.DataFrame:
        """D's agreed PMM plan of the year, per RHK: ``atasan``, ``pmm_rhk_id``, ``uraian``
        (D matched to Dapodik by NIP, then NIK, as every pegawai is)."""
        d = self.waiting.select("atasan").drop_nulls().unique()
        peg = d.join(self.s["siasn_pegawai"].select("nip", "nik"), left_on="atasan", right_on="nip", how="left")
        peg = peg.select(pl.col("atasan").alias("nip"), "nik")
        matched = match_ptk(peg, self.s["dapodik_ptk"]).select("nip", "ptk_id")
        skp = plans_of_year(self.s, self.tahun, matched, peg["nip"]).filter(pl.col("status") == DISEPAKATI)
        return (
            skp.select(pl.col("nip").alias("atasan"), "pmm_skp_id")
            .join(self.s["pmm_rhk"].select("pmm_skp_id", "pmm_rhk_id", "uraian"), on="pmm_skp_id", how="inner")
            .select("atasan", "pmm_rhk_id", "uraian")
            .unique(["atasan", "pmm_rhk_id"], keep="first")
            .sort("atasan", "pmm_rhk_id")
        )

    @cached_property
    def unlinked(self) -> pl.DataFrame:
        """Per teacher RHK that cannot link to D's e-Kinerja SKP (D has one): its ``alasan``.

        INDUK_KOSONG: no parent in PMM; INDUK_BUKAN_RHK_ATASAN: the parent is not in D's agreed
        PMM plan; BELUM_DI_SKP_ATASAN: it is, but D's e-Kinerja SKP does not carry it.
        """
        # A unit whose head has not claimed it (leaders.md) links nothing: every RHK of the
        # teacher's SKP waits on the claim (D = A only), whether or not D has an SKP yet.
        linkable = self.waiting.select(
            "pmm_skp_id",
            "atasan",
            pl.col("atasan_skp_id").is_not_null().alias("_ada_skp"),
            (~pl.col("pmm12") & ~pl.col("pimpinan_diklaim").fill_null(True)).alias("_belum_diklaim"),
        ).filter(pl.col("_ada_skp") | pl.col("_belum_diklaim"))
        in_plan = self.atasan_pmm_rhk.select(
            "atasan",
            pl.col("pmm_rhk_id").alias("induk_pmm_rhk_id"),
            pl.col("uraian").alias("induk_uraian"),
            pl.lit(True).alias("di_rencana_atasan"),
        )
        return (
            self.rhk.select("pmm_skp_id", "nip", "pmm_rhk_id", "uraian", "induk_pmm_rhk_id", "induk_rhk_id")
            .join(linkable, on="pmm_skp_id", how="inner")
            .filter(pl.col("induk_rhk_id").is_null() | pl.col("_belum_diklaim"))
            .join(in_plan, on=["atasan", "induk_pmm_rhk_id"], how="left")
            .with_columns(
                pl.when(pl.col("_belum_diklaim") & (pl.col("induk_rhk_id").is_not_null() | ~pl.col("_ada_skp")))
                .then(pl.lit(PIMPINAN_BELUM_DIKLAIM))
                .when(pl.col("induk_pmm_rhk_id").is_null())
                .then(pl.lit(INDUK_KOSONG))
                .when(pl.col("di_rencana_atasan").is_null())
                .then(pl.lit(INDUK_BUKAN_RHK_ATASAN))
                .otherwise(pl.lit(BELUM_DI_SKP_ATASAN))
                .alias("alasan")
            )
            .drop("_ada_skp", "_belum_diklaim")
            .sort("nip", "pmm_skp_id", "pmm_rhk_id")
        )

    @cached_property
    def pimpinan(self) -> pl.DataFrame:
        """L(s) of every target's school on the check date (:mod:`selaras.domain.pimpinan`)."""
        return leaders(self.s, self.kebijakan, self.scope.skp["npsn"].unique())

    @cached_property
    def teacher_leader(self) -> pl.DataFrame:
        """A teacher's targets with the school's leader (``l_``-prefixed columns; nulls when the
        school has none). Not the targets of the school's own leader: PLT codes are teacher-only."""
        lead = self.pimpinan.select(
            "npsn",
            pl.col("ptk_id").alias("l_ptk_id"),
            pl.col("jenis").alias("l_jenis"),
            pl.col("nip").alias("l_nip"),
            pl.col("ptk_nama").alias("l_nama"),
            pl.col("nomor_sk").alias("l_nomor_sk"),
            pl.col("tmt").alias("l_tmt"),
            pl.col("tst").alias("l_tst"),
            pl.col("sekolah_induk").alias("l_sekolah_induk"),
            pl.col("jenis_ptk_ks").alias("l_jenis_ptk_ks"),
            pl.col("sk_kurang").alias("l_sk_kurang"),
            pl.col("tmt_kosong").alias("l_tmt_kosong"),
            pl.col("sah").alias("l_sah"),
            pl.col("akhir_masa").alias("l_akhir_masa"),
            pl.col("berakhir").alias("l_berakhir"),
            pl.col("plt_masa_bulan").alias("l_masa_bulan"),
        )
        setelan = self.kebijakan.of_instansi(self.pegawai.select("instansi_id").unique())
        return (
            self.targets.filter(~pl.col("kepala_sekolah"))
            .join(lead, on="npsn", how="left")
            .filter(pl.col("l_ptk_id").is_null() | (pl.col("l_ptk_id") != pl.col("ptk_id")))
            .join(setelan, on="instansi_id", how="left")
        )
