"""The store on SQLite and PostgreSQL: schema, snapshot round trip, changes and the log."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from polars.testing import assert_frame_equal

from selaras.domain.results import (
    ERROR_SCHEMA,
    PEGAWAI_SCHEMA,
    CheckResult,
    EkinerjaChanges,
    Flow,
)
from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.store import bulk, changes, logs, snapshots
from selaras.store.database import Store, alembic_config, resolve_url
from selaras.store.tables import metadata

NIP_GURU = "198001012005011001"
NIP_KEPSEK = "197501012000011002"
NIP_KADIS = "197001011995011003"
NIP_LAIN = "199001012015011004"
NIK_GURU = "5206010101800001"


def _snapshot() -> Snapshot:
    """One instansi with a school (teacher, principal, head of office) and an unrelated one."""
    return Snapshot.from_rows(
        {
            "instansi": [
                {"instansi_id": "I1", "nama": "Pemerintah Kabupaten Bima"},
                {"instansi_id": "I2", "nama": "Pemerintah Kota Mataram"},
            ],
            "siasn_unor": [
                {"unor_id": "U0", "instansi_id": "I1", "nama": "Dinas Pendidikan", "aktif": "1"},
                {
                    "unor_id": "U1",
                    "instansi_id": "I1",
                    "nama": "SDN 1 Bima",
                    "parent_unor_id": "U0",
                    "npsn": "50100001",
                    "aktif": "1",
                },
                {
                    "unor_id": "U2",
                    "instansi_id": "I1",
                    "nama": "SDN 2 Bima",
                    "parent_unor_id": "U0",
                    "npsn": "50100002",
                    "aktif": "0",
                },
                {"unor_id": "U9", "instansi_id": "I2", "nama": "SDN 9 Mataram", "npsn": "50200009", "aktif": "1"},
            ],
            "siasn_pegawai": [
                {
                    "nip": NIP_GURU,
                    "nik": NIK_GURU,
                    "nama": "Siti, S.Pd.",
                    "instansi_id": "I1",
                    "unor_id": "U1",
                    "jenis_asn": "PNS",
                    "status": "AKTIF",
                    "jabatan_nama": "Guru Ahli Muda",
                    "jabatan_jenis": "FUNGSIONAL",
                },
                {
                    "nip": NIP_KEPSEK,
                    "nama": "Ahmad",
                    "instansi_id": "I1",
                    "unor_id": "U1",
                    "jenis_asn": "PNS",
                    "status": "AKTIF",
                    "jabatan_nama": "Guru Ahli Madya",
                    "jabatan_jenis": "FUNGSIONAL",
                },
                {
                    "nip": NIP_KADIS,
                    "nama": "Kadis",
                    "instansi_id": "I1",
                    "unor_id": "U0",
                    "jenis_asn": "PNS",
                    "status": "AKTIF",
                    "jabatan_nama": "Kepala Dinas",
                    "jabatan_jenis": "STRUKTURAL",
                },
                {
                    "nip": NIP_LAIN,
                    "nama": "Lain",
                    "instansi_id": "I2",
                    "unor_id": "U9",
                    "jenis_asn": "PPPK",
                    "status": "AKTIF",
                    "jabatan_nama": "Guru Pertama",
                    "jabatan_jenis": "FUNGSIONAL",
                },
            ],
            "dapodik_sekolah": [
                {"npsn": "50100001", "nama": "SDN 1 Bima", "instansi_id": "I1"},
                {"npsn": "50100002", "nama": "SDN 2 Bima", "instansi_id": "I1"},
                {"npsn": "50200009", "nama": "SDN 9 Mataram", "instansi_id": "I2"},
            ],
            "dapodik_ptk": [
                # Found only by NIK: the NIP in Verval PTK is wrong.
                {
                    "ptk_id": "PTK-G",
                    "nik": NIK_GURU,
                    "nuptk": "",
                    "nama": "Siti",
                    "nip": "198001012005011999",
                    "jenis_ptk": "Guru Kelas",
                    "npsn": "50100001",
                },
                {
                    "ptk_id": "PTK-K",
                    "nama": "Ahmad",
                    "nip": NIP_KEPSEK,
                    "jenis_ptk": "Guru Kelas",
                    "tugas_tambahan": "Kepala Sekolah",
                    "npsn": "50100001",
                },
                {"ptk_id": "PTK-L", "nama": "Lain", "nip": NIP_LAIN, "jenis_ptk": "Guru Mapel", "npsn": "50200009"},
            ],
            "pmm_skp": [
                {
                    "pmm_skp_id": "S-G",
                    "ptk_id": "PTK-G",
                    "npsn": "50100001",
                    "periode_awal": "2024-01-01",
                    "periode_akhir": "2024-12-31",
                    "status": "DISEPAKATI",
                    "atasan_nip": NIP_KEPSEK,
                    "diperbarui": "2024-02-01T08:00:00",
                },
                {
                    "pmm_skp_id": "S-K",
                    "ptk_id": "PTK-K",
                    "npsn": "50100001",
                    "periode_awal": "2024-01-01",
                    "periode_akhir": "2024-12-31",
                    "status": "DISEPAKATI",
                    "atasan_nip": NIP_KADIS,
                },
                {
                    "pmm_skp_id": "S-L",
                    "ptk_id": "PTK-L",
                    "npsn": "50200009",
                    "periode_awal": "2024-01-01",
                    "periode_akhir": "2024-12-31",
                    "status": "DRAF",
                },
            ],
            "pmm_rhk": [
                {"pmm_rhk_id": "R-K1", "pmm_skp_id": "S-K", "uraian": "Mutu sekolah meningkat", "jenis": "UTAMA"},
                {
                    "pmm_rhk_id": "R-G1",
                    "pmm_skp_id": "S-G",
                    "uraian": 'Pembelajaran, "aktif"\nbaru',
                    "jenis": "UTAMA",
                    "induk_pmm_rhk_id": "R-K1",
                },
                {"pmm_rhk_id": "R-L1", "pmm_skp_id": "S-L", "uraian": "", "jenis": "TAMBAHAN"},
            ],
            "pmm_penilaian": [
                {
                    "pmm_skp_id": "S-G",
                    "tipe_periodik": "TRIWULANAN",
                    "angka_periodik": "1",
                    "hasil_kerja": "SESUAI",
                    "perilaku": "DIATAS",
                    "predikat": "BAIK",
                },
                {
                    "pmm_skp_id": "S-L",
                    "tipe_periodik": "BULANAN",
                    "angka_periodik": "12",
                    "hasil_kerja": "SESUAI",
                    "perilaku": "SESUAI",
                    "predikat": "BAIK",
                },
            ],
            "ekinerja_unor": [
                {"unor_id": "U0", "aktif": "1", "atasan_nip": NIP_KADIS},
                {"unor_id": "U1", "aktif": "1", "atasan_nip": NIP_KEPSEK},
                {"unor_id": "U9", "aktif": "0"},
            ],
            "ekinerja_periode": [
                {
                    "periode_id": "P1",
                    "instansi_id": "I1",
                    "nama": "Tahunan 2024",
                    "jenis": "TAHUNAN",
                    "awal": "2024-01-01",
                    "akhir": "2024-12-31",
                },
                {
                    "periode_id": "P1-T1",
                    "instansi_id": "I1",
                    "jenis": "PERIODIK",
                    "awal": "2024-01-01",
                    "akhir": "2024-03-31",
                    "tipe_periodik": "TRIWULANAN",
                    "angka_periodik": "1",
                },
                {
                    "periode_id": "P2",
                    "instansi_id": "I2",
                    "nama": "Tahunan 2024",
                    "jenis": "TAHUNAN",
                    "awal": "2024-01-01",
                    "akhir": "2024-12-31",
                },
            ],
            "ekinerja_skp": [
                {
                    "skp_id": "E-K",
                    "nip": NIP_KEPSEK,
                    "periode_id": "P1",
                    "unor_id": "U1",
                    "atasan_nip": NIP_KADIS,
                    "sumber": "PMM",
                    "pmm_skp_id": "S-K",
                },
                {"skp_id": "E-L", "nip": NIP_LAIN, "periode_id": "P2", "unor_id": "U9", "sumber": "MANUAL"},
            ],
            "ekinerja_rhk": [
                {"rhk_id": "ER-K1", "skp_id": "E-K", "uraian": "Mutu sekolah meningkat", "pmm_rhk_id": "R-K1"},
                {"rhk_id": "ER-L1", "skp_id": "E-L", "uraian": "Dibuat manual"},
            ],
            "ekinerja_penilaian": [
                {
                    "skp_id": "E-K",
                    "periode_id": "P1-T1",
                    "hasil_kerja": "SESUAI",
                    "perilaku": "SESUAI",
                    "predikat": "BAIK",
                },
            ],
        }
    )


def _sorted(name: str, df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(list(TABLE[name].key))


def assert_snapshots_equal(actual: Snapshot, expected: Snapshot) -> None:
    for t in TABLES:
        assert_frame_equal(_sorted(t.name, actual[t.name]), _sorted(t.name, expected[t.name]))


def _keys(snap: Snapshot, name: str) -> set[tuple[object, ...]]:
    return set(snap[name].select(TABLE[name].key).iter_rows())


# ------------------------------------------------------------------------------- schema


def test_migration_creates_the_schema_of_metadata(store: Store) -> None:
    with store.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    store.migrate()  # a second upgrade is a no-op


def test_open_resolves_bare_paths_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_url("foo.db") == "sqlite:///foo.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("SELARAS_DB", str(tmp_path / "env.db"))
    store = Store.open()
    assert store.dialect == "sqlite"
    assert (tmp_path / "env.db").exists()
    store.dispose()
    monkeypatch.delenv("SELARAS_DB")
    monkeypatch.chdir(tmp_path)
    assert resolve_url() == "sqlite:///selaras.db"


def test_open_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = str(tmp_path / "busy.db")
    writer = Store.open(url)
    with writer.write() as conn:
        conn.exec_driver_sql("INSERT INTO instansi (instansi_id, nama) VALUES ('X', 'Y')")
        reader = Store.open(url)  # would time out if opening took the write lock
        assert snapshots.load_snapshot(reader)["instansi"].height == 0
    assert snapshots.load_snapshot(reader)["instansi"].height == 1
    reader.dispose()
    writer.dispose()


# ----------------------------------------------------------------------------- snapshot


def test_save_then_load_round_trips(store: Store) -> None:
    snap = _snapshot()
    calls: list[tuple[str, int, int]] = []
    snapshots.save_snapshot(store, snap, progress=lambda *a: calls.append(a))
    assert_snapshots_equal(snapshots.load_snapshot(store), snap)
    assert ("pmm_rhk", 0, 3) in calls and ("pmm_rhk", 3, 3) in calls
    assert_frame_equal(
        _sorted("pmm_skp", snapshots.load_table(store, "pmm_skp")),
        _sorted("pmm_skp", snap["pmm_skp"]),
    )

    smaller = snap.replace(pmm_rhk=snap["pmm_rhk"].head(1))
    snapshots.save_snapshot(store, smaller)
    assert_snapshots_equal(snapshots.load_snapshot(store), smaller)


def test_load_builds_tables_in_blocks_sharing_repeated_texts(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _snapshot()
    long_text = "Meningkatnya mutu pembelajaran di kelas melalui asesmen diagnostik " * 2
    n = 1_000
    rhk = pl.DataFrame(
        {
            "pmm_rhk_id": [f"R-X{i:05d}" for i in range(n)],
            "pmm_skp_id": ["S-K"] * n,
            # Repeated long texts, a short one, the empty text and null must all come back as stored.
            "uraian": [[long_text, long_text + "!", "pendek", "", None][i % 5] for i in range(n)],
            "jenis": ["UTAMA", "TAMBAHAN"] * (n // 2),
            "induk_pmm_rhk_id": [None if i % 3 else "R-K1" for i in range(n)],
        }
    )
    snap = base.replace(pmm_rhk=pl.concat([base["pmm_rhk"], rhk]))
    snapshots.save_snapshot(store, snap)
    monkeypatch.setattr(bulk, "FETCH_CHUNK", 97)

    loaded = snapshots.load_snapshot(store)

    uraian = loaded["pmm_rhk"]["uraian"]
    if store.dialect == "sqlite":
        assert uraian.n_chunks() > 1  # one block per FETCH_CHUNK rows (polars may rechunk PostgreSQL's CSV)
    # Each block points into one copy of the distinct texts instead of holding a text per row:
    # written out with its buffers, the column is a fraction of one built from the same values.
    assert _stored_bytes(uraian) < _stored_bytes(pl.Series(uraian.to_list(), dtype=pl.String)) / 2
    assert_snapshots_equal(loaded, snap)
    assert_frame_equal(_sorted("pmm_rhk", snapshots.load_table(store, "pmm_rhk")), _sorted("pmm_rhk", snap["pmm_rhk"]))


def _stored_bytes(values: pl.Series) -> int:
    out = io.BytesIO()
    values.to_frame().write_ipc(out, compat_level=pl.CompatLevel.newest())
    return len(out.getvalue())


def test_save_is_atomic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _snapshot()
    snapshots.save_snapshot(store, first)

    original = snapshots._bulk_insert
    written: list[str] = []

    def failing(*args: object, **kwargs: object) -> None:
        if written:
            raise RuntimeError("disk full")
        original(*args, **kwargs)  # type: ignore[arg-type]
        written.append("one")

    monkeypatch.setattr(snapshots, "_bulk_insert", failing)
    second = Snapshot.from_rows({"instansi": [{"instansi_id": "X", "nama": "Baru"}]})
    with pytest.raises(RuntimeError, match="disk full"):
        snapshots.save_snapshot(store, second)
    monkeypatch.undo()

    assert written == ["one"]
    assert_snapshots_equal(snapshots.load_snapshot(store), first)
    with store.read() as conn:  # the indexes dropped for the load are back
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_load_for_nips_returns_what_the_check_needs(store: Store) -> None:
    snapshots.save_snapshot(store, _snapshot())
    sub = snapshots.load_snapshot(store, [NIP_GURU])

    assert _keys(sub, "instansi") == {("I1",)}
    assert _keys(sub, "siasn_pegawai") == {(NIP_GURU,), (NIP_KEPSEK,), (NIP_KADIS,)}
    # Units and schools: the pegawai's own and those of their schools (with parents), not the
    # other schools of the instansi (U2, 50100002).
    assert _keys(sub, "siasn_unor") == {("U0",), ("U1",)}
    assert _keys(sub, "ekinerja_unor") == {("U0",), ("U1",)}
    assert _keys(sub, "dapodik_sekolah") == {("50100001",)}
    assert _keys(sub, "dapodik_ptk") == {("PTK-G",), ("PTK-K",)}  # PTK-G by NIK
    assert _keys(sub, "pmm_skp") == {("S-G",), ("S-K",)}
    assert _keys(sub, "pmm_rhk") == {("R-G1",), ("R-K1",)}
    assert _keys(sub, "pmm_penilaian") == {("S-G", "TRIWULANAN", 1)}
    assert _keys(sub, "ekinerja_periode") == {("P1",), ("P1-T1",)}
    assert _keys(sub, "ekinerja_skp") == {("E-K",)}  # the principal's
    assert _keys(sub, "ekinerja_rhk") == {("ER-K1",)}
    assert _keys(sub, "ekinerja_penilaian") == {("E-K", "P1-T1")}
    # The rows themselves are the stored ones, typed.
    full = _snapshot()
    for t in TABLES:
        expected = full[t.name].join(sub[t.name].select(t.key), on=list(t.key), how="semi")
        assert_frame_equal(_sorted(t.name, sub[t.name]), _sorted(t.name, expected))

    assert all(n == 0 for n in snapshots.load_snapshot(store, []).counts().values())


def test_load_for_many_nips_chunks_the_in_lists(store: Store) -> None:
    snapshots.save_snapshot(store, _snapshot())
    nips = [f"{i:018d}" for i in range(1200)] + [NIP_LAIN]
    sub = snapshots.load_snapshot(store, nips)
    assert _keys(sub, "siasn_pegawai") == {(NIP_LAIN,)}
    assert _keys(sub, "ekinerja_skp") == {("E-L",)}


# ---------------------------------------------------------------------------- e-Kinerja


def _changes() -> EkinerjaChanges:
    rows = Snapshot.from_rows(
        {
            "ekinerja_skp": [
                {
                    "skp_id": "E-G",
                    "nip": NIP_GURU,
                    "periode_id": "P1",
                    "unor_id": "U1",
                    "atasan_nip": NIP_KEPSEK,
                    "sumber": "PMM",
                    "pmm_skp_id": "S-G",
                },
                {
                    "skp_id": "E-K",
                    "nip": NIP_KEPSEK,
                    "periode_id": "P1",
                    "unor_id": "U1",
                    "atasan_nip": None,
                    "sumber": "PMM",
                    "pmm_skp_id": "S-K",
                },
            ],
            "ekinerja_rhk": [
                {
                    "rhk_id": "ER-G1",
                    "skp_id": "E-G",
                    "uraian": "Pembelajaran",
                    "pmm_rhk_id": "R-G1",
                    "induk_rhk_id": "ER-K1",
                },
            ],
            "ekinerja_penilaian": [
                {
                    "skp_id": "E-G",
                    "periode_id": "P1-T1",
                    "hasil_kerja": "DIATAS",
                    "perilaku": "SESUAI",
                    "predikat": "SANGAT_BAIK",
                },
            ],
        }
    )
    return EkinerjaChanges(
        upserts={n: rows[n] for n in ("ekinerja_skp", "ekinerja_rhk", "ekinerja_penilaian")},
        deletes={
            "ekinerja_rhk": pl.DataFrame({"rhk_id": ["ER-L1", "ER-TIDAK-ADA"]}),
            "ekinerja_penilaian": pl.DataFrame({"skp_id": ["E-K"], "periode_id": ["P1-T1"]}),
        },
    )


def test_apply_changes_upserts_and_deletes_idempotently(store: Store) -> None:
    snapshots.save_snapshot(store, _snapshot())
    changes.apply_changes(store, _changes())
    once = snapshots.load_snapshot(store)
    changes.apply_changes(store, _changes())
    assert_snapshots_equal(snapshots.load_snapshot(store), once)

    assert _keys(once, "ekinerja_skp") == {("E-K",), ("E-G",), ("E-L",)}
    assert once["ekinerja_skp"].filter(pl.col("skp_id") == "E-K")["atasan_nip"].to_list() == [None]
    assert _keys(once, "ekinerja_rhk") == {("ER-K1",), ("ER-G1",)}
    assert _keys(once, "ekinerja_penilaian") == {("E-G", "P1-T1")}
    assert_frame_equal(_sorted("pmm_rhk", once["pmm_rhk"]), _sorted("pmm_rhk", _snapshot()["pmm_rhk"]))

    with pytest.raises(ValueError, match="e-Kinerja"):
        changes.apply_changes(store, EkinerjaChanges(deletes={"pmm_rhk": pl.DataFrame()}))


def test_apply_changes_is_atomic(store: Store) -> None:
    snapshots.save_snapshot(store, _snapshot())
    bad = _changes()
    bad.upserts["ekinerja_rhk"] = bad.upserts["ekinerja_rhk"].with_columns(rhk_id=pl.lit(None, pl.String))
    with pytest.raises(Exception):  # noqa: B017 - the driver's own IntegrityError
        changes.apply_changes(store, bad)
    assert_snapshots_equal(snapshots.load_snapshot(store), _snapshot())


# ------------------------------------------------------------------------------ the log


def _check(
    tahun: int = 2024, pegawai: list[dict[str, object]] | None = None, errors: list[dict[str, object]] | None = None
) -> CheckResult:
    pegawai = (
        pegawai
        if pegawai is not None
        else [
            {
                "nip": NIP_GURU,
                "nama": "Siti",
                "instansi_id": "I1",
                "unor_id": "U1",
                "npsn": "50100001",
                "kepala_sekolah": False,
                "status": "GAGAL",
            },
            {
                "nip": NIP_KEPSEK,
                "nama": "Ahmad",
                "instansi_id": "I1",
                "unor_id": "U1",
                "npsn": "50100001",
                "kepala_sekolah": True,
                "status": "SIAP",
            },
            {
                "nip": NIP_LAIN,
                "nama": "Lain",
                "instansi_id": "I2",
                "unor_id": None,
                "npsn": None,
                "kepala_sekolah": None,
                "status": "TERSINKRON",
            },
        ]
    )
    errors = (
        errors
        if errors is not None
        else [
            {
                "nip": NIP_GURU,
                "code": "PMM-01",
                "urutan": 2,
                "pmm_skp_id": None,
                "detail": json.dumps({"nip_verval": "198001012005011999", "nip_siasn": NIP_GURU}),
                "selesai_oleh": None,
            },
            {
                "nip": NIP_GURU,
                "code": "PMM-13",
                "urutan": 14,
                "pmm_skp_id": "S-G",
                "detail": json.dumps({"pmm_rhk_id": "R-G1"}),
                "selesai_oleh": NIP_KEPSEK,
            },
            {
                "nip": NIP_GURU,
                "code": "PMM-13",
                "urutan": 14,
                "pmm_skp_id": "S-G",
                "detail": json.dumps({"pmm_rhk_id": "R-G2"}),
                "selesai_oleh": NIP_KEPSEK,
            },
            {
                "nip": NIP_GURU,
                "code": "PMM-11",
                "urutan": 13,
                "pmm_skp_id": "S-G",
                "detail": "{}",
                "selesai_oleh": NIP_KEPSEK,
            },
        ]
    )
    return CheckResult(
        tahun=tahun,
        flow=Flow.SKP,
        pegawai=pl.DataFrame(pegawai, schema=PEGAWAI_SCHEMA),
        errors=pl.DataFrame(errors, schema=ERROR_SCHEMA),
    )


def test_record_run_and_latest_results_round_trip(store: Store) -> None:
    assert logs.latest_results(store, Flow.SKP) is None
    check = _check()
    outcomes = pl.DataFrame({"nip": [NIP_KEPSEK, NIP_GURU], "hasil": ["BARU", "GAGAL"]})
    run_id = logs.record_run(
        store, pelaku="cli:root", mode="SYNC", flow=Flow.SKP, tahun=2024, check=check, outcomes=outcomes
    )
    latest = logs.latest_results(store, Flow.SKP)
    assert latest is not None
    assert (latest.tahun, latest.flow) == (2024, Flow.SKP)
    assert_frame_equal(latest.pegawai, check.pegawai)
    assert_frame_equal(latest.errors, check.errors)
    assert logs.latest_results(store, Flow.PENILAIAN) is None

    entries = logs.log_entries(store)
    assert [e["nip"] for e in entries] == [NIP_LAIN, NIP_KEPSEK, NIP_GURU]
    guru = entries[2]
    assert guru["run_id"] == run_id
    assert (guru["mode"], guru["flow"], guru["pelaku"]) == ("SYNC", "skp", "cli:root")
    assert guru["hasil"] == "GAGAL"
    assert guru["kode"] == "PMM-01,PMM-11,PMM-13"
    assert [e["code"] for e in guru["errors"]] == ["PMM-01", "PMM-13", "PMM-13", "PMM-11"]
    assert guru["errors"][1]["detail"] == {"pmm_rhk_id": "R-G1"}
    assert guru["waktu"].utcoffset().total_seconds() == 0
    assert entries[1]["hasil"] == "BARU" and entries[1]["kode"] is None
    assert entries[0]["hasil"] is None and entries[0]["errors"] == []


def test_record_run_of_an_empty_check(store: Store) -> None:
    run_id = logs.record_run(
        store,
        pelaku="demo",
        mode="CHECK",
        flow=Flow.PENILAIAN,
        tahun=2025,
        check=CheckResult(tahun=2025, flow=Flow.PENILAIAN),
    )
    latest = logs.latest_results(store, Flow.PENILAIAN)
    assert run_id >= 1 and latest is not None
    assert latest.pegawai.height == 0 and latest.tahun == 2025
    with pytest.raises(ValueError, match="mode"):
        logs.record_run(
            store, pelaku="demo", mode="LIHAT", flow=Flow.SKP, tahun=2025, check=CheckResult(tahun=2025, flow=Flow.SKP)
        )


def test_the_log_keeps_history(store: Store) -> None:
    first = logs.record_run(store, pelaku="cli:root", mode="CHECK", flow=Flow.SKP, tahun=2024, check=_check())
    only_guru = _check(
        pegawai=[
            {
                "nip": NIP_GURU,
                "nama": "Siti",
                "instansi_id": "I1",
                "unor_id": "U1",
                "npsn": "50100001",
                "kepala_sekolah": False,
                "status": "SIAP",
            }
        ],
        errors=[],
    )
    second = logs.record_run(
        store,
        pelaku="demo",
        mode="SYNC",
        flow=Flow.SKP,
        tahun=2024,
        check=only_guru,
        outcomes=pl.DataFrame({"nip": [NIP_GURU], "hasil": ["BARU"]}),
    )
    assert second > first

    history = logs.log_entries(store, nip=NIP_GURU)
    assert [(e["run_id"], e["status"]) for e in history] == [(second, "SIAP"), (first, "GAGAL")]
    assert len(history[1]["errors"]) == 4 and history[1]["kode"] == "PMM-01,PMM-11,PMM-13"


def _run(store: Store, check: CheckResult, *, flow: Flow = Flow.SKP, tahun: int = 2024) -> int:
    return logs.record_run(store, pelaku="test", mode="CHECK", flow=flow, tahun=tahun, check=check)


def _only(
    nip: str,
    status: str,
    errors: list[dict[str, object]] | None = None,
    *,
    tahun: int = 2024,
    instansi_id: str | None = None,
) -> CheckResult:
    """A partial run: one pegawai of ``_check()`` with a new status (and instansi) and errors."""
    pegawai = _check().pegawai.filter(pl.col("nip") == nip).with_columns(status=pl.lit(status))
    if instansi_id is not None:
        pegawai = pegawai.with_columns(instansi_id=pl.lit(instansi_id))
    rows = [{"nip": nip, "urutan": 1, "pmm_skp_id": None, "selesai_oleh": None, **e} for e in errors or []]
    return CheckResult(tahun=tahun, flow=Flow.SKP, pegawai=pegawai, errors=pl.DataFrame(rows, schema=ERROR_SCHEMA))


def _nips_status(result: CheckResult | None) -> list[tuple[str, str]]:
    assert result is not None
    return list(result.pegawai.select("nip", "status").iter_rows())


def test_latest_results_is_each_pegawais_latest_state(store: Store) -> None:
    full = _check()
    _run(store, full)
    # Only the principal is checked again, now failing: the others stay as the full run left
    # them, the teacher with her four errors.
    kepsek = _only(NIP_KEPSEK, "GAGAL", [{"code": "SIA-01", "detail": '{"a": 1}'}, {"code": "PMM-04"}])
    _run(store, kepsek)
    latest = logs.latest_results(store, Flow.SKP)
    assert latest is not None and (latest.tahun, latest.flow) == (2024, Flow.SKP)
    assert_frame_equal(latest.pegawai, pl.concat([full.pegawai.filter(pl.col("nip") != NIP_KEPSEK), kepsek.pegawai]))
    assert_frame_equal(latest.errors, pl.concat([full.errors, kepsek.errors]))

    # Then only the teacher, now ready: her errors of the first run are gone.
    guru = _only(NIP_GURU, "SIAP")
    _run(store, guru)
    latest = logs.latest_results(store, Flow.SKP)
    assert latest is not None
    assert_frame_equal(
        latest.pegawai, pl.concat([full.pegawai.filter(pl.col("nip") == NIP_LAIN), kepsek.pegawai, guru.pegawai])
    )
    assert_frame_equal(latest.errors, kepsek.errors)
    assert len(logs.log_entries(store, limit=100)) == 5  # the history is all still there


def test_latest_results_of_one_instansi(store: Store) -> None:
    _run(store, _check())
    _run(store, _only(NIP_GURU, "SIAP"))
    of_i1 = logs.latest_results(store, Flow.SKP, "I1")
    assert _nips_status(of_i1) == [(NIP_KEPSEK, "SIAP"), (NIP_GURU, "SIAP")]
    assert of_i1 is not None and of_i1.errors.height == 0
    assert _nips_status(logs.latest_results(store, Flow.SKP, "I2")) == [(NIP_LAIN, "TERSINKRON")]
    assert logs.latest_results(store, Flow.SKP, "I3") is None

    # A pegawai counts for the instansi of their latest row: moved from I2 to I1.
    _run(store, _only(NIP_LAIN, "GAGAL", [{"code": "SIA-02"}], instansi_id="I1"))
    of_i1 = logs.latest_results(store, Flow.SKP, "I1")
    assert _nips_status(of_i1) == [(NIP_KEPSEK, "SIAP"), (NIP_GURU, "SIAP"), (NIP_LAIN, "GAGAL")]
    assert of_i1 is not None and of_i1.errors.select("nip", "code").rows() == [(NIP_LAIN, "SIA-02")]
    assert logs.latest_results(store, Flow.SKP, "I2") is None


def test_latest_results_by_year(store: Store) -> None:
    full = _check()
    _run(store, full)
    next_year = _only(NIP_LAIN, "GAGAL", [{"code": "PER-01"}], tahun=2025)
    _run(store, next_year, tahun=2025)
    # A later run of the earlier year does not make it the latest year.
    _run(store, _only(NIP_KEPSEK, "TERSINKRON"))

    latest = logs.latest_results(store, Flow.SKP)
    assert latest is not None and latest.tahun == 2025
    assert_frame_equal(latest.pegawai, next_year.pegawai)
    assert_frame_equal(latest.errors, next_year.errors)

    of_2024 = logs.latest_results(store, Flow.SKP, tahun=2024)
    assert of_2024 is not None and of_2024.tahun == 2024
    assert _nips_status(of_2024) == [(NIP_GURU, "GAGAL"), (NIP_LAIN, "TERSINKRON"), (NIP_KEPSEK, "TERSINKRON")]
    assert_frame_equal(of_2024.errors, full.errors)
    assert logs.latest_results(store, Flow.SKP, tahun=2023) is None

    # With an instansi, the latest year with pegawai of that instansi.
    of_i1 = logs.latest_results(store, Flow.SKP, "I1")
    assert of_i1 is not None and of_i1.tahun == 2024
    assert _nips_status(of_i1) == [(NIP_GURU, "GAGAL"), (NIP_KEPSEK, "TERSINKRON")]
    of_i2 = logs.latest_results(store, Flow.SKP, "I2")
    assert of_i2 is not None and of_i2.tahun == 2025 and _nips_status(of_i2) == [(NIP_LAIN, "GAGAL")]
    assert _nips_status(logs.latest_results(store, Flow.SKP, "I2", tahun=2024)) == [(NIP_LAIN, "TERSINKRON")]
    assert logs.latest_results(store, Flow.SKP, "I1", tahun=2025) is None


def test_latest_results_keeps_the_flows_apart(store: Store) -> None:
    full = _check()
    _run(store, full)
    penilaian = _only(NIP_GURU, "TERSINKRON")
    _run(store, penilaian, flow=Flow.PENILAIAN)

    skp = logs.latest_results(store, Flow.SKP)
    assert skp is not None
    assert_frame_equal(skp.pegawai, full.pegawai)
    assert_frame_equal(skp.errors, full.errors)
    latest = logs.latest_results(store, Flow.PENILAIAN)
    assert latest is not None and latest.flow == Flow.PENILAIAN
    assert_frame_equal(latest.pegawai, penilaian.pegawai)
    assert latest.errors.height == 0
    assert logs.latest_results(store, Flow.PENILAIAN, "I2") is None


def test_migration_0002_fills_the_state_from_the_log(store: Store) -> None:
    _run(store, _check())
    _run(store, _only(NIP_KEPSEK, "GAGAL", [{"code": "SIA-01"}]))
    _run(store, _only(NIP_LAIN, "SIAP"), tahun=2025)
    before = [logs.latest_results(store, Flow.SKP, tahun=t) for t in (2024, 2025)]

    config = alembic_config()
    with store.write() as conn:  # back to the schema without sync_state, the log kept
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    store.migrate()

    after = [logs.latest_results(store, Flow.SKP, tahun=t) for t in (2024, 2025)]
    assert _nips_status(after[0]) == [(NIP_GURU, "GAGAL"), (NIP_LAIN, "TERSINKRON"), (NIP_KEPSEK, "GAGAL")]
    for a, b in zip(after, before, strict=True):
        assert a is not None and b is not None
        assert_frame_equal(a.pegawai, b.pegawai)
        assert_frame_equal(a.errors, b.errors)
    assert _nips_status(logs.latest_results(store, Flow.SKP, "I2")) == [(NIP_LAIN, "SIAP")]


def test_log_entries_filters_and_pages(store: Store) -> None:
    for _ in range(3):
        logs.record_run(store, pelaku="demo", mode="CHECK", flow=Flow.SKP, tahun=2024, check=_check())
    all_entries = logs.log_entries(store, limit=100)
    assert len(all_entries) == 9
    ids = [e["log_id"] for e in all_entries]
    assert ids == sorted(ids, reverse=True)

    by_code = logs.log_entries(store, code="PMM-13")
    assert [e["nip"] for e in by_code] == [NIP_GURU] * 3
    assert {e["status"] for e in logs.log_entries(store, status="SIAP")} == {"SIAP"}
    assert len(logs.log_entries(store, npsn="50100001")) == 6
    assert len(logs.log_entries(store, instansi_id="I2")) == 3
    assert logs.log_entries(store, nip=NIP_LAIN, code="PMM-01") == []

    pages: list[int] = []
    before = None
    while page := logs.log_entries(store, npsn="50100001", limit=4, before_log_id=before):
        pages.append(len(page))
        before = page[-1]["log_id"]
    assert pages == [4, 2]


def test_what_a_batch_loads_by_nip_checks_exactly_as_the_whole_snapshot(store: Store) -> None:
    """A sync job loads only what its pegawai need (``load_snapshot(nips)``): their results,
    every code of errors.md that the generator injects included, equal the whole check's."""
    import random

    from selaras.domain.rules import check
    from selaras.simulation.generator import generate

    g = generate(3_000, seed=17, tahun=2026, instansi=2)
    snapshots.save_snapshot(store, g.snapshot)
    whole = check(g.snapshot, 2026, Flow.SKP)
    nips = g.snapshot["siasn_pegawai"]["nip"].to_list()
    random.Random(5).shuffle(nips)
    for batch in (nips[:7], nips[7:300], nips[300:1000]):
        part = check(snapshots.load_snapshot(store, batch), 2026, Flow.SKP, nips=batch)
        want = whole.errors.filter(pl.col("nip").is_in(batch)).sort("nip", "urutan", "pmm_skp_id", "code")
        got = part.errors.sort("nip", "urutan", "pmm_skp_id", "code")
        assert_frame_equal(got.select(want.columns), want)
        assert_frame_equal(part.pegawai.sort("nip"), whole.pegawai.filter(pl.col("nip").is_in(batch)).sort("nip"))
    assert set(whole.errors["code"]) >= {"PMM-03", "PMM-10", "PMM-11", "PMM-12", "PMM-13"}
