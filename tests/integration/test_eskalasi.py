"""Issue 12 end to end on a store: a demo instansi walked through three weeks with an injected
clock. Items age on working days only (weekends, Christmas and its cuti bersama, New Year, and
a day the instansi added itself), escalate at the policy's thresholds exactly once per level,
close when the log shows them fixed, and each account gets one digest a day."""

from __future__ import annotations

import csv
import io
import socket
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from world import KS, NPSN, TAHUN, base_rows, row, snapshot  # noqa: E402

from selaras.domain.eskalasi import Kebijakan  # noqa: E402
from selaras.domain.harikerja import Kalender  # noqa: E402
from selaras.domain.results import Flow  # noqa: E402
from selaras.domain.rules import check  # noqa: E402
from selaras.store import eskalasi as esk  # noqa: E402
from selaras.store import logs  # noqa: E402
from selaras.store.database import Store  # noqa: E402
from selaras.store.logs import record_run  # noqa: E402
from selaras.store.snapshots import save_snapshot  # noqa: E402
from selaras.usecases import eskalasi  # noqa: E402
from selaras.usecases.accounts import create_account  # noqa: E402

START = date(2026, 12, 14)  # a Monday
FIX_UNIT = date(2026, 12, 29)
LIBUR_INSTANSI = date(2026, 12, 16)  # a Wednesday the instansi takes off


class _Clock:
    now = datetime(2026, 12, 14, tzinfo=UTC)


class _FakeDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return _Clock.now if tz is None else _Clock.now.astimezone(tz)


def _at(day: date, hour_wib: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_wib, tzinfo=UTC) - timedelta(hours=7)


def _rows(unit_fixed: bool) -> dict:
    rows = base_rows()
    if not unit_fixed:
        row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = None
    return rows


def _log(store: Store, rows: dict, when: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    _Clock.now = when
    monkeypatch.setattr(logs, "datetime", _FakeDatetime)
    snap = snapshot(rows)
    save_snapshot(store, snap)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN, Flow.SKP))


def test_three_weeks(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    esk.set_kebijakan(store, "I1", Kebijakan(ke_admin=3, ke_pimpinan=6, pimpinan_email="bupati@example.org"))
    esk.add_libur(store, "I1", LIBUR_INSTANSI, "Hari jadi kabupaten")
    create_account(store, "admin", "rahasia123", "admin", "Admin Bima", instansi_id="I1", email="admin@example.org")
    create_account(store, "ks", "rahasia123", "pegawai", "Kepala Sekolah", nip=KS)
    create_account(store, "g1", "rahasia123", "pegawai", "Guru Satu", nip="198502022010012002")

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Inbox(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    with socket.socket() as probe:  # a free port (aiosmtpd checks its own port at start)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    monkeypatch.setenv("SELARAS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SELARAS_SMTP_PORT", str(port))
    try:
        _walk(store, monkeypatch)
    finally:
        smtp.stop()
    mail = Counter((m["To"], m["Subject"].split(":")[0]) for m in received)
    # One digest a day by e-mail to the admin (who has an address; the principal has none), the
    # escalations to the admin and to the head of the agency (the policy's address).
    assert mail == {
        ("admin@example.org", "[Selaras] Ringkasan harian"): 21,
        ("admin@example.org", "[Selaras] Eskalasi"): 1,
        ("bupati@example.org", "[Selaras] Eskalasi"): 2,
    }


def _walk(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ages: dict[date, dict[str, int]] = {}
    steps_on: dict[date, list[tuple[str, int]]] = {}
    day = START
    while day < START + timedelta(days=21):
        _log(store, _rows(unit_fixed=day >= FIX_UNIT), _at(day, 8), monkeypatch)
        # A dry run first: it reports, it changes nothing.
        before = esk.items_of(store, instansi_id="I1")
        dry = eskalasi.jalankan(store, sekarang=_at(day, 9), coba=True)
        assert esk.items_of(store, instansi_id="I1") == before
        done = eskalasi.jalankan(store, sekarang=_at(day, 9))
        assert [(t.jenis, t.label, t.tingkat) for t in done.tindakan] == [
            (t.jenis, t.label, t.tingkat) for t in dry.tindakan
        ]
        # Twice the same day, and once more in the evening: one digest a day at most.
        for hour in (10, 10, 20):
            eskalasi.kirim_digest(store, sekarang=_at(day, hour))
        steps_on[day] = sorted((t.label.split(" ")[0], t.tingkat or 0) for t in done.tindakan if t.jenis == "eskalasi")
        kal = Kalender.dengan(esk.libur_of(store, "I1"))
        ages[day] = {
            i["kode"]: kal.antara(i["pertama_terlihat"].astimezone(UTC).date(), day)
            for i in esk.items_of(store, instansi_id="I1")
        }
        day += timedelta(days=1)

    # Ages, counted by hand: Dec 16 (instansi), 19-20 and 26-27 (weekends), Dec 24 (cuti
    # bersama), Dec 25 (Christmas) and Jan 1 (New Year) are not working days.
    expected = {
        date(2026, 12, 15): 1,
        date(2026, 12, 16): 1,
        date(2026, 12, 17): 2,
        date(2026, 12, 18): 3,
        date(2026, 12, 20): 3,
        date(2026, 12, 21): 4,
        date(2026, 12, 23): 6,
        date(2026, 12, 25): 6,
        date(2026, 12, 28): 7,
        date(2026, 12, 31): 10,
        date(2027, 1, 1): 10,
        date(2027, 1, 3): 10,
    }
    for d, n in expected.items():
        assert ages[d]["PMM-11"] == n, d
    assert ages[date(2026, 12, 28)]["PMM-12"] == 7
    assert "PMM-12" not in ages[FIX_UNIT]  # closed the day the log shows it gone

    # Each level exactly once, on the day its threshold is reached.
    taken = {d: s for d, s in steps_on.items() if s}
    assert taken == {
        date(2026, 12, 18): [("PMM-11", 1)],
        date(2026, 12, 23): [("PMM-11", 2), ("PMM-12", 2)],
    }
    log = esk.step_log(store, "I1")
    assert Counter((s["kode"], s["tingkat"]) for s in log) == {("PMM-11", 1): 1, ("PMM-11", 2): 1, ("PMM-12", 2): 1}
    pimpinan = [s for s in log if s["tingkat"] == 2]
    assert {s["penerima"] for s in pimpinan} == {"pimpinan:I1"}

    closed = [i for i in _all_items(store) if i["ditutup"] is not None]
    assert [(i["kode"], i["ditutup"]) for i in closed] == [("PMM-12", _at(FIX_UNIT, 8))]

    # One digest a day to each account with open items; none to the teacher (nothing of theirs).
    sent = esk.digests(store)
    per_account = Counter(d["username"] for d in sent)
    assert per_account == {"admin": 21, "ks": 21}
    assert len({(d["username"], d["tanggal"]) for d in sent}) == len(sent)
    admin_last = [d for d in sent if d["username"] == "admin"][-1]
    assert admin_last["jumlah_butir"] == 1  # the escalated PMM-11 once the unit was fixed


def _all_items(store: Store) -> list[dict]:
    import sqlalchemy as sa

    from selaras.store.tables import eskalasi_butir

    with store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(eskalasi_butir).order_by(eskalasi_butir.c.butir_id))]
    for r in rows:
        if r["ditutup"] is not None and r["ditutup"].tzinfo is None:
            r["ditutup"] = r["ditutup"].replace(tzinfo=UTC)
    return rows


def test_daily_summary_once_a_day_and_the_forecast_reads_it(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary is written once a day (schools only on the days they changed); the
    forecast of the instansi and of its school comes from it, the national one per instansi."""
    rows = base_rows()
    _log(store, rows, _at(date(2026, 12, 1), 8), monkeypatch)
    assert eskalasi.tulis_ringkasan(store, sekarang=_at(date(2026, 12, 1), 9)) == (1, 1)
    assert eskalasi.tulis_ringkasan(store, sekarang=_at(date(2026, 12, 1), 18)) is None
    assert eskalasi.tulis_ringkasan(store, sekarang=_at(date(2026, 12, 2), 9)) == (1, 0)  # nothing changed
    from world import synced_rows

    _log(store, synced_rows(), _at(date(2026, 12, 3), 8), monkeypatch)
    assert eskalasi.tulis_ringkasan(store, sekarang=_at(date(2026, 12, 3), 9)) == (1, 1)
    trend = esk.trend(store, "skp", TAHUN, "I1")
    assert trend["tersinkron"].to_list() == [0, 0, 3] and trend["total"].to_list() == [3, 3, 3]

    # Read on Dec 3: today's point is the live state (here equal to that morning's summary).
    f = eskalasi.prakiraan(
        store, Flow.SKP, instansi_id="I1", tenggat=date(2026, 12, 31), sekarang=_at(date(2026, 12, 3), 10)
    )
    assert f is not None and f.keseluruhan is not None
    assert f.keseluruhan.tersinkron == 3 and not f.keseluruhan.berisiko
    assert [(r.kunci, r.prakiraan.tersinkron) for r in f.semua] == [("10000001", 3)]
    # The school's value on Dec 2 was carried from Dec 1: three days of history, not two.
    assert f.semua[0].prakiraan.pengamatan == 3
    national = eskalasi.prakiraan(store, Flow.SKP, tenggat=date(2026, 12, 31))
    assert national is not None and [r.nama for r in national.semua] == ["Pemerintah Kabupaten Bima"]


def test_the_in_process_engine_runs_rounds_on_a_schedule(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from selaras.jobs.runtime import JobRunner
    from selaras.usecases.batch import work_once
    from selaras.usecases.eskalasi import putaran

    _log(store, _rows(unit_fixed=False), datetime.now(UTC), monkeypatch)
    monkeypatch.undo()
    runner = JobRunner(store, run=work_once, eskalasi=putaran, eskalasi_every=0.05).start()
    try:
        deadline = time.monotonic() + 20
        while not esk.items_of(store, instansi_id="I1") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert {i["kode"] for i in esk.items_of(store, instansi_id="I1")} == {"PMM-11", "PMM-12"}
    assert not esk.trend(store, "skp", TAHUN, "I1").is_empty()


def test_pages_exports_and_api_show_ages_forecast_and_escalations(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from selaras.jobs.runtime import JobRunner
    from selaras.usecases.accounts import create_token
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    esk.set_kebijakan(store, "I1", Kebijakan(ke_admin=1, ke_pimpinan=2))
    create_account(store, "admin", "rahasia123", "admin", "Admin Bima", instansi_id="I1")
    create_account(store, "nasional", "rahasia123", "nasional", "Admin Nasional")
    create_account(store, "ks", "rahasia123", "pegawai", "Kepala Sekolah", nip=KS)
    # First seen three weeks ago (the pages count ages to today, by the real clock).
    start = datetime.now(UTC).date() - timedelta(days=21)
    _log(store, _rows(unit_fixed=False), _at(start, 8), monkeypatch)
    _log(store, _rows(unit_fixed=False), _at(start + timedelta(days=1), 8), monkeypatch)
    monkeypatch.undo()
    eskalasi.tulis_ringkasan(store, sekarang=_at(start, 9))
    eskalasi.tulis_ringkasan(store, sekarang=_at(start + timedelta(days=1), 9))
    eskalasi.jalankan(store, sekarang=_at(start + timedelta(days=20), 9))
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)

    def client(user: str) -> TestClient:
        c = TestClient(app)
        c.headers["Authorization"] = f"Bearer {create_token(store, user)}"
        return c

    ks = client("ks")
    items = ks.get("/api/v1/kerja").json()["butir"]
    mine = [b for b in items if b["code"] == "PMM-11"]
    assert mine and mine[0]["umur"] > 0 and mine[0]["umur_label"].startswith("menunggu sejak ")
    assert [e["kepada"] for e in mine[0]["eskalasi"]] == ["Admin Instansi", "Kepala instansi dan Admin Nasional"]
    page = ks.get("/kerja").text
    assert mine[0]["umur_label"] in page and "dieskalasi ke Admin Instansi" in page
    rows = list(csv.reader(io.StringIO(ks.get("/kerja/ekspor.csv").text.lstrip("\ufeff"))))
    assert rows[0][4] == "Menunggu (hari kerja)" and rows[1][4] == str(mine[0]["umur"])

    admin = client("admin")
    rekap = admin.get("/api/v1/rekap").json()
    assert rekap["prakiraan"]["tingkat"] == "sekolah"
    assert {t["kode"] for t in rekap["terlama"]} == {"PMM-11", "PMM-12"}
    html = admin.get("/rekap").text
    assert "Prakiraan pada tenggat" in html and "Kendala terlama" in html
    forecast = admin.get("/api/v1/prakiraan").json()["prakiraan"]
    assert forecast["guru_terancam"] == 3 and [b["kunci"] for b in forecast["berisiko"]] == [NPSN]
    steps = admin.get("/api/v1/eskalasi").json()
    assert sorted((s["kode"], s["tingkat"]) for s in steps) == [("PMM-11", 1), ("PMM-11", 2), ("PMM-12", 2)]

    nasional = client("nasional")
    national = nasional.get("/api/v1/rekap").json()
    assert national["prakiraan"]["tingkat"] == "instansi"
    assert {t["kode"] for t in national["terlama"]} == {"PMM-11", "PMM-12"}  # escalated to the head
    assert nasional.get("/api/v1/eskalasi").status_code == 200
    assert ks.get("/api/v1/eskalasi").status_code == 403
    assert ks.get("/api/v1/prakiraan").status_code == 403


def test_a_run_that_fails_midway_keeps_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """One unit of work: item ages, steps and their notices commit together or not at all."""
    esk.set_kebijakan(store, "I1", Kebijakan(ke_admin=1, ke_pimpinan=2))
    _log(store, _rows(unit_fixed=False), _at(date(2026, 12, 1), 8), monkeypatch)
    monkeypatch.undo()
    calls = []

    def broken(*args: Any, **kwargs: Any) -> int:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    real = esk.add_notice
    monkeypatch.setattr(esk, "add_notice", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        eskalasi.jalankan(store, sekarang=_at(date(2026, 12, 10), 9))
    assert _all_items(store) == [] and esk.step_log(store) == []
    monkeypatch.setattr(esk, "add_notice", real)
    done = eskalasi.jalankan(store, sekarang=_at(date(2026, 12, 10), 9))
    assert done.hitung("eskalasi") == 3 and len(esk.step_log(store)) == 3
