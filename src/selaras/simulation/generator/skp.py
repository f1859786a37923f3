"""Stage 4: PMM's SKPs and RHK, and the copies of the synced ones in e-Kinerja (in batches of
SKPs)."""

from __future__ import annotations

from datetime import date

import polars as pl

from selaras.simulation.generator.build import CHUNK_SKP, Build
from selaras.simulation.generator.ids import ptk_id_of, rhk_ek_id_of, rhk_pmm_id_of, skp_ek_id_of, skp_pmm_id_of
from selaras.simulation.generator.randomness import Rand, choice, ordered_join, pick
from selaras.simulation.generator.words import (
    MAPEL,
    RHK_GURU_TAMBAHAN,
    RHK_GURU_TEMPLATE,
    RHK_KEPALA_TAMBAHAN,
    RHK_KEPALA_UTAMA,
)


def _plans(b: Build) -> pl.DataFrame:
    """Each pegawai's PMM plans of the year: one, none (PMM-02a), or two for a rotation."""
    r, tahun = b.rand, b.tahun
    kadis = b.others.filter(pl.col("role") == "KADIS").select("inst", kadis_oid="oid")
    peg = ordered_join(b.peg, kadis, "inst")
    label = pl.col("label").fill_null("")
    status_02 = choice(r.u("oid", "status-skp"), (("DRAF", 40.0), ("DIAJUKAN", 30.0), ("DISETUJUI", 30.0)))
    main = peg.filter(label != "PMM-02a").select(
        "oid",
        "inst",
        "role",
        "label",
        "synced",
        skp_sch="sch",
        awal=pl.when(label == "PMM-06")
        .then(pl.lit(date(tahun - 1, 7, 1)))
        .when(label == "rotasi")
        .then(pl.lit(date(tahun, 7, 1)))
        .otherwise(pl.lit(date(tahun, 1, 1))),
        akhir=pl.when(label == "PMM-06").then(pl.lit(date(tahun, 6, 30))).otherwise(pl.lit(date(tahun, 12, 31))),
        status=pl.when(label == "PMM-02b").then(status_02).otherwise(pl.lit("DISEPAKATI")),
        atasan_oid=pl.when(pl.col("role") == "KS")
        .then(pl.col("kadis_oid"))
        .when(label == "PMM-12")
        .then(pl.coalesce("partner_ks_oid", "kadis_oid"))
        .otherwise(pl.col("ks_oid")),
    )
    rot = peg.filter(label == "rotasi").select(
        "oid",
        "inst",
        "role",
        "label",
        "synced",
        skp_sch="partner",
        awal=pl.lit(date(tahun, 1, 1)),
        akhir=pl.lit(date(tahun, 6, 30)),
        status=pl.lit("DISEPAKATI"),
        atasan_oid="partner_ks_oid",
    )
    return pl.concat([main, rot]).sort(["oid", "awal"]).with_row_index("skp").with_columns(pl.col("skp").cast(pl.Int64))


def add_pmm_skp(b: Build) -> None:
    """PMM's SKPs (``pmm_skp``), with what the RHK need: their counts, where each SKP's RHK
    start, and which SKPs were synced into e-Kinerja (``b.skp``)."""
    r, tahun = b.rand, b.tahun
    skp = _plans(b)
    is_ks = pl.col("role") == "KS"
    skp = skp.with_columns(
        # Not approved yet: PMM has no superior for the plan.
        atasan_oid=pl.when(pl.col("status").is_in(["DRAF", "DIAJUKAN"])).then(None).otherwise(pl.col("atasan_oid")),
        synced=pl.col("synced") & (pl.col("status") == "DISEPAKATI"),
        n_rhk=pl.when(is_ks).then(6 + r.below("skp", "n-rhk", 7)).otherwise(5 + r.below("skp", "n-rhk", 8)),
        n_tamb=pl.when(is_ks).then(1 + r.below("skp", "n-tamb", 2)).otherwise(r.below("skp", "n-tamb", 3)),
    )
    synced_n = pl.col("synced").cast(pl.Int64)
    skp = skp.with_columns(
        rhk_start=pl.col("n_rhk").cum_sum() - pl.col("n_rhk"),
        n_utama=pl.col("n_rhk") - pl.col("n_tamb"),
        ek=pl.when(pl.col("synced")).then(synced_n.cum_sum() - 1),
        ek_rhk_start=pl.when(pl.col("synced")).then((pl.col("n_rhk") * synced_n).cum_sum() - pl.col("n_rhk")),
    )
    b.n_ek_skp = int(skp.select(synced_n.sum()).item() or 0)
    b.n_ek_rhk = int(skp.select((pl.col("n_rhk") * synced_n).sum()).item() or 0)
    ks_skp = skp.filter(is_ks).select(
        "skp_sch",
        ks_rhk_start="rhk_start",
        ks_n_utama="n_utama",
        ks_n="n_rhk",
        ks_ek_rhk_start="ek_rhk_start",
    )
    skp = ordered_join(skp, ks_skp, "skp_sch")

    label = pl.col("label").fill_null("")
    base_day = (
        pl.when(label == "PMM-06")
        .then(pl.lit(date(tahun - 1, 7, 8)))
        .when(label == "PMM-02b")
        .then(pl.lit(date(tahun, 8, 1)))
        .when(pl.col("awal") == date(tahun, 7, 1))
        .then(pl.lit(date(tahun, 7, 3)))
        .otherwise(pl.lit(date(tahun, 1, 6)))
    )
    seconds = r.below("skp", "diperbarui", 60 * 86_400)
    diperbarui = (base_day.cast(pl.Datetime("us")) + pl.duration(seconds=seconds)).dt.strftime("%Y-%m-%dT%H:%M:%S")
    skp = ordered_join(skp, b.sch.select(skp_sch="sch", npsn="npsn", skp_unor="unor"), "skp_sch")
    skp = ordered_join(skp, b.nips.rename({"oid": "atasan_oid", "nip": "atasan_nip"}), "atasan_oid")
    b.frames["pmm_skp"] = skp.select(
        pmm_skp_id=skp_pmm_id_of(pl.col("skp")),
        ptk_id=ptk_id_of(pl.col("oid")),
        npsn="npsn",
        periode_awal="awal",
        periode_akhir="akhir",
        status="status",
        atasan_nip="atasan_nip",
        diperbarui=diperbarui,
    )
    b.skp = skp.drop("npsn")


# -- PMM RHK and their synced copies in e-Kinerja (in batches of SKPs) --------------------


def _rhk_texts() -> tuple[list[str], dict[str, int], dict[str, int]]:
    """The pool of RHK texts (principals' main and extra, teachers' extra, then each subject's
    main ones), and per subject group where its subjects start and how many there are."""
    groups = list(MAPEL)
    offsets, sizes, flat, off = {}, {}, [], 0
    for g in groups:
        offsets[g], sizes[g] = off, len(MAPEL[g])
        flat += list(MAPEL[g])
        off += len(MAPEL[g])
    pool = (
        list(RHK_KEPALA_UTAMA)
        + list(RHK_KEPALA_TAMBAHAN)
        + list(RHK_GURU_TAMBAHAN)
        + [t.format(m) for m in flat for t in RHK_GURU_TEMPLATE]
    )
    return pool, offsets, sizes


_N_KU, _N_KT = len(RHK_KEPALA_UTAMA), len(RHK_KEPALA_TAMBAHAN)
_N_GT, _N_TPL = len(RHK_GURU_TAMBAHAN), len(RHK_GURU_TEMPLATE)


def _rhk_skp(b: Build, offsets: dict[str, int], sizes: dict[str, int]) -> pl.DataFrame:
    """The SKPs with what their RHK are drawn from (subject, text offsets, no induk, stale)."""
    r, n_tpl = b.rand, _N_TPL
    mg = b.mapel_group.select(
        "oid",
        mapel=pl.col("mg").replace_strict(offsets, return_dtype=pl.Int64)
        + r.below("oid", "mapel", pl.col("mg").replace_strict(sizes, return_dtype=pl.Int64)),
    )
    del b.mapel_group
    return ordered_join(b.skp, mg, "oid").select(
        "skp",
        "synced",
        "rhk_start",
        "n_rhk",
        "n_utama",
        "ks_rhk_start",
        "ks_n_utama",
        "ks_n",
        "ks_ek_rhk_start",
        "ek",
        "ek_rhk_start",
        is_ks=pl.col("role") == "KS",
        mapel=pl.col("mapel").fill_null(0),
        uoff=r.below("skp", "rhk-uoff", n_tpl),
        toff=r.below("skp", "rhk-toff", 12),
        no_induk=pl.col("label").fill_null("") == "PMM-13",
        stale=pl.col("synced") & (pl.col("role") == "GURU") & (r.u("skp", "stale") < 0.04),
    )


def _explode(skp: pl.DataFrame, r: Rand) -> pl.DataFrame:
    """One row per RHK of the SKPs: its number, its text in the pool, UTAMA or not, and the
    offset of its induk among the principal's RHK (none for a principal's, or PMM-13's first)."""
    n_ku, n_kt, n_gt, n_tpl = _N_KU, _N_KT, _N_GT, _N_TPL
    pos, n_utama = pl.col("pos"), pl.col("n_utama")
    utama = pos < n_utama
    ks_text = (
        pl.when(utama).then((pl.col("uoff") + pos) % n_ku).otherwise(n_ku + (pl.col("toff") + pos - n_utama) % n_kt)
    )
    guru_text = (
        pl.when(utama)
        .then(n_ku + n_kt + n_gt + pl.col("mapel") * n_tpl + (pl.col("uoff") + pos) % n_tpl)
        .otherwise(n_ku + n_kt + (pl.col("toff") + pos - n_utama) % n_gt)
    )
    u_induk = pl.col("u_induk")
    induk_off = (
        pl.when(utama)
        .then((u_induk * pl.col("ks_n_utama")).floor())
        .otherwise((u_induk * pl.col("ks_n")).floor())
        .cast(pl.Int64)
    )
    return (
        skp.with_columns(pos=pl.int_ranges(0, "n_rhk"))
        .explode("pos")
        .with_columns(rhk=pl.col("rhk_start") + pl.col("pos"))
        .with_columns(u_induk=r.u("rhk", "induk"))
        .with_columns(
            text=pl.when(pl.col("is_ks")).then(ks_text).otherwise(guru_text),
            utama=utama,
            induk_off=pl.when(pl.col("is_ks") | (pl.col("no_induk") & (pos == 0))).then(None).otherwise(induk_off),
        )
    )


_PMM_RHK_SCHEMA = {
    "pmm_rhk_id": pl.String,
    "pmm_skp_id": pl.String,
    "uraian": pl.String,
    "jenis": pl.String,
    "induk_pmm_rhk_id": pl.String,
}
_EK_RHK_SCHEMA = {
    "rhk_id": pl.String,
    "skp_id": pl.String,
    "uraian": pl.String,
    "pmm_rhk_id": pl.String,
    "induk_rhk_id": pl.String,
}


def add_rhk(b: Build) -> None:
    """PMM's RHK (``pmm_rhk``) and the e-Kinerja copies of the synced ones
    (``b.ek_rhk_synced``), in batches of ``CHUNK_SKP`` SKPs."""
    r = b.rand
    pool, offsets, sizes = _rhk_texts()
    skp = _rhk_skp(b, offsets, sizes)
    pos = pl.col("pos")
    # The synced copy of a teacher RHK whose PMM text changed since the sync (a later
    # sync updates it).
    text = pl.col("text")
    old_text = pl.when(text % 2 == 0).then(text + 1).otherwise(text - 1).clip(0, len(pool) - 1)
    pmm_parts: list[pl.DataFrame] = []
    ek_parts: list[pl.DataFrame] = []
    n = skp.height
    for start in range(0, n, CHUNK_SKP):
        part = _explode(skp.slice(start, CHUNK_SKP), r)
        pmm_parts.append(
            part.select(
                pmm_rhk_id=rhk_pmm_id_of(pl.col("rhk")),
                pmm_skp_id=skp_pmm_id_of(pl.col("skp")),
                uraian=pick(pool, text),
                jenis=pick(("TAMBAHAN", "UTAMA"), pl.col("utama").cast(pl.Int64)),
                induk_pmm_rhk_id=rhk_pmm_id_of(pl.col("ks_rhk_start") + pl.col("induk_off")),
            )
        )
        ek_parts.append(
            part.filter(pl.col("synced")).select(
                rhk_id=rhk_ek_id_of(pl.col("ek_rhk_start") + pos),
                skp_id=skp_ek_id_of(pl.col("ek")),
                uraian=pick(pool, pl.when(pl.col("stale") & (pos == 0)).then(old_text).otherwise(text)),
                pmm_rhk_id=rhk_pmm_id_of(pl.col("rhk")),
                induk_rhk_id=rhk_ek_id_of(pl.col("ks_ek_rhk_start") + pl.col("induk_off")),
            )
        )
        del part
        b.report("pmm_rhk", 0.4 + 0.34 * min(n, start + CHUNK_SKP) / max(n, 1))
    b.frames["pmm_rhk"] = pl.concat(pmm_parts) if pmm_parts else pl.DataFrame(schema=_PMM_RHK_SCHEMA)
    b.ek_rhk_synced = pl.concat(ek_parts) if ek_parts else pl.DataFrame(schema=_EK_RHK_SCHEMA)
    b.skp = b.skp.select(
        "skp", "oid", "inst", "role", "label", "status", "synced", "ek", "awal", "akhir", "skp_unor", "atasan_nip"
    )
