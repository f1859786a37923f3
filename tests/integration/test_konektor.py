"""The SIASN and Dapodik connectors and ``selaras tarik`` against the simulator in the real shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.simulation.real import RealAccess, real_env
from selaras.simulation.simulator import build_app, serve_in_thread
from selaras.simulation.state import Faults, Simulator
from selaras.sources.connectors import RealSources
from selaras.sources.mapping import MAPPINGS, map_record
from selaras.sources.transport import SourceUnavailable
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot, load_table
from selaras.usecases.imports import import_snapshot
from selaras.usecases.tarik import tarik_instansi

TOKEN = "token-pmm"
SOURCE_TABLES = (
    "siasn_unor",
    "siasn_pegawai",
    "dapodik_sekolah",
    "dapodik_tugas_tambahan",
    "dapodik_ptk",
    "pmm_skp",
    "pmm_rhk",
    "pmm_penilaian",
)
OWN_TABLES = ("instansi", "ekinerja_unor", "ekinerja_periode", "ekinerja_skp", "ekinerja_rhk", "ekinerja_penilaian")


@pytest.fixture(scope="module")
def world() -> Snapshot:
    return generate(pegawai=60, seed=4).snapshot


class Running:
    def __init__(self, url: str, sim: Simulator, app: Any, access: RealAccess) -> None:
        self.url, self.sim, self.app, self.access = url, sim, app, access

    def env(self, roster: Path | None = None, **extra: str) -> dict[str, str]:
        env = dict(real_env(self.url, self.access, TOKEN))
        if roster is not None:
            env["SELARAS_SIASN_DAFTAR_NIP"] = str(roster)
        env.update(extra)
        return env

    def sources(self, roster: Path | None = None, **extra: str) -> RealSources:
        return RealSources.from_env(self.env(roster, **extra), sleep=lambda _s: None)

    def control(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def running(world: Snapshot) -> Iterator[Running]:
    access = RealAccess(token_uses=None)
    app = build_app(world, token=TOKEN, shapes="nyata", access=access, seed=5)
    with serve_in_thread(app) as server:
        yield Running(server.url, app.state.simulator, app, access)


@pytest.fixture
def roster(world: Snapshot, tmp_path: Path) -> Path:
    """The list of pegawai an admin downloads from SIASN (its web service reads by NIP only)."""
    path = tmp_path / "daftar-nip.csv"
    lines = ["nip,instansi_id"] + [
        f"{r['nip']},{r['instansi_id']}" for r in world["siasn_pegawai"].iter_rows(named=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _own_only(store: Store, world: Snapshot) -> None:
    """A store that has Selaras's own data (e-Kinerja) and the instansi, nothing of the sources."""
    import_snapshot(store, Snapshot({n: world[n] for n in OWN_TABLES}))


def _same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    b = b.select(a.columns)
    return a.sort(a.columns).equals(b.sort(a.columns))


def _pull_all(store: Store, sources: RealSources, world: Snapshot) -> list[Any]:
    return [
        tarik_instansi(store, sources, i, tahun=2026, pelaku="cli:uji")
        for i in world["instansi"]["instansi_id"].to_list()
    ]


def test_a_duty_no_longer_listed_by_its_school_is_removed_and_its_school_rechecked(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    duties = world["dapodik_tugas_tambahan"]
    assert duties.height, "the world must have a Plt/Plh school"
    duty = duties.row(0, named=True)
    _own_only(store, world)
    with running.sources(roster) as sources:
        first = _pull_all(store, sources, world)
        assert sum(r.tugas.baru for r in first) == duties.height
        key = {k: duty[k] for k in ("ptk_id", "npsn", "jenis")}
        running.sim.delete("dapodik_tugas_tambahan", [key])
        again = _pull_all(store, sources, world)
    stored = load_table(store, "dapodik_tugas_tambahan")
    assert stored.height == duties.height - 1
    assert stored.filter((pl.col("ptk_id") == duty["ptk_id"]) & (pl.col("npsn") == duty["npsn"])).height == 0
    assert sum(r.tugas_berakhir for r in again) == 1
    at_school = world["dapodik_ptk"].filter(pl.col("npsn") == duty["npsn"])["nip"].drop_nulls().to_list()
    pegawai = set(world["siasn_pegawai"]["nip"].to_list())
    rechecked = {n for r in again for n in r.nips}
    assert {n for n in at_school if n in pegawai} <= rechecked and rechecked


def test_a_full_pull_of_an_instansi_gives_the_served_snapshot(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    _own_only(store, world)
    with running.sources(roster) as sources:
        results = _pull_all(store, sources, world)
    got = load_snapshot(store)
    for name in SOURCE_TABLES:
        assert _same(world[name], got[name]), name
    assert all(not r.problems for r in results)
    assert sum(r.hitungan["SIASN"].baru for r in results) == world["siasn_pegawai"].height + world["siasn_unor"].height
    assert (
        sum(r.hitungan["Dapodik"].baru for r in results)
        == world["dapodik_ptk"].height + world["dapodik_sekolah"].height + world["dapodik_tugas_tambahan"].height
    )
    queued = sorted({n for r in results for n in r.nips})
    assert queued == sorted(world["siasn_pegawai"]["nip"].to_list())
    jobs = load_jobs(store)
    assert set(jobs["nip"].to_list()) == set(queued) and set(jobs["alasan"].to_list()) == {"TARIK"}
    from selaras.store.audit import newest

    audits = [a for a in newest(store, None, limit=10) if a["aksi"] == "TARIK_DATA"]
    assert len(audits) == world["instansi"].height
    assert audits[0]["sasaran"] in set(world["instansi"]["nama"].to_list())


def load_jobs(store: Store) -> pl.DataFrame:
    import sqlalchemy as sa

    from selaras.store.tables import sync_job

    with store.read() as conn:
        rows = conn.execute(sa.select(sync_job.c.nip, sync_job.c.alasan, sync_job.c.flow)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=["nip", "alasan", "flow"], orient="row")


def test_a_second_pull_finds_everything_unchanged_and_queues_nobody(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    _own_only(store, world)
    with running.sources(roster) as sources:
        _pull_all(store, sources, world)
        again = _pull_all(store, sources, world)
    for r in again:
        assert all(h.baru == 0 and h.berubah == 0 for h in r.hitungan.values()), r.hitungan
        assert r.nips == []
    assert sum(r.hitungan["SIASN"].sama for r in again) == world["siasn_pegawai"].height + world["siasn_unor"].height


def test_a_change_at_a_source_is_counted_and_queues_its_pegawai(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    _own_only(store, world)
    nip = world["siasn_pegawai"]["nip"][0]
    with running.sources(roster) as sources:
        _pull_all(store, sources, world)
        running.sim.upsert("siasn_pegawai", [{"nip": nip, "status": "PENSIUN"}])
        after = _pull_all(store, sources, world)
    assert sum(r.hitungan["SIASN"].berubah for r in after) == 1
    assert [n for r in after for n in r.nips] == [nip]
    stored = load_table(store, "siasn_pegawai").filter(pl.col("nip") == nip)
    assert stored["status"].to_list() == ["PENSIUN"]


def test_tokens_that_expire_mid_pull_are_fetched_again(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    running.app.state.real_tokens.access.token_uses = 7
    _own_only(store, world)
    with running.sources(roster) as sources:
        results = _pull_all(store, sources, world)
        assert sources.siasn is not None
        fetched = (sources.siasn.gateway.fetched, sources.siasn.sso.fetched)
    assert _same(world["siasn_pegawai"], load_snapshot(store)["siasn_pegawai"])
    assert all(not r.problems for r in results)
    # ~60 data calls with 7 uses a token: both tokens were fetched again many times.
    assert fetched[0] >= 8 and fetched[1] >= 8


def test_a_401_then_success(running: Running, world: Snapshot) -> None:
    nip = world["siasn_pegawai"]["nip"][0]
    with running.sources() as sources:
        assert sources.siasn is not None
        first, _ = sources.siasn.data_utama(nip)
        assert running.control("/_sim/token", {"unauthorized": 1}).status_code == 200
        record, problem = sources.siasn.data_utama(nip)
        assert (sources.siasn.gateway.fetched, sources.siasn.sso.fetched) == (2, 2)
    assert problem is None and record is not None and first is not None
    assert record["nipBaru"] == nip


def test_siasn_dates_and_unknown_fields(running: Running, world: Snapshot) -> None:
    p = world["siasn_pegawai"].row(0, named=True)
    with running.sources() as sources:
        assert sources.siasn is not None
        record, _ = sources.siasn.data_utama(p["nip"])
        history, _ = sources.siasn.rw_jabatan(p["nip"])
    assert record is not None and "lokasiKerja" in record and isinstance(record["path"], dict)
    row, problems = map_record(MAPPINGS["siasn.data-utama"], record)
    assert problems == []
    assert row == {k: p[k] for k in row}
    assert history and history[0]["tmtJabatan"] == "01-01-0001"
    mapped, problems = map_record(MAPPINGS["siasn.rw-jabatan"], history[0])
    assert problems == [] and mapped["tmt"] is None and mapped["definitif"] == "1"


def test_dapodik_answers_json_as_text_html_with_rows_an_object(running: Running, world: Snapshot) -> None:
    npsn = world["dapodik_sekolah"]["npsn"][0]
    raw = httpx.get(
        f"{running.url}/dapodik-sekolah/{npsn}/WebService/getSekolah",
        params={"npsn": npsn},
        headers={"Authorization": f"Bearer {running.access.dapodik_key}"},
    )
    assert raw.headers["content-type"].startswith("text/html")
    assert isinstance(json.loads(raw.content)["rows"], dict)
    upper = httpx.get(
        f"{running.url}/dapodik-sekolah/{npsn}/WebService/GetSekolah",
        params={"npsn": npsn},
        headers={"Authorization": f"Bearer {running.access.dapodik_key}"},
    )
    assert upper.status_code == 404
    with running.sources() as sources:
        assert sources.dapodik is not None
        sekolah, gtk = sources.dapodik.school(npsn)
    assert [s["npsn"] for s in sekolah] == [npsn]
    assert sorted(g["ptk_id"] for g in gtk) == sorted(
        world["dapodik_ptk"].filter(pl.col("npsn") == npsn)["ptk_id"].to_list()
    )


def test_a_password_hash_is_never_stored_nor_said(
    store: Store, running: Running, world: Snapshot, roster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _own_only(store, world)
    running.sim.set_faults(Faults(rate=1.0, weights={"invalid": 1.0}))
    with running.sources(roster) as sources:
        results = _pull_all(store, sources, world)
    said = " ".join(str(p) for r in results for p in r.problems) + capsys.readouterr().out
    stored = load_table(store, "dapodik_ptk")
    assert "$2y$" not in said
    assert not any("$2y$" in str(v) for row in stored.iter_rows() for v in row)


def test_an_unmappable_value_is_refused_with_its_sys02_and_the_stored_row_kept(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    _own_only(store, world)
    with running.sources(roster) as sources:
        _pull_all(store, sources, world)
        before = load_table(store, "siasn_pegawai")
        running.sim.upsert("siasn_pegawai", [{"nip": n, "status": "PENSIUN"} for n in before["nip"].to_list()])
        running.sim.set_faults(Faults(rate=1.0, weights={"invalid": 1.0}))
        results = _pull_all(store, sources, world)
    problems = [p for r in results for p in r.problems if p.source == "SIASN"]
    assert len(problems) == world["siasn_pegawai"].height
    p = problems[0]
    assert (p.code, p.table, p.field, p.value) == ("SYS-02", "data-utama", "kedudukanPnsNama", "Cuti Besar")
    assert p.key in set(before["nip"].to_list())
    assert sum(r.hitungan["SIASN"].ditolak for r in results) == world["siasn_pegawai"].height
    # Refused: the stored version stays as it was (AKTIF), not the new PENSIUN nor nothing.
    assert _same(before, load_table(store, "siasn_pegawai"))
    ptk_problems = [p for r in results for p in r.problems if p.source == "Dapodik"]
    assert ptk_problems and all(p.field == "jenis_ptk_id_str" for p in ptk_problems)
    from selaras.store.notices import notices_for

    told = notices_for(store, ["sumber:SIASN"], limit=1000)
    assert len(told) == len(problems) and {n.kode for n in told} == {"SYS-02"}
    assert "kedudukanPnsNama" in told[0].isi


def test_a_source_down_then_back_loses_nothing_and_doubles_nothing(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    _own_only(store, world)
    running.sim.set_faults(Faults(rate=1.0, weights={"5xx": 1.0}))
    with running.sources(roster, SELARAS_SOURCE_MAX_ATTEMPTS="2") as sources:
        with pytest.raises(SourceUnavailable) as e:
            tarik_instansi(store, sources, world["instansi"]["instansi_id"][0], tahun=2026, pelaku="cli:uji")
        assert e.value.code == "SYS-01"
        assert all(load_table(store, n).height == 0 for n in SOURCE_TABLES)
        assert load_jobs(store).height == 0
        running.sim.set_faults(Faults(rate=0.3, weights={"5xx": 1.0, "429": 1.0, "malformed": 1.0}, retry_after_s=0))
        sources_retry = running.sources(roster, SELARAS_SOURCE_MAX_ATTEMPTS="30")
        with sources_retry:
            _pull_all(store, sources_retry, world)
            _pull_all(store, sources_retry, world)
    got = load_snapshot(store)
    for name in SOURCE_TABLES:
        assert _same(world[name], got[name]), name
    jobs = load_jobs(store)
    assert jobs.height == jobs.unique(["nip", "flow"]).height == len(Flow) * world["siasn_pegawai"].height


def test_a_central_dapodik_feed_serves_the_same_rows(store: Store, running: Running, world: Snapshot) -> None:
    central = running.sources(SELARAS_DAPODIK_SEKOLAH_URL=f"{running.url}/dapodik-pusat")
    with central as sources:
        assert sources.dapodik is not None
        pulled = sources.dapodik.pull(world["instansi"]["instansi_id"][0], world["dapodik_sekolah"]["npsn"].to_list())
    assert _same(world["dapodik_ptk"], pulled.ptk.frame)
    assert _same(world["dapodik_sekolah"], pulled.sekolah.frame)


def test_requests_in_flight_stay_within_the_bound() -> None:
    import threading
    import time

    from selaras.sources.real import RealSettings, Transport

    lock = threading.Lock()
    now = {"in": 0, "most": 0}

    def work(i: int) -> int:
        with lock:
            now["in"] += 1
            now["most"] = max(now["most"], now["in"])
        time.sleep(0.01)
        with lock:
            now["in"] -= 1
        return i * 2

    transport = Transport("uji", RealSettings(concurrency=3))
    try:
        assert list(transport.map_concurrent(work, list(range(40)))) == [i * 2 for i in range(40)]
    finally:
        transport.close()
    assert now["most"] == 3


def test_the_simulate_cli_prints_the_real_configuration(tmp_path: Path, world: Snapshot) -> None:
    import os
    import subprocess
    import sys

    from selaras.sources.writer import write_snapshot

    write_snapshot(world, tmp_path / "snap")
    code = "from selaras.cli.simulate import simulate; simulate()"
    args = [sys.executable, "-c", code, "--snapshot", str(tmp_path / "snap"), "--port", "0", "--token", TOKEN]
    args += ["--bentuk", "nyata"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    try:
        assert process.stdout is not None
        env: dict[str, str] = {}
        while "SELARAS_PMM_TOKEN" not in env:
            name, _, value = process.stdout.readline().strip().partition("=")
            env[name] = value
        assert "SELARAS_SIASN_URL" not in env  # the old contract is not served
        with RealSources.from_env(env) as sources:
            assert sources.configured == ["SIASN", "Dapodik", "PMM"]
            assert sources.siasn is not None
            record, problem = sources.siasn.data_utama(world["siasn_pegawai"]["nip"][0])
        assert problem is None and record is not None
        old = httpx.get(env["SELARAS_SIASN_API_URL"].replace("apisiasn/1.0", "siasn/v1/instansi"))
        assert old.status_code == 404
    finally:
        process.terminate()
        process.wait(10)


def test_one_school_offline_holds_up_no_other_and_is_taken_when_back(
    store: Store, running: Running, world: Snapshot, roster: Path
) -> None:
    from selaras.sources.dapodik import DapodikConfig, DapodikConnector
    from selaras.sources.real import RealSettings

    _own_only(store, world)
    npsn = world["dapodik_sekolah"]["npsn"][0]
    env = running.env(roster)
    offline = DapodikConfig(
        env["SELARAS_DAPODIK_KEY"],
        template=env["SELARAS_DAPODIK_SEKOLAH_URL"],
        endpoints={npsn: "http://127.0.0.1:9"},
        settings=RealSettings(max_attempts=2),
    )
    with running.sources(roster) as sources:
        assert sources.dapodik is not None
        online = sources.dapodik
        sources.dapodik = DapodikConnector(offline, sleep=lambda _s: None)
        try:
            results = _pull_all(store, sources, world)
        finally:
            sources.dapodik.close()
            sources.dapodik = online
        assert [list(r.sekolah_tidak_terjangkau) for r in results if r.sekolah_tidak_terjangkau] == [[npsn]]
        got = load_table(store, "dapodik_ptk")
        assert got.filter(pl.col("npsn") == npsn).height == 0
        others = world["dapodik_ptk"].filter(pl.col("npsn") != npsn)
        assert _same(others, got)
        _pull_all(store, sources, world)
    got = load_snapshot(store)
    for name in SOURCE_TABLES:
        assert _same(world[name], got[name]), name


def test_a_roster_without_instansi_is_read_once_per_run(
    store: Store, running: Running, world: Snapshot, tmp_path: Path
) -> None:
    _own_only(store, world)
    untagged = tmp_path / "nip.txt"
    untagged.write_text("\n".join(world["siasn_pegawai"]["nip"].to_list()) + "\n", encoding="utf-8")
    reads = []
    with running.sources(untagged) as sources:
        for instansi_id in ("X-SATU", "X-DUA"):  # instansi with no data of their own anywhere
            tarik_instansi(store, sources, instansi_id, tahun=2026, pelaku="cli:uji")
            reads.append(running.sim.stats()["endpoints"].get("/apisiasn/1.0/pns/data-utama", 0))
    assert _same(world["siasn_pegawai"], load_table(store, "siasn_pegawai"))
    assert reads == [world["siasn_pegawai"].height] * 2  # the second pull read none again


def test_the_real_configuration_does_not_break_the_old_clients(running: Running) -> None:
    from selaras.sources.clients import Sources

    # selaras serve and worker read Sources.from_env: PMM set for tarik must not make them fail.
    assert Sources.from_env(running.env()) is None
    with pytest.raises(ValueError, match="SELARAS_SIASN_URL"):
        Sources.from_env({"SELARAS_PMM_URL": "http://x", "SELARAS_SOURCE_TOKEN": "t"})


def test_a_school_answering_no_envelope_is_refused_alone() -> None:
    from selaras.sources.dapodik import DapodikConfig, DapodikConnector

    def school(request: httpx.Request) -> httpx.Response:
        npsn = request.url.params["npsn"]
        if npsn == "10000001":  # a login page where the service should be
            return httpx.Response(200, content=b'{"pesan": "silakan masuk"}', headers={"content-type": "text/html"})
        rows: Any = {"npsn": npsn, "nama": "SDN 2"} if request.url.path.endswith("getSekolah") else []
        body = {"results": 1, "id": npsn, "start": 0, "limit": 1, "rows": rows}
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "text/html"})

    config = DapodikConfig("kunci", template="http://sekolah-{npsn}.test")
    with DapodikConnector(config, sleep=lambda _s: None, transport=httpx.MockTransport(school)) as dapodik:
        pulled = dapodik.pull("I1", ["10000001", "10000002"])
    assert pulled.sekolah.frame["npsn"].to_list() == ["10000002"]
    assert [(p.source, p.table, p.key, p.field) for p in pulled.problems] == [
        ("Dapodik", "getSekolah", "10000001", "rows")
    ]


def test_getgtk_duties_are_read_where_held_and_an_unreadable_one_is_sys02() -> None:
    from selaras.sources.dapodik import DapodikConfig, DapodikConnector

    def gtk(ptk_id: str, induk: str, jabatan: str, **more: str) -> dict[str, str]:
        return {"ptk_id": ptk_id, "ptk_induk": induk, "nama": ptk_id.upper(), "jenis_ptk_id_str": "Guru Kelas",
                "jabatan_ptk_id_str": jabatan, "tanggal_surat_tugas": "2020-07-13", **more}  # fmt: skip

    served = {
        "10000001": [
            gtk("guru-a", "1", "-"),
            gtk(
                "plt-b",
                "0",
                "PLT Kepala Sekolah",
                nomor_surat_tugas="800.1/00001/DISDIK/2026",
                tanggal_surat_tugas="2026-02-02",
            ),  # fmt: skip
            gtk("pjs-c", "0", "Pjs. Kepala Sekolah"),
        ],
        "10000002": [gtk("plt-b", "1", "Wakil Kepala Sekolah"), gtk("ks-d", "1", "Kepala Sekolah")],
    }

    def school(request: httpx.Request) -> httpx.Response:
        npsn = request.url.params["npsn"]
        rows: Any = {"npsn": npsn, "nama": f"SD {npsn}"} if request.url.path.endswith("getSekolah") else served[npsn]
        body = {"results": 1, "id": npsn, "start": 0, "limit": 1, "rows": rows}
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "text/html"})

    config = DapodikConfig("kunci", template="http://sekolah-{npsn}.test")
    with DapodikConnector(config, sleep=lambda _s: None, transport=httpx.MockTransport(school)) as dapodik:
        pulled = dapodik.pull("I1", ["10000001", "10000002"])
    assert pulled.terjawab == ["10000001", "10000002"]
    assert sorted(pulled.ptk.frame["ptk_id"].to_list()) == ["guru-a", "ks-d", "plt-b"]
    assert pulled.tugas.frame.select("ptk_id", "npsn", "jenis", "nomor_sk").rows() == [
        ("plt-b", "10000001", "PLT_KEPALA_SEKOLAH", "800.1/00001/DISDIK/2026")
    ]
    assert str(pulled.tugas.frame["tmt"][0]) == "2026-02-02" and pulled.tugas.frame["tst"][0] is None
    assert pulled.tugas.refused == 1
    assert [(p.code, p.table, p.key, p.field, p.value) for p in pulled.problems] == [
        ("SYS-02", "getGtk", "pjs-c", "jabatan_ptk_id_str", "Pjs. Kepala Sekolah")
    ]
