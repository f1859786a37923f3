"""The checks of ``errors.md``, each rule defined once and evaluated set-based.

Every rule is a data-frame expression over the whole scope, so the same definitions serve one
pegawai pressing "Sinkron PMM" (a snapshot filtered to that pegawai) and the national batch (two
million pegawai in one pass). :func:`evaluate` returns the intermediate frames that the sync plan
(:mod:`selaras.domain.sync`) also needs, so the sync writes exactly what the check compared.

Each error row carries ``detail``: a JSON object keyed by source system (``siasn``,
``dapodik``, ``pmm``, ``ekinerja``) holding that system's values, so they can be shown side by
side, plus context such as the SKP concerned.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import polars as pl

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.partition import PART_PEGAWAI, parts
from selaras.domain.results import ERROR_SCHEMA, PEGAWAI_SCHEMA, CheckResult, Flow, Status
from selaras.domain.snapshot import Snapshot

JENIS_PTK_BOLEH: tuple[str, ...] = (
    "Guru Mapel",
    "Guru Kelas",
    "Guru BK",
    "Guru Pengganti",
    "Guru TIK",
    "Guru Pendamping",
    "Guru Pendamping Khusus",
    "Guru Pembimbing Khusus",
    "Play Group Teacher",
    "Kindergarten Teacher",
    "Kepala Sekolah",
)
"""The 11 PTK types that may use PMM performance management (domain.md)."""

KEPALA_SEKOLAH = "Kepala Sekolah"
JENIS_ASN = ("PNS", "PPPK")
DISEPAKATI = "DISEPAKATI"
RANGE_PERIODIK = {"BULANAN": 12, "TRIWULANAN": 4}

ERR_COLS = ["nip", "code", "pmm_skp_id", "detail", "selesai_oleh", "atasan"]


@dataclass
class Evaluation:
    """Everything one check computed; the sync plan reads the same frames.

    ``pegawai``: the scope with status; ``errors``: every error that holds; ``targets``: the
    SKPs the check looked at, with their unit, period and superior; ``rhk``: the PMM RHK of
    those SKPs with the principal's e-Kinerja RHK each one links to.
    """

    tahun: int
    flow: Flow
    pegawai: pl.DataFrame
    errors: pl.DataFrame
    targets: pl.DataFrame
    rhk: pl.DataFrame
    penilaian: pl.DataFrame

    def result(self) -> CheckResult:
        return CheckResult(
            tahun=self.tahun,
            flow=self.flow,
            pegawai=self.pegawai.select(list(PEGAWAI_SCHEMA)),
            errors=self.errors.select(list(ERROR_SCHEMA)),
        )


def check(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    part_size: int = PART_PEGAWAI,
) -> CheckResult:
    """Check the pegawai in scope (all, or only ``nips`` / one instansi) for ``tahun``.

    A large batch is evaluated in parts of whole instansi (:mod:`selaras.domain.partition`),
    which bounds memory; the rules are the same for every part.
    """
    results = [
        evaluate(p.snapshot, tahun, flow, p.nips, instansi_id).result()
        for p in parts(snapshot, nips, instansi_id, part_size)
    ]
    return CheckResult.concat(tahun, flow, results)


def evaluate(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
) -> Evaluation:
    """Evaluate every rule of ``flow`` for the pegawai in scope; see :class:`Evaluation`."""
    base = _base(snapshot, tahun, nips, instansi_id)
    if flow is Flow.SKP:
        return _evaluate_skp(snapshot, tahun, base, nips)
    return _evaluate_penilaian(snapshot, tahun, base)


# --- who the pegawai is, and which SKPs are looked at ------------------------------------


@dataclass
class _Base:
    pegawai: pl.DataFrame  # scope: siasn columns + kepala_sekolah, npsn, primary PTK columns
    skp: pl.DataFrame  # PMM SKPs of the year of the pegawai in scope


def _base(s: Snapshot, tahun: int, nips: Collection[str] | None, instansi_id: str | None) -> _Base:
    peg = s["siasn_pegawai"]
    if nips is not None:
        peg = peg.filter(pl.col("nip").is_in(list(nips)))
    if instansi_id is not None:
        peg = peg.filter(pl.col("instansi_id") == instansi_id)

    ptk = s["dapodik_ptk"].select(
        "ptk_id",
        "jenis_ptk",
        "tugas_tambahan",
        pl.col("nip").alias("ptk_nip"),
        pl.col("nik").alias("ptk_nik"),
        pl.col("nama").alias("ptk_nama"),
        pl.col("npsn").alias("ptk_npsn"),
    )
    by_nip = peg.select("nip").join(ptk, left_on="nip", right_on="ptk_nip", how="inner")
    by_nip = by_nip.with_columns(pl.col("nip").alias("ptk_nip"), pl.lit("NIP").alias("via"))
    no_nip = peg.filter(~pl.col("nip").is_in(by_nip["nip"].implode()) & pl.col("nik").is_not_null())
    by_nik = no_nip.select("nip", "nik").join(ptk, left_on="nik", right_on="ptk_nik", how="inner")
    by_nik = by_nik.with_columns(pl.col("nik").alias("ptk_nik"), pl.lit("NIK").alias("via"))
    cols = ["nip", "ptk_id", "via", "jenis_ptk", "tugas_tambahan", "ptk_nip", "ptk_nama", "ptk_npsn"]
    matched = pl.concat([by_nip.select(cols), by_nik.select(cols)]).sort("nip", "ptk_id")

    kepala = matched.group_by("nip").agg(
        ((pl.col("jenis_ptk") == KEPALA_SEKOLAH) | (pl.col("tugas_tambahan") == KEPALA_SEKOLAH))
        .fill_null(False)
        .any()
        .alias("kepala_sekolah")
    )
    primary = matched.unique("nip", keep="first", maintain_order=True)

    unor = s["siasn_unor"]
    in_scope = peg.filter(
        pl.col("nip").is_in(matched["nip"].implode()) | pl.col("jabatan_nama").str.starts_with("Guru").fill_null(False)
    )
    pegawai = (
        in_scope.join(kepala, on="nip", how="left")
        .join(primary.rename({"ptk_id": "primary_ptk_id"}), on="nip", how="left")
        .join(
            unor.select(
                pl.col("unor_id"),
                pl.col("npsn").alias("unor_npsn"),
                pl.col("nama").alias("unor_nama"),
                pl.col("aktif").alias("siasn_aktif"),
            ),
            on="unor_id",
            how="left",
        )
        .join(
            s["ekinerja_unor"].select("unor_id", pl.col("aktif").alias("ekinerja_aktif")),
            on="unor_id",
            how="left",
        )
        .with_columns(
            pl.col("kepala_sekolah").fill_null(False),
            pl.coalesce("unor_npsn", "ptk_npsn").alias("npsn"),
        )
    )

    lo, hi = date(tahun, 1, 1), date(tahun, 12, 31)
    skp = (
        s["pmm_skp"]
        .filter((pl.col("periode_awal") <= hi) & (pl.col("periode_akhir") >= lo))
        .join(matched.select("nip", "ptk_id"), on="ptk_id", how="inner")
        .filter(pl.col("nip").is_in(pegawai["nip"].implode()))
        .rename({"atasan_nip": "atasan_pmm"})
    )
    return _Base(pegawai=pegawai, skp=skp)


def _err(df: pl.DataFrame, code: str, detail: pl.Expr, skp: bool = False, atasan: str | None = None) -> pl.DataFrame:
    """Rows of error ``code`` for every row of ``df``, with ``detail`` encoded as JSON.

    ``atasan`` names the column holding the superior whose sync the error waits on.
    """
    return df.select(
        pl.col("nip"),
        pl.lit(code).alias("code"),
        (pl.col("pmm_skp_id") if skp else pl.lit(None, pl.String)).alias("pmm_skp_id"),
        detail.struct.json_encode().alias("detail"),
        pl.lit(None, pl.String).alias("selesai_oleh"),
        (pl.col(atasan) if atasan else pl.lit(None, pl.String)).alias("atasan"),
    )


def _pegawai_errors(p: pl.DataFrame) -> list[pl.DataFrame]:
    """The rules about who the pegawai is and where they work (no SKP needed)."""
    out = []
    not_asn = (pl.col("status") != "AKTIF") | ~pl.col("jenis_asn").is_in(JENIS_ASN).fill_null(False)
    out.append(_err(p.filter(not_asn), "PMM-09", pl.struct(pl.struct("status", "jenis_asn").alias("siasn"))))

    no_nip = p.filter(pl.col("via").is_null() | (pl.col("ptk_nip") != pl.col("nip")).fill_null(True))
    out.append(
        _err(
            no_nip,
            "PMM-01",
            pl.struct(
                pl.struct("nip", "nik", "nama").alias("siasn"),
                pl.struct(
                    pl.col("primary_ptk_id").alias("ptk_id"),
                    pl.col("ptk_nip").alias("nip"),
                    pl.col("ptk_nama").alias("nama"),
                    pl.col("ptk_npsn").alias("npsn"),
                ).alias("dapodik"),
            ),
        )
    )

    bad_jenis = p.filter(pl.col("primary_ptk_id").is_not_null() & ~pl.col("jenis_ptk").is_in(JENIS_PTK_BOLEH))
    out.append(
        _err(
            bad_jenis,
            "PMM-04",
            pl.struct(
                pl.struct(
                    pl.col("primary_ptk_id").alias("ptk_id"), "jenis_ptk", pl.col("ptk_npsn").alias("npsn")
                ).alias("dapodik")
            ),
        )
    )

    bad_jabatan = p.filter(
        (pl.col("jabatan_jenis") != "FUNGSIONAL").fill_null(True)
        | ~pl.col("jabatan_nama").str.starts_with("Guru").fill_null(False)
    )
    out.append(_err(bad_jabatan, "PMM-05", pl.struct(pl.struct("jabatan_nama", "jabatan_jenis").alias("siasn"))))

    def state(aktif: str) -> pl.Expr:
        return (
            pl.when(pl.col(aktif).is_null())
            .then(pl.lit("TIDAK_ADA"))
            .when(pl.col(aktif))
            .then(pl.lit("AKTIF"))
            .otherwise(pl.lit("TIDAK_AKTIF"))
        )

    bad_unit = p.filter(~(pl.col("siasn_aktif").fill_null(False) & pl.col("ekinerja_aktif").fill_null(False)))
    out.append(
        _err(
            bad_unit,
            "PMM-03",
            pl.struct(
                pl.struct("unor_id", pl.col("unor_nama").alias("nama"), state("siasn_aktif").alias("unor")).alias(
                    "siasn"
                ),
                pl.struct("unor_id", state("ekinerja_aktif").alias("unor")).alias("ekinerja"),
            ),
        )
    )
    return out


# --- flow SKP -----------------------------------------------------------------------------


def _names(s: Snapshot) -> pl.DataFrame:
    """NIP -> name, from SIASN, else from Dapodik."""
    siasn = s["siasn_pegawai"].select("nip", "nama")
    ptk = s["dapodik_ptk"].filter(pl.col("nip").is_not_null()).select("nip", "nama")
    return pl.concat([siasn, ptk]).unique("nip", keep="first", maintain_order=True)


def _unit_by_npsn(s: Snapshot) -> pl.DataFrame:
    """The SIASN unit each school is matched to (an active one first, when several)."""
    return (
        s["siasn_unor"]
        .filter(pl.col("npsn").is_not_null())
        .sort(["npsn", "aktif", "unor_id"], descending=[False, True, False])
        .unique("npsn", keep="first", maintain_order=True)
        .select("npsn", pl.col("unor_id").alias("skp_unor_id"), pl.col("parent_unor_id"))
    )


def _tahunan(s: Snapshot) -> pl.DataFrame:
    return (
        s["ekinerja_periode"]
        .filter(pl.col("jenis") == "TAHUNAN")
        .select("instansi_id", "periode_id", pl.col("awal").alias("p_awal"), pl.col("akhir").alias("p_akhir"))
    )


def _targets(s: Snapshot, base: _Base) -> pl.DataFrame:
    """The SKPs the SKP-level rules apply to, with unit, period and superior resolved.

    The agreed SKPs of the year; when none is agreed yet, all SKPs of the year, so the pegawai
    sees every other blocker at once (errors.md, Clarifications).
    """
    skp = base.skp.join(base.pegawai.select("nip", "instansi_id", "kepala_sekolah"), on="nip", how="inner")
    skp = skp.with_columns((pl.col("status") == DISEPAKATI).any().over("nip").alias("ada_disepakati")).filter(
        ~pl.col("ada_disepakati") | (pl.col("status") == DISEPAKATI)
    )

    periods = (
        skp.select("pmm_skp_id", "instansi_id", "periode_awal", "periode_akhir")
        .join(_tahunan(s), on="instansi_id", how="inner")
        .filter((pl.col("p_awal") <= pl.col("periode_awal")) & (pl.col("p_akhir") >= pl.col("periode_akhir")))
        .sort("pmm_skp_id", "periode_id")
        .unique("pmm_skp_id", keep="first", maintain_order=True)
        .select("pmm_skp_id", "periode_id")
    )
    eu = s["ekinerja_unor"].select("unor_id", "atasan_nip")
    skp = (
        skp.join(_unit_by_npsn(s), on="npsn", how="left")
        .join(periods, on="pmm_skp_id", how="left")
        .with_columns(
            pl.when(pl.col("kepala_sekolah"))
            .then(pl.col("parent_unor_id"))
            .otherwise(pl.col("skp_unor_id"))
            .alias("atasan_unor_id")
        )
        .join(eu.rename({"unor_id": "atasan_unor_id", "atasan_nip": "atasan_ek"}), on="atasan_unor_id", how="left")
    )
    return skp


def _atasan_rhk(s: Snapshot) -> pl.DataFrame:
    """e-Kinerja RHK that carry a PMM RHK id, by (owner NIP, period, PMM RHK id)."""
    return (
        s["ekinerja_skp"]
        .select(pl.col("nip").alias("atasan_ek"), "periode_id", "skp_id", "sumber")
        .join(
            s["ekinerja_rhk"].filter(pl.col("pmm_rhk_id").is_not_null()).select("skp_id", "rhk_id", "pmm_rhk_id"),
            on="skp_id",
            how="inner",
        )
        .sort(
            "atasan_ek", "periode_id", "pmm_rhk_id", "sumber", "rhk_id", descending=[False, False, False, True, False]
        )
        .unique(["atasan_ek", "periode_id", "pmm_rhk_id"], keep="first", maintain_order=True)
        .select(
            "atasan_ek",
            "periode_id",
            pl.col("pmm_rhk_id").alias("induk_pmm_rhk_id"),
            pl.col("rhk_id").alias("induk_rhk_id"),
        )
    )


def _evaluate_skp(s: Snapshot, tahun: int, base: _Base, nips: Collection[str] | None) -> Evaluation:
    p = base.pegawai
    errors = _pegawai_errors(p)
    names = _names(s)

    agreed = base.skp.group_by("nip").agg(
        (pl.col("status") == DISEPAKATI).any().alias("ok"),
        pl.col("status").unique().sort().alias("status"),
    )
    no_plan = p.select("nip").join(agreed, on="nip", how="left").filter(~pl.col("ok").fill_null(False))
    errors.append(
        _err(
            no_plan,
            "PMM-02",
            pl.struct(
                pl.struct(pl.col("status").fill_null(pl.lit([], pl.List(pl.String))).alias("status_skp")).alias("pmm")
            ),
        )
    )

    t = _targets(s, base)
    sekolah = s["dapodik_sekolah"].select("npsn", pl.col("nama").alias("nama_sekolah"))
    t = t.join(sekolah, on="npsn", how="left")

    unmatched = t.filter(pl.col("skp_unor_id").is_null())
    errors.append(
        _err(
            unmatched,
            "PMM-08",
            pl.struct(
                "pmm_skp_id",
                pl.struct("npsn", "nama_sekolah").alias("pmm"),
                pl.struct(pl.lit(None, pl.String).alias("unor_id")).alias("siasn"),
            ),
            skp=True,
        )
    )

    matched = t.filter(pl.col("skp_unor_id").is_not_null())
    home = p.select("nip", pl.col("unor_npsn").alias("npsn_siasn"), "unor_id", "unor_nama")
    mismatch = (
        matched.join(home, on="nip", how="inner")
        .group_by("nip")
        .agg(
            (pl.col("npsn") == pl.col("npsn_siasn")).fill_null(False).any().alias("ok"),
            pl.col("npsn").unique().sort().alias("npsn_pmm"),
            pl.col("npsn_siasn").first(),
            pl.col("unor_id").first(),
            pl.col("unor_nama").first(),
        )
        .filter(~pl.col("ok"))
    )
    errors.append(
        _err(
            mismatch,
            "PMM-10",
            pl.struct(
                pl.struct(pl.col("npsn_pmm").alias("npsn")).alias("pmm"),
                pl.struct("unor_id", pl.col("unor_nama").alias("nama"), pl.col("npsn_siasn").alias("npsn")).alias(
                    "siasn"
                ),
            ),
        )
    )

    no_period = t.filter(pl.col("periode_id").is_null())
    errors.append(
        _err(
            no_period,
            "PMM-06",
            pl.struct(
                "pmm_skp_id",
                pl.struct("periode_awal", "periode_akhir").alias("pmm"),
                pl.struct(
                    "instansi_id", pl.lit("TAHUNAN").alias("jenis"), pl.lit(None, pl.String).alias("periode_id")
                ).alias("ekinerja"),
            ),
            skp=True,
        )
    )

    manual = (
        s["ekinerja_skp"]
        .filter(pl.col("sumber") == "MANUAL")
        .select("nip", "periode_id", pl.col("unor_id").alias("skp_unor_id"), pl.col("skp_id").alias("skp_manual"))
        .unique(["nip", "periode_id", "skp_unor_id"], keep="first", maintain_order=True)
    )
    with_manual = t.join(manual, on=["nip", "periode_id", "skp_unor_id"], how="inner")
    errors.append(
        _err(
            with_manual,
            "PMM-07",
            pl.struct(
                "pmm_skp_id",
                pl.struct(
                    pl.col("skp_manual").alias("skp_id"),
                    pl.lit("MANUAL").alias("sumber"),
                    "periode_id",
                    pl.col("skp_unor_id").alias("unor_id"),
                ).alias("ekinerja"),
            ),
            skp=True,
        )
    )

    teacher = matched.filter(~pl.col("kepala_sekolah"))
    teacher = teacher.join(
        names.rename({"nip": "atasan_pmm", "nama": "atasan_pmm_nama"}), on="atasan_pmm", how="left"
    ).join(names.rename({"nip": "atasan_ek", "nama": "atasan_ek_nama"}), on="atasan_ek", how="left")
    wrong_atasan = teacher.filter(
        pl.col("atasan_pmm").is_not_null() & (pl.col("atasan_ek") != pl.col("atasan_pmm")).fill_null(True)
    )
    errors.append(
        _err(
            wrong_atasan,
            "PMM-12",
            pl.struct(
                "pmm_skp_id",
                pl.struct(
                    pl.col("atasan_pmm").alias("atasan_nip"), pl.col("atasan_pmm_nama").alias("atasan_nama")
                ).alias("pmm"),
                pl.struct(
                    pl.col("atasan_ek").alias("atasan_nip"),
                    pl.col("atasan_ek_nama").alias("atasan_nama"),
                    pl.col("atasan_unor_id").alias("unor_id"),
                ).alias("ekinerja"),
            ),
            skp=True,
        )
    )

    atasan_skp = (
        s["ekinerja_skp"]
        .select(pl.col("nip").alias("atasan_ek"), "periode_id")
        .unique()
        .with_columns(pl.lit(True).alias("atasan_punya_skp"))
    )
    teacher = (
        teacher.filter(pl.col("periode_id").is_not_null())
        .join(atasan_skp, on=["atasan_ek", "periode_id"], how="left")
        .with_columns(pl.col("atasan_punya_skp").fill_null(False))
    )
    no_org = teacher.filter(~pl.col("atasan_punya_skp"))
    errors.append(
        _err(
            no_org,
            "PMM-11",
            pl.struct(
                "pmm_skp_id",
                pl.struct(
                    pl.col("atasan_ek").alias("atasan_nip"), pl.col("atasan_ek_nama").alias("atasan_nama"), "periode_id"
                ).alias("ekinerja"),
            ),
            skp=True,
            atasan="atasan_ek",
        )
    )

    # RHK of every target SKP, each with the superior's e-Kinerja RHK it links to.
    rhk = (
        s["pmm_rhk"]
        .join(t.select("pmm_skp_id", "nip", "kepala_sekolah", "periode_id", "atasan_ek"), on="pmm_skp_id", how="inner")
        .join(_atasan_rhk(s), on=["atasan_ek", "periode_id", "induk_pmm_rhk_id"], how="left")
        .with_columns(
            pl.when(pl.col("kepala_sekolah")).then(None).otherwise(pl.col("induk_rhk_id")).alias("induk_rhk_id")
        )
    )
    linkable = teacher.filter(pl.col("atasan_punya_skp")).select("pmm_skp_id", "atasan_ek", "atasan_ek_nama")
    unlinked = (
        rhk.join(linkable.select("pmm_skp_id"), on="pmm_skp_id", how="inner")
        .filter(pl.col("induk_rhk_id").is_null())
        .group_by("nip", "pmm_skp_id", maintain_order=True)
        .agg(
            pl.struct("pmm_rhk_id", "uraian", "induk_pmm_rhk_id").alias("rhk"),
            pl.col("induk_pmm_rhk_id").alias("induk"),
        )
        .join(linkable, on="pmm_skp_id", how="left")
    )
    errors.append(
        _err(
            unlinked,
            "PMM-13",
            pl.struct(
                "pmm_skp_id",
                pl.struct(pl.col("rhk").alias("rhk_tidak_terkait")).alias("pmm"),
                pl.struct(pl.col("atasan_ek").alias("atasan_nip"), pl.col("atasan_ek_nama").alias("atasan_nama")).alias(
                    "ekinerja"
                ),
            ),
            skp=True,
            atasan="atasan_ek",
        )
    )

    errors_df = pl.concat(errors, how="vertical")
    pegawai = _with_status(p, errors_df, _synced_skp(s, t, rhk))
    errors_df = _mark_cleared(s, tahun, errors_df, unlinked, pegawai, nips)
    errors_df = _ordered(errors_df)
    return Evaluation(tahun, Flow.SKP, pegawai, errors_df, t, rhk, pl.DataFrame())


def _synced_skp(s: Snapshot, t: pl.DataFrame, rhk: pl.DataFrame) -> pl.DataFrame:
    """NIPs whose every target SKP already equals its e-Kinerja SKP (the TERSINKRON test)."""
    ek = (
        s["ekinerja_skp"]
        .filter((pl.col("sumber") == "PMM") & pl.col("pmm_skp_id").is_not_null())
        .sort("pmm_skp_id", "skp_id")
        .unique("pmm_skp_id", keep="first", maintain_order=True)
        .select(
            "pmm_skp_id",
            "skp_id",
            pl.col("nip").alias("ek_nip"),
            pl.col("periode_id").alias("ek_periode"),
            pl.col("unor_id").alias("ek_unor"),
            pl.col("atasan_nip").alias("ek_atasan"),
        )
    )
    skp_ok = t.join(ek, on="pmm_skp_id", how="left").with_columns(
        (
            pl.col("skp_id").is_not_null()
            & pl.col("ek_nip").eq_missing(pl.col("nip"))
            & pl.col("ek_periode").eq_missing(pl.col("periode_id"))
            & pl.col("ek_unor").eq_missing(pl.col("skp_unor_id"))
            & pl.col("ek_atasan").eq_missing(pl.col("atasan_ek"))
        ).alias("skp_ok")
    )
    ek_rhk = (
        s["ekinerja_rhk"]
        .filter(pl.col("pmm_rhk_id").is_not_null())
        .select("skp_id", "pmm_rhk_id", pl.col("uraian").alias("ek_uraian"), pl.col("induk_rhk_id").alias("ek_induk"))
    )
    want = (
        rhk.join(skp_ok.select("pmm_skp_id", "skp_id"), on="pmm_skp_id", how="inner")
        .join(ek_rhk, on=["skp_id", "pmm_rhk_id"], how="left")
        .with_columns(
            (
                pl.col("ek_uraian").eq_missing(pl.col("uraian"))
                & pl.col("ek_induk").eq_missing(pl.col("induk_rhk_id"))
                & pl.col("ek_uraian").is_not_null()
            ).alias("rhk_ok")
        )
    )
    rhk_counts = want.group_by("pmm_skp_id").agg(pl.col("rhk_ok").all().alias("all_ok"), pl.len().alias("n_want"))
    have = (
        ek_rhk.join(
            skp_ok.select("pmm_skp_id", "skp_id").filter(pl.col("skp_id").is_not_null()), on="skp_id", how="inner"
        )
        .group_by("pmm_skp_id")
        .agg(pl.len().alias("n_have"))
    )
    per_skp = (
        skp_ok.select("nip", "pmm_skp_id", "skp_ok")
        .join(rhk_counts, on="pmm_skp_id", how="left")
        .join(have, on="pmm_skp_id", how="left")
        .with_columns(
            (
                pl.col("skp_ok")
                & pl.col("all_ok").fill_null(True)
                & (pl.col("n_want").fill_null(0) == pl.col("n_have").fill_null(0))
            ).alias("ok")
        )
    )
    return per_skp.group_by("nip").agg(pl.col("ok").all().alias("tersinkron"))


def _with_status(p: pl.DataFrame, errors: pl.DataFrame, synced: pl.DataFrame) -> pl.DataFrame:
    failing = errors.select("nip").unique().with_columns(pl.lit(True).alias("gagal"))
    return (
        p.join(failing, on="nip", how="left")
        .join(synced, on="nip", how="left")
        .with_columns(
            pl.when(pl.col("gagal").fill_null(False))
            .then(pl.lit(Status.GAGAL.value))
            .when(pl.col("tersinkron").fill_null(False))
            .then(pl.lit(Status.TERSINKRON.value))
            .otherwise(pl.lit(Status.SIAP.value))
            .alias("status")
        )
        .drop("gagal", "tersinkron")
    )


def _mark_cleared(
    s: Snapshot,
    tahun: int,
    errors: pl.DataFrame,
    unlinked: pl.DataFrame,
    pegawai: pl.DataFrame,
    nips: Collection[str] | None,
) -> pl.DataFrame:
    """Name the principal's ready sync on a teacher's PMM-11 / PMM-13 that it will clear.

    PMM-11 clears once the superior, SIAP now, syncs. PMM-13 clears then only when every
    unlinked RHK names an RHK of the superior's own PMM plan (otherwise the teacher's plan
    itself is wrong and no principal sync helps).
    """
    waiting = errors.filter(pl.col("code").is_in(["PMM-11", "PMM-13"]))
    if waiting.height == 0:
        return errors
    atasan = waiting["atasan"].drop_nulls().unique()
    status = pegawai.filter(pl.col("nip").is_in(atasan.implode())).select("nip", "status")
    missing = atasan.filter(~atasan.is_in(status["nip"].implode()))
    if missing.len() and nips is not None:
        # The button checks one teacher; the superior's readiness needs the superior's check.
        extra = evaluate(s, tahun, Flow.SKP, missing.to_list()).pegawai.select("nip", "status")
        status = pl.concat([status, extra])
    ready = status.filter(pl.col("status") == Status.SIAP.value).select(pl.col("nip").alias("atasan"))

    own_rhk = (
        s["pmm_rhk"]
        .filter(pl.col("pmm_rhk_id").is_in(unlinked.explode("induk")["induk"].drop_nulls().implode()))
        .join(s["pmm_skp"].select("pmm_skp_id", "ptk_id"), on="pmm_skp_id", how="inner")
        .join(s["dapodik_ptk"].select("ptk_id", pl.col("nip").alias("owner")), on="ptk_id", how="inner")
        .select(pl.col("pmm_rhk_id").alias("induk"), "owner")
    )
    fixable = (
        unlinked.select("pmm_skp_id", pl.col("atasan_ek").alias("atasan"), "induk")
        .explode("induk")
        .join(own_rhk, on="induk", how="left")
        .group_by("pmm_skp_id")
        .agg((pl.col("owner").eq_missing(pl.col("atasan")) & pl.col("induk").is_not_null()).all().alias("fixable"))
    )
    marked = (
        errors.join(ready.with_columns(pl.lit(True).alias("ready")), on="atasan", how="left")
        .join(fixable, on="pmm_skp_id", how="left")
        .with_columns(
            pl.when(
                pl.col("ready").fill_null(False)
                & ((pl.col("code") == "PMM-11") | ((pl.col("code") == "PMM-13") & pl.col("fixable").fill_null(False)))
            )
            .then(pl.col("atasan"))
            .otherwise(pl.col("selesai_oleh"))
            .alias("selesai_oleh")
        )
    )
    return marked.select(ERR_COLS)


def _ordered(errors: pl.DataFrame) -> pl.DataFrame:
    order = pl.DataFrame(
        {"code": list(CATALOGUE), "urutan": [c.urutan for c in CATALOGUE.values()]},
        schema={"code": pl.String, "urutan": pl.Int64},
    )
    return (
        errors.join(order, on="code", how="left")
        .sort("nip", "urutan", "pmm_skp_id", nulls_last=False)
        .select(list(ERROR_SCHEMA))
    )


# --- flow PENILAIAN -----------------------------------------------------------------------


def _periodik(s: Snapshot, tahun: int) -> pl.DataFrame:
    lo, hi = date(tahun, 1, 1), date(tahun, 12, 31)
    return s["ekinerja_periode"].filter(
        (pl.col("jenis") == "PERIODIK") & (pl.col("awal") <= hi) & (pl.col("akhir") >= lo)
    )


def _periodic_setup(s: Snapshot, tahun: int) -> pl.DataFrame:
    """Each instansi's PERIODIK setup for ``tahun``: types used, faults, ``tidak_standar``."""
    per = _periodik(s, tahun)
    limit = pl.col("tipe_periodik").replace_strict(RANGE_PERIODIK, default=0, return_dtype=pl.Int64)
    out = per.group_by("instansi_id").agg(
        (pl.col("tipe_periodik").n_unique() > 1).alias("campuran"),
        pl.col("angka_periodik").filter(pl.col("angka_periodik").is_duplicated()).unique().sort().alias("ganda"),
        pl.col("angka_periodik")
        .filter(
            pl.col("angka_periodik").is_null()
            | pl.col("tipe_periodik").is_null()
            | (pl.col("angka_periodik") < 1)
            | (pl.col("angka_periodik") > limit)
        )
        .alias("di_luar_rentang"),
        pl.col("tipe_periodik").drop_nulls().unique().sort().alias("tipe"),
    )
    return out.with_columns(
        (pl.col("campuran") | (pl.col("ganda").list.len() > 0) | (pl.col("di_luar_rentang").list.len() > 0)).alias(
            "tidak_standar"
        )
    )


def _evaluate_penilaian(s: Snapshot, tahun: int, base: _Base) -> Evaluation:
    p = base.pegawai
    errors: list[pl.DataFrame] = []
    agreed = base.skp.filter(pl.col("status") == DISEPAKATI)
    ek = (
        s["ekinerja_skp"]
        .filter(pl.col("pmm_skp_id").is_not_null())
        .sort("pmm_skp_id", "sumber", "skp_id", descending=[False, True, False])
        .unique("pmm_skp_id", keep="first", maintain_order=True)
        .select("pmm_skp_id", "skp_id")
    )
    agreed = agreed.join(ek, on="pmm_skp_id", how="left")

    none_agreed = p.filter(~pl.col("nip").is_in(agreed["nip"].implode()))
    errors.append(
        _err(
            none_agreed,
            "PER-02",
            pl.struct(
                pl.struct(
                    pl.lit(None, pl.String).alias("pmm_skp_id"), pl.lit("belum ada SKP DISEPAKATI").alias("status")
                ).alias("pmm"),
                pl.struct(pl.lit(None, pl.String).alias("skp_id")).alias("ekinerja"),
            ),
        )
    )
    unsynced = agreed.filter(pl.col("skp_id").is_null())
    errors.append(
        _err(
            unsynced,
            "PER-02",
            pl.struct(
                "pmm_skp_id", pl.struct("pmm_skp_id", "status").alias("pmm"), pl.struct("skp_id").alias("ekinerja")
            ),
            skp=True,
        )
    )

    nilai = s["pmm_penilaian"].join(agreed.select("nip", "pmm_skp_id", "skp_id"), on="pmm_skp_id", how="inner")
    no_nilai = agreed.filter(~pl.col("pmm_skp_id").is_in(nilai["pmm_skp_id"].implode()))
    errors.append(
        _err(
            no_nilai,
            "PER-03",
            pl.struct("pmm_skp_id", pl.struct(pl.lit(0).alias("jumlah_penilaian")).alias("pmm")),
            skp=True,
        )
    )

    periods = (
        _periodik(s, tahun)
        .sort("periode_id")
        .unique(["instansi_id", "tipe_periodik", "angka_periodik"], keep="first", maintain_order=True)
        .select("instansi_id", "tipe_periodik", "angka_periodik", "periode_id")
    )
    nilai = nilai.join(p.select("nip", "instansi_id"), on="nip", how="inner").join(
        periods, on=["instansi_id", "tipe_periodik", "angka_periodik"], how="left"
    )
    no_match = (
        nilai.filter(pl.col("periode_id").is_null())
        .group_by("nip")
        .agg(pl.struct("pmm_skp_id", "tipe_periodik", "angka_periodik").alias("tanpa_periode"))
    )
    setup = _periodic_setup(s, tahun)
    per01 = (
        p.select("nip", "instansi_id")
        .join(setup, on="instansi_id", how="left")
        .join(no_match, on="nip", how="left")
        .filter(pl.col("tidak_standar").fill_null(False) | pl.col("tanpa_periode").is_not_null())
    )
    errors.append(
        _err(
            per01,
            "PER-01",
            pl.struct(
                pl.struct(pl.col("tanpa_periode").alias("penilaian_tanpa_periode")).alias("pmm"),
                pl.struct(
                    "instansi_id",
                    pl.col("tipe").alias("tipe_periodik"),
                    pl.col("campuran").fill_null(False),
                    pl.col("ganda").alias("angka_ganda"),
                    "di_luar_rentang",
                ).alias("ekinerja"),
            ),
        )
    )

    errors_df = pl.concat(errors, how="vertical")
    have = s["ekinerja_penilaian"].rename(
        {"hasil_kerja": "ek_hasil", "perilaku": "ek_perilaku", "predikat": "ek_predikat"}
    )
    nilai = (
        nilai.filter(pl.col("skp_id").is_not_null() & pl.col("periode_id").is_not_null())
        .join(have, on=["skp_id", "periode_id"], how="left")
        .with_columns(
            (
                pl.col("ek_hasil").eq_missing(pl.col("hasil_kerja"))
                & pl.col("ek_perilaku").eq_missing(pl.col("perilaku"))
                & pl.col("ek_predikat").eq_missing(pl.col("predikat"))
                & pl.col("ek_hasil").is_not_null()
            ).alias("sama")
        )
    )
    synced = nilai.group_by("nip").agg(pl.col("sama").all().alias("tersinkron"))
    pegawai = _with_status(p, errors_df, synced)
    errors_df = _ordered(errors_df)
    return Evaluation(tahun, Flow.PENILAIAN, pegawai, errors_df, agreed, pl.DataFrame(), nilai)


def periode_problems(periode: pl.DataFrame, instansi_id: str, tahun: int) -> list[str]:
    """Why the PERIODIK setup of ``instansi_id`` for ``tahun`` in ``periode`` is not standard.

    ``periode`` holds ``ekinerja_periode`` rows (the setup as it would be after a change). The
    faults are those of PER-01 that depend on the setup alone (mixed types, a number twice, a
    number out of range), found by the same rule the check uses; empty when the setup is standard.
    """
    s = Snapshot({"ekinerja_periode": periode.filter(pl.col("instansi_id") == instansi_id)})
    setup = _periodic_setup(s, tahun)
    if setup.height == 0:
        return []
    row = setup.row(0, named=True)
    problems = []
    if row["campuran"]:
        problems.append(
            f"Periode PERIODIK tahun {tahun} mencampur jenis {' dan '.join(row['tipe'])}; pakai satu jenis saja."
        )
    if row["ganda"]:
        problems.append(f"Nomor periodik dipakai lebih dari sekali: {', '.join(str(n) for n in row['ganda'])}.")
    if row["di_luar_rentang"]:
        shown = ", ".join("kosong" if n is None else str(n) for n in row["di_luar_rentang"])
        problems.append(f"Nomor periodik di luar rentang (BULANAN 1..12, TRIWULANAN 1..4) atau kosong: {shown}.")
    return problems
