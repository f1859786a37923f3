"""Flow TAHUNAN from the store (SQLite and PostgreSQL): a sync writes the rating, its log and
its state in one transaction (a failure midway leaves nothing), and a MANUAL rating stays."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa
from world import G1, G2, KS, TAHUN, snapshot, tahunan_rows

from selaras.domain.results import Flow
from selaras.store import uow
from selaras.store.database import Store
from selaras.store.snapshots import load_table, save_snapshot
from selaras.store.tables import sync_log, sync_run, sync_state
from selaras.usecases.sync import check_store, sync_store


class Injected(RuntimeError):
    """The failure a test injects before the sync's commit."""


def _log(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_log.c.nip, sync_log.c.status, sync_log.c.hasil).where(
                sync_log.c.flow == "tahunan", sync_log.c.mode == "SYNC"
            )
        ).all()
    return {n: (s, h) for n, s, h in rows}


def _state(store: Store) -> dict[str, str]:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_state.c.nip, sync_log.c.status)
            .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
            .where(sync_state.c.flow == "tahunan", sync_state.c.tahun == TAHUN)
        ).all()
    return dict(rows)


def test_a_failure_before_commit_leaves_nothing_then_a_sync_writes_all(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_snapshot(store, snapshot(tahunan_rows()))

    def fail(point: str) -> None:
        if point == "sync:before_commit":
            raise Injected(point)

    monkeypatch.setattr(uow, "CRASH_HOOKS", [fail])
    with pytest.raises(Injected):
        sync_store(store, flow=Flow.TAHUNAN, tahun=TAHUN, pelaku="test")
    assert load_table(store, "ekinerja_predikat").height == 0
    assert _log(store) == {} and _state(store) == {}
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_run)).scalar() == 0

    monkeypatch.setattr(uow, "CRASH_HOOKS", [])
    report = sync_store(store, flow=Flow.TAHUNAN, tahun=TAHUN, pelaku="test")
    assert report.written["ekinerja_predikat"] == (3, 0)
    rows = load_table(store, "ekinerja_predikat")
    got = {r["nip"]: (r["predikat"], r["sumber"]) for r in rows.to_dicts()}
    assert got == {KS: ("BAIK", "PMM"), G1: ("SANGAT_BAIK", "PMM"), G2: ("BAIK", "PMM")}
    assert rows["disinkron"].null_count() == 0
    assert _log(store) == {n: ("TERSINKRON", "BARU") for n in (KS, G1, G2)}
    assert _state(store) == {n: "TERSINKRON" for n in (KS, G1, G2)}

    again = check_store(store, flow=Flow.TAHUNAN, tahun=TAHUN, pelaku="test")
    assert again.check.status_counts() == {"TERSINKRON": 3}
    assert again.check.tahunan is not None
    assert dict(again.check.tahunan.select("nip", "angka_kredit").iter_rows())[G2] == 12.5


def test_a_manual_rating_in_the_store_is_not_overwritten(store: Store) -> None:
    rows = tahunan_rows()
    rows["ekinerja_predikat"] = [
        {"nip": G1, "tahun": TAHUN, "predikat": "KURANG", "penilai_nip": KS, "sumber": "MANUAL", "disinkron": None}
    ]
    save_snapshot(store, snapshot(rows))
    report = sync_store(store, flow=Flow.TAHUNAN, tahun=TAHUN, pelaku="test")
    errors = report.check.errors.filter(pl.col("nip") == G1)["code"].to_list()
    assert errors == ["TAH-06"]
    kept = load_table(store, "ekinerja_predikat").filter(pl.col("nip") == G1).row(0, named=True)
    assert (kept["predikat"], kept["sumber"]) == ("KURANG", "MANUAL")
    assert _log(store)[G1] == ("GAGAL", "GAGAL")


def test_the_store_in_parts_and_one_pegawai_check_as_the_whole_snapshot(store: Store) -> None:
    from polars.testing import assert_frame_equal

    from selaras.domain.results import CheckResult
    from selaras.domain.rules import check
    from selaras.simulation.generator import generate
    from selaras.store.parts import store_parts

    snap = generate(3000, seed=5, instansi=9).snapshot
    save_snapshot(store, snap)
    whole = check(snap, TAHUN, Flow.TAHUNAN)
    assert set(whole.errors["code"]) >= {"TAH-01", "TAH-02", "TAH-03", "TAH-04", "TAH-05", "TAH-06"}
    parts = list(store_parts(store, size=700))
    assert len(parts) > 2
    got = CheckResult.concat(TAHUN, Flow.TAHUNAN, [check(p.snapshot, TAHUN, Flow.TAHUNAN, nips=p.nips) for p in parts])

    def same(a: pl.DataFrame, b: pl.DataFrame) -> None:
        assert_frame_equal(a.sort(a.columns), b.sort(b.columns))

    same(got.pegawai, whole.pegawai)
    same(got.errors, whole.errors)
    assert got.tahunan is not None and whole.tahunan is not None
    same(got.tahunan, whole.tahunan)
    # One pegawai (the button): a teacher of a school breaking the distribution, read alone.
    nip = whole.errors.filter(pl.col("code") == "TAH-04")["nip"][0]
    (one,) = store_parts(store, nips=[nip])
    alone = check(one.snapshot, TAHUN, Flow.TAHUNAN, nips=[nip])
    same(alone.errors, whole.errors.filter(pl.col("nip") == nip))
