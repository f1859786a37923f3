"""The live check of one pegawai: what the pegawai page and the printable PAK show.

The same rule definitions the batch (``selaras check``/``sync``) and the Sinkron PMM button
run, on the pegawai's rows read from the store now: the flow's errors (PMM-01 decides whether
the button shows), whether the pegawai leads a school, and the year's end (rating, credit and
promotion readiness). Reads only: no unit of work (a write transaction would make a page wait
for a running batch) and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from selaras.domain.angka_kredit import kenaikan
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check, evaluate
from selaras.domain.snapshot import Snapshot
from selaras.store import pimpinan
from selaras.store.database import Store
from selaras.store.repository import load_snapshot


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
