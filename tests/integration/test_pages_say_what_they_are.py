"""Pages say what things are (issue 23): a principal's first page names him as principal and
counts the teachers waiting on him as the worklist does; codes come with their titles; the audit
names what it touched; an error page lists choices in words; nothing is said twice."""

from __future__ import annotations

import re
from collections.abc import Iterator

import polars as pl
import pytest
from demo import TAHUN, Demo, demo_store
from fastapi.testclient import TestClient
from test_words_people_read import login, visible

from selaras.catalogue.codes import CATALOGUE, Aktor
from selaras.cli.akun import seed_demo_accounts
from selaras.domain import blockers as diagnosis
from selaras.domain.results import Status
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot
from selaras.usecases.accounts import create_token
from selaras.usecases.batch import work_once
from selaras.web.app import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, TestClient, JobRunner]]:
    demo = demo_store(tmp_path_factory.mktemp("tampil") / "selaras.db")
    runner = JobRunner(demo.store, run=work_once).start()
    try:
        yield demo, TestClient(create_app(demo.store, runner, tahun=TAHUN)), runner
    finally:
        runner.stop()
        demo.store.dispose()


def _errors(demo: Demo) -> list[dict]:
    import json

    return [{**e, "detail": json.loads(e["detail"]) if e["detail"] else {}} for e in demo.before.errors.to_dicts()]


def test_a_principal_page_counts_the_teachers_waiting_on_him_as_the_worklist(
    site: tuple[Demo, TestClient, JobRunner],
) -> None:
    demo, client, _ = site
    errors = _errors(demo)
    # The principals a teacher's sync waits on, from the check itself (not from the worklist).
    waiting: dict[str, set[str]] = {}
    for e in errors:
        if e["selesai_oleh"]:
            waiting.setdefault(e["selesai_oleh"], set()).add(e["nip"])
    assert waiting, "the demo has teachers waiting on a ready principal"
    checked = 0
    for d, teachers in sorted(waiting.items()):
        c, _csrf = login(client, d)
        page = visible(c.get("/skp").text)
        shown = re.search(r"(\d[\d.]*) guru menunggu SKP Anda", page)
        assert shown, f"{d}'s page does not say teachers wait on him: {page[:300]}"
        count = int(shown.group(1).replace(".", ""))
        kerja = c.get("/api/v1/kerja").json()["butir"]
        on_him = {
            p["nip"]
            for b in kerja
            if b["kunci"] == d and b["jenis"] in ("atasan", "atasan-tertahan")
            for p in b["daftar"]
        }
        assert count == len(on_him - {d}), (d, count, on_him)
        assert teachers <= on_him, (d, teachers - on_him)
        checked += 1
    assert checked >= 1


def test_a_principal_own_card_names_him_principal(site: tuple[Demo, TestClient, JobRunner]) -> None:
    demo, client, _ = site
    peg = demo.before.pegawai
    principals = set(peg.filter(pl.col("kepala_sekolah") & (pl.col("status") == Status.GAGAL.value))["nip"])
    own = sorted({e["nip"] for e in _errors(demo) if e["nip"] in principals and Aktor.PEGAWAI in diagnosis.aktor(e)})
    assert own, "the demo has a principal with an error of his own to fix"
    for nip in own[:5]:
        page = visible(login(client, nip)[0].get("/skp").text)
        assert f"(Kepala Sekolah, NIP {nip})" in page
        assert f"(Pegawai, NIP {nip})" not in page


def test_codes_come_with_their_titles_and_nothing_is_said_twice(site: tuple[Demo, TestClient, JobRunner]) -> None:
    demo, client, _ = site
    peg = demo.before.pegawai
    principal = peg.filter(pl.col("kepala_sekolah") & (pl.col("status") == Status.GAGAL.value))["nip"].sort()[0]
    c, _csrf = login(client, principal)
    sekolah = visible(c.get("/sekolah").text)
    codes = set(re.findall(r"\b(?:PMM|PER)-\d\d\b", sekolah))
    assert codes, "the school page shows the codes of its pegawai"
    for code in codes:
        assert f"{code} {CATALOGUE[code].judul}" in sekolah, code
    assert "Kepala Sekolah (Kepala Sekolah)" not in sekolah

    instansi = peg["instansi_id"][0]
    admin, _ = login(client, f"admin-{instansi}")
    log = admin.get("/log").text
    for code in re.findall(r'<option value="((?:PMM|PER)-\d\d)"', log):
        assert f">{code} {CATALOGUE[code].judul}</option>" in log, code
    row = admin.get("/api/v1/log?status=GAGAL").json()["baris"][0]
    rinci = visible(admin.get(f"/log/{row['log_id']}").text)
    assert "sinkron Sinkron" not in rinci and "pemeriksaan Sinkron" not in rinci

    for nip in peg["nip"].to_list()[:30]:
        head = re.search(r'<p class="meta">(.*?)</p>', admin.get(f"/pegawai/{nip}").text, re.S)
        assert head is not None
        parts = [p.strip() for p in re.sub(r"<[^>]+>", " · ", head.group(1)).split("·") if p.strip()]
        assert len(parts) == len(set(parts)), f"said twice in the header of {nip}: {parts}"


def test_the_audit_names_what_it_touched(site: tuple[Demo, TestClient, JobRunner]) -> None:
    demo, client, runner = site
    peg = demo.before.pegawai
    instansi = peg["instansi_id"][0]
    admin, csrf = login(client, f"admin-{instansi}")
    failing = peg.filter(pl.col("status") == Status.GAGAL.value)["nip"].sort().to_list()
    assert admin.post(f"/pegawai/{failing[0]}/sinkron", data={"csrf_token": csrf, "flow": "skp"}).status_code == 200
    code = demo.before.errors["code"].sort()[0]
    admin.post("/sinkron-massal", data={"csrf_token": csrf, "kode": code, "flow": "skp", "kembali": "/rekap"})
    unit = demo.snapshot["siasn_unor"].filter(pl.col("npsn").is_not_null())["unor_id"].sort()[0]
    atasan = peg.filter(pl.col("kepala_sekolah"))["nip"].sort()[0]
    admin.post(f"/unor/{unit}/atasan", data={"csrf_token": csrf, "atasan_nip": atasan})
    runner.drain()
    text = visible(admin.get("/audit").text)
    assert f"Tahun: {TAHUN}" in text and "2.026" not in text
    assert f"{CATALOGUE[code].judul} ({code})" in text
    unit_name = demo.snapshot["siasn_unor"].filter(pl.col("unor_id") == unit)["nama"][0]
    assert f"Unit kerja: {unit_name} ({unit})" in text
    atasan_name = demo.snapshot["siasn_pegawai"].filter(pl.col("nip") == atasan)["nama"][0]
    assert f"{atasan_name} ({atasan})" in text


def test_error_pages_and_account_pages_speak_words(site: tuple[Demo, TestClient, JobRunner]) -> None:
    demo, client, _ = site
    instansi = demo.before.pegawai["instansi_id"][0]
    admin, _ = login(client, f"admin-{instansi}")
    page = admin.get("/log?status=SALAH")
    assert page.status_code == 422
    text = visible(page.text)
    assert "Siap disinkronkan (SIAP), Gagal (GAGAL) atau Tersinkron (TERSINKRON)" in text
    teacher = demo.before.pegawai.filter(~pl.col("kepala_sekolah"))["nip"].sort()[0]
    akun = visible(login(client, teacher)[0].get("/akun").text)
    assert "selaras akun" not in akun


def test_a_principal_found_by_nik_is_named_principal_on_his_page(store: Store) -> None:
    from test_web_api import PASSWORD, two_instansi_rows
    from world import KS, TAHUN, row

    rows = two_instansi_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-KS")["nip"] = "198001012005011099"  # a wrong NIP in Verval PTK
    save_snapshot(store, Snapshot.from_rows(rows))
    seed_demo_accounts(store, PASSWORD)
    c = TestClient(create_app(store, JobRunner(store, run=work_once), tahun=TAHUN))
    c.headers["Authorization"] = f"Bearer {create_token(store, KS)}"
    view = c.get(f"/api/v1/pegawai/{KS}").json()
    assert view["kepala_sekolah"] is True  # as the rules and the access decisions say
    assert view["tanpa_tombol"]["code"] == "PMM-01"
    him = [p for p in view["tanpa_tombol"]["pihak"] if p["nip"] == KS]
    assert him and all(p["peran"] == "Kepala Sekolah" for p in him), view["tanpa_tombol"]["pihak"]
