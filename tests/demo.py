"""The demo instansi of ``selaras demo`` (every data error occurs), in a store with the demo
accounts: the world of the tests that read what people read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from selaras.cli.akun import seed_demo_accounts
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.simulation.pimpinan import tanggal_snapshot
from selaras.store.database import Store
from selaras.store.logs import record_run
from selaras.store.snapshots import save_snapshot

TAHUN = 2026
PEGAWAI = 300
SEED = 7  # the seed of ``selaras demo``
PASSWORD = "rahasia-demo-1"
TANGGAL = tanggal_snapshot(TAHUN)
"""The demo's day: its Plt terms are dated from it (set ``SELARAS_TANGGAL`` to it where the
pages and notices must agree with the logged check)."""


@dataclass
class Demo:
    """A store holding the demo snapshot, its check logged, and an account for every role."""

    store: Store
    snapshot: Snapshot
    before: CheckResult


def demo_store(path: Path, pegawai: int = PEGAWAI) -> Demo:
    """Generate the demo, save it, log its check (as ``selaras demo`` does) and make accounts."""
    g = generate(pegawai, seed=SEED, tahun=TAHUN, instansi=1)
    store = Store.open(f"sqlite:///{path}")
    save_snapshot(store, g.snapshot)
    before = check(g.snapshot, TAHUN, Flow.SKP, kebijakan=Kebijakan(TANGGAL))
    record_run(store, pelaku="demo", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=before)
    seed_demo_accounts(store, PASSWORD)
    return Demo(store, g.snapshot, before)
