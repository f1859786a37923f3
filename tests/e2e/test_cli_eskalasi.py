"""``selaras eskalasi`` and ``selaras prakiraan`` end to end on a store (issue 12)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from world import TAHUN, base_rows, row, snapshot  # noqa: E402

from selaras.cli import main  # noqa: E402
from selaras.domain.results import Flow  # noqa: E402
from selaras.domain.rules import check  # noqa: E402
from selaras.store import eskalasi as esk  # noqa: E402
from selaras.store.database import Store  # noqa: E402
from selaras.store.logs import record_run  # noqa: E402
from selaras.store.snapshots import save_snapshot  # noqa: E402


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_eskalasi_dry_run_changes_nothing_then_runs_and_prakiraan_reads_the_summary(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    store = Store.open(db)
    rows = base_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = None
    snap = snapshot(rows)
    save_snapshot(store, snap)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN, Flow.SKP))

    none = cli("prakiraan", "--db", db)
    assert none.exit_code == 2 and "belum ada ringkasan harian" in none.output

    dry = cli("eskalasi", "--db", db, "--coba")
    assert dry.exit_code == 0, dry.output
    assert "2 baru, 0 berubah, 0 selesai, 0 eskalasi (coba: tidak ada yang disimpan)" in dry.output
    assert esk.items_of(store, instansi_id="I1") == [] and esk.trend(store, "skp", TAHUN).is_empty()

    done = cli("eskalasi", "--db", db)
    assert done.exit_code == 0, done.output
    assert "Ringkasan harian ditulis: 1 instansi, 1 sekolah berubah." in done.output
    assert "2 baru, 0 berubah, 0 selesai, 0 eskalasi" in done.output
    assert {i["kode"] for i in esk.items_of(store, instansi_id="I1")} == {"PMM-11", "PMM-12"}
    again = cli("eskalasi", "--db", db)
    assert "0 baru, 0 berubah, 0 selesai, 0 eskalasi" in again.output  # each item recorded once

    as_json = json.loads(cli("prakiraan", "--db", db, "--instansi", "I1", "--format", "json").output)
    assert as_json["keseluruhan"]["total"] == 3 and as_json["keseluruhan"]["tersinkron"] == 0
    assert [b["kunci"] for b in as_json["baris"]] == ["10000001"]  # the one school, at risk
    table = list(csv.DictReader(io.StringIO(cli("prakiraan", "--db", db, "--format", "csv", "--semua").output)))
    assert [(r["tingkat"], r["kunci"], r["nama"]) for r in table] == [("instansi", "I1", "Pemerintah Kabupaten Bima")]
    text = cli("prakiraan", "--db", db, "--instansi", "I1").output
    assert "Sekolah berisiko" in text and "hari kerja lagi" in text


def test_an_instansi_sets_its_own_days_off_and_escalation_policy(tmp_path: Path) -> None:
    from datetime import date

    db = str(tmp_path / "s.db")
    store = Store.open(db)
    snap = snapshot(base_rows())
    save_snapshot(store, snap)
    iid = snap["instansi"]["instansi_id"][0]

    added = cli("instansi", "libur", iid, "2026-12-28", "Hari jadi kabupaten", "--db", db)
    assert added.exit_code == 0, added.output
    assert "28 Desember 2026  Hari jadi kabupaten" in added.output
    assert esk.libur_of(store, iid) == {date(2026, 12, 28): "Hari jadi kabupaten"}
    no_reason = cli("instansi", "libur", iid, "2026-12-29", "--db", db)
    assert no_reason.exit_code == 2 and "KETERANGAN" in no_reason.output
    assert date(2026, 12, 29) not in esk.libur_of(store, iid)

    default = esk.kebijakan_of(store, iid)
    changed = cli("instansi", "eskalasi", iid, "--ke-admin", "3", "--pimpinan-email", "kepala@bkpsdm.go.id", "--db", db)
    assert changed.exit_code == 0, changed.output
    k = esk.kebijakan_of(store, iid)
    assert (k.ke_admin, k.ke_pimpinan, k.pimpinan_email) == (3, default.ke_pimpinan, "kepala@bkpsdm.go.id")
    assert "setelah 3 hari kerja" in changed.output
    bad = cli("instansi", "eskalasi", iid, "--ke-admin", "0", "--db", db)
    assert bad.exit_code == 2 and esk.kebijakan_of(store, iid).ke_admin == 3
    unknown = cli("instansi", "libur", "TIDAK-ADA", "--db", db)
    assert unknown.exit_code == 2 and "tidak ada" in unknown.output
    store.dispose()
