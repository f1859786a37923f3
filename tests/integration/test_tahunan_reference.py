"""Flow TAHUNAN on a generated snapshot against an independent reading of annual.md, written
row by row in plain Python: every TAH code of every pegawai, and every credit to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
import pytest

from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate

TAHUN = 2026
Row = dict[str, Any]

PERSEN = {"SANGAT_BAIK": 150, "BAIK": 100, "BUTUH_PERBAIKAN": 75, "KURANG": 50, "SANGAT_KURANG": 25}
KOEF = {
    "AHLI_PERTAMA": Decimal("12.5"),
    "AHLI_MUDA": Decimal(25),
    "AHLI_MADYA": Decimal("37.5"),
    "AHLI_UTAMA": Decimal(50),
}


def holds(pko: str, n: dict[str, int]) -> bool:
    """annual.md step 3, read anew: whether a school's ratings keep what its PKO allows."""
    total = sum(n.values())
    share = {p: Decimal(100 * v) / total for p, v in n.items()}
    sb, b, bp, k, sk = (share[p] for p in PERSEN)
    if pko == "ISTIMEWA":
        return sb <= 70
    if pko == "BAIK":
        return sb + b <= 70 and n["BUTUH_PERBAIKAN"] + n["KURANG"] >= 1
    if pko == "BUTUH_PERBAIKAN":
        return bp >= 60 and sb <= 10
    if pko == "KURANG":
        return k >= 60 and bp >= 10 and sb <= 10
    return sk >= 60 and k + bp >= 10 and n["SANGAT_BAIK"] == 0


def months(rows: list[Row]) -> list[tuple[str, int]]:
    """(jenjang, months of TAHUN) per jenjang held, from the rows of one pegawai's history."""

    def start(d: date) -> int:
        return d.year * 12 + d.month - 1 + (1 if d.day > 1 else 0)

    hist = sorted((start(r["tmt_jabatan"]), r["jenjang"]) for r in rows if r["jenjang"] and r["tmt_jabatan"])
    out = []
    for i, (s, j) in enumerate(hist):
        end = hist[i + 1][0] if i + 1 < len(hist) else (TAHUN + 1) * 12
        m = min(end, (TAHUN + 1) * 12) - max(s, TAHUN * 12)
        if m > 0:
            out.append((j, m))
    return out


def reference(s: Snapshot, nips: list[str]) -> tuple[set[tuple[str, str]], dict[str, float | None]]:
    """(nip, code) of every TAH error that holds, and each pegawai's credit (None: none)."""
    by_nip: dict[str, list[Row]] = defaultdict(list)
    by_nik: dict[str, list[Row]] = defaultdict(list)
    ptk_rows = s["dapodik_ptk"].to_dicts()
    for p in ptk_rows:
        if p["nip"]:
            by_nip[p["nip"]].append(p)
        if p["nik"]:
            by_nik[p["nik"]].append(p)
    skp_of: dict[str, list[Row]] = defaultdict(list)
    for r in s["pmm_skp"].to_dicts():
        if r["periode_awal"] <= date(TAHUN, 12, 31) and r["periode_akhir"] >= date(TAHUN, 1, 1):
            skp_of[r["ptk_id"]].append(r)
    synced = set(s["ekinerja_skp"]["pmm_skp_id"].drop_nulls().to_list())
    unor_npsn = {u["unor_id"]: u["npsn"] for u in s["siasn_unor"].to_dicts()}
    pko = {r["npsn"]: r["predikat"] for r in s["pmm_predikat_organisasi"].to_dicts() if r["tahun"] == TAHUN}
    rating: dict[str, list[Row]] = defaultdict(list)
    for r in s["pmm_predikat"].to_dicts():
        if r["tahun"] == TAHUN:
            rating[r["ptk_id"]].append(r)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PERSEN, 0))
    for p in ptk_rows:
        principal = "Kepala Sekolah" in (p["jenis_ptk"], p["tugas_tambahan"])
        if p["nip"] and not principal and rating[p["ptk_id"]]:
            counts[p["npsn"]][rating[p["ptk_id"]][-1]["predikat"]] += 1
    ek = {r["nip"]: r for r in s["ekinerja_predikat"].to_dicts() if r["tahun"] == TAHUN}
    jabatan: dict[str, list[Row]] = defaultdict(list)
    for r in s["siasn_jabatan"].to_dicts():
        jabatan[r["nip"]].append(r)

    found: set[tuple[str, str]] = set()
    credit: dict[str, float | None] = {}
    pegawai = {r["nip"]: r for r in s["siasn_pegawai"].to_dicts()}
    for nip in nips:
        peg = pegawai[nip]
        ptk = by_nip.get(nip) or (by_nik.get(peg["nik"]) if peg["nik"] else None) or []
        ptk = sorted(ptk, key=lambda p: p["ptk_id"])
        agreed = [r for p in ptk for r in skp_of[p["ptk_id"]] if r["status"] == "DISEPAKATI"]
        if not agreed or any(r["pmm_skp_id"] not in synced for r in agreed):
            found.add((nip, "TAH-01"))
        if agreed:
            school = max(agreed, key=lambda r: (r["periode_akhir"], r["pmm_skp_id"]))["npsn"]
        else:
            school = unor_npsn.get(peg["unor_id"]) or (ptk[0]["npsn"] if ptk else None)
        if school is not None and school not in pko:
            found.add((nip, "TAH-02"))
        mine = [
            r for pid in {r["ptk_id"] for r in agreed} | ({ptk[0]["ptk_id"]} if ptk else set()) for r in rating[pid]
        ]
        mine.sort(key=lambda r: (r["ditetapkan"] is not None, r["ditetapkan"] or date.min, r["ptk_id"]))
        predikat = mine[-1]["predikat"] if mine else None
        if predikat is None:
            found.add((nip, "TAH-03"))
        n = counts.get(school or "")
        if school in pko and n is not None and sum(n.values()) >= 5 and not holds(pko[school], n):
            found.add((nip, "TAH-04"))
        e = ek.get(nip)
        if e and e["sumber"] == "MANUAL" and predikat is not None and e["predikat"] != predikat:
            found.add((nip, "TAH-06"))
        seg = months(jabatan[nip])
        if peg["jabatan_jenis"] == "FUNGSIONAL" and not seg:
            found.add((nip, "TAH-05"))
        if predikat is None or not seg or (nip, "TAH-05") in found:
            credit[nip] = None
            continue
        total = Decimal(0)
        for j, m in seg:
            ak = Decimal(m) / 12 * PERSEN[predikat] / 100 * KOEF[j]
            total += ak.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        credit[nip] = float(total)
    return found, credit


@pytest.fixture(scope="module")
def generated() -> tuple[Snapshot, CheckResult]:
    snap = generate(2500, seed=21, tahun=TAHUN, instansi=4).snapshot
    return snap, check(snap, TAHUN, Flow.TAHUNAN, part_size=900)


def test_every_tah_code_as_annual_md_reads(generated: tuple[Snapshot, CheckResult]) -> None:
    snap, result = generated
    want, _ = reference(snap, result.pegawai["nip"].to_list())
    got = set(result.errors.select("nip", "code").iter_rows())
    assert {c for _, c in got} == {"TAH-01", "TAH-02", "TAH-03", "TAH-04", "TAH-05", "TAH-06"}
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])


def test_every_credit_to_the_cent(generated: tuple[Snapshot, CheckResult]) -> None:
    snap, result = generated
    _, want = reference(snap, result.pegawai["nip"].to_list())
    assert result.tahunan is not None
    got = dict(result.tahunan.select("nip", "angka_kredit").iter_rows())
    assert sum(v is not None for v in want.values()) > 1000
    assert got == want
    assert result.tahunan.filter(pl.col("angka_kredit").is_not_null()).height == sum(
        v is not None for v in want.values()
    )
