"""Pull benchmark: ``selaras tarik`` of a generated snapshot from the simulator in the real shapes.

Two processes, as in production: the simulator (``selaras simulate --bentuk nyata``) serving a
generated snapshot as SIASN's web service (two tokens, one ``data-utama`` call per pegawai),
Dapodik's per-school services and PMM's own contract; and this script pulling every instansi
into a fresh store (``tarik_instansi``, the use case behind ``selaras tarik --semua``).

Measured: wall time of the pull, requests sent (SIASN, Dapodik; PMM's pages are counted by the
simulator's stats) and requests per second, the peak memory (max RSS) of the pulling process and
of the simulator, the records per source (new, changed, unchanged, refused).

    python bench/tarik.py                                  # 300,000 pegawai, SQLite store
    python bench/tarik.py --pegawai 20000                  # smaller
    python bench/tarik.py --db postgresql://postgres@127.0.0.1/tarik_bench --concurrency 16

``--rate-limit`` (requests per second per source, 0: none) and ``--concurrency`` (in flight per
source) are the connectors' settings; the defaults of a deployment (20/s, 4) would make a
300,000-pegawai pull last over four hours by design, so the benchmark lifts the rate limit.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOKEN = "bench-token"


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pegawai", type=int, default=300_000)
    ap.add_argument("--instansi", type=int, default=None, help="instansi in the snapshot (generator default)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--tahun", type=int, default=2026)
    ap.add_argument("--db", default=None, help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rate-limit", type=float, default=0.0)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()

    from selaras.domain.snapshot import Snapshot
    from selaras.simulation.generator import generate
    from selaras.sources.connectors import RealSources
    from selaras.sources.writer import write_snapshot
    from selaras.store.database import Store
    from selaras.usecases.imports import import_snapshot
    from selaras.usecases.tarik import instansi_tersimpan, summary_of, tarik_instansi

    work = args.workdir or Path(tempfile.mkdtemp(prefix="selaras-tarik-"))
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "snapshot"
    t0 = time.perf_counter()
    g = generate(args.pegawai, seed=args.seed, tahun=args.tahun, instansi=args.instansi).snapshot
    write_snapshot(g, folder)
    roster = work / "daftar-nip.csv"
    # With its instansi, as SIASN's download gives it: each instansi's pull reads its own pegawai.
    g["siasn_pegawai"].select("nip", "instansi_id").write_csv(roster)
    db = args.db or f"sqlite:///{work / 'tarik.db'}"
    store = Store.open(db)
    own = ("instansi", "ekinerja_unor", "ekinerja_periode", "ekinerja_skp", "ekinerja_rhk", "ekinerja_penilaian")
    import_snapshot(store, Snapshot({n: g[n] for n in own}))
    counts = g.counts()
    del g
    print(f"snapshot and store ready in {time.perf_counter() - t0:.0f} s: {counts}", flush=True)

    sim = subprocess.Popen(
        [str(Path(sys.executable).parent / "selaras"), "simulate", "--snapshot", str(folder), "--bentuk", "nyata"]
        + ["--port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert sim.stdout is not None
    while "SELARAS_PMM_TOKEN" not in env:
        line = sim.stdout.readline()
        if not line:
            raise SystemExit("the simulator did not start")
        name, _, value = line.strip().partition("=")
        env[name] = value
    env["SELARAS_SIASN_DAFTAR_NIP"] = str(roster)
    env["SELARAS_SOURCE_CONCURRENCY"] = str(args.concurrency)
    env["SELARAS_SOURCE_RATE_LIMIT"] = str(args.rate_limit)  # 0: unlimited, to measure the chain
    env["SELARAS_SOURCE_MAX_ATTEMPTS"] = "8"
    try:
        sources = RealSources.from_env({**os.environ, **env})
        start = time.perf_counter()
        results = []
        with sources:
            for instansi_id in instansi_tersimpan(store):
                results.append(tarik_instansi(store, sources, instansi_id, tahun=args.tahun, pelaku="bench"))
                print(f"  {instansi_id}: {time.perf_counter() - start:.0f} s", flush=True)
            elapsed = time.perf_counter() - start
            sent = {
                "SIASN": sources.siasn.http.requests if sources.siasn else 0,
                "Dapodik": sources.dapodik.http.requests if sources.dapodik else 0,
            }
        base = env["SELARAS_PMM_URL"].removesuffix("/pmm/v1")
        stats = httpx.get(f"{base}/_sim/stats", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    finally:
        sim.terminate()
        sim.wait(30)
    total = sum(sent.values())
    pmm_calls = sum(v for k, v in stats["endpoints"].items() if k.startswith("/pmm/"))
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sim_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"pull of {args.pegawai:,} pegawai ({len(results)} instansi) in {elapsed:.1f} s")
    print(f"requests: SIASN {sent['SIASN']:,}, Dapodik {sent['Dapodik']:,}, PMM {pmm_calls:,}")
    print(f"requests per second (SIASN + Dapodik): {total / elapsed:.0f}")
    print(f"peak memory: pulling process {self_rss:.0f} MiB, simulator {sim_rss:.0f} MiB")
    for source, h in summary_of(results).items():
        print(f"  {source}: new {h.baru:,}, changed {h.berubah:,}, unchanged {h.sama:,}, refused {h.ditolak:,}")


if __name__ == "__main__":
    main()
