"""The national trend page on the daily summary (issue 12): how long the national admin waits.

Fills a fresh SQLite store with a year of daily summary sized for the nation (552 instansi, a
row each per day; ~200,000 schools, a row on each day a school's counts changed), then times
what the national trend page reads: the trend of all instansi per day (``store.eskalasi.trend``),
the national forecast with each instansi's (``usecases.eskalasi.prakiraan``), the same through
the API as the national admin (``GET /api/v1/prakiraan``), and one instansi's school forecast.

    .venv/bin/python bench/trend.py [--instansi 552] [--sekolah 200000] [--db /tmp/trend.db]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from selaras.domain.results import Flow
from selaras.store import eskalasi as esk
from selaras.store.database import Store
from selaras.store.tables import CONTRACT, ringkasan_instansi, ringkasan_sekolah
from selaras.usecases import eskalasi as uc

TAHUN = 2026
START = date(2026, 1, 1)
DAYS = 365


def fill(store: Store, n_instansi: int, n_sekolah: int, seed: int = 1) -> tuple[int, int]:
    """A year of summary: each school's teachers sync on random days, more towards the end."""
    rng = random.Random(seed)
    per_inst = [0] * n_instansi
    inst_of = [rng.randrange(n_instansi) for _ in range(n_sekolah)]
    # daily[i][d]: the instansi's change of TERSINKRON on day d; totals fixed for the year
    daily = [[0] * DAYS for _ in range(n_instansi)]
    school_rows = []
    for s in range(n_sekolah):
        i = inst_of[s]
        total = rng.randint(3, 17)
        per_inst[i] += total
        days = sorted(min(int(rng.triangular(0, DAYS, DAYS * 0.8)), DAYS - 1) for _ in range(rng.randint(0, total)))
        npsn = f"{s:08d}"
        done = 0
        school_rows.append((npsn, START, i, total, 0))
        for d in days:
            done += 1
            daily[i][d] += 1
            school_rows.append((npsn, START + timedelta(days=d), i, total, done))
    inst_rows = []
    for i in range(n_instansi):
        done = 0
        for d in range(DAYS):
            done += daily[i][d]
            inst_rows.append(
                {
                    "flow": "skp",
                    "tahun": TAHUN,
                    "instansi_id": f"I{i:04d}",
                    "tanggal": START + timedelta(days=d),
                    "total": per_inst[i],
                    "tersinkron": done,
                    "siap": (per_inst[i] - done) // 2,
                    "gagal": per_inst[i] - done - (per_inst[i] - done) // 2,
                }
            )
    # one summary row per school per day it changed: the last change of a day wins
    last: dict[tuple[str, date], dict] = {}
    for npsn, day, i, total, done in school_rows:
        last[(npsn, day)] = {
            "flow": "skp",
            "tahun": TAHUN,
            "npsn": npsn,
            "tanggal": day,
            "instansi_id": f"I{i:04d}",
            "total": total,
            "tersinkron": done,
        }
    srows = list(last.values())
    with store.write() as conn:
        conn.execute(
            CONTRACT["instansi"].insert(),
            [{"instansi_id": f"I{i:04d}", "nama": f"Pemerintah Daerah {i:04d}"} for i in range(n_instansi)],
        )
        for k in range(0, len(inst_rows), 20_000):
            conn.execute(ringkasan_instansi.insert(), inst_rows[k : k + 20_000])
        for k in range(0, len(srows), 50_000):
            conn.execute(ringkasan_sekolah.insert(), srows[k : k + 50_000])
    return len(inst_rows), len(srows)


def timed(label: str, fn: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of ``runs`` calls (after one warm-up), printed."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(f"{label:<58} median {med * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instansi", type=int, default=552)
    ap.add_argument("--sekolah", type=int, default=200_000)
    ap.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "selaras-bench-trend.db")
    args = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    store = Store.open(str(args.db))
    t = time.perf_counter()
    n_inst, n_school = fill(store, args.instansi, args.sekolah)
    print(f"filled {n_inst:,} instansi rows and {n_school:,} school rows in {time.perf_counter() - t:.1f} s")
    print(f"store: {os.path.getsize(args.db) / 2**20:.0f} MiB")

    timed("national trend (all instansi per day)", lambda: esk.trend(store, "skp", TAHUN))
    timed(
        "national forecast + each instansi's (usecase)",
        lambda: uc.prakiraan(store, Flow.SKP, tahun=TAHUN, tenggat=date(2026, 12, 31)),
    )
    timed(
        "one instansi's school forecast (usecase)",
        lambda: uc.prakiraan(store, Flow.SKP, instansi_id="I0001", tahun=TAHUN, tenggat=date(2026, 12, 31)),
    )

    from fastapi.testclient import TestClient

    from selaras.jobs.runtime import JobRunner
    from selaras.usecases.accounts import create_account, create_token
    from selaras.web.app import create_app

    create_account(store, "nasional", "bench-rahasia", "nasional", "Admin Nasional")
    client = TestClient(create_app(store, JobRunner(store), tahun=TAHUN))
    client.headers["Authorization"] = f"Bearer {create_token(store, 'nasional')}"

    def page() -> None:
        r = client.get("/api/v1/prakiraan")
        assert r.status_code == 200 and r.json()["prakiraan"]["berisiko"], r.text

    timed("GET /api/v1/prakiraan as national admin (HTTP, in-process)", page)
    store.dispose()


if __name__ == "__main__":
    main()
