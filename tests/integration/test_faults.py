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

from selaras.cli import main
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.sources.files import write_snapshot
from selaras.store.database import Store
from selaras.store.repository import save_snapshot

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


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 64 KiB mounted for the test (root only: skipped otherwise)."""
    mount = tmp_path / "kecil"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


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
