"""The file-to-file sync writes the synced snapshot in slices, without building the new
tables: what it writes is exactly the in-memory sync's snapshot, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from selaras.domain.results import EkinerjaChanges, Flow
from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.domain.sync import apply, sync, sync_by_part
from selaras.simulation.generator import generate
from selaras.sources import writer
from selaras.sources.files import read_snapshot
from selaras.sources.writer import SnapshotWriter, write_snapshot
from selaras.usecases.sync import sync_snapshot

TAHUN = 2026


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    """Nine instansi (several parts of 700 pegawai), with stale synced RHK the sync deletes
    (one under each of 60 synced SKP) besides the RHK and SKP it adds and updates."""
    s = generate(3000, seed=5, tahun=TAHUN, instansi=9).snapshot
    rhk = s["ekinerja_rhk"]
    stale = (
        rhk.filter(pl.col("pmm_rhk_id").is_not_null())
        .unique("skp_id", keep="first", maintain_order=True)
        .head(60)
        .with_columns((pl.lit("USANG-") + pl.col("rhk_id")).alias("rhk_id"))
        .with_columns(pl.col("rhk_id").alias("pmm_rhk_id"))
        .select(rhk.columns)
    )
    return s.replace(ekinerja_rhk=pl.concat([rhk, stale]))


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of 97 rows, so every table is written in many slices and the rows a slice
    leaves out fall on both sides of its boundaries."""
    monkeypatch.setattr(writer, "_WRITE_BLOCK", 97)


def by_key(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.sort(list(TABLE[name].key))


@pytest.mark.usefixtures("small_slices")
@pytest.mark.parametrize("flow", list(Flow))
def test_streamed_sync_writes_the_in_memory_sync(snapshot: Snapshot, flow: Flow, tmp_path: Path) -> None:
    out = tmp_path / "hasil"
    report = sync_snapshot(snapshot, out, flow=flow, tahun=TAHUN, size=700)
    after, whole = sync(snapshot, TAHUN, flow, part_size=700)
    assert report.written == whole.changes.row_counts()
    assert report.outcomes.equals(whole.outcomes)
    if flow is Flow.SKP:
        assert whole.changes.deletes["ekinerja_rhk"].height == 60  # the deletes are part of what is checked
        updated = whole.changes.upserts["ekinerja_rhk"].join(snapshot["ekinerja_rhk"], on="rhk_id", how="semi")
        assert updated.height  # and rows replaced in place
    assert any(up for up, _ in report.written.values())

    written = read_snapshot(out).snapshot
    # The time of writing is stamped where the clock is known (the use case, not the domain's
    # plan): every annual rating the sync wrote has one; beside it the rows are the same.
    rated = written["ekinerja_predikat"].filter(pl.col("sumber") == "PMM")
    assert rated["disinkron"].null_count() == 0
    written = written.replace(
        ekinerja_predikat=written["ekinerja_predikat"].with_columns(disinkron=pl.lit(None, pl.String))
    )
    # Row for row, in its order, the snapshot the in-memory sync of the same parts builds.
    for t in TABLES:
        assert written[t.name].equals(after[t.name]), t.name
    # And, up to row order, what the sync in one pass builds.
    one_pass, _ = sync(snapshot, TAHUN, flow, part_size=10**9)
    for t in TABLES:
        assert by_key(written[t.name], t.name).equals(by_key(one_pass[t.name], t.name)), t.name


@pytest.mark.usefixtures("small_slices")
def test_a_single_part_writes_what_it_did_before(snapshot: Snapshot, tmp_path: Path) -> None:
    report = sync_snapshot(snapshot, tmp_path / "hasil", flow=Flow.SKP, tahun=TAHUN, size=10**9)
    after, whole = sync(snapshot, TAHUN, Flow.SKP)
    assert report.written == whole.changes.row_counts()
    written = read_snapshot(tmp_path / "hasil").snapshot
    for t in TABLES:
        assert by_key(written[t.name], t.name).equals(by_key(after[t.name], t.name)), t.name


def test_changes_given_in_parts_write_what_they_give_at_once(snapshot: Snapshot, tmp_path: Path) -> None:
    parts = list(sync_by_part(snapshot, TAHUN, Flow.SKP, part_size=700))
    assert len(parts) > 2
    with SnapshotWriter(snapshot, tmp_path / "hasil") as writer:
        for r in parts:
            writer.add(r.changes)
    expected = apply(snapshot, EkinerjaChanges.union([r.changes for r in parts]))
    written = read_snapshot(tmp_path / "hasil").snapshot
    for t in TABLES:
        assert written[t.name].equals(expected[t.name]), t.name


def failing_at(monkeypatch: pytest.MonkeyPatch, table: str, call: int) -> None:
    """Turning the ``call``-th slice of ``table`` into text fails, as a full disk would."""
    real = writer._as_text
    seen = {"n": 0}

    def as_text(frame: pl.DataFrame, t: writer.Table) -> pl.DataFrame:
        if t.name == table:
            seen["n"] += 1
            if seen["n"] == call:
                raise OSError("disk penuh")
        return real(frame, t)

    monkeypatch.setattr(writer, "_as_text", as_text)


@pytest.mark.usefixtures("small_slices")
def test_a_failure_mid_write_leaves_no_output(
    snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_at(monkeypatch, "ekinerja_rhk", 5)
    with pytest.raises(OSError, match="disk penuh"):
        sync_snapshot(snapshot, tmp_path / "hasil", flow=Flow.SKP, tahun=TAHUN, size=700)
    assert list(tmp_path.iterdir()) == []  # neither the output nor the folder it was written in


@pytest.mark.usefixtures("small_slices")
def test_a_failure_mid_write_leaves_an_earlier_output_as_it_was(
    snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "hasil"
    write_snapshot(snapshot, out)
    (out / "catatan.txt").write_text("milik pengguna")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    failing_at(monkeypatch, "pmm_rhk", 3)
    with pytest.raises(OSError, match="disk penuh"):
        sync_snapshot(snapshot, out, flow=Flow.SKP, tahun=TAHUN, size=700)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["hasil"]


def test_writing_into_a_folder_with_other_files_replaces_the_tables_only(snapshot: Snapshot, tmp_path: Path) -> None:
    out = tmp_path / "hasil"
    out.mkdir()
    (out / "catatan.txt").write_text("milik pengguna")
    (out / "instansi.csv").write_text("instansi_id,nama\nX,lama\n")
    sync_snapshot(snapshot, out, flow=Flow.SKP, tahun=TAHUN, size=700)
    assert (out / "catatan.txt").read_text() == "milik pengguna"
    assert sorted(p.name for p in out.iterdir()) == sorted([*(t.file_name for t in TABLES), "catatan.txt"])
    written = read_snapshot(out).snapshot
    after, _ = sync(snapshot, TAHUN, Flow.SKP, part_size=700)
    for t in TABLES:
        assert written[t.name].equals(after[t.name]), t.name
    assert [p.name for p in tmp_path.iterdir()] == ["hasil"]
