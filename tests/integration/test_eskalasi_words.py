"""What issue 12 adds to the pages, the export and the digests speaks words people use: the
worklist's ages and escalations, the recap's forecast and oldest blockers (admin and national),
the worklist CSV and every digest, on the demo after a policy run that escalated its items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from demo import TAHUN, demo_store
from fastapi.testclient import TestClient
from test_words_people_read import Names, _own, login, problems, visible

from selaras.domain.results import Status
from selaras.jobs.runtime import JobRunner
from selaras.store import eskalasi as esk
from selaras.store.notices import notices_for
from selaras.usecases import eskalasi
from selaras.usecases.batch import work_once
from selaras.web.app import create_app


def test_ages_escalations_forecast_and_digests_speak_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    demo = demo_store(tmp_path / "selaras.db")
    store = demo.store
    now = datetime.now(UTC)
    eskalasi.tulis_ringkasan(store, sekarang=now)
    # A month on: every item is past both thresholds.
    report = eskalasi.jalankan(store, sekarang=now + timedelta(days=31))
    assert report.hitung("eskalasi") > 0
    sent = eskalasi.kirim_digest(store, sekarang=now + timedelta(days=31))
    assert sent.terkirim
    names = Names(demo)
    bad: dict[str, list[str]] = {}

    peg = demo.before.pegawai
    instansi = peg["instansi_id"][0]
    # The people with items: each principal and operator with one, and a few teachers.
    parties = {i["pihak"] for i in esk.items_of(store)}
    principals = [n for n in peg.filter(pl.col("kepala_sekolah"))["nip"].to_list() if f"pegawai:{n}" in parties][:4]
    failing = peg.filter(pl.col("status") == Status.GAGAL.value)["nip"].to_list()[:4]
    schools = sorted(p.partition(":")[2] for p in parties if p.startswith("operator:"))[:2]
    app = TestClient(create_app(store, JobRunner(store, run=work_once), tahun=TAHUN))
    pages = [(f"admin-{instansi}", p) for p in ("/rekap", "/kerja", "/kerja/ekspor.csv")]
    pages += [("nasional", "/rekap"), (f"dinas-{instansi}", "/kerja")]
    pages += [(f"op-{n}", "/kerja") for n in schools]
    pages += [(n, p) for n in principals + failing for p in ("/kerja", "/kerja/ekspor.csv")]
    seen_age = seen_escalation = False
    clients: dict[str, TestClient] = {}
    for who, path in pages:
        if who not in clients:
            clients[who] = login(app, who)[0]
        c = clients[who]
        r = c.get(path)
        assert r.status_code == 200, (who, path)
        text = r.text.lstrip("\ufeff") if path.endswith(".csv") else visible(r.text)
        seen_age |= "hari kerja" in text or "muncul hari ini" in text
        seen_escalation |= "dieskalasi ke" in text or "Kepala instansi" in text
        found = problems(text, names, own_page=_own(path))
        if found:
            bad[f"{who} {path}"] = sorted(set(found))[:8]
    assert seen_age and seen_escalation
    for d in esk.digests(store):
        for n in notices_for(store, [f"pegawai:{d['username']}", f"admin:{instansi}", f"dinas:{instansi}"]):
            found = problems(f"{n.judul} {n.isi}", names, own_page=True)
            if found:
                bad[f"notice {n.penerima} {n.judul}"] = sorted(set(found))[:8]
    assert not bad, "\n".join(f"{k}: {v}" for k, v in sorted(bad.items())[:30])
