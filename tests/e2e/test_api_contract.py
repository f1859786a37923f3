"""The OpenAPI document is the contract: schemathesis (every check, its coverage and fuzzing
phases) against the demo app served by uvicorn, with a token of each role, finds no 5xx and no
answer the document does not describe.

Bounded: three generated cases per operation for each role, and for the admin the coverage
phase cut at 30 s, so the run takes about a minute. The per-operation settings are in
``schemathesis.toml`` beside this file.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TAHUN = 2026
BUDGET = {"admin": 30, "guru": 0, "kepala": 0, "operator": 0, "dinas": 0, "nasional": 0}
"""Seconds of the admin's run (schemathesis ``--max-time``): the admin reaches every operation
and gets the coverage phase too (boundary and invalid values of every parameter), cut by time.
The other roles (0: no time limit) get the fuzzing phase, bounded by the number of examples."""

pytestmark = pytest.mark.slow


@dataclass
class Demo:
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    import polars as pl
    import uvicorn

    from selaras.cli.akun import seed_demo_accounts
    from selaras.domain.results import Flow
    from selaras.domain.rules import check
    from selaras.jobs.runtime import JobRunner
    from selaras.simulation.generator import generate
    from selaras.store.database import Store
    from selaras.store.logs import record_run
    from selaras.store.snapshots import save_snapshot
    from selaras.usecases.accounts import create_token
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    store = Store.open(str(Path(tmp_path_factory.mktemp("kontrak")) / "selaras.db"))
    g = generate(80, seed=11, tahun=TAHUN, instansi=1)
    save_snapshot(store, g.snapshot)
    record_run(store, pelaku="demo", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(g.snapshot, TAHUN))
    seed_demo_accounts(store)
    ptk = g.snapshot["dapodik_ptk"].filter(pl.col("nip").is_not_null())
    # A definitive principal (by jenis PTK or extra duty; some schools are led by a Plt).
    ks = (pl.col("tugas_tambahan") == "Kepala Sekolah") | (pl.col("jenis_ptk") == "Kepala Sekolah")
    kepala = ptk.filter(ks).row(0, named=True)
    guru = ptk.filter(~ks.fill_null(False) & (pl.col("npsn") == kepala["npsn"])).row(0, named=True)
    instansi = g.snapshot["instansi"]["instansi_id"][0]
    users = {
        "guru": guru["nip"],
        "kepala": kepala["nip"],
        "operator": f"op-{kepala['npsn']}",
        "admin": f"admin-{instansi}",
        "dinas": f"dinas-{instansi}",
        "nasional": "nasional",
    }
    tokens = {role: create_token(store, u, "kontrak") for role, u in users.items()}
    runner = JobRunner(store, run=work_once)  # not started: sync requests stay queued, which is all the API promises
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, runner, tahun=TAHUN), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Demo(f"http://127.0.0.1:{port}", tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.dispose()


@pytest.mark.parametrize("role", list(BUDGET))
def test_api_answers_as_documented(demo: Demo, role: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{demo.url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--phases",
        "coverage,fuzzing" if role == "admin" else "fuzzing",
        "--header",
        f"Authorization: Bearer {demo.tokens[role]}",
        "--max-examples",
        "3",
        *(["--max-time", str(BUDGET[role])] if BUDGET[role] else []),
        "--workers",
        "1",  # hypothesis' lambda descriptions are not thread-safe on Python 3.11 (ast.parse SystemError)
        "--generation-deterministic",
        "--no-color",
    ]
    # Run in a temporary folder: schemathesis keeps a cache in its working directory.
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path)
    report = done.stdout[-12000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts and int(counts.group(1)) > 0 and counts.group(1) == counts.group(2), report
