"""Load benchmark: sync requests over HTTP against a store holding the national snapshot.

The whole chain runs as separate processes on this machine, as in production:
- the store in PostgreSQL, holding the national snapshot (loaded once, reused on later runs);
- the source simulator (``selaras simulate``) serving that snapshot as PMM, SIASN and Dapodik;
- the web app (``selaras serve --engine celery``) accepting sync requests at
  ``POST /api/v1/pegawai/{nip}/sinkron`` (admin instansi tokens: "sync on behalf");
- Celery workers (``selaras worker --engine celery``) over Redis;
- this script as the client on loopback (asyncio + httpx).

Phase 1 (acceptance): as many requests as the app takes, from 64 connections, for
``--accept-seconds``, sent by ``wrk`` (Debian package ``wrk``; a Python client would itself
take a core at these rates) with ``bench/sinkron.lua``. Phase 2 (sustained): ``--rate`` requests per second, paced, for
``--duration`` seconds. Latency is request sent -> job finished (``sync_job.selesai``, the
result logged), over every request of phase 2. Lost: acknowledged job ids that never finish.

    python bench/load.py                                   # national: 2,030,000 pegawai
    python bench/load.py --pegawai 200000 --duration 60    # smaller and shorter

Targets on the 2-core machine (issue "Live source connectors..."): >= 300 requests/s
accepted; at 200 requests/s for 5 minutes, p95 request -> result <= 2 s, no job lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SELARAS = str(Path(sys.executable).with_name("selaras"))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
TAHUN = 2026
TOKEN = "bench-sumber"


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


def ensure_database(name: str) -> str:
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return f"{PG}/{name}"


def prepare(url: str, pegawai: int, snapshot_dir: Path) -> None:
    """Generate the snapshot (CSV, for the simulator) and load it into the store, once."""
    from selaras.simulation.generator import generate
    from selaras.sources.writer import write_snapshot
    from selaras.store.database import Store
    from selaras.store.snapshots import save_snapshot

    store = Store.open(url)
    with store.read() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM siasn_pegawai")).scalar()
    if have and (snapshot_dir / "siasn_pegawai.csv").exists():
        log(f"store already holds {have:,} pegawai; reusing it")
        return
    t = time.perf_counter()
    g = generate(pegawai, seed=2026, tahun=TAHUN)
    log(f"generated {pegawai:,} pegawai in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    write_snapshot(g.snapshot, snapshot_dir)
    log(f"wrote the snapshot CSV in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    save_snapshot(store, g.snapshot)
    log(f"loaded the store in {time.perf_counter() - t:.1f} s")
    store.dispose()


def admin_tokens(url: str) -> dict[str, str]:
    """An admin instansi account and API token per instansi."""
    from selaras.domain.akun import Peran
    from selaras.store.database import Store
    from selaras.usecases.accounts import create_account, create_token, hash_password

    store = Store.open(url)
    with store.read() as conn:
        instansi = [r[0] for r in conn.execute(sa.text("SELECT instansi_id FROM instansi ORDER BY instansi_id"))]
    shared = hash_password("bench-rahasia")
    tokens = {}
    for i in instansi:
        name = f"bench-admin-{i}"
        create_account(store, name, "", Peran.ADMIN, f"Admin {i}", instansi_id=i, password_hash=shared)
        tokens[i] = create_token(store, name, "bench")
    store.dispose()
    return tokens


def targets(url: str) -> list[tuple[str, str]]:
    """(instansi_id, nip) of every pegawai, to draw requests from."""
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.text("SELECT instansi_id, nip FROM siasn_pegawai WHERE instansi_id IS NOT NULL")).all()
    eng.dispose()
    return [(r[0], r[1]) for r in rows]


def start(args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    logf = (OUT / f"load-{name}.log").open("wb")
    return subprocess.Popen([SELARAS, *args], env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)


def wait_http(url: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up")


async def _connection(host: str, port: int, jobs: asyncio.Queue, results: list[tuple[float, int, int]]) -> None:
    """One keep-alive HTTP/1.1 connection sending the requests it takes from ``jobs``.

    A few of these instead of an HTTP client library: at hundreds of requests a second the
    client must not be what is measured (httpx's pool alone took a core here)."""
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        item = await jobs.get()
        if item is None:
            writer.close()
            return
        token, nip = item
        body = b'{"flow":"skp"}'
        t = time.time()
        writer.write(
            f"POST /api/v1/pegawai/{nip}/sinkron HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await reader.readexactly(length)
        status = int(status_line.split()[1])
        job = -1
        if status == 202:
            job = json.loads(payload)["job_ids"][0]
        results.append((t, status, job))


async def paced(port: int, tokens: dict[str, str], pool: list[tuple[str, str]], rate: float, seconds: float) -> list:
    """``rate`` requests a second for ``seconds``, on 32 connections; (sent at, status, job id) each."""
    results: list[tuple[float, int, int]] = []
    jobs: asyncio.Queue = asyncio.Queue()
    conns = [asyncio.create_task(_connection("127.0.0.1", port, jobs, results)) for _ in range(32)]
    t0 = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        instansi, nip = random.choice(pool)
        jobs.put_nowait((tokens[instansi], nip))
    for _ in conns:
        jobs.put_nowait(None)
    await asyncio.gather(*conns)
    return results


def finished(url: str, ids: list[int]) -> dict[int, float | None]:
    eng = sa.create_engine(url)
    out: dict[int, float | None] = {}
    with eng.connect() as conn:
        for i in range(0, len(ids), 5000):
            rows = conn.execute(
                sa.text("SELECT job_id, status, selesai FROM sync_job WHERE job_id = ANY(:ids)"),
                {"ids": ids[i : i + 5000]},
            ).all()
            for job_id, status, selesai in rows:
                out[job_id] = selesai.timestamp() if status == "SELESAI" and selesai else None
    eng.dispose()
    return out


def count(url: str, where: str = "TRUE") -> int:
    """How many ``sync_job`` rows match ``where``."""
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        n = int(conn.execute(sa.text(f"SELECT count(*) FROM sync_job WHERE {where}")).scalar_one())
    eng.dispose()
    return n


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] if s else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pegawai", type=int, default=2_030_000)
    parser.add_argument("--database", default="selaras_bench_load")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--accept-seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--processes", type=int, default=2, help="web server processes")
    parser.add_argument("--web-port", type=int, default=8790)
    parser.add_argument("--sim-port", type=int, default=8791)
    a = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    url = ensure_database(f"{a.database}_{a.pegawai}")
    snapshot_dir = OUT / f"load-snapshot-{a.pegawai}"
    prepare(url, a.pegawai, snapshot_dir)
    eng = sa.create_engine(url)
    with eng.begin() as conn:  # jobs a killed earlier run left behind would join this run's
        conn.execute(sa.text("DELETE FROM sync_job WHERE status <> 'SELESAI'"))
    eng.dispose()
    tokens = admin_tokens(url)
    pool = targets(url)
    log(f"{len(pool):,} pegawai to draw from, {len(tokens)} admin tokens")

    queue_name = f"selaras-bench-{os.getpid()}"
    env = {
        **os.environ,
        "SELARAS_DB": url,
        "SELARAS_BROKER": a.broker,
        "SELARAS_QUEUE": queue_name,
        "SELARAS_PMM_URL": f"http://127.0.0.1:{a.sim_port}/pmm/v1",
        "SELARAS_SIASN_URL": f"http://127.0.0.1:{a.sim_port}/siasn/v1",
        "SELARAS_DAPODIK_URL": f"http://127.0.0.1:{a.sim_port}/dapodik/v1",
        "SELARAS_SOURCE_TOKEN": TOKEN,
        "SELARAS_SOURCE_RATE_LIMIT": "1000",
    }
    procs = [
        start(["simulate", "--snapshot", str(snapshot_dir), "--port", str(a.sim_port), "--token", TOKEN], env, "sim"),
        start(
            ["serve", "--db", url, "--port", str(a.web_port), "--engine", "celery", "--processes", str(a.processes)],
            env,
            "web",
        ),
    ]
    procs += [
        start(["worker", "--engine", "celery", "--concurrency", "1"], env, f"worker{i}") for i in range(a.workers)
    ]
    base = f"http://127.0.0.1:{a.web_port}"
    try:
        wait_http(f"http://127.0.0.1:{a.sim_port}/_sim/stats")
        wait_http(f"{base}/api/v1/kode")
        log("simulator and web app up")
        time.sleep(5)

        targets_file = OUT / "targets.txt"
        with targets_file.open("w") as f:
            for instansi, nip in random.sample(pool, min(len(pool), 200_000)):
                f.write(f"{tokens[instansi]} {nip}\n")
        before = count(url)
        wrk = subprocess.run(
            ["wrk", "-t2", "-c64", f"-d{int(a.accept_seconds)}s", "-s", str(HERE / "sinkron.lua"), base],
            capture_output=True,
            text=True,
            env={**os.environ, "SELARAS_BENCH_TARGETS": str(targets_file)},
            check=True,
        )
        log(wrk.stdout)
        total = int(re.search(r"(\d+) requests in", wrk.stdout).group(1))  # type: ignore[union-attr]
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.stdout)
        errors1 = int(non2xx.group(1)) if non2xx else 0
        accept_rate = (total - errors1) / a.accept_seconds
        stored = count(url) - before
        log(f"phase 1: {total - errors1:,} of {total:,} accepted = {accept_rate:.0f}/s; {stored:,} jobs stored")
        res1 = [None] * total
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            left = count(url, "status <> 'SELESAI'")
            if not left:
                break
            log(f"  draining phase 1: {left:,} jobs left")
            time.sleep(10)

        res2 = asyncio.run(paced(a.web_port, tokens, pool, a.rate, a.duration))
        ok2 = [r for r in res2 if r[1] == 202]
        log(f"phase 2: {len(ok2):,} of {len(res2):,} accepted at {a.rate:.0f}/s for {a.duration:.0f} s")
        deadline = time.monotonic() + 600
        ids2 = sorted({r[2] for r in ok2})
        while time.monotonic() < deadline:
            done = finished(url, ids2)
            if len(done) == len(ids2) and all(v is not None for v in done.values()):
                break
            time.sleep(2)
        done = finished(url, ids2)
        lat = [done[j] - t for t, _, j in ok2 if done.get(j) is not None]
        lost = [j for j in ids2 if done.get(j) is None]
        figures = {
            "when": datetime.now(UTC).isoformat(),
            "pegawai": a.pegawai,
            "workers": a.workers,
            "web_processes": a.processes,
            "accepted_per_s": round(accept_rate, 1),
            "phase1_requests": len(res1),
            "phase1_errors": errors1,
            "phase1_jobs_stored": stored,
            "rate": a.rate,
            "duration_s": a.duration,
            "phase2_requests": len(res2),
            "phase2_errors": len(res2) - len(ok2),
            "latency_p50_s": round(pct(lat, 50), 3),
            "latency_p95_s": round(pct(lat, 95), 3),
            "latency_p99_s": round(pct(lat, 99), 3),
            "latency_max_s": round(max(lat), 3) if lat else None,
            "lost": len(lost),
        }
        log(json.dumps(figures, indent=2))
        (OUT / f"load-{a.pegawai}-{int(time.time())}.json").write_text(json.dumps(figures, indent=2))
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
