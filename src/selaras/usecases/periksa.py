"""The live checks the pages show: one pegawai (the pegawai page and the printable PAK), a
school's and an instansi's year's end (the page ``/tahunan``).

The same rule definitions the batch (``selaras check``/``sync``) and the Sinkron PMM button
run, on the rows read from the store now: for a pegawai, the flow's errors (PMM-01 decides
whether the button shows), whether the pegawai leads a school, and the year's end (rating,
credit and promotion readiness); for a school, its distribution of ratings against its PKO;
for an instansi, the schools to act on and the promotions due. Reads only: no unit of work
(a write transaction would make a page wait for a running batch) and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from selaras.catalogue.codes import CATALOGUE, TAHUNAN_CODES
from selaras.domain.angka_kredit import kenaikan
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check, evaluate
from selaras.domain.rules.common import scope
from selaras.domain.rules.tahunan import TahunanContext
from selaras.domain.sebaran import langgar
from selaras.domain.snapshot import PREDIKAT, Snapshot
from selaras.store import pimpinan, reads
from selaras.store.database import Store
from selaras.store.parts import load_part, plan_parts
from selaras.store.snapshots import load_snapshot


@dataclass(frozen=True)
class TahunPegawai:
    """The year's end of one pegawai as the rules decide it."""

    nilai: pl.DataFrame
    """The pegawai's rating and angka kredit of the year (``TAHUNAN_SCHEMA``; empty when none)."""
    kenaikan: dict[str, Any] | None
    """The promotion readiness (a row of :func:`selaras.domain.angka_kredit.kenaikan`), or None."""
    kode: list[str]
    """The codes of the year's end that hold for the pegawai."""


@dataclass(frozen=True)
class Pemeriksaan:
    """What the live check found for one pegawai."""

    nip: str
    tahun: int
    snapshot: Snapshot
    """The pegawai's rows, as :func:`load_snapshot` reads them for checking ``nip``."""
    pegawai: dict[str, Any]
    """The pegawai's SIASN row."""
    ptk: pl.DataFrame
    """The Dapodik PTK rows matched to the pegawai by NIP or NIK."""
    kepala_sekolah: bool
    """Whether the pegawai leads a school now (as the rules decide it)."""
    hasil: CheckResult | None
    """The check of the flow asked for (None when none was asked)."""
    errors: pl.DataFrame
    """The errors of that check that concern the pegawai."""
    tahunan: TahunPegawai


def periksa_pegawai(
    store: Store, nip: str, tahun: int, flow: Flow | None = Flow.SKP, tanggal: date | None = None
) -> Pemeriksaan | None:
    """Check ``nip`` for ``tahun`` now: the rules of ``flow`` (None: only the year's end) on the
    check date ``tanggal`` (default: today in the instansi's zone), and the year's end; None
    when the store does not know the pegawai."""
    snap = load_snapshot(store, [nip])
    peg = snap["siasn_pegawai"].filter(pl.col("nip") == nip)
    if peg.height == 0:
        return None
    p = peg.row(0, named=True)
    hasil = None
    if flow is not None:
        kebijakan = pimpinan.kebijakan_of(store, tanggal, instansi_id=p["instansi_id"])
        hasil = check(snap, tahun, flow, nips=[nip], kebijakan=kebijakan)
    ptk = snap["dapodik_ptk"].filter((pl.col("nip") == nip) | (pl.col("nik") == p["nik"]))
    return Pemeriksaan(
        nip=nip,
        tahun=tahun,
        snapshot=snap,
        pegawai=p,
        ptk=ptk,
        kepala_sekolah=_kepala_sekolah(snap, nip, ptk, hasil),
        hasil=hasil,
        errors=hasil.errors.filter(pl.col("nip") == nip) if hasil is not None else pl.DataFrame(),
        tahunan=tahun_pegawai(snap, tahun, nip),
    )


def _kepala_sekolah(snap: Snapshot, nip: str, ptk: pl.DataFrame, hasil: CheckResult | None) -> bool:
    # The PTK matched as the rules match it (by NIP, else by NIK: a principal whose Dapodik NIP is
    # wrong is a principal here too, and his PMM-01 card names him so).
    own_ptk = ptk.filter(pl.col("nip") == nip) if ptk.filter(pl.col("nip") == nip).height else ptk
    ks = bool(own_ptk.select(principal_expr()).to_series().any()) if own_ptk.height else False
    mine = hasil.pegawai.filter(pl.col("nip") == nip) if hasil is not None else pl.DataFrame()
    if snap["dapodik_tugas_tambahan"].height and mine.height:
        ks = bool(mine["kepala_sekolah"].item())  # leaders.md: a running Plt leads; an ended duty does not
    return ks


def tahun_pegawai(snap: Snapshot, tahun: int, nip: str) -> TahunPegawai:
    """The teacher's year as the rules decide it: rating, credit, promotion readiness and the
    year's-end codes (``snap`` holds ``nip``'s rows)."""
    ev = evaluate(snap, tahun, Flow.TAHUNAN, nips=[nip])
    nilai = ev.tahunan.filter(pl.col("nip") == nip) if ev.tahunan is not None else pl.DataFrame()
    predikat = (
        nilai.select("nip", "predikat").drop_nulls()
        if nilai.height
        else pl.DataFrame(schema={"nip": pl.String, "predikat": pl.String})
    )
    ready = kenaikan(
        snap["siasn_jabatan"].filter(pl.col("nip") == nip),
        snap["siasn_angka_kredit"].filter(pl.col("nip") == nip),
        predikat,
        tahun,
    )
    return TahunPegawai(
        nilai=nilai,
        kenaikan=ready.row(0, named=True) if ready.height else None,
        kode=ev.errors.filter(pl.col("nip") == nip)["code"].to_list(),
    )


# --- the year's end of a school and of an instansi ----------------------------------------


@dataclass(frozen=True)
class SebaranSekolah:
    """A school's distribution of the year's ratings as the rules judge it."""

    npsn: str
    sebaran: dict[str, Any]
    """The school's row of the distribution (pko, dinilai, jumlah_<predikat>, pelanggaran,
    dinilai_cukup); the defaults when the school has none."""
    guru: pl.DataFrame
    """The school's teachers with a NIP (not the principal), each with the year's rating or null."""
    sesudah: list[dict[str, Any]]
    """Monitoring kurva: the bounds broken after one more rating of each kind, before it is given."""


def sebaran_of(snap: Snapshot, tahun: int, npsn: str) -> SebaranSekolah:
    """The distribution of ``npsn`` (``snap``: the school's rows) against its PKO."""
    sc = scope(snap, tahun, None, None)
    c = TahunanContext(snap, tahun, sc)
    row = c.sebaran.filter(pl.col("npsn") == npsn)
    r = row.row(0, named=True) if row.height else {"pko": None, "dinilai": 0, "pelanggaran": [], "dinilai_cukup": False}
    guru = (
        snap["dapodik_ptk"]
        .filter((pl.col("npsn") == npsn) & ~principal_expr() & pl.col("nip").is_not_null())
        .join(
            snap["pmm_predikat"].filter(pl.col("tahun") == tahun).select("ptk_id", "predikat"), on="ptk_id", how="left"
        )
        .sort("nama")
    )
    jumlah = {p: int(r.get(f"jumlah_{p}") or 0) for p in PREDIKAT}
    sesudah = [
        {"predikat": p, "pelanggaran": langgar(r["pko"], {**jumlah, p: jumlah[p] + 1})}
        for p in PREDIKAT
        if r.get("pko")
    ]
    return SebaranSekolah(npsn, r, guru, sesudah)


def periksa_sekolah(store: Store, npsn: str | None, tahun: int) -> SebaranSekolah:
    """The year's end of school ``npsn`` now: its distribution against its PKO."""
    nips = [r["nip"] for r in reads.school_ptk(store, npsn) if r["nip"]]
    return sebaran_of(load_snapshot(store, nips), tahun, npsn or "")


def sekolah_dinas(snap: Snapshot, tahun: int) -> dict[str, Any]:
    """The Dinas's view: schools without a PKO, schools whose distribution breaks the rule."""
    sc = scope(snap, tahun, None, None)
    c = TahunanContext(snap, tahun, sc)
    nama = snap["dapodik_sekolah"].select("npsn", "nama")
    judged = c.sebaran
    tanpa = (
        nama.join(c.pko, on="npsn", how="anti")
        .join(sc.pegawai.group_by("npsn").len("pegawai"), on="npsn", how="inner")
        .sort("nama")
    )
    langgar = (
        judged.filter(pl.col("pelanggaran").list.len() > 0)
        .join(nama, on="npsn", how="left")
        .sort("nama")
        .select("npsn", "nama", "pko", "dinilai", "pelanggaran")
    )
    return {"tanpa_pko": tanpa.to_dicts(), "melanggar": langgar.to_dicts()}


JUDUL = {c: f"({e.judul})" for c, e in CATALOGUE.items() if c in TAHUNAN_CODES}


def naik_tahun_ini(snap: Snapshot, tahun: int) -> dict[str, Any]:
    """The Admin Instansi's view: pegawai due for a promotion this year, and those whose credit
    is blocked by a missing rating (TAH-03) or jenjang (TAH-05)."""
    ev = evaluate(snap, tahun, Flow.TAHUNAN)
    nilai = ev.tahunan if ev.tahunan is not None else pl.DataFrame(schema={"nip": pl.String, "predikat": pl.String})
    ready = kenaikan(
        snap["siasn_jabatan"], snap["siasn_angka_kredit"], nilai.select("nip", "predikat").drop_nulls(), tahun
    )
    peg = ev.pegawai.select("nip", "nama", "npsn")
    due = (
        ready.filter(pl.col("naik_tahun_ini"))
        .join(peg, on="nip", how="inner")
        .sort("nama")
        .select(
            "nip",
            "nama",
            "npsn",
            "jenjang",
            "golongan",
            "terkumpul",
            "butuh_pangkat",
            "butuh_jenjang",
            "tahun_pangkat",
            "tahun_jenjang",
        )
    )
    blocked = (
        ev.errors.filter(pl.col("code").is_in(["TAH-03", "TAH-05"]))
        .group_by("nip")
        .agg(pl.col("code").unique().sort())
        .join(peg, on="nip", how="inner")
        .sort("nama")
        .with_columns(
            pl.col("code")
            .list.eval(pl.element() + pl.lit(" ") + pl.element().replace_strict(JUDUL, default=""))
            .alias("kendala")
        )
    )
    per_school = (
        nilai.join(peg, on="nip", how="inner")
        .group_by("npsn")
        .agg(pl.col("angka_kredit").sum().round(2).alias("angka_kredit"), pl.len().alias("pegawai"))
        .join(snap["dapodik_sekolah"].select("npsn", "nama"), on="npsn", how="left")
        .sort("nama")
    )
    return {"naik": due.to_dicts(), "terhambat": blocked.to_dicts(), "per_sekolah": per_school.to_dicts()}


def periksa_instansi(
    store: Store, instansi_id: str, tahun: int, *, naik: bool
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]] | None]:
    """The year's end of an instansi now, part by part: the Dinas's schools to act on, and
    (``naik``) the Admin Instansi's promotions due (else None)."""
    dinas: dict[str, list[dict[str, Any]]] = {"tanpa_pko": [], "melanggar": []}
    admin: dict[str, list[dict[str, Any]]] = {"naik": [], "terhambat": [], "per_sekolah": []}
    small: dict[str, pl.DataFrame] = {}
    for plan in plan_parts(store, instansi_id=instansi_id):
        snap = load_part(store, plan, small=small).snapshot
        for k, v in sekolah_dinas(snap, tahun).items():
            dinas[k].extend(v)
        if naik:
            for k, v in naik_tahun_ini(snap, tahun).items():
                admin[k].extend(v)
    return dinas, admin if naik else None
