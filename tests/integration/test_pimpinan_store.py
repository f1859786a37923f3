"""School leaders read from the store (issue 18): the duty file round-trips, a part and a
single pegawai's load bring the leaders of their schools, and the store's check reads the
instansi's Plt settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from world import G1, G2, KS, NPSN, NPSN2, TAHUN, Rows, row, snapshot, synced_rows

from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.sources.files import SnapshotError, read_snapshot
from selaras.sources.writer import write_snapshot
from selaras.store import reads
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot, save_snapshot
from selaras.usecases.sync import check_store


def plt_rows(nomor_sk: str) -> Rows:
    rows = synced_rows()
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    ks["tugas_tambahan"], ks["npsn"] = None, NPSN2
    rows["dapodik_tugas_tambahan"] = [
        {"ptk_id": "PTK-KS", "npsn": NPSN, "jenis": "PLT_KEPALA_SEKOLAH", "nomor_sk": nomor_sk, "tmt": "2026-01-02"}
    ]
    row(rows, "ekinerja_unor", unor_id="U-SD2")["pimpinan_diklaim"] = False
    return rows


def _codes(store: Store, nips: list[str] | None, tanggal: date) -> dict[str, list[str]]:
    r = check_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji", nips=nips, tanggal=tanggal).check
    return {n: r.errors.filter(r.errors["nip"] == n)["code"].to_list() for n in (G1, G2)}


def test_duties_round_trip_and_leaders_reach_every_load(store: Store) -> None:
    save_snapshot(store, snapshot(plt_rows("12")))
    back = load_snapshot(store)
    assert back["dapodik_tugas_tambahan"].height == 1
    assert back["ekinerja_unor"].filter(back["ekinerja_unor"]["unor_id"] == "U-SD2")["pimpinan_diklaim"].item() is False
    assert back["ekinerja_unor"].filter(back["ekinerja_unor"]["unor_id"] == "U-SD1")["pimpinan_diklaim"].item() is None

    # the whole batch (parts) and one teacher (few NIPs) see the same invalid Plt
    assert _codes(store, None, date(2026, 3, 1)) == {G1: ["PLT-02"], G2: ["PLT-02"]}
    assert _codes(store, [G1], date(2026, 3, 1))[G1] == ["PLT-02"]
    log = store_errors(store, G1)
    assert log["dapodik"]["pelanggaran"] == ["NOMOR_SK"]


def test_the_store_check_reads_the_instansi_policy(store: Store) -> None:
    save_snapshot(store, snapshot(plt_rows("800/1234/567/2026")))
    assert _codes(store, None, date(2026, 3, 1)) == {G1: [], G2: []}
    reads.set_plt(store, "I1", False, None)
    assert _codes(store, None, date(2026, 3, 1)) == {G1: ["PLT-04"], G2: ["PLT-04"]}
    reads.set_plt(store, "I1", True, 1)
    assert _codes(store, [G2], date(2026, 3, 1))[G2] == ["PLT-03"]
    assert reads.zona_of(store, "I1") == "WIB"
    assert KS not in reads.plt_setelan(store)["instansi_id"].to_list()


def store_errors(store: Store, nip: str) -> dict[str, object]:
    [state] = reads.latest_state(store, Flow.SKP.value, tahun=TAHUN, nips=[nip], with_errors=True)
    found = [e for e in state.errors if e["code"] == "PLT-02"]
    assert len(found) == 1
    detail = found[0]["detail"]
    return json.loads(detail) if isinstance(detail, str) else detail


def test_an_old_snapshot_folder_reads_as_before(tmp_path: Path) -> None:
    """A folder written before issue 18 (no duty file, ekinerja_unor without the two new
    columns) reads, and gives the same statuses and codes as the same data read today."""
    snap = snapshot(synced_rows())
    folder = tmp_path / "lama"
    write_snapshot(snap, folder)
    (folder / "dapodik_tugas_tambahan.csv").unlink()
    unor = pl.read_csv(folder / "ekinerja_unor.csv", infer_schema=False)
    unor.drop("atasan_penugasan", "pimpinan_diklaim").write_csv(folder / "ekinerja_unor.csv")
    old = read_snapshot(folder).snapshot
    assert old["dapodik_tugas_tambahan"].height == 0
    assert old["ekinerja_unor"]["pimpinan_diklaim"].null_count() == old["ekinerja_unor"].height
    a, b = check(old, TAHUN, Flow.SKP), check(snap, TAHUN, Flow.SKP)
    assert a.errors.equals(b.errors) and a.pegawai.equals(b.pegawai)
    assert a.errors.height == 0


def test_a_missing_required_duty_column_is_still_an_input_error(tmp_path: Path) -> None:
    rows = plt_rows("800/1234/567/2026")
    folder = tmp_path / "baru"
    write_snapshot(snapshot(rows), folder)
    duty = pl.read_csv(folder / "dapodik_tugas_tambahan.csv", infer_schema=False)
    duty.drop("nomor_sk").write_csv(folder / "dapodik_tugas_tambahan.csv")
    with pytest.raises(SnapshotError) as e:
        read_snapshot(folder)
    assert any(p.file == "dapodik_tugas_tambahan.csv" and p.column == "nomor_sk" for p in e.value.problems)
