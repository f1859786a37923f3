"""A fresh ``selaras demo`` has weeks of history (issue 23, defect 8): the first check weeks
ago, syncs on the working days since, a daily summary, item ages, escalation steps to both
levels and digests, so ages, escalations, the digest and the forecast show at once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from selaras.cli import main
from selaras.domain.harikerja import Kalender, tanggal_lokal
from selaras.domain.results import Flow
from selaras.store import eskalasi as esk
from selaras.store.database import Store
from selaras.store.tables import digest_kirim, eskalasi_langkah, ringkasan_instansi, sync_log
from selaras.usecases import eskalasi as uc
from selaras.usecases.accounts import is_demo_store
from selaras.usecases.demo_riwayat import HARI_KERJA

TAHUN = 2026


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(folder), "--tahun", str(TAHUN)])
    assert result.exit_code == 0, result.output
    assert "Riwayat: pemeriksaan pertama" in result.output
    return Store.open(str(Path(folder) / "selaras.db"))


def test_the_demo_store_is_marked_and_has_weeks_of_history(demo: Store) -> None:
    assert is_demo_store(demo)
    today = tanggal_lokal(datetime.now(UTC), "WIB")
    with demo.read() as conn:
        first = conn.execute(sa.select(sa.func.min(sync_log.c.waktu))).scalar()
        days = sorted(
            d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
            for d in conn.execute(sa.select(ringkasan_instansi.c.tanggal).distinct()).scalars()
        )
        q = sa.select(eskalasi_langkah.c.tingkat, sa.func.count()).group_by(eskalasi_langkah.c.tingkat)
        steps = {int(t): int(n) for t, n in conn.execute(q)}
        digest_days = conn.execute(sa.select(sa.func.count(sa.distinct(digest_kirim.c.tanggal)))).scalar()
    first_day = tanggal_lokal(first if first.tzinfo else first.replace(tzinfo=UTC), "WIB")
    past = [d for d in days if d < today]
    # A summary each working day of the history from the first check on, and today's.
    assert past[0] == first_day and len(past) == HARI_KERJA
    assert all(Kalender().hari_kerja(d) for d in past) and days[-1] == today
    assert steps.get(1, 0) > 0 and steps.get(2, 0) > 0  # escalated to the admin and to the head
    assert digest_days >= HARI_KERJA


def test_ages_and_the_forecast_show_on_a_fresh_demo(demo: Store) -> None:
    instansi = esk.instansi_logged(demo)[0]
    items = esk.items_of(demo, instansi_id=instansi)
    oldest = min(i["pertama_terlihat"] for i in items)
    assert datetime.now(UTC) - oldest > timedelta(days=21)  # not "muncul hari ini"
    f = uc.prakiraan(demo, Flow.SKP, instansi_id=instansi)
    assert f is not None and f.keseluruhan is not None
    assert f.keseluruhan.pengamatan > HARI_KERJA
    p = f.keseluruhan
    assert p.bawah < p.atas < p.total  # an interval from the data, short of everyone


def test_the_head_of_the_agency_has_an_account_that_sees_the_escalations(demo: Store) -> None:
    from fastapi.testclient import TestClient

    from selaras.cli.akun import DEMO_PASSWORD
    from selaras.jobs.runtime import JobRunner
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    instansi = esk.instansi_logged(demo)[0]
    runner = JobRunner(demo, run=work_once)
    app = create_app(demo, runner, tahun=TAHUN)
    c = TestClient(app)
    token = c.post("/api/v1/auth/token", data={"username": f"pimpinan-{instansi}", "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    c.headers["Authorization"] = f"Bearer {token.json()['token']}"
    me = c.get("/api/v1/saya").json()
    assert me["peran"] == "pimpinan" and me["peran_label"] == "Pimpinan Instansi" and me["instansi_id"] == instansi
    notices = c.get("/api/v1/notifikasi").json()
    titles = [n["judul"] for n in (notices["notifikasi"] if isinstance(notices, dict) else notices)]
    assert any(t.startswith("Eskalasi: ") for t in titles)
    steps = c.get("/api/v1/eskalasi").json()
    assert steps and all(s["instansi_id"] == instansi for s in steps) and any(s["tingkat"] == 2 for s in steps)
    rekap = c.get("/api/v1/rekap").json()
    assert rekap["prakiraan"] is not None and rekap["terlama"] and rekap["terlama"][0]["umur"] >= 15
    # Reading only: no sync on anyone's behalf, no worklist, no periods.
    nip = c.get("/api/v1/log?batas=1").json()["baris"][0]["nip"]  # the log of their instansi
    assert c.get(f"/api/v1/pegawai/{nip}").status_code == 200
    assert c.post(f"/api/v1/pegawai/{nip}/sinkron", json={"flow": "skp"}).status_code == 403
    assert c.get("/api/v1/kerja").status_code == 403
    assert c.post("/api/v1/sinkron-massal", json={"semua": True}).status_code == 403
    assert c.get("/api/v1/rekap?instansi_id=LAIN").status_code == 404

    page = TestClient(app)
    form = page.get("/masuk").text
    pra = re.search(r'name="pra" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = page.post("/masuk", data={"username": f"pimpinan-{instansi}", "password": DEMO_PASSWORD, "pra": pra})
    assert r.status_code == 200 and "Rekap kendala sinkron" in r.text
    assert 'data-testid="eskalasi-pimpinan"' in r.text and "Eskalasi: " in r.text
    assert "Daftar Kerja" not in r.text
