"""The source clients and the refresh against the simulator on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from selaras.domain.snapshot import TABLE, Snapshot
from selaras.simulation.generator import generate
from selaras.simulation.simulator import build_app, serve_in_thread
from selaras.simulation.state import Faults, Simulator
from selaras.sources.clients import Sources
from selaras.sources.http import RESOURCES, parse_records
from selaras.sources.problems import SourceProblem
from selaras.sources.transport import SourceConfigError, SourceContractError, SourceUnavailable
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot, load_table
from selaras.usecases.refresh import SOURCE_TABLES, refresh_changed, refresh_pegawai

TOKEN = "rahasia-uji"
NO_FAULTS = dict.fromkeys(("latency", "timeout", "5xx", "429", "malformed", "invalid"), 0.0)


@pytest.fixture(scope="module")
def world() -> Snapshot:
    return generate(pegawai=300, seed=11).snapshot


class Sim:
    """A simulator running on loopback, and how a test talks to its control endpoints."""

    def __init__(self, url: str, simulator: Simulator) -> None:
        self.url, self.simulator = url, simulator

    def control(self, method: str, path: str, body: Any) -> Any:
        response = httpx.request(
            method, f"{self.url}/_sim/{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def faults(self, kind: str | None, **settings: Any) -> None:
        weights = dict(NO_FAULTS)
        if kind is not None:
            weights[kind] = 1.0
        self.control("POST", "faults", {"rate": 1.0 if kind else 0.0, "weights": weights, **settings})

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_sim/stats", headers={"Authorization": f"Bearer {TOKEN}"}).json()

    def sources(self, sleep: Callable[[float], None] = lambda _s: None, **settings: Any) -> Sources:
        options: dict[str, Any] = {"rate_limit": None, "read_timeout": 5.0, "max_attempts": 4, **settings}
        return Sources.from_base_url(self.url, TOKEN, sleep=sleep, **options)


@pytest.fixture
def sim(world: Snapshot) -> Iterator[Sim]:
    app = build_app(world, token=TOKEN, faults=Faults(), seed=5)
    with serve_in_thread(app) as running:
        yield Sim(running.url, app.state.simulator)


def _sorted(name: str, df: pl.DataFrame) -> pl.DataFrame:
    return df.select(TABLE[name].column_names).sort(list(TABLE[name].key))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- client


def test_pagination_over_many_pages_serves_every_record_exactly_once(sim: Sim, world: Snapshot) -> None:
    with sim.sources(page_size=7) as sources:
        pegawai = sources.siasn.pegawai()
        skp = sources.pmm.skp()
    calls = sim.stats()["endpoints"]
    assert calls["/siasn/v1/pegawai"] == -(-world["siasn_pegawai"].height // 7)
    assert pegawai.clean and skp.clean
    served = pegawai["siasn_pegawai"]
    assert served["nip"].n_unique() == served.height == world["siasn_pegawai"].height
    assert_frame_equal(_sorted("siasn_pegawai", served), _sorted("siasn_pegawai", world["siasn_pegawai"]))
    for name in ("pmm_skp", "pmm_rhk", "pmm_penilaian"):
        assert_frame_equal(_sorted(name, skp[name]), _sorted(name, world[name]))


def test_a_long_key_list_is_split_and_answers_exactly_those_keys(sim: Sim, world: Snapshot) -> None:
    npsn = world["dapodik_sekolah"]["npsn"].to_list()[:25]
    with sim.sources(batch_size=10, page_size=50) as sources:
        ptk = sources.dapodik.ptk(npsn=npsn)["dapodik_ptk"]
        none = sources.dapodik.ptk(npsn=[])["dapodik_ptk"]
    expected = world["dapodik_ptk"].filter(pl.col("npsn").is_in(npsn))
    assert expected.height > 25
    assert_frame_equal(_sorted("dapodik_ptk", ptk), _sorted("dapodik_ptk", expected))
    assert none.height == 0
    assert sim.stats()["endpoints"]["/dapodik/v1/ptk"] >= 3


def test_an_incremental_pull_returns_only_the_records_changed_after_it(sim: Sim, world: Snapshot) -> None:
    nip = world["siasn_pegawai"]["nip"][3]
    rhk = world["pmm_rhk"].row(5, named=True)
    with sim.sources(page_size=50) as sources:
        mark = max(sources.siasn.pegawai().diperbarui, sources.pmm.skp().diperbarui)  # type: ignore[type-var]
        assert sources.siasn.pegawai(since=mark)["siasn_pegawai"].height == 0
        sim.control("POST", "siasn_pegawai", [{"nip": nip, "jabatan_nama": "Guru Ahli Utama"}])
        sim.control("POST", "pmm_rhk", [{"pmm_rhk_id": rhk["pmm_rhk_id"], "uraian": "Uraian baru"}])
        pegawai = sources.siasn.pegawai(since=mark)
        skp = sources.pmm.skp(since=mark)
        assert sources.dapodik.ptk(since=mark)["dapodik_ptk"].height == 0
        later = sources.siasn.pegawai(since=pegawai.diperbarui)
    changed = pegawai["siasn_pegawai"]
    assert changed["nip"].to_list() == [nip]
    assert changed["jabatan_nama"].to_list() == ["Guru Ahli Utama"]
    assert changed["nama"].to_list() == world["siasn_pegawai"].filter(pl.col("nip") == nip)["nama"].to_list()
    assert skp["pmm_skp"]["pmm_skp_id"].to_list() == [rhk["pmm_skp_id"]]
    expected_rhk = (
        world["pmm_rhk"]
        .filter(pl.col("pmm_skp_id") == rhk["pmm_skp_id"])
        .with_columns(
            pl.when(pl.col("pmm_rhk_id") == rhk["pmm_rhk_id"])
            .then(pl.lit("Uraian baru"))
            .otherwise("uraian")
            .alias("uraian")
        )
    )
    assert_frame_equal(_sorted("pmm_rhk", skp["pmm_rhk"]), _sorted("pmm_rhk", expected_rhk))
    assert pegawai.diperbarui is not None and pegawai.diperbarui > mark
    assert later["siasn_pegawai"].height == 0


def test_a_refused_token_is_a_configuration_error_and_is_not_retried(sim: Sim) -> None:
    sources = Sources.from_base_url(sim.url, "salah", sleep=lambda _s: None, rate_limit=None)
    with sources, pytest.raises(SourceConfigError) as caught:
        sources.siasn.pegawai(nip=["198001012005011001"])
    assert caught.value.status == 401
    assert caught.value.source == "SIASN"
    assert sim.stats()["calls"] == 0


def test_a_429_waits_as_long_as_retry_after_asks(sim: Sim, world: Snapshot) -> None:
    sim.faults("429", retry_after_s=7)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sim.faults(None)  # the source recovers while Selaras waits

    with sim.sources(sleep=sleep, backoff_base=0.01) as sources:
        instansi = sources.siasn.instansi()
    assert waits == [7.0]
    assert instansi["instansi"].height == world["instansi"].height
    assert sim.stats()["faults"]["429"] == 1


def test_a_retry_after_longer_than_the_cap_is_shortened(sim: Sim) -> None:
    sim.faults("429", retry_after_s=600)
    waits: list[float] = []
    with (
        sim.sources(sleep=waits.append, max_attempts=3, retry_after_cap=20) as sources,
        pytest.raises(SourceUnavailable),
    ):
        sources.siasn.instansi()
    assert waits == [20.0, 20.0]


def test_server_errors_are_retried_with_growing_jittered_backoff_then_succeed(sim: Sim, world: Snapshot) -> None:
    sim.faults("5xx")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            sim.faults(None)

    with sim.sources(sleep=sleep, max_attempts=5, backoff_base=1.0, backoff_cap=3.0) as sources:
        sekolah = sources.dapodik.sekolah()
    assert len(waits) == 3
    assert 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0 and 0 <= waits[2] <= 3.0
    assert len(set(waits)) == 3  # jittered, not a fixed schedule
    assert_frame_equal(
        _sorted("dapodik_sekolah", sekolah["dapodik_sekolah"]), _sorted("dapodik_sekolah", world["dapodik_sekolah"])
    )


def test_a_hanging_source_times_out_and_is_asked_again(sim: Sim, world: Snapshot) -> None:
    sim.faults("timeout", hang_s=0.6)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sim.faults(None)

    with sim.sources(sleep=sleep, read_timeout=0.2) as sources:
        unor = sources.siasn.unor()
    assert len(waits) == 1
    assert sim.stats()["faults"]["timeout"] == 1
    assert unor["siasn_unor"].height == world["siasn_unor"].height


def test_a_malformed_body_is_transient_and_retried(sim: Sim, world: Snapshot) -> None:
    sim.faults("malformed")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sim.faults(None)

    with sim.sources(sleep=sleep) as sources:
        pegawai = sources.siasn.pegawai()
    assert len(waits) == 1 and sim.stats()["faults"]["malformed"] == 1
    assert pegawai["siasn_pegawai"].height == world["siasn_pegawai"].height


def test_a_source_failing_every_attempt_is_unavailable_sys01_naming_it(sim: Sim) -> None:
    sim.faults("5xx")
    waits: list[float] = []
    with sim.sources(sleep=waits.append, max_attempts=3) as sources, pytest.raises(SourceUnavailable) as caught:
        sources.pmm.skp(ptk_id=["PTK1"])
    error = caught.value
    assert (error.source, error.path, error.attempts, error.code) == ("PMM", "skp", 3, "SYS-01")
    assert "HTTP 5" in error.reason and "PMM" in str(error)
    assert len(waits) == 2
    assert sim.stats()["calls"] == 3


def test_a_refused_connection_is_unavailable(sim: Sim) -> None:
    sources = Sources.from_base_url(
        f"http://127.0.0.1:{_free_port()}", TOKEN, sleep=lambda _s: None, rate_limit=None, max_attempts=2
    )
    with sources, pytest.raises(SourceUnavailable) as caught:
        sources.siasn.pegawai()
    assert caught.value.source == "SIASN" and "koneksi" in caught.value.reason


def test_an_invalid_record_is_reported_naming_table_key_field_and_value_and_the_rest_kept(
    sim: Sim, world: Snapshot
) -> None:
    nip = world["siasn_pegawai"]["nip"][0]
    sim.control("POST", "siasn_pegawai", [{"nip": nip, "nik": "12345"}])
    with sim.sources(page_size=100) as sources:
        pegawai = sources.siasn.pegawai()
    assert pegawai.problems == [
        SourceProblem("SIASN", "siasn_pegawai", nip, "nik", "12345", "NIK harus 16 digit angka")
    ]
    assert pegawai.problems[0].code == "SYS-02"
    assert pegawai["siasn_pegawai"].height == world["siasn_pegawai"].height - 1
    assert nip not in pegawai["siasn_pegawai"]["nip"].to_list()
    with pytest.raises(SourceContractError) as caught:
        pegawai.raise_for_problems()
    assert "nik" in str(caught.value)


def test_the_invalid_fault_breaks_one_record_and_it_is_caught(sim: Sim, world: Snapshot) -> None:
    sim.faults("invalid")
    with sim.sources(page_size=1000) as sources:
        pegawai = sources.siasn.pegawai()
    (problem,) = pegawai.problems
    assert (problem.table, problem.field) == ("siasn_pegawai", "nip")
    assert problem.value is not None and len(problem.value) == 17 and problem.key == problem.value
    assert problem.value[:17] in {n[:17] for n in world["siasn_pegawai"]["nip"].to_list()}
    assert pegawai["siasn_pegawai"].height == world["siasn_pegawai"].height - 1


def test_records_with_wrong_json_types_or_a_foreign_child_are_rejected_whole() -> None:
    (skp_resource,) = [r for r in RESOURCES if r.table == "pmm_skp"]
    (unor_resource,) = [r for r in RESOURCES if r.table == "siasn_unor"]

    def plan(skp_id: str, rhk_parent: str) -> dict[str, Any]:
        return {
            "pmm_skp_id": skp_id,
            "ptk_id": "P1",
            "npsn": "10000001",
            "periode_awal": "2026-01-01",
            "periode_akhir": "2026-12-31",
            "status": "DISEPAKATI",
            "atasan_nip": None,
            "diperbarui": "2026-03-01T00:00:00Z",
            "rhk": [{"pmm_rhk_id": f"R-{skp_id}", "pmm_skp_id": rhk_parent, "uraian": "x", "jenis": "UTAMA"}],
            "penilaian": [],
        }

    batch = parse_records("PMM", skp_resource, [plan("S1", "S1"), plan("S2", "S1")])
    assert batch["pmm_skp"]["pmm_skp_id"].to_list() == ["S1"]
    assert batch["pmm_rhk"]["pmm_rhk_id"].to_list() == ["R-S1"]
    (problem,) = batch.problems
    assert (problem.table, problem.key, problem.field, problem.value) == ("pmm_rhk", "R-S2", "pmm_skp_id", "S1")

    unor = {"unor_id": "U1", "instansi_id": "I1", "nama": "SD", "aktif": 1, "npsn": 10000001, "diperbarui": "2026"}
    batch = parse_records("SIASN", unor_resource, [unor])
    assert batch["siasn_unor"].height == 0
    assert {(p.field, p.value, p.rule) for p in batch.problems} == {
        ("aktif", "1", "tipe JSON salah: harus boolean (true/false)"),
        ("npsn", "10000001", "tipe JSON salah: harus teks (string JSON)"),
        ("diperbarui", "2026", "waktu harus berformat ISO (YYYY-MM-DDTHH:MM:SS)"),
    }


def test_sources_from_env() -> None:
    assert Sources.from_env({}) is None
    with pytest.raises(ValueError, match="SELARAS_DAPODIK_URL"):
        Sources.from_env({"SELARAS_PMM_URL": "http://a", "SELARAS_SIASN_URL": "http://b", "SELARAS_SOURCE_TOKEN": "t"})
    env = {
        "SELARAS_PMM_URL": "http://pmm.example/v1",
        "SELARAS_SIASN_URL": "http://siasn.example/v1",
        "SELARAS_DAPODIK_URL": "http://dapodik.example/v1",
        "SELARAS_SOURCE_TOKEN": "t",
        "SELARAS_PMM_TOKEN": "p",
        "SELARAS_SOURCE_READ_TIMEOUT": "7.5",
    }
    sources = Sources.from_env(env)
    assert sources is not None
    with sources:
        assert sources.pmm.config.token == "p" and sources.siasn.config.token == "t"
        assert sources.dapodik.config.base_url == "http://dapodik.example/v1"
        assert sources.siasn.config.read_timeout == 7.5


# --------------------------------------------------------------------------------- refresh


def _expected(snapshot: Snapshot, nips: list[str]) -> dict[str, pl.DataFrame]:
    """What refresh_pegawai pulls for ``nips``, computed from the source data."""

    def having(name: str, column: str, values: list[Any]) -> pl.DataFrame:
        return snapshot[name].filter(pl.col(column).is_in(values))

    pegawai = having("siasn_pegawai", "nip", nips)
    ptk = snapshot["dapodik_ptk"].filter(
        pl.col("nip").is_in(nips) | pl.col("nik").is_in(pegawai["nik"].drop_nulls().to_list())
    )
    skp = having("pmm_skp", "ptk_id", ptk["ptk_id"].to_list())
    ids = skp["pmm_skp_id"].to_list()
    npsn = sorted(set(ptk["npsn"].to_list()) | set(skp["npsn"].to_list()))
    sekolah = having("dapodik_sekolah", "npsn", npsn)
    units = snapshot["siasn_unor"]
    unor = units.filter(pl.col("unor_id").is_in(pegawai["unor_id"].drop_nulls().to_list()) | pl.col("npsn").is_in(npsn))
    while True:
        parents = units.filter(
            pl.col("unor_id").is_in(unor["parent_unor_id"].drop_nulls().to_list())
            & ~pl.col("unor_id").is_in(unor["unor_id"].to_list())
        )
        if not parents.height:
            break
        unor = pl.concat([unor, parents])
    instansi_ids = set(pegawai["instansi_id"].to_list()) | set(unor["instansi_id"].to_list())
    duties = snapshot["dapodik_tugas_tambahan"]
    return {
        "instansi": having("instansi", "instansi_id", sorted(instansi_ids | set(sekolah["instansi_id"].to_list()))),
        "siasn_unor": unor,
        "siasn_pegawai": pegawai,
        "dapodik_sekolah": sekolah,
        "dapodik_ptk": ptk,
        "dapodik_tugas_tambahan": duties.filter(
            pl.col("npsn").is_in(npsn) | pl.col("ptk_id").is_in(ptk["ptk_id"].implode())
        ),
        "pmm_skp": skp,
        "pmm_rhk": having("pmm_rhk", "pmm_skp_id", ids),
        "pmm_penilaian": having("pmm_penilaian", "pmm_skp_id", ids),
        "siasn_jabatan": having("siasn_jabatan", "nip", nips),
        "siasn_angka_kredit": having("siasn_angka_kredit", "nip", nips),
        "pmm_predikat": having("pmm_predikat", "ptk_id", ptk["ptk_id"].to_list()),
        "pmm_predikat_organisasi": having("pmm_predikat_organisasi", "npsn", npsn),
    }


def _assert_store_holds(store: Store, expected: dict[str, pl.DataFrame]) -> None:
    for name, df in expected.items():
        assert_frame_equal(_sorted(name, load_table(store, name)), _sorted(name, df), check_dtypes=True)


def _some_nips(world: Snapshot, n: int) -> list[str]:
    # Pegawai who have a plan, so that every table is involved.
    ptk = world["dapodik_ptk"].filter(pl.col("ptk_id").is_in(world["pmm_skp"]["ptk_id"].implode()))
    return sorted(set(ptk["nip"].drop_nulls().to_list()) & set(world["siasn_pegawai"]["nip"].to_list()))[:n]


def test_refresh_pegawai_writes_exactly_their_source_rows(store: Store, sim: Sim, world: Snapshot) -> None:
    nips = _some_nips(world, 40)
    with sim.sources(batch_size=15, page_size=100) as sources:
        result = refresh_pegawai(store, sources, nips)
    expected = _expected(sim.simulator.snapshot(), nips)
    assert expected["pmm_rhk"].height > 40 and expected["siasn_unor"].height > 1
    assert expected["siasn_jabatan"].height and expected["pmm_predikat"].height
    _assert_store_holds(store, expected)
    assert result.nips == nips and result.problems == []
    assert result.written == {name: df.height for name, df in expected.items()}
    assert result.watermark is not None


def test_the_old_contract_refresh_carries_a_plt_duty_and_drops_it_when_it_ends(
    store: Store, sim: Sim, world: Snapshot
) -> None:
    duty = world["dapodik_tugas_tambahan"].filter(pl.col("jenis") == "PLT_KEPALA_SEKOLAH").row(0, named=True)
    teachers = world["dapodik_ptk"].filter((pl.col("npsn") == duty["npsn"]) & pl.col("nip").is_not_null())
    nips = sorted(set(teachers["nip"].to_list()) & set(world["siasn_pegawai"]["nip"].to_list()))[:3]
    assert nips
    with sim.sources() as sources:
        served = sources.dapodik.tugas_tambahan(npsn=[duty["npsn"]])
        assert duty["ptk_id"] in served["dapodik_tugas_tambahan"]["ptk_id"].to_list()
        refresh_pegawai(store, sources, nips)
        stored = load_table(store, "dapodik_tugas_tambahan").filter(pl.col("npsn") == duty["npsn"])
        assert stored.select("ptk_id", "jenis", "nomor_sk", "tmt").rows(named=True) == [
            {k: duty[k] for k in ("ptk_id", "jenis", "nomor_sk", "tmt")}
        ]
        sim.control("DELETE", "dapodik_tugas_tambahan", {"keys": [{k: duty[k] for k in ("ptk_id", "npsn", "jenis")}]})
        result = refresh_pegawai(store, sources, nips)
    assert result.deleted.get("dapodik_tugas_tambahan") == 1
    assert load_table(store, "dapodik_tugas_tambahan").filter(pl.col("npsn") == duty["npsn"]).height == 0


def test_a_changed_plan_at_the_source_replaces_the_stored_one(store: Store, sim: Sim, world: Snapshot) -> None:
    nips = _some_nips(world, 10)
    with sim.sources() as sources:
        refresh_pegawai(store, sources, nips)
        plan = load_table(store, "pmm_skp").sort("pmm_skp_id").row(0, named=True)
        other = load_table(store, "pmm_skp").sort("pmm_skp_id").row(1, named=True)
        old = load_table(store, "pmm_rhk").filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])
        assert old.height >= 2
        new_rhk = {"pmm_rhk_id": "R-BARU", "uraian": "Rencana baru", "jenis": "UTAMA", "induk_pmm_rhk_id": None}
        sim.control("POST", "pmm_skp", [{"pmm_skp_id": plan["pmm_skp_id"], "status": "DIAJUKAN", "rhk": [new_rhk]}])
        sim.control("DELETE", "pmm_skp", {"keys": [other["pmm_skp_id"]]})
        result = refresh_pegawai(store, sources, nips)
    rhk = load_table(store, "pmm_rhk")
    mine = rhk.filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])
    assert mine["pmm_rhk_id"].to_list() == ["R-BARU"] and mine["uraian"].to_list() == ["Rencana baru"]
    assert not rhk.filter(pl.col("pmm_rhk_id").is_in(old["pmm_rhk_id"].implode())).height
    skp = load_table(store, "pmm_skp")
    assert skp.filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])["status"].to_list() == ["DIAJUKAN"]
    assert other["pmm_skp_id"] not in skp["pmm_skp_id"].to_list()
    assert not rhk.filter(pl.col("pmm_skp_id") == other["pmm_skp_id"]).height
    assert not load_table(store, "pmm_penilaian").filter(pl.col("pmm_skp_id") == other["pmm_skp_id"]).height
    _assert_store_holds(store, _expected(sim.simulator.snapshot(), nips))
    assert result.deleted["pmm_skp"] == 1 and result.deleted["pmm_rhk"] >= old.height


def test_a_source_down_leaves_the_store_unchanged(store: Store, sim: Sim, world: Snapshot) -> None:
    nips = _some_nips(world, 10)
    with sim.sources() as sources:
        refresh_pegawai(store, sources, nips)
    before = load_snapshot(store)
    sim.control("POST", "siasn_pegawai", [{"nip": nips[0], "nama": "Nama Baru"}])
    healthy = sim.sources()
    down = Sources.from_base_url(f"http://127.0.0.1:{_free_port()}", TOKEN, sleep=lambda _s: None, max_attempts=2)
    mixed = Sources(healthy.siasn, healthy.dapodik, down.pmm)
    with healthy, down, pytest.raises(SourceUnavailable) as caught:
        refresh_pegawai(store, mixed, nips)
    assert caught.value.source == "PMM"
    after = load_snapshot(store)
    for name in SOURCE_TABLES:
        assert_frame_equal(_sorted(name, after[name]), _sorted(name, before[name]))


def test_a_refresh_through_faults_eventually_writes_exactly_the_right_rows(
    store: Store, sim: Sim, world: Snapshot
) -> None:
    nips = world["siasn_pegawai"]["nip"].to_list()
    assert len(nips) >= 300
    sim.control("POST", "faults", {"rate": 0.3, "hang_s": 0.5, "retry_after_s": 0, "slow_ms": 20})
    outcomes: list[str] = []
    with sim.sources(read_timeout=0.2, max_attempts=8, batch_size=100, page_size=250) as sources:
        for _ in range(30):
            try:
                result = refresh_pegawai(store, sources, nips)
            except SourceUnavailable:
                outcomes.append("unavailable")
                continue
            outcomes.append("problems" if result.problems else "clean")
            if not result.problems:
                break
    assert outcomes[-1] == "clean", outcomes
    faults = sim.stats()["faults"]
    assert faults["timeout"] and faults["5xx"] and faults["429"] and faults["malformed"], faults
    sim.faults(None)
    _assert_store_holds(store, _expected(sim.simulator.snapshot(), nips))


def test_refresh_changed_pulls_changes_and_names_the_pegawai_affected(store: Store, sim: Sim, world: Snapshot) -> None:
    with sim.sources(page_size=200) as sources:
        first = refresh_changed(store, sources, None)
        served = sim.simulator.snapshot()
        for name in SOURCE_TABLES:
            assert_frame_equal(_sorted(name, load_table(store, name)), _sorted(name, served[name]))
        assert first.watermark is not None
        assert set(first.nips) == set(world["siasn_pegawai"]["nip"].to_list())

        pegawai = world["siasn_pegawai"]
        unit = pegawai["unor_id"][0]
        members = set(pegawai.filter(pl.col("unor_id") == unit)["nip"].to_list())
        plan = world["pmm_skp"].row(0, named=True)
        owner = world["dapodik_ptk"].filter(pl.col("ptk_id") == plan["ptk_id"]).row(0, named=True)
        owners = set(pegawai.filter((pl.col("nip") == owner["nip"]) | (pl.col("nik") == owner["nik"]))["nip"].to_list())
        rhk = world["pmm_rhk"].filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])["pmm_rhk_id"][0]
        sim.control("POST", "siasn_unor", [{"unor_id": unit, "nama": "Nama unit baru"}])
        sim.control("DELETE", "pmm_rhk", {"keys": [rhk]})

        second = refresh_changed(store, sources, first.watermark)
        third = refresh_changed(store, sources, second.watermark)
    school = world["siasn_unor"].filter(pl.col("unor_id") == unit)["npsn"][0]
    at_school: set[str] = set()
    if school is not None:
        ptk = world["dapodik_ptk"].filter(pl.col("npsn") == school)
        at_school = set(
            pegawai.filter(pl.col("nip").is_in(ptk["nip"].implode()) | pl.col("nik").is_in(ptk["nik"].implode()))[
                "nip"
            ].to_list()
        )
    assert owners and members
    assert set(second.nips) == members | owners | at_school
    # Only what differs from the store is written: the unit and the plan (a new diperbarui);
    # the plan's other RHK and its assessments come again unchanged.
    assert second.written == {"siasn_unor": 1, "pmm_skp": 1}
    assert second.deleted == {"pmm_rhk": 1}
    assert isinstance(second.watermark, datetime) and second.watermark > first.watermark
    assert load_table(store, "siasn_unor").filter(pl.col("unor_id") == unit)["nama"].to_list() == ["Nama unit baru"]
    assert rhk not in load_table(store, "pmm_rhk")["pmm_rhk_id"].to_list()
    assert third.nips == [] and third.written == {} and third.watermark == second.watermark


def test_an_answer_with_an_invalid_record_deletes_nothing_and_keeps_the_stored_rows(
    store: Store, sim: Sim, world: Snapshot
) -> None:
    nips = _some_nips(world, 20)
    with sim.sources() as sources:
        refresh_pegawai(store, sources, nips)
        before = load_snapshot(store)
        sim.faults("invalid")  # every answer: one record breaks the contract (NIP of 17 digits, unknown status...)
        result = refresh_pegawai(store, sources, nips)
    assert {p.table for p in result.problems} >= {"siasn_pegawai", "dapodik_ptk", "pmm_skp"}
    assert all(p.code == "SYS-02" and p.key and p.field for p in result.problems)
    assert not result.deleted
    after = load_snapshot(store)
    for name in SOURCE_TABLES:
        assert_frame_equal(_sorted(name, after[name]), _sorted(name, before[name]))
