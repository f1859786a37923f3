"""School leaders end to end (issue 18): ``selaras instansi plt`` sets the policy the store's
check reads, and ``selaras check --tanggal`` fixes the check date."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from world import G1, NPSN, NPSN2, row, snapshot, synced_rows  # noqa: E402

from selaras.cli import main  # noqa: E402
from selaras.store.database import Store  # noqa: E402
from selaras.store.snapshots import save_snapshot  # noqa: E402


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _codes(result: Result, nip: str) -> list[str]:
    lines = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    return [e["code"] for line in lines if line.get("nip") == nip for e in line.get("errors", [])]


def test_plt_policy_and_check_date_from_the_store(tmp_path: Path) -> None:
    rows = synced_rows()
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    ks["tugas_tambahan"], ks["npsn"] = None, NPSN2
    rows["dapodik_tugas_tambahan"] = [
        {
            "ptk_id": "PTK-KS",
            "npsn": NPSN,
            "jenis": "PLT_KEPALA_SEKOLAH",
            "nomor_sk": "800/1234/567/2026",
            "tmt": "2026-01-02",
            "tst": None,
        }
    ]
    db = str(tmp_path / "s.db")
    store = Store.open(db)
    save_snapshot(store, snapshot(rows))

    shown = cli("instansi", "plt", "I1", "--db", db)
    assert shown.exit_code == 0, shown.output
    assert "boleh menilai SKP guru; masa tugas Plt 9 bulan" in shown.output

    ok = cli("check", "--db", db, "--tahun", "2026", "--tanggal", "2026-03-01", "--format", "jsonl")
    assert ok.exit_code in (0, 1), ok.output
    assert not [c for c in _codes(ok, G1) if c.startswith("PLT")]

    late = cli("check", "--db", db, "--tahun", "2026", "--tanggal", "2026-10-03", "--format", "jsonl")
    assert "PLT-03" in _codes(late, G1)

    changed = cli("instansi", "plt", "I1", "--boleh-menilai", "tidak", "--masa-bulan", "12", "--db", db)
    assert changed.exit_code == 0, changed.output
    assert "tidak boleh menilai SKP guru; masa tugas Plt 12 bulan" in changed.output
    now = cli("check", "--db", db, "--tahun", "2026", "--tanggal", "2026-10-03", "--format", "jsonl")
    assert _codes(now, G1) == ["PLT-04"]

    bad = cli("instansi", "plt", "I1", "--masa-bulan", "0", "--db", db)
    assert bad.exit_code == 2
    bad_date = cli("check", "--db", db, "--tanggal", "3-10-2026")
    assert bad_date.exit_code == 2 and "--tanggal" in bad_date.output
    store.dispose()


def test_kode_shows_the_new_codes_and_causes() -> None:
    listing = cli("kode")
    assert listing.exit_code == 0
    for code in ("PLT-01", "PLT-02", "PLT-03", "PLT-04"):
        assert code in listing.output
    assert listing.output.index("PLT-01") < listing.output.index("PMM-06")  # fix-first order
    one = cli("kode", "PLT-02")
    assert "Plt Kepala Sekolah belum sah di Dapodik" in one.output and "uraian Selaras" in one.output
    assert "Dinas Pendidikan, Operator Sekolah" in one.output
    assert "PIMPINAN_BELUM_DIKLAIM" in cli("kode", "PMM-13").output
    assert "menu Plt/Plh" in cli("kode", "PMM-12").output
