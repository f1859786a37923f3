"""The command line end to end: generate, check, sync, import, export, recap, demo.

The check's verdict on a generated snapshot is compared with the generator's manifest: the
codes that errors.md says must hold given what was injected, computed by the generator
independently of the rules module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from selaras.cli import main
from selaras.simulation.generator import generate
from selaras.sources.files import read_snapshot

TAHUN = 2026
N = 400
SEED = 3
TANGGAL = "2026-10-15"  # the generated snapshot's date (simulation.pimpinan.tanggal_snapshot)


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def jsonl(result: Result) -> dict[str, dict]:
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {r["nip"]: r for r in rows}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("gen") / "snap"
    r = cli("generate", "--pegawai", N, "--seed", SEED, "--tahun", TAHUN, "--instansi", 1, "--out", folder)
    assert r.exit_code == 0, r.output
    manifest = generate(N, seed=SEED, tahun=TAHUN, instansi=1).manifest
    return folder, manifest


def expected(manifest: pl.DataFrame, flow: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in manifest.filter(pl.col("flow") == flow).iter_rows(named=True):
        out[r["nip"]].add(r["code"])
    return out


def test_check_agrees_with_the_rules_on_a_generated_snapshot(generated: tuple[Path, pl.DataFrame]) -> None:
    folder, manifest = generated
    r = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    assert r.exit_code == 1  # some pegawai fail
    got = jsonl(r)
    want = expected(manifest, "skp")
    assert set(want) <= set(got)
    mismatches = {
        nip: (sorted({e["code"] for e in row["errors"]}), sorted(want.get(nip, set())))
        for nip, row in got.items()
        if {e["code"] for e in row["errors"]} != want.get(nip, set())
    }
    assert mismatches == {}
    for row in got.values():
        assert row["status"] in ("SIAP", "GAGAL", "TERSINKRON")
        assert (row["status"] == "GAGAL") == bool(row["errors"])
        for e in row["errors"]:
            assert e["actors"] and isinstance(e["detail"], dict)
    seen = {e["code"] for row in got.values() for e in row["errors"]}
    assert seen == {f"PMM-{i:02d}" for i in range(1, 14)} | {"PLT-01", "PLT-02", "PLT-03"}


def test_penilaian_check_agrees_with_the_manifest(generated: tuple[Path, pl.DataFrame]) -> None:
    folder, manifest = generated
    got = jsonl(
        cli(
            "check",
            "--snapshot",
            folder,
            "--tahun",
            TAHUN,
            "--flow",
            "penilaian",
            "--format",
            "jsonl",
            "--tanggal",
            TANGGAL,
        )
    )
    want = expected(manifest, "penilaian")
    for nip, row in got.items():
        assert {e["code"] for e in row["errors"]} == want.get(nip, set()), nip


def test_sync_then_check_shows_tersinkron_and_second_sync_changes_nothing(
    generated: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    folder, manifest = generated
    before = jsonl(cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL))
    r = cli("sync", "--snapshot", folder, "--tahun", TAHUN, "--out", tmp_path / "once", "--tanggal", TANGGAL)
    assert r.exit_code == 1, r.output
    after = jsonl(
        cli("check", "--snapshot", tmp_path / "once", "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    )
    for nip, row in before.items():
        clears = row["errors"] and all(e["selesai_oleh"] for e in row["errors"])
        if row["status"] in ("SIAP", "TERSINKRON") or clears:
            assert after[nip]["status"] == "TERSINKRON", (nip, row, after[nip])
        else:
            assert after[nip]["status"] == "GAGAL"
            assert {e["code"] for e in after[nip]["errors"]} <= {e["code"] for e in row["errors"]}
    # Idempotent: syncing the synced snapshot writes nothing new.
    r2 = cli(
        "sync",
        "--snapshot",
        tmp_path / "once",
        "--tahun",
        TAHUN,
        "--out",
        tmp_path / "twice",
        "--format",
        "jsonl",
        "--tanggal",
        TANGGAL,
    )
    outcomes = {row["hasil"] for row in jsonl(r2).values()}
    assert outcomes <= {"TIDAK_BERUBAH", "GAGAL"}
    once = read_snapshot(tmp_path / "once").snapshot
    twice = read_snapshot(tmp_path / "twice").snapshot
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        a, b = once[name], twice[name]
        assert a.sort(a.columns).equals(b.sort(b.columns)), name
        assert a["skp_id" if name == "ekinerja_skp" else "rhk_id"].is_unique().all()


def test_store_import_check_sync_recap_and_log(generated: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    folder, _ = generated
    db = tmp_path / "s.db"
    assert cli("import", folder, "--db", db).exit_code == 0
    r = cli("check", "--db", db, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    assert r.exit_code == 1
    file_mode = jsonl(cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL))
    assert jsonl(r) == file_mode
    assert cli("sync", "--db", db, "--tahun", TAHUN, "--tanggal", TANGGAL).exit_code == 1
    recap = cli("recap", "--db", db)
    assert recap.exit_code == 0
    assert "Kendala per kode" in recap.stdout
    exported = tmp_path / "exp"
    assert cli("export", exported, "--db", db).exit_code == 0
    synced = jsonl(cli("check", "--snapshot", exported, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL))
    assert sum(r["status"] == "TERSINKRON" for r in synced.values()) > sum(
        r["status"] == "TERSINKRON" for r in file_mode.values()
    )


def test_one_pegawai_button_shows_cards(generated: tuple[Path, pl.DataFrame]) -> None:
    folder, manifest = generated
    teacher = manifest.filter(pl.col("code") == "PMM-12")["nip"][0]
    r = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--nip", teacher)
    assert r.exit_code == 1
    assert "PMM-12" in r.stdout and "Atasan Pegawai tidak sama dengan data PMM" in r.stdout
    assert "Admin Instansi" in r.stdout


def test_bad_input_exit_2_names_file_row_column_and_leaves_store_unchanged(
    generated: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    folder, _ = generated
    db = tmp_path / "s.db"
    assert cli("import", folder, "--db", db).exit_code == 0
    before = cli("export", tmp_path / "before", "--db", db)
    assert before.exit_code == 0
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-r", str(folder), str(bad)], check=True)
    ptk = (bad / "dapodik_ptk.csv").read_text().splitlines()
    header = ptk[0].split(",")
    cells = ptk[1].split(",")
    cells[header.index("nip")] = "12345"
    ptk[1] = ",".join(cells)
    (bad / "dapodik_ptk.csv").write_text("\n".join(ptk) + "\n")
    r = cli("import", bad, "--db", db)
    assert r.exit_code == 2
    assert "dapodik_ptk.csv" in r.stderr and "baris 2" in r.stderr and "nip" in r.stderr
    assert cli("export", tmp_path / "after", "--db", db).exit_code == 0
    for f in sorted((tmp_path / "before").iterdir()):
        assert f.read_bytes() == (tmp_path / "after" / f.name).read_bytes(), f.name
    assert cli("check", "--snapshot", bad).exit_code == 2
    assert cli("check", "--snapshot", tmp_path / "nowhere").exit_code == 2
    assert cli("sync", "--snapshot", folder).exit_code == 2  # --out missing


def test_demo_runs_and_shows_every_data_code(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160"}
    p = subprocess.run(
        [sys.executable, "-m", "selaras.cli", "demo", "--dir", str(tmp_path / "demo"), "--tahun", str(TAHUN)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    for code in [f"PMM-{i:02d}" for i in range(1, 14)] + ["PER-01", "PER-02", "PER-03"]:
        assert code in p.stdout, code
    assert (tmp_path / "demo" / "selaras.db").exists()


def test_recap_from_the_log_equals_the_check(generated: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    from selaras.domain.recap import recap
    from selaras.domain.results import Flow
    from selaras.domain.rules import check
    from selaras.store.database import Store
    from selaras.store.logs import latest_results

    folder, _ = generated
    db = tmp_path / "s.db"
    assert cli("import", folder, "--db", db).exit_code == 0
    assert cli("check", "--db", db, "--tahun", TAHUN).exit_code == 1
    logged = latest_results(Store.open(str(db)), Flow.SKP)
    assert logged is not None
    direct = check(read_snapshot(folder).snapshot, TAHUN)
    a, b = recap(logged), recap(direct)
    assert a.by_status == b.by_status
    assert a.by_code.equals(b.by_code)
    assert a.by_actor.sort("aktor").equals(b.by_actor.sort("aktor"))
    assert a.by_school.sort("npsn").equals(b.by_school.sort("npsn"))


def test_kode_lists_the_catalogue_and_explains_one_code() -> None:
    from selaras.catalogue.codes import CATALOGUE

    listing = cli("kode")
    assert listing.exit_code == 0
    for code in CATALOGUE:
        assert code in listing.stdout
    one = cli("kode", "pmm-11")
    assert one.exit_code == 0
    assert CATALOGUE["PMM-11"].judul in one.stdout and CATALOGUE["PMM-11"].langkah[0] in one.stdout
    assert "pesan yang tampil di e-Kinerja" in one.stdout  # known: e-Kinerja's own message
    assert "uraian Selaras" in cli("kode", "PMM-10").stdout  # the project's own description
    causes = cli("kode", "PMM-13").stdout
    assert "Penyebab:" in causes and "belum ada di SKP atasan di e-Kinerja" in " ".join(causes.split())
    assert cli("kode", "PMM-99").exit_code == 2


def test_check_written_part_by_part_equals_one_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The jsonl of a batch written as each part of whole instansi is checked: every pegawai
    exactly once, the same lines as when the batch is one part."""
    folder = tmp_path / "snap"
    assert (
        cli("generate", "--pegawai", 600, "--seed", 4, "--tahun", TAHUN, "--instansi", 6, "--out", folder).exit_code
        == 0
    )
    whole = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    monkeypatch.setenv("SELARAS_PART_PEGAWAI", "120")
    parted = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    assert parted.exit_code == whole.exit_code == 1
    lines = parted.stdout.splitlines()
    assert len(lines) == len({json.loads(line)["nip"] for line in lines}) == len(whole.stdout.splitlines()) > 500
    assert sorted(lines) == sorted(whole.stdout.splitlines())


def test_jsonl_written_in_slices_keeps_every_line(
    generated: tuple[Path, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    import selaras.cli.periksa

    folder, _ = generated
    whole = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    monkeypatch.setattr(selaras.cli.periksa, "JSONL_SLICE", 7)  # 400 pegawai: 57 full slices and a short one
    sliced = cli("check", "--snapshot", folder, "--tahun", TAHUN, "--format", "jsonl", "--tanggal", TANGGAL)
    assert sliced.stdout == whole.stdout
    assert len(sliced.stdout.splitlines()) == N
    assert all(json.loads(line)["nip"] for line in sliced.stdout.splitlines())


@pytest.mark.parametrize("value", ["0", "abc", "-3"])
def test_serve_refuses_a_wrong_thread_setting_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SELARAS_WEB_THREADS", value)
    r = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "s.db"), "--port", "1"])
    assert r.exit_code == 2, r.output
    assert f"SELARAS_WEB_THREADS harus bilangan bulat 1 atau lebih, bukan '{value}'" in r.output


def test_web_threads_default_and_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from selaras.web.factory import WEB_THREADS, web_threads

    monkeypatch.delenv("SELARAS_WEB_THREADS", raising=False)
    assert web_threads() == WEB_THREADS
    monkeypatch.setenv("SELARAS_WEB_THREADS", "12")
    assert web_threads() == 12
