"""Admin actions that delete or overwrite: whole or nothing (SQLite and PostgreSQL).

Each action is tried where it must be refused and with a failure injected after its first write
(the repository function that writes the next part raises): in both cases every table of the
store is compared, row by row, with its state before the action.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from world import G1, G2, KS, TAHUN, base_rows, manual_skp, synced_rows

from selaras.cli.akun import seed_demo_accounts
from selaras.domain.snapshot import Snapshot
from selaras.store.database import Store
from selaras.store.snapshots import load_table, save_snapshot
from selaras.store.tables import audit_log, metadata, sync_job, sync_log
from selaras.usecases import admin, requests
from selaras.usecases.access import Ditolak, Pengguna, resolve
from selaras.usecases.accounts import get_account

ADMIN = "admin-I1"


class Boom(RuntimeError):
    """The injected failure."""


@dataclass
class Runner:
    """A dispatcher that only counts wake-ups (jobs stay in the store for the test to see)."""

    woken: int = 0

    def submit(self, *args: Any, **kwargs: Any) -> list[int]:
        raise AssertionError("use cases store their jobs in their own transaction")

    def wake(self) -> None:
        self.woken += 1


@dataclass
class Ctx:
    store: Store
    runner: Runner = field(default_factory=Runner)
    year: int = TAHUN

    def tahun(self) -> int:
        return self.year


def _state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    out = {}
    with store.read() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = sorted((tuple(map(repr, r)) for r in conn.execute(sa.select(table))), key=repr)
    return out


def _user(store: Store, username: str) -> Pengguna:
    akun = get_account(store, username)
    assert akun is not None
    return resolve(store, akun)


def _world(store: Store, rows: dict[str, list[dict[str, Any]]]) -> Ctx:
    save_snapshot(store, Snapshot.from_rows(rows))
    seed_demo_accounts(store, "rahasia-uji-1")
    return Ctx(store)


def _manual_rows(after_principal_synced: bool) -> dict[str, list[dict[str, Any]]]:
    """G2 has a MANUAL SKP for the year at the school; the principal synced or not."""
    rows = synced_rows() if after_principal_synced else base_rows()
    if after_principal_synced:
        g2 = {r["skp_id"] for r in rows["ekinerja_skp"] if r["nip"] == G2}
        rows["ekinerja_skp"] = [r for r in rows["ekinerja_skp"] if r["nip"] != G2]
        rows["ekinerja_rhk"] = [r for r in rows["ekinerja_rhk"] if r["skp_id"] not in g2]
    rows["ekinerja_skp"].append(manual_skp("SKP-MAN-1", G2, "U-SD1", KS))
    rows["ekinerja_rhk"].append(
        {
            "rhk_id": "RHK-MAN-1",
            "skp_id": "SKP-MAN-1",
            "uraian": "Buatan tangan",
            "pmm_rhk_id": None,
            "induk_rhk_id": None,
        }
    )
    return rows


def _refused(fn: Any, *args: Any, status: int = 409) -> str:
    with pytest.raises(Ditolak) as e:
        fn(*args)
    assert e.value.status == status, e.value.pesan
    return e.value.pesan


# ------------------------------------------------------------------------- manual SKP


def test_manual_skp_is_not_replaced_while_the_plan_cannot_sync(store: Store) -> None:
    ctx = _world(store, _manual_rows(after_principal_synced=False))
    before = _state(store)
    pesan = _refused(admin.replace_manual_skp, ctx, _user(store, ADMIN), G2, "SKP-MAN-1")
    assert "PMM-11" in pesan and "SKP manual dibiarkan" in pesan
    assert _state(store) == before


def test_manual_skp_is_replaced_by_the_synced_plan_in_one_transaction(store: Store) -> None:
    ctx = _world(store, _manual_rows(after_principal_synced=True))
    out = admin.replace_manual_skp(ctx, _user(store, G2), G2, "SKP-MAN-1")
    assert out["hasil"] == "BARU" and out["dihapus_rhk"] == 1
    skp = load_table(store, "ekinerja_skp").filter(pl.col("nip") == G2)
    assert skp["sumber"].to_list() == ["PMM"] and skp["skp_id"].to_list() == out["skp_baru"]
    rhk = load_table(store, "ekinerja_rhk").filter(pl.col("skp_id").is_in(out["skp_baru"]))
    assert rhk["pmm_rhk_id"].to_list() == ["R-G2-1"] and rhk["induk_rhk_id"].null_count() == 0
    assert load_table(store, "ekinerja_rhk").filter(pl.col("rhk_id") == "RHK-MAN-1").height == 0
    with store.read() as conn:
        logged = conn.execute(sa.select(sync_log.c.hasil, sync_log.c.pelaku).where(sync_log.c.nip == G2)).all()
        a = conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id.desc())).first()
    assert [tuple(r) for r in logged] == [("BARU", f"akun:{G2}")]
    assert a is not None and a.aksi == "GANTI_SKP_MANUAL" and json.loads(a.sebelum)["skp"]["skp_id"] == "SKP-MAN-1"


@pytest.mark.parametrize(
    "target",
    [
        "selaras.store.admin.delete_skp",  # the first write itself
        "selaras.usecases.admin.apply_changes",  # after the removal
        "selaras.usecases.admin.record_run",  # after the new SKP
        "selaras.store.admin.insert_audit",  # after the log
        "selaras.jobs.queue.submit",  # the re-checks, last
    ],
)
def test_manual_skp_replacement_failing_midway_changes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    rows = _manual_rows(after_principal_synced=True)
    ctx = _world(store, rows)
    # A teacher logged as waiting on G2 makes the replacement queue a re-check (the last write).
    from selaras.domain.results import Flow
    from selaras.domain.rules import check
    from selaras.store.logs import record_run

    record_run(
        store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(Snapshot.from_rows(rows), TAHUN)
    )
    monkeypatch.setattr("selaras.usecases.cascade.waiting_on", lambda *a, **k: [G1])
    before = _state(store)
    real = _resolve(target)

    def boom(*args: Any, **kwargs: Any) -> Any:
        if target.endswith("delete_skp"):
            real(*args, **kwargs)  # the delete happened; then the failure
        raise Boom(target)

    monkeypatch.setattr(target, boom)
    with pytest.raises(Boom):
        admin.replace_manual_skp(ctx, _user(store, ADMIN), G2, "SKP-MAN-1")
    assert _state(store) == before
    assert ctx.runner.woken == 0


def _resolve(target: str) -> Any:
    module, name = target.rsplit(".", 1)
    import importlib

    return getattr(importlib.import_module(module), name)


def test_manual_skp_with_assessments_or_linked_rhk_is_not_replaced(store: Store) -> None:
    rows = _manual_rows(after_principal_synced=True)
    rows["ekinerja_penilaian"].append(
        {
            "skp_id": "SKP-MAN-1",
            "periode_id": "P-2026-TW1",
            "hasil_kerja": "SESUAI",
            "perilaku": "SESUAI",
            "predikat": "BAIK",
        }
    )
    ctx = _world(store, rows)
    before = _state(store)
    assert "penilaian periodik" in _refused(admin.replace_manual_skp, ctx, _user(store, ADMIN), G2, "SKP-MAN-1")
    assert _state(store) == before


def test_manual_skp_that_no_pmm_plan_replaces_is_not_deleted(store: Store) -> None:
    rows = synced_rows()
    # G1 is synced; a hand-made SKP of another unit collides with no PMM plan (no PMM-07 for it).
    rows["ekinerja_skp"].append(manual_skp("SKP-MAN-9", G1, "U-SD2", KS))
    ctx = _world(store, rows)
    before = _state(store)
    assert "PMM-07" in _refused(admin.replace_manual_skp, ctx, _user(store, ADMIN), G1, "SKP-MAN-9")
    assert _state(store) == before


# ---------------------------------------------------------------------------- periods


def test_a_period_in_use_is_neither_deleted_nor_retyped(store: Store) -> None:
    ctx = _world(store, synced_rows())
    user = _user(store, ADMIN)
    before = _state(store)
    assert "SKP e-Kinerja" in _refused(admin.delete_periode, ctx, user, "P-2026")
    retype = {
        "periode_id": "P-2026",
        "nama": "Tahunan 2026",
        "jenis": "PERIODIK",
        "awal": "2026-01-01",
        "akhir": "2026-12-31",
        "tipe_periodik": "TRIWULANAN",
        "angka_periodik": 4,
    }
    assert "tidak dapat diubah" in _refused(admin.save_periode, ctx, user, retype)
    assert _state(store) == before
    # Renaming it overwrites nothing that refers to it.
    admin.save_periode(ctx, user, {**retype, "jenis": "TAHUNAN", "nama": "Tahun 2026"})
    assert load_table(store, "ekinerja_periode").filter(pl.col("periode_id") == "P-2026")["nama"][0] == "Tahun 2026"


@pytest.mark.parametrize("target", ["selaras.store.admin.insert_audit", "selaras.jobs.queue.submit"])
def test_period_actions_failing_midway_change_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    ctx = _world(store, base_rows())
    user = _user(store, ADMIN)
    # Someone blocked by PMM-06 in the latest log: saving a period queues their re-check.
    monkeypatch.setattr("selaras.usecases.admin.blocked_by", lambda *a, **k: [G1])
    before = _state(store)
    monkeypatch.setattr(target, _raiser(target))
    new = {"periode_id": "P-2027", "nama": "2027", "jenis": "TAHUNAN", "awal": "2027-01-01", "akhir": "2027-12-31"}
    with pytest.raises(Boom):
        admin.save_periode(ctx, user, new)
    assert _state(store) == before
    if target.endswith("insert_audit"):
        with pytest.raises(Boom):
            admin.delete_periode(ctx, user, "P-2026-TW4")
        assert _state(store) == before
    assert ctx.runner.woken == 0


def _raiser(target: str) -> Any:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise Boom(target)

    return boom


def test_delete_of_an_unused_period_is_audited(store: Store) -> None:
    ctx = _world(store, base_rows())
    admin.delete_periode(ctx, _user(store, ADMIN), "P-2026-TW4")
    assert "P-2026-TW4" not in load_table(store, "ekinerja_periode")["periode_id"].to_list()
    with store.read() as conn:
        a = conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id.desc())).first()
    assert a is not None and (a.aksi, a.sasaran) == ("PERIODE_HAPUS", "periode:P-2026-TW4")


# ------------------------------------------------------------------------ unit superior


@pytest.mark.parametrize("target", ["selaras.store.admin.insert_audit", "selaras.jobs.queue.submit"])
def test_set_atasan_is_whole_or_nothing(store: Store, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    ctx = _world(store, base_rows())
    user = _user(store, ADMIN)
    before = _state(store)
    assert "bukan pegawai" in _refused(admin.set_atasan, ctx, user, "U-SD1", "199999999999999999", status=422)
    assert _state(store) == before
    monkeypatch.setattr("selaras.usecases.cascade.affected", lambda *a, **k: [G1, G2])
    monkeypatch.setattr(target, _raiser(target))
    with pytest.raises(Boom):
        admin.set_atasan(ctx, user, "U-SD1", G1)
    assert _state(store) == before
    monkeypatch.undo()
    monkeypatch.setattr("selaras.usecases.cascade.affected", lambda *a, **k: [G1, G2])
    out = admin.set_atasan(ctx, user, "U-SD1", G1)
    assert out["dicoba_lagi"] == 2 and ctx.runner.woken == 1
    with store.read() as conn:
        jobs = conn.execute(sa.select(sync_job.c.nip, sync_job.c.alasan)).all()
    assert sorted(tuple(j) for j in jobs) == [(G1, "KASKADE"), (G2, "KASKADE")]


# ---------------------------------------------------------------------- sync requests


def test_bulk_sync_failing_at_its_audit_stores_no_job(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = _world(store, base_rows())
    before = _state(store)
    monkeypatch.setattr("selaras.store.admin.insert_audit", _raiser("audit"))
    with pytest.raises(Boom):
        requests.bulk_sync(ctx, _user(store, ADMIN), semua=True)
    assert _state(store) == before and ctx.runner.woken == 0
    monkeypatch.undo()
    assert requests.bulk_sync(ctx, _user(store, ADMIN), semua=True)["jumlah"] == 4
    assert ctx.runner.woken == 1


# ----------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_on_the_demo_only_manual_skp_whose_plan_syncs_are_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of the demo's 8 MANUAL SKP, exactly those of pegawai whose only error is PMM-07 (by the
    generator's manifest, an independent oracle) are replaced; the others are refused and
    the store is left as it was. (Checked on the snapshot's day: the manifest's Plt terms
    are dated from it.)"""
    from selaras.cli import main
    from selaras.simulation.generator import generate
    from selaras.simulation.pimpinan import tanggal_snapshot

    monkeypatch.setenv("SELARAS_TANGGAL", tanggal_snapshot(TAHUN).isoformat())

    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--tahun", str(TAHUN)])
    assert result.exit_code == 0, result.output
    store = Store.open(str(tmp_path / "demo" / "selaras.db"))
    try:
        manifest = generate(600, seed=7, tahun=TAHUN, instansi=1).manifest.filter(pl.col("flow") == "skp")
        only_07 = {
            nip
            for nip, codes in manifest.group_by("nip").agg(pl.col("code")).iter_rows()
            if sorted(set(codes)) == ["PMM-07"]
        }
        manual = load_table(store, "ekinerja_skp").filter(pl.col("sumber") == "MANUAL")
        assert manual.height == 8
        seed_demo_accounts(store, "rahasia-uji-1")
        instansi = store_instansi(store)
        user = _user(store, f"admin-{instansi}")
        ctx = Ctx(store)
        replaced, refused = [], []
        for m in manual.iter_rows(named=True):
            before = _state(store)
            try:
                out = admin.replace_manual_skp(ctx, user, m["nip"], m["skp_id"])
            except Ditolak as e:
                assert e.status == 409 and e.pesan.startswith("SKP manual tidak dapat diganti")
                assert _state(store) == before
                refused.append(m["nip"])
                continue
            replaced.append(m["nip"])
            assert out["hasil"] == "BARU"
            skp = load_table(store, "ekinerja_skp").filter(pl.col("nip") == m["nip"])
            assert m["skp_id"] not in skp["skp_id"].to_list()
            synced = skp.filter((pl.col("sumber") == "PMM") & (pl.col("periode_id") == m["periode_id"]))
            assert synced.height >= 1
        assert sorted(replaced) == sorted(n for n in manual["nip"] if n in only_07)
        assert len(refused) == 8 - len(replaced) and refused
        left = load_table(store, "ekinerja_skp").filter(pl.col("sumber") == "MANUAL")
        assert sorted(left["nip"]) == sorted(refused)
    finally:
        store.dispose()


def store_instansi(store: Store) -> str:
    """The demo's one instansi."""
    return load_table(store, "instansi")["instansi_id"][0]


def test_sync_on_behalf_failing_at_its_audit_stores_no_job(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from selaras.domain.results import Flow

    ctx = _world(store, base_rows())
    before = _state(store)
    monkeypatch.setattr("selaras.store.admin.insert_audit", _raiser("audit"))
    with pytest.raises(Boom):
        requests.request_sync(ctx, _user(store, ADMIN), KS, Flow.SKP)
    assert _state(store) == before and ctx.runner.woken == 0
    # The pegawai's own button is not audited: it stores its job.
    monkeypatch.undo()
    [job_id] = requests.request_sync(ctx, _user(store, G1), G1, Flow.SKP)
    with store.read() as conn:
        assert conn.execute(sa.select(sync_job.c.nip, sync_job.c.alasan)).all() == [(G1, "TOMBOL")]
    assert ctx.runner.woken == 1 and job_id
