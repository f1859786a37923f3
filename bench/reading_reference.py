"""An independent reference of errors.md's flow SKP, in plain Python over the snapshot's CSV,
to compare with ``selaras check --format jsonl`` pegawai by pegawai.

It shares no code with Selaras (only the standard library): it reads the contract CSV files
itself and decides every SKP code by the letter of errors.md and its Clarifications, the
changed readings included (PMM-10 only when certain; the superior D of PMM-11/13; PMM-13's
causes per RHK). Then it compares, per pegawai: the set of codes, GAGAL or not, the superior D
each PMM-11 / PMM-13 names, and the causes (``alasan``) of each PMM-13.

    selaras check --snapshot DIR --tahun 2025 --format jsonl > check.jsonl
    python bench/reading_reference.py DIR check.jsonl --tahun 2025
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

Row = dict[str, Any]
KS = "Kepala Sekolah"
JENIS_PTK_BOLEH = {
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
}


def rows(folder: Path, name: str) -> list[Row]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(f)]


def truthy(v: str | None) -> bool:
    return (v or "").lower() in ("1", "true", "ya", "t")


def reference(folder: Path, tahun: int) -> dict[str, dict[str, Any]]:
    """nip -> {codes, d: {pmm_skp_id: D}, alasan: {pmm_skp_id: set}} for every pegawai in scope."""
    first, last = f"{tahun}-01-01", f"{tahun}-12-31"
    pegawai = rows(folder, "siasn_pegawai")
    siasn_nips = {p["nip"] for p in pegawai}
    nik_of = {p["nip"]: p["nik"] for p in pegawai}
    by_nip: dict[str, list[Row]] = defaultdict(list)
    by_nik: dict[str, list[Row]] = defaultdict(list)
    for p in sorted(rows(folder, "dapodik_ptk"), key=lambda r: r["ptk_id"]):
        if p["nip"]:
            by_nip[p["nip"]].append(p)
        if p["nik"]:
            by_nik[p["nik"]].append(p)

    def ptks(nip: str, nik: str | None) -> tuple[list[Row], bool]:
        """The PTK matched to a pegawai, NIP first then NIK; and whether the NIP matched."""
        if by_nip.get(nip):
            return by_nip[nip], True
        return (by_nik.get(nik) or [] if nik else []), False

    skps_of: dict[str, list[Row]] = defaultdict(list)
    for s in rows(folder, "pmm_skp"):
        if s["periode_awal"] <= last and s["periode_akhir"] >= first:
            skps_of[s["ptk_id"]].append(s)
    rhk_of: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for r in rows(folder, "pmm_rhk"):
        rhk_of[r["pmm_skp_id"]].append((r["pmm_rhk_id"], r["induk_pmm_rhk_id"]))
    siasn_unor = {u["unor_id"]: u for u in rows(folder, "siasn_unor")}
    unit_of_npsn: dict[str, Row] = {}
    for u in sorted(siasn_unor.values(), key=lambda u: (not truthy(u["aktif"]), u["unor_id"])):
        if u["npsn"]:
            unit_of_npsn.setdefault(u["npsn"], u)
    ek_unor = {u["unor_id"]: u for u in rows(folder, "ekinerja_unor")}
    tahunan: dict[str, list[Row]] = defaultdict(list)
    for p in sorted(rows(folder, "ekinerja_periode"), key=lambda r: r["periode_id"]):
        if p["jenis"] == "TAHUNAN":
            tahunan[p["instansi_id"]].append(p)
    ek_skp: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for k in rows(folder, "ekinerja_skp"):
        ek_skp[(k["nip"], k["periode_id"])].append(k)
    carried_by_skp: dict[str, set[str]] = defaultdict(set)
    for r in rows(folder, "ekinerja_rhk"):
        if r["pmm_rhk_id"]:
            carried_by_skp[r["skp_id"]].add(r["pmm_rhk_id"])

    def agreed_plan(d: str) -> set[str]:
        """The PMM RHK ids of D's agreed plans of the year (D matched NIP, then NIK)."""
        found, _ = ptks(d, nik_of.get(d))
        return {
            rid
            for p in found
            for s in skps_of[p["ptk_id"]]
            if s["status"] == "DISEPAKATI"
            for rid, _ in rhk_of[s["pmm_skp_id"]]
        }

    plan_cache: dict[str, set[str]] = {}
    out: dict[str, dict[str, Any]] = {}
    for p in pegawai:
        nip = p["nip"]
        found, nip_matched = ptks(nip, p["nik"])
        if not found and not (p["jabatan_nama"] or "").startswith("Guru"):
            continue
        codes: set[str] = set()
        d_named: dict[str, str | None] = {}
        alasan: dict[str, set[str]] = {}
        if not nip_matched:
            codes.add("PMM-01")
        principal = any(KS in (x["jenis_ptk"], x["tugas_tambahan"]) for x in found)
        skps = [s for x in found for s in skps_of[x["ptk_id"]]]
        agreed = [s for s in skps if s["status"] == "DISEPAKATI"]
        if not agreed:
            codes.add("PMM-02")
        own = siasn_unor.get(p["unor_id"] or "")
        own_ek = ek_unor.get(p["unor_id"] or "")
        if not (own and truthy(own["aktif"]) and own_ek and truthy(own_ek["aktif"])):
            codes.add("PMM-03")
        if found and found[0]["jenis_ptk"] not in JENIS_PTK_BOLEH:
            codes.add("PMM-04")
        if p["jabatan_jenis"] != "FUNGSIONAL" or not (p["jabatan_nama"] or "").startswith("Guru"):
            codes.add("PMM-05")
        if p["status"] != "AKTIF" or p["jenis_asn"] not in ("PNS", "PPPK"):
            codes.add("PMM-09")
        for s in agreed or skps:
            period = next(
                (
                    x
                    for x in tahunan[p["instansi_id"]]
                    if x["awal"] <= s["periode_awal"] and x["akhir"] >= s["periode_akhir"]
                ),
                None,
            )
            if period is None:
                codes.add("PMM-06")
            unit = unit_of_npsn.get(s["npsn"] or "")
            if unit is None:
                codes.add("PMM-08")
                continue
            if period is not None and any(
                k["sumber"] == "MANUAL" and k["unor_id"] == unit["unor_id"] for k in ek_skp[(nip, period["periode_id"])]
            ):
                codes.add("PMM-07")
            if principal:
                continue
            a = (ek_unor.get(unit["unor_id"]) or {}).get("atasan_nip")
            d = a
            if s["atasan_nip"] and a != s["atasan_nip"]:
                codes.add("PMM-12")
                if s["atasan_nip"] not in siasn_nips:
                    continue  # D unknown: PMM-11/13 wait until PMM-12 is fixed
                d = s["atasan_nip"]
            if period is None:
                continue
            d_skps = ek_skp[(d or "", period["periode_id"])]
            if not d_skps:
                codes.add("PMM-11")
                d_named[s["pmm_skp_id"]] = d
                continue
            carried = set().union(*(carried_by_skp[k["skp_id"]] for k in d_skps))
            causes = set()
            for _, induk in rhk_of[s["pmm_skp_id"]]:
                if induk is not None and induk in carried:
                    continue
                if induk is None:
                    causes.add("INDUK_KOSONG")
                    continue
                if d not in plan_cache:
                    plan_cache[d] = agreed_plan(d)
                causes.add("BELUM_DI_SKP_ATASAN" if induk in plan_cache[d] else "INDUK_BUKAN_RHK_ATASAN")
            if causes:
                codes.add("PMM-13")
                d_named[s["pmm_skp_id"]] = d
                alasan[s["pmm_skp_id"]] = causes
        if skps and own is not None:
            if own["npsn"]:
                if not any(s["npsn"] == own["npsn"] for s in skps):
                    codes.add("PMM-10")
            elif all((s["npsn"] or "") in unit_of_npsn for s in skps):
                codes.add("PMM-10")
        out[nip] = {"codes": codes, "d": d_named, "alasan": alasan}
    return out


def selaras(jsonl: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with jsonl.open(encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            d: dict[str, str | None] = {}
            alasan: dict[str, set[str]] = {}
            selesai: dict[tuple[str, str], str | None] = {}
            for e in obj["errors"]:
                if e["code"] in ("PMM-11", "PMM-13"):
                    selesai[(e["code"], e["pmm_skp_id"])] = e["selesai_oleh"]
                if e["code"] in ("PMM-11", "PMM-13"):
                    d[e["pmm_skp_id"]] = (e["detail"].get("ekinerja") or {}).get("atasan_nip")
                if e["code"] == "PMM-13":
                    alasan[e["pmm_skp_id"]] = set(e["detail"].get("alasan") or [])
            out[obj["nip"]] = {
                "codes": {e["code"] for e in obj["errors"]},
                "status": obj["status"],
                "d": d,
                "alasan": alasan,
                "selesai": selesai,
            }
    return out


def expected_selesai(w: dict[str, Any], got: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str | None]:
    """``selesai_oleh`` by the reading: D, on PMM-11 and on a PMM-13 whose causes are all
    BELUM_DI_SKP_ATASAN, when D is SIAP (D's GAGAL is checked by the codes; SIAP versus
    TERSINKRON is taken from Selaras's own status of D, which this reference does not compute)."""
    out: dict[tuple[str, str], str | None] = {}
    for skp, d in w["d"].items():
        code = "PMM-13" if skp in w["alasan"] else "PMM-11"
        clears = code == "PMM-11" or w["alasan"][skp] == {"BELUM_DI_SKP_ATASAN"}
        ready = d is not None and (got.get(d) or {}).get("status") == "SIAP"
        out[(code, skp)] = d if clears and ready else None
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("jsonl", type=Path)
    ap.add_argument("--tahun", type=int, required=True)
    ap.add_argument("--show", type=int, default=5, help="disagreements to print per kind")
    args = ap.parse_args()
    t0 = time.monotonic()
    want = reference(args.snapshot, args.tahun)
    t1 = time.monotonic()
    got = selaras(args.jsonl)
    print(f"reference: {len(want):,} pegawai in {t1 - t0:.1f} s; selaras: {len(got):,} pegawai")
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for nip in sorted(set(want) | set(got)):
        w, g = want.get(nip), got.get(nip)
        if w is None or g is None:
            kinds["scope"] += 1
            examples["scope"].append(nip)
            continue
        checks = {
            "codes": w["codes"] == g["codes"],
            "status": bool(w["codes"]) == (g["status"] == "GAGAL"),
            "superior D": w["d"] == g["d"],
            "PMM-13 alasan": w["alasan"] == g["alasan"],
            "selesai_oleh": expected_selesai(w, got) == g["selesai"],
        }
        for kind, ok in checks.items():
            if not ok:
                kinds[kind] += 1
                if len(examples[kind]) < args.show:
                    key = {
                        "codes": "codes",
                        "status": "codes",
                        "superior D": "d",
                        "PMM-13 alasan": "alasan",
                        "selesai_oleh": "selesai",
                    }[kind]
                    mine = expected_selesai(w, got) if key == "selesai" else w[key]
                    examples[kind].append(f"{nip}: reference {mine} / selaras {g[key]} ({g['status']})")
        if all(checks.values()):
            kinds["agree"] += 1
    per_code_ref: Counter[str] = Counter(c for w in want.values() for c in w["codes"])
    per_code_sel: Counter[str] = Counter(c for g in got.values() for c in g["codes"])
    total = len(set(want) | set(got))
    print(f"pegawai agreeing on codes, status, D, alasan and selesai_oleh: {kinds['agree']:,} of {total:,}")
    for kind in ("scope", "codes", "status", "superior D", "PMM-13 alasan", "selesai_oleh"):
        print(f"  disagreeing on {kind}: {kinds[kind]:,}")
        for ex in examples[kind]:
            print(f"    {ex}")
    print("pegawai per code (reference / selaras):")
    for code in sorted(per_code_ref | per_code_sel):
        if code.startswith("PMM"):
            print(f"  {code}: {per_code_ref[code]:,} / {per_code_sel[code]:,}")
    causes: Counter[str] = Counter(a for g in got.values() for s in g["alasan"].values() for a in s)
    print(
        "PMM-13 causes in selaras (SKP with the cause): " + ", ".join(f"{k} {v:,}" for k, v in sorted(causes.items()))
    )
    return 0 if kinds["agree"] == len(set(want) | set(got)) else 1


if __name__ == "__main__":
    sys.exit(main())
