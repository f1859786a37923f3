"""Stage 3: the units (SIASN and e-Kinerja), SIASN's pegawai and Dapodik's schools and PTK."""

from __future__ import annotations

import polars as pl

from selaras.simulation.generator.build import Build
from selaras.simulation.generator.ids import ptk_id_of, unor_id_of
from selaras.simulation.generator.randomness import choice, choice_by, choice_index, ordered_join, pick
from selaras.simulation.generator.words import JABATAN, JABATAN_05, JENIS_GURU, STATUS_09

_ROLE, _LABEL = pl.col("role"), pl.col("label").fill_null("")
_U_FAULT = pl.col("u_fault")


def _siasn_unor(b: Build, sch: pl.DataFrame) -> None:
    inst = b.inst
    # Units: per instansi the Dinas Pendidikan (top), its Sekretariat and a Bidang; then
    # one unit per school under the Dinas.
    dinas_units = pl.concat(
        [
            inst.select("instansi_id", unor=3 * pl.col("inst"), nama="dinas_nama", parent=pl.lit(None, pl.Int64)),
            inst.select(
                "instansi_id",
                unor=3 * pl.col("inst") + 1,
                nama=pl.concat_str([pl.lit("Sekretariat "), pl.col("dinas_nama")]),
                parent=3 * pl.col("inst"),
            ),
            inst.select(
                "instansi_id",
                unor=3 * pl.col("inst") + 2,
                nama=pl.when(pl.col("kind") == "prov")
                .then(pl.lit("Bidang Pembinaan SMA dan SMK"))
                .otherwise(pl.lit("Bidang Pembinaan Sekolah Dasar")),
                parent=3 * pl.col("inst"),
            ),
        ]
    ).sort("unor")
    b.frames["siasn_unor"] = pl.concat(
        [
            dinas_units.select(
                unor_id=unor_id_of(pl.col("unor")),
                instansi_id="instansi_id",
                nama="nama",
                parent_unor_id=unor_id_of(pl.col("parent")),
                npsn=pl.lit(None, pl.String),
                aktif=pl.lit(True),
            ),
            sch.select(
                unor_id=unor_id_of(pl.col("unor")),
                instansi_id="instansi_id",
                nama="nama",
                parent_unor_id=unor_id_of(3 * pl.col("inst")),
                npsn=pl.when(pl.col("fault") == "PMM-08").then(None).otherwise(pl.col("npsn")),
                aktif=pl.lit(True),
            ),
        ]
    )


def _jabatan(tahun: int) -> pl.Expr:
    """The index in ``JABATAN`` of each person's position (PMM-05: not a teacher's)."""
    role, label, u_fault = _ROLE, _LABEL, _U_FAULT
    years = tahun - pl.col("ty")
    u_jab = pl.col("u_jab")
    jab_guru = (
        pl.when(pl.col("pppk"))
        .then(pl.when(u_jab < 0.85).then(0).otherwise(1))
        .when(u_jab < 0.04)
        .then(pl.when(years < 8).then(4).when(years < 16).then(5).otherwise(6))
        .when((years >= 25) & (u_jab > 0.99))
        .then(3)
        .when(years < 6)
        .then(0)
        .when(years < 14)
        .then(1)
        .otherwise(2)
    )
    jab_05 = pl.lit(pl.Series([j for j, _ in JABATAN_05], dtype=pl.Int64)).gather(
        choice_index(u_fault, [w for _, w in JABATAN_05])
    )
    return (
        pl.when(label == "PMM-05")
        .then(jab_05)
        .when(role == "KS")
        .then(pl.when(years < 14).then(1).otherwise(2))
        .when(role == "GURU")
        .then(jab_guru)
        .when(role == "KADIS")
        .then(7)
        .when(role == "SEKDIS")
        .then(8)
        .when(role == "KABID")
        .then(9)
        .when(role == "PENGAWAS")
        .then(10)
        .otherwise(11)
    )


def _siasn_pegawai(b: Build, orang: pl.DataFrame) -> None:
    role, label, u_fault = _ROLE, _LABEL, _U_FAULT
    jab = _jabatan(b.tahun)
    status_09 = choice(u_fault, STATUS_09)
    is_09 = label == "PMM-09"
    unor = (
        pl.when(label == "PMM-10")
        .then(pl.col("partner_unor"))
        .when(role.is_in(["KS", "GURU"]))
        .then(pl.col("unor"))
        .when(role.is_in(["KADIS", "PENGAWAS"]))
        .then(3 * pl.col("inst"))
        .otherwise(3 * pl.col("inst") + pl.col("sub"))
    )
    siasn = ordered_join(
        orang.filter(pl.col("nip").is_not_null()).drop("instansi_id"),
        b.inst.select("inst", "instansi_id"),
        "inst",
    )
    b.frames["siasn_pegawai"] = siasn.with_columns(jab=jab, s09=status_09).select(
        "nip",
        "nik",
        nama=pl.when(pl.col("gelar") == "")
        .then(pl.col("nama"))
        .otherwise(pl.concat_str([pl.col("nama"), pl.lit(", "), pl.col("gelar")])),
        instansi_id="instansi_id",
        unor_id=unor_id_of(unor),
        jenis_asn=pl.when(is_09 & (pl.col("s09") == "HONORER"))
        .then(pl.lit("HONORER"))
        .when(pl.col("pppk"))
        .then(pl.lit("PPPK"))
        .otherwise(pl.lit("PNS")),
        status=pl.when(is_09 & (pl.col("s09") != "HONORER")).then(pl.col("s09")).otherwise(pl.lit("AKTIF")),
        jabatan_nama=pick([n for n, _ in JABATAN], pl.col("jab")),
        jabatan_jenis=pick([j for _, j in JABATAN], pl.col("jab")),
    )


def _dapodik_ptk(b: Build, orang: pl.DataFrame) -> None:
    role, label, u_fault = _ROLE, _LABEL, _U_FAULT
    # Dapodik PTK: principals, teachers, and the non-ASN staff of each school.
    ptk = orang.filter(pl.col("sch").is_not_null()).with_columns(
        jenis_asli=choice_by(pl.col("jenjang"), pl.col("u_ptk"), JENIS_GURU)
    )
    jenis_04 = choice(
        u_fault, (("Tenaga Administrasi Sekolah", 50.0), ("Laboran", 20.0), ("Tenaga Perpustakaan", 30.0))
    )
    jenis_tas = choice(
        pl.col("u_ptk"), (("Tenaga Administrasi Sekolah", 80.0), ("Tenaga Perpustakaan", 12.0), ("Laboran", 8.0))
    )
    ks_plain = (role == "KS") & (pl.col("u_kst") >= 0.2)
    b.frames["dapodik_ptk"] = ptk.select(
        ptk_id=ptk_id_of(pl.col("oid")),
        nik="nik",
        nuptk="nuptk",
        nama=pl.when(pl.col("u_dap") < 0.35).then(pl.col("nama").str.to_uppercase()).otherwise(pl.col("nama")),
        nip=pl.when(label == "PMM-01").then(pl.when(u_fault < 0.6).then(pl.col("nip_wrong"))).otherwise(pl.col("nip")),
        jenis_ptk=pl.when(label == "PMM-04")
        .then(jenis_04)
        .when(ks_plain)
        .then(pl.lit("Kepala Sekolah"))
        .when(role == "TAS")
        .then(jenis_tas)
        .otherwise(pl.col("jenis_asli")),
        # A principal recorded with another jenis PTK has the extra duty instead.
        tugas_tambahan=pl.when((role == "KS") & ~ks_plain).then(pl.lit("Kepala Sekolah")),
        npsn="npsn",
    )
    j = pl.col("jenis_asli")
    b.mapel_group = ptk.filter(role == "GURU").select(
        "oid",
        mg=pl.when(j == "Guru BK")
        .then(pl.lit("BK"))
        .when(j == "Guru TIK")
        .then(pl.lit("TIK"))
        .when(j.is_in(["Guru Pendamping Khusus", "Guru Pembimbing Khusus"]) | (pl.col("jenjang") == "SLB"))
        .then(pl.lit("KHUSUS"))
        .when(pl.col("jenjang") == "TK")
        .then(pl.lit("TK"))
        .when((pl.col("jenjang") == "SD") & (j == "Guru Mapel"))
        .then(pl.lit("MAPEL_SD"))
        .when(pl.col("jenjang") == "SD")
        .then(pl.lit("KELAS_SD"))
        .otherwise(pl.col("jenjang")),
    )


def _ekinerja_unor(b: Build) -> None:
    # e-Kinerja's copy of the units, each with its head as e-Kinerja knows it.
    heads = ordered_join(
        b.others.filter(pl.col("role").is_in(["KADIS", "SEKDIS", "KABID"])).select(
            "oid", unor=3 * pl.col("inst") + pl.col("sub")
        ),
        b.nips,
        "oid",
    ).sort("unor")
    ks_nip = ordered_join(b.peg.filter(pl.col("role") == "KS").select("sch", "oid"), b.nips, "oid")
    pengawas_nip = ordered_join(
        b.others.filter(pl.col("role") == "PENGAWAS").select("oid", sch="pengawas_sch"),
        b.nips,
        "oid",
    ).select("sch", pengawas_nip="nip")
    school_units = ordered_join(
        ordered_join(b.sch.select("sch", "unor", "fault"), ks_nip.select("sch", "nip"), "sch"),
        pengawas_nip,
        "sch",
    )
    b.frames["ekinerja_unor"] = pl.concat(
        [
            heads.select(unor_id=unor_id_of(pl.col("unor")), aktif=pl.lit(True), atasan_nip="nip"),
            school_units.select(
                unor_id=unor_id_of(pl.col("unor")),
                aktif=pl.col("fault").fill_null("") != "PMM-03",
                atasan_nip=pl.when(pl.col("fault") == "PMM-12S").then(pl.col("pengawas_nip")).otherwise(pl.col("nip")),
            ),
        ]
    )


def add_siasn_dapodik(b: Build) -> None:
    """The units of SIASN and e-Kinerja, SIASN's pegawai, and Dapodik's schools and PTK (with
    each teacher's subject group for the RHK texts in ``b.mapel_group``)."""
    r = b.rand
    sch = ordered_join(b.sch, b.inst.select("inst", "instansi_id"), "inst")
    _siasn_unor(b, sch)
    b.frames["dapodik_sekolah"] = sch.select("npsn", "nama", "instansi_id")

    orang = ordered_join(b.orang, b.peg.select("oid", "label", "partner"), "oid")
    orang = ordered_join(orang, b.others.select("oid", "sub", "pengawas_sch"), "oid")
    orang = ordered_join(orang, sch.select("sch", "jenjang", "npsn", "unor", "instansi_id"), "sch")
    orang = ordered_join(orang, sch.select(partner="sch", partner_unor="unor"), "partner")
    orang = orang.with_columns(
        u_jab=r.u("oid", "jabatan"),
        u_fault=r.u("oid", "fault-variant"),
        u_ptk=r.u("oid", "jenis-ptk"),
        u_kst=r.u("oid", "ks-tugas"),
        u_dap=r.u("oid", "nama-dapodik"),
    )
    _siasn_pegawai(b, orang)
    _dapodik_ptk(b, orang)
    del b.orang
    _ekinerja_unor(b)
