"""National-scale benchmark: generate, import, check and sync 2,030,000 pegawai.

Each stage runs as its own ``selaras`` process, so wall time and peak memory (max RSS, from
``wait4``) are those of exactly that command as a user would run it.

    python bench/national.py                    # 2,030,000 pegawai, in bench/out/
    python bench/national.py --pegawai 200000   # a smaller run

Targets on the 2-core machine (issue "Selaras core"): check <= 60 s, sync into the embedded
store <= 5 min, peak memory <= 6 GB. Figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(label: str, args: list[str], stdout: int | None = None) -> tuple[float, float, int]:
    """Run ``selaras args``; return (seconds, peak GiB, exit status)."""
    cmd = [sys.executable, "-m", "selaras.cli", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024 / 1024  # KiB -> GiB
    print(f"{label:<28} {seconds:8.1f} s  {peak:6.2f} GiB  exit {code}", flush=True)
    return seconds, peak, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pegawai", type=int, default=2_030_000)
    parser.add_argument("--tahun", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and store")
    a = parser.parse_args()

    if a.out.exists():
        shutil.rmtree(a.out)
    a.out.mkdir(parents=True)
    snap, db, synced = a.out / "snapshot", a.out / "bench.db", a.out / "synced"
    t = str(a.tahun)
    print(f"Selaras national benchmark: {a.pegawai:,} pegawai, tahun {a.tahun}, {os.cpu_count()} cores")
    rows = [
        ("generate", *run("generate", ["generate", "--pegawai", str(a.pegawai), "--tahun", t, "--out", str(snap)])),
    ]
    size = sum(f.stat().st_size for f in snap.iterdir()) / 1024**3
    print(f"{'':<28} snapshot on disk: {size:.2f} GiB")
    with open(os.devnull, "wb") as null:
        rows.append(
            (
                "check (CSV, jsonl)",
                *run(
                    "check (CSV, jsonl)",
                    ["check", "--snapshot", str(snap), "--tahun", t, "--format", "jsonl"],
                    stdout=null.fileno(),
                ),
            )
        )
    rows.append(
        (
            "sync (CSV -> CSV)",
            *run("sync (CSV -> CSV)", ["sync", "--snapshot", str(snap), "--tahun", t, "--out", str(synced)]),
        )
    )
    rows.append(("import (CSV -> SQLite)", *run("import (CSV -> SQLite)", ["import", str(snap), "--db", str(db)])))
    rows.append(("sync (SQLite store)", *run("sync (SQLite store)", ["sync", "--db", str(db), "--tahun", t])))
    with open(os.devnull, "wb") as null:
        rows.append(
            (
                "check (SQLite store)",
                *run(
                    "check (SQLite store)",
                    ["check", "--db", str(db), "--tahun", t, "--format", "jsonl"],
                    stdout=null.fileno(),
                ),
            )
        )
    print("\n| stage | wall time (s) | peak memory (GiB) | exit |\n|---|---:|---:|---:|")
    for label, seconds, peak, code in rows:
        print(f"| {label} | {seconds:.1f} | {peak:.2f} | {code} |")
    if not a.keep:
        shutil.rmtree(a.out)


if __name__ == "__main__":
    main()
