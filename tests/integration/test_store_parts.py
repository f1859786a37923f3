"""The store's batch in parts: the same parts as ``partition.parts`` on the whole snapshot."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from selaras.domain import partition, rules
from selaras.domain.results import CheckResult, Flow
from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.simulation.generator import generate
from selaras.store import snapshots
from selaras.store.database import Store
from selaras.store.parts import store_parts

TAHUN = 2026
SIZE = 700


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return generate(3000, seed=5, instansi=9).snapshot


def _sorted(name: str, df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(list(TABLE[name].key))


def _assert_same_part(got: partition.Part, want: partition.Part) -> None:
    assert sorted(got.nips or []) == sorted(want.nips or [])
    for t in TABLES:
        assert_frame_equal(_sorted(t.name, got.snapshot[t.name]), _sorted(t.name, want.snapshot[t.name]))


def _check_all(parts: list[partition.Part]) -> CheckResult:
    return CheckResult.concat(TAHUN, Flow.SKP, [rules.check(p.snapshot, TAHUN, nips=p.nips) for p in parts])


def _same_result(got: CheckResult, want: CheckResult) -> None:
    assert_frame_equal(got.pegawai.sort("nip"), want.pegawai.sort("nip"))
    assert_frame_equal(got.errors.sort(got.errors.columns), want.errors.sort(want.errors.columns))


def test_parts_equal_the_in_memory_parts(store: Store, snapshot: Snapshot) -> None:
    snapshots.save_snapshot(store, snapshot)
    want = list(partition.parts(snapshot, size=SIZE))
    got = list(store_parts(store, size=SIZE))
    assert len(want) > 2
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _assert_same_part(g, w)
    _same_result(_check_all(got), rules.check(snapshot, TAHUN))


def test_nips_and_instansi_select_the_batch(store: Store, snapshot: Snapshot) -> None:
    snapshots.save_snapshot(store, snapshot)
    peg = snapshot["siasn_pegawai"]
    # Many NIPs (more than load_snapshot's path takes): every other pegawai.
    nips = peg["nip"].sort().gather_every(2).to_list()
    want = list(partition.parts(snapshot, nips=nips, size=SIZE // 2))
    got = list(store_parts(store, nips=nips, size=SIZE // 2))
    assert len(got) == len(want) > 1
    for g, w in zip(got, want, strict=True):
        _assert_same_part(g, w)

    instansi = peg["instansi_id"].sort()[0]
    (part,) = store_parts(store, instansi_id=instansi, size=SIZE)
    assert sorted(part.nips or []) == sorted(peg.filter(pl.col("instansi_id") == instansi)["nip"].to_list())
    _same_result(rules.check(part.snapshot, TAHUN, nips=part.nips), rules.check(snapshot, TAHUN, instansi_id=instansi))


def test_few_nips_and_small_store(store: Store, snapshot: Snapshot) -> None:
    snapshots.save_snapshot(store, snapshot)
    nip = snapshot["siasn_pegawai"]["nip"][0]
    (part,) = store_parts(store, nips=[nip, "000000000000000000"])
    assert part.nips == [nip]
    _same_result(rules.check(part.snapshot, TAHUN, nips=part.nips), rules.check(snapshot, TAHUN, nips=[nip]))

    (whole,) = store_parts(store)
    assert whole.nips is None
    for t in TABLES:
        assert_frame_equal(_sorted(t.name, whole.snapshot[t.name]), _sorted(t.name, snapshot[t.name]))


def test_empty_store(store: Store) -> None:
    (part,) = store_parts(store, size=SIZE)
    assert part.nips is None
    assert part.snapshot["siasn_pegawai"].height == 0
    assert list(store_parts(store, instansi_id="X", size=SIZE)) == []
