"""National-scale benchmark: generate (or take) a snapshot, then check, sync, import, and
check and sync from the store.

Each stage runs as its own ``selaras`` process, so wall time and peak memory (max RSS, from
``wait4``) are those of exactly that command as a user would run it.

    python bench/national.py                    # 2,030,000 generated pegawai, in bench/out/
    python bench/national.py --pegawai 200000   # a smaller run
    python bench/national.py --snapshot /tmp/nat --tahun 2025            # someone else's data
    python bench/national.py --snapshot /tmp/nat --tahun 2025 \\
        --db postgresql://postgres@127.0.0.1:5432/test                  # store stages on PostgreSQL too

The store stages always run on a SQLite file in ``--out``; each ``--db`` (a URL, as the CLI's
``--db`` takes it) runs them once more on that database, whose contents the import replaces.

Targets on the 2-core machine (issue 11): check <= 45 s, sync to files <= 75 s, import + sync
into SQLite <= 240 s, peak memory <= 6 GB. Figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent


def run(label: str, args: list[str], quiet: bool = False) -> tuple[str, float, float, int]:
    """Run ``selaras args`` (stdout thrown away when ``quiet``); (label, seconds, peak GiB, exit)."""
    cmd = [sys.executable, "-m", "selaras.cli", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024 / 1024  # KiB -> GiB
    print(f"{label:<36} {seconds:8.1f} s  {peak:6.2f} GiB  exit {code}", flush=True)
    return label, seconds, peak, code


def kind(db: str) -> str:
    """The database's kind for a label, without the URL's user or password."""
    scheme = urlsplit(db).scheme
    return "PostgreSQL" if scheme.startswith("postgres") else "SQLite" if not scheme or "sqlite" in scheme else scheme


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=Path, help="use this snapshot folder (not generated; never changed)")
    parser.add_argument("--pegawai", type=int, default=2_030_000, help="pegawai to generate (without --snapshot)")
    parser.add_argument("--tahun", type=int, default=2026)
    parser.add_argument("--db", action="append", default=[], help="also run the store stages on this database URL")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="working folder (emptied first)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and store")
    a = parser.parse_args()
    if a.snapshot is not None:
        if not a.snapshot.is_dir():
            parser.error(f"--snapshot {a.snapshot}: no such folder")
        if a.snapshot.resolve().is_relative_to(a.out.resolve()):
            parser.error("--snapshot must not be inside --out, which is emptied first")

    if a.out.exists():
        shutil.rmtree(a.out)
    a.out.mkdir(parents=True)
    snap, synced = a.snapshot or a.out / "snapshot", a.out / "synced"
    t = str(a.tahun)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    print(
        f"Selaras national benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {memory:.0f} GiB; tahun {a.tahun}"
    )
    rows = []
    if a.snapshot is None:
        print(f"generating {a.pegawai:,} pegawai")
        rows.append(run("generate", ["generate", "--pegawai", str(a.pegawai), "--tahun", t, "--out", str(snap)]))
    size = sum(f.stat().st_size for f in snap.iterdir() if f.is_file()) / 1024**3
    print(f"snapshot {snap}: {size:.2f} GiB on disk")
    rows.append(run("check (CSV, jsonl)", ["check", "--snapshot", str(snap), "--tahun", t, "--format", "jsonl"], True))
    rows.append(run("sync (CSV -> CSV)", ["sync", "--snapshot", str(snap), "--tahun", t, "--out", str(synced)]))
    for db in [str(a.out / "bench.db"), *a.db]:
        k = kind(db)
        rows.append(run(f"import (CSV -> {k})", ["import", str(snap), "--db", db]))
        rows.append(run(f"sync ({k} store)", ["sync", "--db", db, "--tahun", t]))
        rows.append(run(f"check ({k} store)", ["check", "--db", db, "--tahun", t, "--format", "jsonl"], True))
    print("\n| stage | wall time (s) | peak memory (GiB) | exit |\n|---|---:|---:|---:|")
    for label, seconds, peak, code in rows:
        print(f"| {label} | {seconds:.1f} | {peak:.2f} | {code} |")
    if not a.keep:
        shutil.rmtree(a.out)


if __name__ == "__main__":
    main()
