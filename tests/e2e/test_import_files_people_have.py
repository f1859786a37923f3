"""``selaras import`` of files as people have them (issue 19, item 6): it says which mapping and
separator it used; a file it cannot map is refused naming file, row and column, and the store
is left as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from source_files import TAHUN, siasn_pegawai, source_folder

from selaras.cli import main
from selaras.simulation.generator import generate
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot


def import_args(source: Path, url: str) -> list[str]:
    return ["import", str(source), "--db", url.replace("postgresql+psycopg://", "postgresql://")]


def contents(store: Store) -> dict[str, list[tuple]]:
    return {n: sorted(df.rows(), key=repr) for n, df in load_snapshot(store).frames.items()}


def test_import_says_how_it_read_and_a_refused_file_changes_nothing(store_url: str, tmp_path: Path) -> None:
    demo = generate(60, seed=7, tahun=TAHUN, instansi=1).snapshot
    good = source_folder(demo, tmp_path / "sumber")
    r = CliRunner().invoke(main, import_args(good, store_url))
    assert r.exit_code == 0, r.output
    assert "Dibaca dengan pemetaan siasn.data-utama, pemisah titik koma (;): siasn_pegawai.csv" in r.stderr
    assert "Dibaca dengan pemetaan dapodik.getGtk, pemisah titik koma (;): dapodik_ptk.csv" in r.stderr
    assert "Dibaca dengan kolom kontrak Selaras, pemisah koma (,): instansi.csv" in r.stderr
    store = Store.open(store_url)
    try:
        before = contents(store)
        assert before["siasn_pegawai"] == sorted(demo["siasn_pegawai"].rows(), key=repr)
        # The next export has a kedudukan SIASN spells in a way no mapping knows.
        bad = tmp_path / "buruk"
        shutil.copytree(good, bad)
        frame = siasn_pegawai(demo)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 2)
            .then(pl.lit("Tugas Belajar"))
            .otherwise("kedudukanPnsNama")
            .alias("kedudukanPnsNama"),
            pl.lit("Nama Baru").alias("nama"),
        )
        frame.write_csv(bad / "siasn_pegawai.csv", separator=";", include_bom=True, line_terminator="\r\n")
        r = CliRunner().invoke(main, import_args(bad, store_url))
        assert r.exit_code == 2, r.output
        assert "siasn_pegawai.csv baris 4, kolom kedudukanPnsNama: 'Tugas Belajar'" in r.stderr
        assert "nilai tidak dapat dipetakan (siasn.data-utama)" in r.stderr
        assert "tidak ada yang diubah" in r.stderr
        assert "Dibaca dengan pemetaan siasn.data-utama, pemisah titik koma (;): siasn_pegawai.csv" in r.stderr
        assert contents(store) == before
    finally:
        store.dispose()
