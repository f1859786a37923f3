"""Faults of the machine under the commands (issue 23): a full disk while files are written,
SQLite's checkpoint on a nearly full disk, a sync in parts straddling an import.

Each ends in exit 3 with the message in Bahasa Indonesia (or, for the parts, in one view of
the store), never a traceback, exit 1 or a half-written result.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from services import unavailable

from selaras.cli import main
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.sources.writer import write_snapshot
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot

TAHUN = 2026
POLARS_FULL = "No space left on device (os error 28)"
"""What polars (Rust) raises on a full disk: an ``OSError`` whose ``errno`` is None."""


@pytest.fixture(scope="module")
def generated() -> Snapshot:
    """120 pegawai in 2 instansi."""
    return generate(120, seed=7, tahun=TAHUN, instansi=2).snapshot


def _cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _disk_full_said(r: Result) -> None:
    assert r.exit_code == 3, (r.exit_code, r.output, r.exception)
    assert "Disk penuh" in r.stderr and "Kosongkan ruang disk" in r.stderr, r.output
    assert "Traceback" not in r.output


def _nothing_beside(target: Path) -> None:
    """``target`` absent and no partial file or folder left beside it."""
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}")] == []


@pytest.fixture
def polars_disk_full(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Every CSV write of polars after the first ``calls["ok"]`` fails as on a full disk."""
    calls = {"ok": 3, "made": 0}
    write_csv = pl.DataFrame.write_csv

    def full(self: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls["made"] += 1
        if calls["made"] > calls["ok"]:
            raise OSError(POLARS_FULL)
        return write_csv(self, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_csv", full)
    return calls


def test_export_on_a_full_disk_exits_3_and_writes_nothing(
    tmp_path: Path, generated: Snapshot, polars_disk_full: dict[str, int]
) -> None:
    db = tmp_path / "selaras.db"
    store = Store.open(str(db))
    save_snapshot(store, generated)
    store.dispose()
    target = tmp_path / "keluar" / "ekspor"
    r = _cli("export", target, "--db", db)
    _disk_full_said(r)
    assert polars_disk_full["made"] > polars_disk_full["ok"]  # the failure came part way
    _nothing_beside(target)


def test_sync_of_files_on_a_full_disk_exits_3_and_writes_nothing(
    tmp_path: Path, generated: Snapshot, polars_disk_full: dict[str, int]
) -> None:
    source = tmp_path / "sumber"
    polars_disk_full["ok"] = 10**9
    write_snapshot(generated, source)
    polars_disk_full["ok"], polars_disk_full["made"] = 2, 0
    target = tmp_path / "hasil"
    r = _cli("sync", "--snapshot", source, "--out", target, "--tahun", TAHUN)
    _disk_full_said(r)
    _nothing_beside(target)


def _mount(mount: Path, size: int, *, again: bool = False) -> None:
    options = f"{'remount,' if again else ''}size={size}"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        unavailable(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder to mount a real, small file system on (tmpfs; root only: skipped otherwise)."""
    mount = tmp_path / "kecil"
    mount.mkdir()
    if os.geteuid() != 0:
        unavailable("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def tmpfs(small_disk: Path) -> Path:
    """A real file system of 64 KiB mounted for the test."""
    _mount(small_disk, 64 * 1024)
    return small_disk


def test_export_to_a_really_full_file_system_exits_3_and_leaves_it_empty(
    tmp_path: Path, generated: Snapshot, tmpfs: Path
) -> None:
    db = tmp_path / "selaras.db"
    store = Store.open(str(db))
    save_snapshot(store, generated)
    store.dispose()
    for target in (tmpfs / "ekspor", tmpfs / "ekspor.xlsx"):
        r = _cli("export", target, "--db", db)
        _disk_full_said(r)
        _nothing_beside(target)
    assert list(tmpfs.iterdir()) == []


def test_sync_of_files_to_a_really_full_file_system_exits_3_and_leaves_it_empty(
    tmp_path: Path, generated: Snapshot, tmpfs: Path
) -> None:
    source = tmp_path / "sumber"
    write_snapshot(generated, source)
    for target in (tmpfs / "hasil", tmpfs / "hasil.xlsx"):
        r = _cli("sync", "--snapshot", source, "--out", target, "--tahun", TAHUN)
        _disk_full_said(r)
        _nothing_beside(target)
    assert list(tmpfs.iterdir()) == []


# ------------------------------------------------------------ SQLite's checkpoint, disk full


def _on_disk(path: Path) -> int:
    """Bytes ``path`` takes on a tmpfs (whole pages)."""
    return -(-path.stat().st_size // 4096) * 4096 if path.exists() else 0


def test_a_sync_whose_checkpoint_does_not_fit_is_exit_3_saying_it_was_kept(
    tmp_path: Path, generated: Snapshot, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk has room for the sync's commit (its write-ahead log) but not for copying it
    into the database file: not "done" with the disk left full, but exit 3 and the message."""
    import shutil

    import sqlalchemy as sa

    from selaras.store.tables import sync_log

    imported = tmp_path / "impor.db"
    store = Store.open(str(imported))
    save_snapshot(store, generated)
    store.dispose()

    # A dry run on a copy measures the sync's log (W) and how much the database grows when
    # it is copied in (G), with every checkpoint held back until the store is closed.
    dry = tmp_path / "coba.db"
    shutil.copy(imported, dry)
    with monkeypatch.context() as m:
        m.setattr(Store, "checkpoint", lambda _self, **_k: None)
        store = Store.open(str(dry))
        sa.event.listen(store.engine, "connect", lambda c, _r: c.execute("PRAGMA wal_autocheckpoint=0"))
        store.engine.dispose()
        from selaras.domain.results import Flow
        from selaras.usecases.sync import sync_store

        sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji")
        log_bytes = _on_disk(Path(f"{dry}-wal")) + _on_disk(Path(f"{dry}-shm"))
        store.dispose()
    growth = _on_disk(dry) - _on_disk(imported)
    assert log_bytes > 0 and growth > 2 * 4096, (log_bytes, growth)

    _mount(small_disk, _on_disk(imported) + log_bytes + growth // 2)
    db = small_disk / "selaras.db"
    shutil.copy(imported, db)
    r = _cli("sync", "--db", db, "--tahun", TAHUN)
    _disk_full_said(r)
    assert "sudah tersimpan" in r.stderr and "Tidak ada yang diubah" not in r.stderr, r.stderr

    _mount(small_disk, 64 * 1024 * 1024, again=True)  # room made: the commit was kept
    store = Store.open(str(db))
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_log)).scalar_one() > 0
    store.checkpoint()  # and the log now goes into the database file
    store.dispose()


# ------------------------------------------------------------ a run in parts and an import


def test_a_sync_in_parts_sees_one_snapshot_when_an_import_lands_between_parts(
    store: Store, generated: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of 80 pegawai (one instansi each); after the first part commits, an import
    replaces the data with other pegawai. The run must end on one snapshot, the new one:
    e-Kinerja as one clean sync of it, every new pegawai once in the result, and it says so."""
    from selaras.domain.results import Flow
    from selaras.domain.sync import sync
    from selaras.store import uow
    from selaras.store.snapshots import load_table
    from selaras.usecases.sync import sync_store

    a = generate(200, seed=5, tahun=TAHUN, instansi=3).snapshot
    b = generate(240, seed=6, tahun=TAHUN, instansi=3).snapshot
    save_snapshot(store, a)
    fired: list[str] = []

    def import_after_the_first_part(point: str) -> None:
        if point == "sync:after_commit" and not fired:
            fired.append(point)
            save_snapshot(store, b)

    monkeypatch.setattr(uow, "CRASH_HOOKS", [import_after_the_first_part])
    report = sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji", size=80)
    assert fired

    assert len(report.catatan) == 1 and "setelah bagian 1 dari 3" in report.catatan[0], report.catatan
    assert len(report.run_ids) == 1 + 3  # the part on the old data, then the three on the new
    after, clean = sync(b, TAHUN, Flow.SKP)  # one clean sync of the new data
    assert report.outcomes.height == report.outcomes["nip"].n_unique()  # each pegawai once
    assert report.outcomes.sort("nip").equals(clean.outcomes.sort("nip"))
    assert set(report.check.pegawai["nip"]) == set(clean.check.pegawai["nip"])
    assert report.check.errors["nip"].n_unique() == clean.check.errors["nip"].n_unique()
    for table, key in (("ekinerja_skp", "skp_id"), ("ekinerja_rhk", "rhk_id")):
        got = load_table(store, table).sort(key)
        assert got.equals(after[table].sort(key).select(got.columns).cast(dict(got.schema))), table


def test_imports_that_keep_landing_end_the_run_with_exit_3_words(
    store: Store, generated: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selaras.domain.results import Flow
    from selaras.store import uow
    from selaras.usecases.sync import REPLANS, sync_store

    save_snapshot(store, generated)
    imports: list[int] = []

    def import_after_every_part(point: str) -> None:
        if point == "sync:after_commit":
            imports.append(1)
            save_snapshot(store, generated)

    monkeypatch.setattr(uow, "CRASH_HOOKS", [import_after_every_part])
    with pytest.raises(uow.InfrastructureError) as e:
        sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji", size=60)
    assert len(imports) == REPLANS + 1
    assert "diganti impor" in e.value.message() and f"{REPLANS + 1} bagian" in e.value.message()


def test_the_sync_summary_says_every_number_the_indonesian_way(capsys: pytest.CaptureFixture[str]) -> None:
    from selaras.cli.periksa import _print_sync_summary
    from selaras.domain.results import OUTCOME_SCHEMA

    outcomes = pl.DataFrame(
        {"nip": [f"{i:018d}" for i in range(1467)], "hasil": ["GAGAL"] * 1467}, schema=OUTCOME_SCHEMA
    )
    _print_sync_summary(outcomes, {"ekinerja_rhk": (12345, 0)}, 1467)
    said = capsys.readouterr()
    text = said.out + said.err
    assert "1.467" in text and "12.345" in text
    assert not re_thousands(text), text


def re_thousands(text: str) -> list[str]:
    """Numbers written with a comma between thousands (1,467): the English way."""
    import re

    return re.findall(r"\b\d{1,3}(?:,\d{3})+\b", text)
