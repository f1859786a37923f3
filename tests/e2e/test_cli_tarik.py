"""``selaras tarik`` end to end: pulled from the simulator in the real shapes, a store checks
exactly like the snapshot the simulator serves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from selaras.cli import main
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.simulation.real import RealAccess, real_env
from selaras.simulation.simulator import build_app, serve_in_thread
from selaras.simulation.state import Faults
from selaras.sources.writer import write_snapshot
from selaras.store.database import Store
from selaras.usecases.imports import import_snapshot

TAHUN = 2026
TOKEN = "token-pmm"
OWN_TABLES = ("instansi", "ekinerja_unor", "ekinerja_periode", "ekinerja_skp", "ekinerja_rhk", "ekinerja_penilaian")


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def verdicts(result: Result, flow: str) -> dict[str, tuple[str, list[str]]]:
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {r["nip"]: (r["status"], sorted(e["code"] for e in r["errors"])) for r in rows}


@pytest.fixture(scope="module")
def world() -> Snapshot:
    # The full generated world: its Plt/Plh duties are served as getGtk rows where they are held.
    snap = generate(120, seed=3, tahun=TAHUN, instansi=2).snapshot
    assert snap["dapodik_tugas_tambahan"]["npsn"].n_unique() >= 2, "the world must have several Plt schools"
    return snap


@pytest.fixture
def served(world: Snapshot, tmp_path: Path) -> Iterator[dict[str, str]]:
    access = RealAccess(token_uses=25)
    app = build_app(world, token=TOKEN, shapes="nyata", access=access, seed=1)
    app.state.simulator.set_faults(Faults(rate=0.1, weights={"5xx": 1.0, "429": 1.0}, retry_after_s=0))
    roster = tmp_path / "daftar-nip.csv"
    roster.write_text("\n".join(world["siasn_pegawai"]["nip"].to_list()) + "\n", encoding="utf-8")
    with serve_in_thread(app) as running:
        env = dict(real_env(running.url, access, TOKEN))
        env["SELARAS_SIASN_DAFTAR_NIP"] = str(roster)
        env["SELARAS_SOURCE_MAX_ATTEMPTS"] = "20"
        yield env


def test_tarik_then_check_gives_the_statuses_and_codes_of_the_served_snapshot(
    world: Snapshot, served: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    write_snapshot(world, folder)
    db = f"sqlite:///{tmp_path / 'tarik.db'}"
    import_snapshot(Store.open(db), Snapshot({n: world[n] for n in OWN_TABLES}))

    r = cli("tarik", "--db", db, "--semua", "--tahun", TAHUN, env=served)
    assert r.exit_code == 0, r.output
    assert "Hasil tarik data per sumber" in r.output
    assert "instansi ditarik" in r.output and "diantrekan untuk diperiksa ulang" in r.output
    duties = world["dapodik_tugas_tambahan"].height
    assert f"Tugas kepala sekolah/Plt/Plh (termasuk hitungan Dapodik): {duties} baru, 0 berubah" in r.output
    from selaras.store.snapshots import load_table

    key = ["ptk_id", "npsn", "jenis"]
    pulled = load_table(Store.open(db), "dapodik_tugas_tambahan").sort(key)
    assert pulled.select(*key, "nomor_sk", "tmt").equals(
        world["dapodik_tugas_tambahan"].sort(key).select(*key, "nomor_sk", "tmt")
    )

    for flow in ("skp", "penilaian"):
        want = verdicts(cli("check", "--snapshot", folder, "--tahun", TAHUN, "--flow", flow, "--format", "jsonl"), flow)
        got = verdicts(cli("check", "--db", db, "--tahun", TAHUN, "--flow", flow, "--format", "jsonl"), flow)
        assert want and got == want

    again = cli("tarik", "--db", db, "--semua", "--tahun", TAHUN, env=served)
    assert again.exit_code == 0, again.output
    assert "0 pegawai diantrekan" in again.output


def test_tarik_refuses_bad_usage_and_half_a_configuration(tmp_path: Path, served: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kosong.db'}"
    r = cli("tarik", "--db", db, env=served)
    assert r.exit_code == 2 and "--instansi" in r.output
    half = {k: v for k, v in served.items() if k != "SELARAS_SIASN_PASSWORD"}
    half["SELARAS_SIASN_PASSWORD"] = ""
    r = cli("tarik", "--db", db, "--semua", env=half)
    assert r.exit_code == 2 and "SELARAS_SIASN_PASSWORD" in r.output
    r = cli("tarik", "--db", db, "--instansi", "TIDAK-ADA", env=served)
    assert r.exit_code == 2 and "TIDAK-ADA" in r.output


def test_tarik_with_a_wrong_password_says_so_and_exits_2(
    world: Snapshot, served: dict[str, str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'salah.db'}"
    import_snapshot(Store.open(db), Snapshot({n: world[n] for n in OWN_TABLES}))
    r = cli("tarik", "--db", db, "--semua", env={**served, "SELARAS_SIASN_PASSWORD": "keliru"})
    assert r.exit_code == 2, r.output
    assert "SIASN menolak" in r.output and "Traceback" not in r.output


def test_tarik_with_a_source_down_exits_3_and_changes_nothing(
    world: Snapshot, served: dict[str, str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'mati.db'}"
    import_snapshot(Store.open(db), Snapshot({n: world[n] for n in OWN_TABLES}))
    down = {**served, "SELARAS_PMM_URL": "http://127.0.0.1:9/pmm/v1", "SELARAS_SOURCE_MAX_ATTEMPTS": "1"}
    r = cli("tarik", "--db", db, "--semua", env=down)
    assert r.exit_code == 3, r.output
    assert "tidak dapat dihubungi" in r.output and "tidak diubah" in r.output
    from selaras.store.snapshots import load_table

    assert load_table(Store.open(db), "siasn_pegawai").height == 0


def test_tarik_with_refused_records_lists_them_and_exits_1(world: Snapshot, tmp_path: Path) -> None:
    access = RealAccess()
    app = build_app(world, token=TOKEN, shapes="nyata", access=access, seed=2)
    app.state.simulator.set_faults(Faults(rate=1.0, weights={"invalid": 1.0}))
    db = f"sqlite:///{tmp_path / 'tolak.db'}"
    import_snapshot(Store.open(db), Snapshot({n: world[n] for n in OWN_TABLES}))
    with serve_in_thread(app) as running:
        r = cli("tarik", "--db", db, "--semua", env=dict(real_env(running.url, access, TOKEN)))
    assert r.exit_code == 1, r.output
    assert "rekaman ditolak" in r.output and "kedudukanPnsNama" in r.output and "Cuti Besar" in r.output
