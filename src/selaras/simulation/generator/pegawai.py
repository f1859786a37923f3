"""Stage 2: the schools, the pegawai in scope (one principal per school and its teachers)
with the school and teacher faults they get, and everyone's identity (NIP, NIK, names)."""

from __future__ import annotations

import polars as pl

from selaras.simulation.generator.build import Build
from selaras.simulation.generator.faults import SCHOOL_FAULTS, TEACHER_FAULTS, TEACHER_SYNCED
from selaras.simulation.generator.randomness import assign, choice, ordered_join, pick
from selaras.simulation.generator.words import (
    DINAS_GELAR,
    GURU_GELAR,
    JENJANG_BOBOT,
    JENJANG_KABKOTA,
    JENJANG_PROV,
    KABUPATEN,
    KEPALA_GELAR,
    KOTA,
    NAMA_BELAKANG,
    NAMA_DEPAN_L,
    NAMA_DEPAN_P,
)


def add_sekolah(b: Build) -> None:
    """The schools of each instansi: jenjang, name, NPSN, number of teachers and school fault
    (``b.sch``)."""
    r = b.rand
    all_places = list(KABUPATEN) + list(KOTA)
    sch = (
        b.inst.select("inst", "kind", "place", "n_peg", "n_sch", "bad_tahunan", k=pl.int_ranges(0, "n_sch"))
        .explode("k")
        .with_row_index("sch")
        .with_columns(pl.col("sch").cast(pl.Int64))
        .with_columns(u_j=r.u("sch", "jenjang"), u_w=r.u("sch", "bobot"))
    )
    sch = sch.with_columns(
        jenjang=pl.when(pl.col("kind") == "prov")
        .then(choice(pl.col("u_j"), JENJANG_PROV))
        .otherwise(choice(pl.col("u_j"), JENJANG_KABKOTA)),
        place=pl.when(pl.col("kind") == "prov")
        .then(pick(all_places, r.below("sch", "place", len(all_places))))
        .otherwise(pl.col("place")),
    )
    w = pl.col("jenjang").replace_strict(JENJANG_BOBOT, return_dtype=pl.Float64) * (0.6 + 0.8 * pl.col("u_w"))
    teachers = pl.col("n_peg") - pl.col("n_sch")
    sch = sch.with_columns(
        nomor=pl.int_range(1, pl.len() + 1).over(["inst", "jenjang", "place"]),
        cf=w.cum_sum().over("inst") / w.sum().over("inst"),
    ).with_columns(bound=(pl.col("cf") * teachers).round().cast(pl.Int64))
    # An affine bijection of the school number (the multiplier is prime to 90,000,000),
    # so NPSN are unique.
    offset = b.py.randrange(90_000_000)
    npsn = 10_000_000 + (pl.col("sch") * 27_644_437 + offset) % 90_000_000
    sch = sch.with_columns(
        n_guru=pl.col("bound") - pl.col("bound").shift(1).over("inst").fill_null(0),
        nama=pl.format("{} Negeri {} {}", "jenjang", "nomor", "place"),
        npsn=npsn.cast(pl.String),
        unor=3 * b.n_inst + pl.col("sch"),
    )
    eligible = (~pl.col("bad_tahunan")) & (pl.col("n_guru") >= 2)
    sch = assign(sch, r, "sch", eligible, "school-fault", SCHOOL_FAULTS, 12, "fault")
    b.sch = sch.select("sch", "inst", "jenjang", "nama", "npsn", "n_guru", "unor", "fault", "bad_tahunan")


# -- pegawai in scope: one principal (KS) per school and its teachers (GURU) -------------


def add_pegawai(b: Build) -> None:
    """The pegawai in scope, one principal (KS) per school and its teachers (GURU), with each
    teacher's fault, partner school and whether the SKP was synced already (``b.peg``)."""
    r = b.rand
    peg = (
        b.sch.select("sch", "inst", "fault", "bad_tahunan", n=pl.col("n_guru") + 1)
        .with_columns(k=pl.int_ranges(0, "n"))
        .explode("k")
        .drop("n")
        .with_row_index("oid")
        .with_columns(
            pl.col("oid").cast(pl.Int64),
            role=pl.when(pl.col("k") == 0).then(pl.lit("KS")).otherwise(pl.lit("GURU")),
        )
    )
    # Fault-free schools, indexed per instansi, to draw partners (rotation, PMM-10/12).
    clean = (
        b.sch.filter(pl.col("fault").is_null() & ~pl.col("bad_tahunan"))
        .select("sch", "inst")
        .with_row_index("cpos")
        .with_columns(pl.col("cpos").cast(pl.Int64))
    )
    cinfo = clean.group_by("inst").agg(coff=pl.col("cpos").min(), ccount=pl.len())
    peg = ordered_join(ordered_join(peg, clean.select("sch", "cpos"), "sch"), cinfo, "inst")
    eligible = (pl.col("role") == "GURU") & pl.col("cpos").is_not_null()
    peg = assign(peg, r, "oid", eligible, "teacher-fault", TEACHER_FAULTS, 100, "label")
    crank = pl.col("cpos") - pl.col("coff")
    shift = 1 + r.below("oid", "partner", (pl.col("ccount") - 1).clip(lower_bound=1))
    ppos = pl.col("coff") + (crank + shift) % pl.col("ccount")
    peg = peg.with_columns(
        partner=pl.when(pl.col("cpos").is_not_null() & (pl.col("ccount") >= 2))
        .then(pl.lit(clean["sch"]).gather(ppos.fill_null(0)))
        .otherwise(None)
    )
    # A rotation or a wrong SIASN unit needs a second school; without one: no fault.
    peg = peg.with_columns(
        label=pl.when(pl.col("label").is_in(["rotasi", "PMM-10"]) & pl.col("partner").is_null())
        .then(None)
        .otherwise(pl.col("label"))
    )
    ks_synced = pl.col("fault").is_null() | pl.col("fault").is_in(["PMM-03", "PMM-12S"])
    teacher_synced = (
        pl.col("cpos").is_not_null()
        & (pl.col("label").is_null() | pl.col("label").is_in(["rotasi", "PER-01", "PER-03"]))
        & (r.u("oid", "synced") < TEACHER_SYNCED)
    )
    peg = peg.with_columns(
        synced=pl.when(pl.col("role") == "KS").then(ks_synced & ~pl.col("bad_tahunan")).otherwise(teacher_synced)
    )
    ks = peg.filter(pl.col("role") == "KS").select("sch", ks_oid="oid")
    peg = ordered_join(peg, ks, "sch")
    peg = ordered_join(peg, ks.rename({"sch": "partner", "ks_oid": "partner_ks_oid"}), "partner")
    b.peg = peg.select(
        "oid",
        "sch",
        "inst",
        "role",
        "fault",
        "bad_tahunan",
        "label",
        "partner",
        "synced",
        "ks_oid",
        "partner_ks_oid",
    )


# -- identities: NIP, NIK, names, for everyone -------------------------------------------


def _others(b: Build) -> pl.DataFrame:
    """The people out of scope: each Dinas's head and staff, the pengawas of the PMM-12S
    schools, and the schools' honorer teachers and administrative staff (TAS)."""
    r = b.rand
    base = b.peg.height
    dinas = pl.DataFrame({"inst": pl.int_range(0, b.n_inst, eager=True)})
    staff_roles = pl.DataFrame({"role": ["SEKDIS", "KABID", "PELAKSANA"], "sub": [1, 2, 1]})
    per_school = b.sch.select(
        "sch",
        "inst",
        n_hon=r.below("sch", "honorer", 3),
        n_tas=r.below("sch", "tas", 2) + (pl.col("n_guru") >= 12).cast(pl.Int64),
    )
    none = pl.lit(None, pl.Int64)
    return pl.concat(
        [
            dinas.select("inst", role=pl.lit("KADIS"), sub=pl.lit(0, pl.Int64), sch=none, pengawas_sch=none),
            dinas.join(staff_roles, how="cross").select(
                "inst", "role", pl.col("sub").cast(pl.Int64), sch=none, pengawas_sch=none
            ),
            b.sch.filter(pl.col("fault") == "PMM-12S").select(
                "inst", role=pl.lit("PENGAWAS"), sub=pl.lit(0, pl.Int64), sch=none, pengawas_sch="sch"
            ),
            per_school.filter(pl.col("n_hon") > 0)
            .with_columns(k=pl.int_ranges(0, "n_hon"))
            .explode("k")
            .select("inst", role=pl.lit("HONORER"), sub=pl.lit(0, pl.Int64), sch="sch", pengawas_sch=none),
            per_school.filter(pl.col("n_tas") > 0)
            .with_columns(k=pl.int_ranges(0, "n_tas"))
            .explode("k")
            .select("inst", role=pl.lit("TAS"), sub=pl.lit(0, pl.Int64), sch="sch", pengawas_sch=none),
        ],
        how="vertical_relaxed",
    ).with_columns(oid=pl.int_range(base, base + pl.len(), dtype=pl.Int64))


_STREAMS = ("sex", "by", "bm", "bd", "pppk", "ty", "tm0", "tm", "kec", "nl", "np", "nb", "n1", "gelar", "nuptk")
"""The random streams of a person's identity: one column ``u_<stream>`` each."""
_ROLE = pl.col("role")
_SENIOR = _ROLE.is_in(["KADIS", "SEKDIS", "KABID", "PENGAWAS"])


def _below(name: str, n: int | pl.Expr) -> pl.Expr:
    return (pl.col(f"u_{name}") * n).floor().cast(pl.Int64)


def _birth_and_entry(orang: pl.DataFrame, tahun: int) -> pl.DataFrame:
    """Sex, date of birth, PPPK or not, and the year and month of entry of everyone."""
    role, senior, below = _ROLE, _SENIOR, _below
    asn = ~role.is_in(["HONORER", "TAS"])
    female_share = pl.when(role == "KS").then(0.45).when(senior).then(0.35).otherwise(0.64)
    orang = orang.with_columns(
        female=pl.col("u_sex") < female_share,
        by=pl.when(senior)
        .then(tahun - 58 + below("by", 12))
        .when(role == "KS")
        .then(tahun - 58 + below("by", 22))
        .when(~asn)
        .then(tahun - 48 + below("by", 26))
        .otherwise(tahun - 59 + below("by", 36)),
        bm=1 + below("bm", 12),
        bd=1 + below("bd", 28),
        pppk=(role == "GURU") & (pl.col("u_pppk") < 0.35),
        asn=asn,
    )
    ty = (
        pl.when(pl.col("pppk"))
        .then(pl.max_horizontal(pl.col("by") + 22, tahun - 1 - below("ty", 4)))
        .otherwise(pl.min_horizontal(tahun - 1, pl.col("by") + 23 + below("ty", 18)))
    )
    return orang.with_columns(
        ty=pl.min_horizontal(ty, tahun - 1),
        tm=pl.when(pl.col("u_tm0") < 0.6).then(1).otherwise(1 + below("tm", 12)),
        sexd=pl.when(pl.col("female")).then(2).otherwise(1),
    )


def _nip_and_nik_keys(orang: pl.DataFrame, inst: pl.DataFrame) -> pl.DataFrame:
    """The keys of NIP (birth, entry, sex) and NIK (region, birth) and the sequence numbers
    that make each unique."""
    below = _below
    birth = (pl.col("by") * 100 + pl.col("bm")) * 100 + pl.col("bd")
    nip_key = birth * 10_000_000 + (pl.col("ty") * 100 + pl.col("tm")) * 10 + pl.col("sexd")
    region = pl.col("prov_code") * 10_000 + pl.col("kab_code") * 100 + 1 + below("kec", 30)
    nik_date = (pl.col("bd") + 40 * pl.col("female").cast(pl.Int64)) * 10_000 + pl.col("bm") * 100 + pl.col("by") % 100
    orang = ordered_join(orang, inst.select("inst", "prov_code", "kab_code"), "inst")
    orang = orang.with_columns(
        nip_key=nip_key.cast(pl.Int64), nik_key=(region * 1_000_000 + nik_date).cast(pl.Int64)
    ).with_columns(
        nip_seq=pl.int_range(1, pl.len() + 1).over(["asn", "nip_key"]),
        nik_seq=pl.int_range(1, pl.len() + 1).over("nik_key"),
    )
    max_seq = orang.filter(pl.col("asn")).select(pl.col("nip_seq").max()).item() or 0
    # A wrong NIP in Verval PTK (PMM-01) is the true one with 500 added to the sequence
    # number; that is unique only while the true sequence numbers stay below 500.
    if max_seq >= 500:
        raise RuntimeError("NIP sequence numbers overflow; too many pegawai for one date")
    return orang


def add_identitas(b: Build) -> None:
    """NIP, NIK, names, degrees and NUPTK for everyone in scope or not (``b.orang``, ``b.nips``),
    and the people out of scope (``b.others``)."""
    r = b.rand
    b.others = others = _others(b)
    orang = pl.concat(
        [b.peg.select("oid", "inst", "sch", "role"), others.select("oid", "inst", "sch", "role")],
        how="vertical_relaxed",
    ).with_columns(**{f"u_{s}": r.u("oid", s) for s in _STREAMS})
    orang = _nip_and_nik_keys(_birth_and_entry(orang, b.tahun), b.inst)
    role, senior, below = _ROLE, _SENIOR, _below
    nip_num = pl.col("nip_key") * 1000 + pl.col("nip_seq")
    depan = (
        pl.when(pl.col("female"))
        .then(pick(NAMA_DEPAN_P, below("np", len(NAMA_DEPAN_P))))
        .otherwise(pick(NAMA_DEPAN_L, below("nl", len(NAMA_DEPAN_L))))
    )
    belakang = pick(NAMA_BELAKANG, below("nb", len(NAMA_BELAKANG)))
    nama = pl.when(pl.col("u_n1") < 0.12).then(depan).otherwise(pl.concat_str([depan, pl.lit(" "), belakang]))
    u_gelar = pl.col("u_gelar")
    gelar = (
        pl.when(role == "KS")
        .then(choice(u_gelar, KEPALA_GELAR))
        .when(senior)
        .then(choice(u_gelar, DINAS_GELAR))
        .when(role.is_in(["GURU", "HONORER"]))
        .then(choice(u_gelar, GURU_GELAR))
        .when(role == "PELAKSANA")
        .then(choice(u_gelar, (("", 60.0), ("S.E.", 25.0), ("A.Md.", 15.0))))
        .otherwise(pl.lit(""))
    )
    has_nuptk = role.is_in(["KS", "GURU", "HONORER"]) & (
        pl.col("u_nuptk") < pl.when(pl.col("pppk")).then(0.6).when(role == "HONORER").then(0.4).otherwise(0.9)
    )
    # A bijection of the row number onto 15 digits (the multiplier is prime to 10), so
    # NUPTK are unique; a leading digit 1..9 makes 16.
    scrambled = (pl.col("oid") * 2_718_281_828_459 + 314_159_265_358_979) % (10**15)
    nuptk = (scrambled % 9 + 1) * 10**15 + scrambled
    b.orang = orang.select(
        "oid",
        "inst",
        "sch",
        "role",
        "by",
        "ty",
        "pppk",
        nip=pl.when(pl.col("asn")).then(nip_num.cast(pl.String)),
        nip_wrong=pl.when(pl.col("asn")).then((nip_num + 500).cast(pl.String)),
        nik=(pl.col("nik_key") * 10_000 + pl.col("nik_seq")).cast(pl.String),
        nama=nama,
        gelar=gelar,
        nuptk=pl.when(has_nuptk).then(nuptk.cast(pl.String)),
    )
    b.nips = b.orang.select("oid", "nip")
