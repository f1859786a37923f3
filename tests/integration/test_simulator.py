"""The source simulator: queries, pagination, control endpoints, faults, serving and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from click.testing import CliRunner

from selaras.cli.simulate import simulate
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.simulation.simulator import build_app, serve_in_thread
from selaras.simulation.state import Faults, Simulator
from selaras.sources.writer import write_snapshot

TOKEN = "token-sim"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def world() -> Snapshot:
    return generate(pegawai=200, seed=4).snapshot


@pytest.fixture
def server(world: Snapshot) -> Iterator[tuple[httpx.Client, Simulator]]:
    app = build_app(world, token=TOKEN, faults=Faults(), seed=3)
    with serve_in_thread(app) as running, httpx.Client(base_url=running.url, headers=AUTH) as client:
        yield client, app.state.simulator


def _all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=query).json()
        records += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return records


def test_key_list_filters_answer_exactly_the_matching_records(
    server: tuple[httpx.Client, Simulator], world: Snapshot
) -> None:
    client, _ = server
    ptk = world["dapodik_ptk"]
    npsn = ptk["npsn"].unique().sort().to_list()[:3]
    got = _all(client, "/dapodik/v1/ptk", npsn=",".join(npsn), limit=4)
    expected = ptk.filter(pl.col("npsn").is_in(npsn))
    assert sorted(r["ptk_id"] for r in got) == sorted(expected["ptk_id"].to_list())
    nik = expected["nik"].drop_nulls().to_list()[:2]
    both = client.get("/dapodik/v1/ptk", params={"npsn": npsn[0], "nik": ",".join(nik)}).json()["data"]
    assert {r["ptk_id"] for r in both} == set(
        ptk.filter(pl.col("npsn").eq(npsn[0]) & pl.col("nik").is_in(nik))["ptk_id"].to_list()
    )
    assert client.get("/dapodik/v1/ptk", params={"nip": ""}).json() == {"data": [], "next_cursor": None}
    unknown = client.get("/dapodik/v1/ptk", params={"nip": "000000000000000000"}).json()
    assert unknown["data"] == []


def test_a_plan_carries_its_rhk_and_assessments_and_values_have_json_types(
    server: tuple[httpx.Client, Simulator], world: Snapshot
) -> None:
    client, _ = server
    plan = world["pmm_skp"].row(0, named=True)
    (record,) = client.get("/pmm/v1/skp", params={"pmm_skp_id": plan["pmm_skp_id"]}).json()["data"]
    assert record["periode_awal"] == plan["periode_awal"].isoformat()
    assert record["diperbarui"] == plan["diperbarui"]
    rhk = world["pmm_rhk"].filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])
    assert sorted(r["pmm_rhk_id"] for r in record["rhk"]) == sorted(rhk["pmm_rhk_id"].to_list())
    penilaian = world["pmm_penilaian"].filter(pl.col("pmm_skp_id") == plan["pmm_skp_id"])
    assert len(record["penilaian"]) == penilaian.height
    assert all(isinstance(p["angka_periodik"], int) for p in record["penilaian"])
    (unit,) = client.get("/siasn/v1/unor", params={"limit": 1}).json()["data"]
    assert isinstance(unit["aktif"], bool)


@pytest.mark.parametrize(
    "params",
    [
        {"nips": "1"},
        {"limit": "1001"},
        {"limit": "nol"},
        {"cursor": "bukan-cursor"},
        {"diperbarui_sejak": "kemarin"},
        {"nip": ",".join(["1"] * 1001)},
    ],
)
def test_a_query_outside_the_contract_is_refused(
    server: tuple[httpx.Client, Simulator], params: dict[str, str]
) -> None:
    client, _ = server
    response = client.get("/siasn/v1/pegawai", params=params)
    assert response.status_code == 400 and response.json()["error"]


def test_a_repeated_parameter_is_refused(server: tuple[httpx.Client, Simulator]) -> None:
    client, _ = server
    assert client.get("/siasn/v1/pegawai?nip=1&nip=2").status_code == 400


def test_every_endpoint_needs_the_token(server: tuple[httpx.Client, Simulator]) -> None:
    client, simulator = server
    for method, path in [("GET", "/pmm/v1/skp"), ("GET", "/_sim/stats"), ("POST", "/_sim/faults")]:
        response = httpx.request(method, f"{client.base_url}{path}", headers={"Authorization": "Bearer salah"}, json={})
        assert response.status_code == 401
    assert simulator.stats()["calls"] == 0


def test_records_changed_while_paging_by_time_come_again_at_the_end(
    server: tuple[httpx.Client, Simulator], world: Snapshot
) -> None:
    client, _ = server
    first = client.get("/dapodik/v1/sekolah", params={"diperbarui_sejak": "2000-01-01T00:00:00Z", "limit": 5}).json()
    seen = [r["npsn"] for r in first["data"]]
    client.post("/_sim/dapodik_sekolah", json=[{"npsn": seen[0], "nama": "SD Berganti Nama"}])
    rest = _all(
        client, "/dapodik/v1/sekolah", diperbarui_sejak="2000-01-01T00:00:00Z", limit=5, cursor=first["next_cursor"]
    )
    later = [r["npsn"] for r in rest]
    assert later[-1] == seen[0] and rest[-1]["nama"] == "SD Berganti Nama"
    assert sorted(set(seen + later)) == sorted(world["dapodik_sekolah"]["npsn"].to_list())
    assert len(seen + later) == world["dapodik_sekolah"].height + 1


def test_control_upsert_merges_fields_and_bumps_diperbarui(
    server: tuple[httpx.Client, Simulator], world: Snapshot
) -> None:
    client, simulator = server
    nip = world["siasn_pegawai"]["nip"][0]
    before = client.get("/siasn/v1/pegawai", params={"nip": nip}).json()["data"][0]
    assert client.post("/_sim/siasn_pegawai", json={"records": [{"nip": nip, "status": "PENSIUN"}]}).json() == {
        "upserted": 1
    }
    after = client.get("/siasn/v1/pegawai", params={"nip": nip}).json()["data"][0]
    assert after["status"] == "PENSIUN" and after["nama"] == before["nama"]
    assert after["diperbarui"] > before["diperbarui"]
    new = {
        "nip": "199912312020121001",
        "nama": "Pegawai Baru",
        "instansi_id": world["instansi"]["instansi_id"][0],
        "status": "AKTIF",
    }
    client.post("/_sim/siasn_pegawai", json=[new])
    assert simulator.snapshot()["siasn_pegawai"].height == world["siasn_pegawai"].height + 1
    refused = client.post("/_sim/siasn_pegawai", json=[{"nip": nip, "umur": 40}])
    assert refused.status_code == 400 and "umur" in refused.json()["error"]
    assert client.post("/_sim/ekinerja_skp", json=[{"skp_id": "X"}]).status_code == 400


def test_deleting_a_plan_takes_its_children_and_deleting_a_child_bumps_the_plan(
    server: tuple[httpx.Client, Simulator], world: Snapshot
) -> None:
    client, simulator = server
    plans = world["pmm_skp"]["pmm_skp_id"].to_list()
    first = client.get("/pmm/v1/skp", params={"pmm_skp_id": plans[1]}).json()["data"][0]
    rhk = first["rhk"][0]["pmm_rhk_id"]
    assert client.request("DELETE", "/_sim/pmm_rhk", json={"keys": [rhk]}).json() == {"deleted": 1}
    changed = client.get("/pmm/v1/skp", params={"pmm_skp_id": plans[1]}).json()["data"][0]
    assert rhk not in [r["pmm_rhk_id"] for r in changed["rhk"]] and changed["diperbarui"] > first["diperbarui"]
    assert client.request("DELETE", "/_sim/pmm_skp", json={"keys": [plans[0]]}).json() == {"deleted": 1}
    state = simulator.snapshot()
    assert plans[0] not in state["pmm_skp"]["pmm_skp_id"].to_list()
    assert state["pmm_rhk"].filter(pl.col("pmm_skp_id") == plans[0]).height == 0
    assert state["pmm_penilaian"].filter(pl.col("pmm_skp_id") == plans[0]).height == 0
    key = world["pmm_penilaian"].filter(pl.col("pmm_skp_id") == plans[2]).row(0, named=True)
    composite = {k: key[k] for k in ("pmm_skp_id", "tipe_periodik", "angka_periodik")}
    assert client.request("DELETE", "/_sim/pmm_penilaian", json={"keys": [composite]}).json() == {"deleted": 1}


def _statuses(seed: int, world: Snapshot, calls: int) -> list[int]:
    faults = Faults(rate=0.5, weights={"5xx": 1.0, "429": 1.0, "malformed": 1.0, "invalid": 1.0}, retry_after_s=0)
    app = build_app(world, token=TOKEN, faults=faults, seed=seed)
    with serve_in_thread(app) as running, httpx.Client(base_url=running.url, headers=AUTH) as client:
        out = []
        for _ in range(calls):
            response = client.get("/siasn/v1/instansi")
            try:
                body = response.json()
            except ValueError:
                out.append(-1)  # malformed
                continue
            broken = response.status_code == 200 and any(r["nama"] is None for r in body["data"])
            out.append(-2 if broken else response.status_code)
        stats = app.state.simulator.stats()
    assert stats["calls"] == calls
    assert stats["faults"]["malformed"] == out.count(-1) and stats["faults"]["invalid"] == out.count(-2)
    assert stats["faults"]["429"] == out.count(429) and stats["faults"]["5xx"] == sum(s >= 500 for s in out)
    return out


def test_faults_come_at_the_configured_rate_and_repeat_with_the_seed(world: Snapshot) -> None:
    first = _statuses(9, world, 60)
    assert first == _statuses(9, world, 60)
    assert first != _statuses(10, world, 60)
    faulty = sum(s != 200 for s in first)
    assert 10 <= faulty <= 50
    assert {-1, -2, 429} <= set(first) and any(s >= 500 for s in first)


def test_the_invalid_fault_breaks_exactly_one_record(server: tuple[httpx.Client, Simulator], world: Snapshot) -> None:
    client, _ = server
    client.post("/_sim/faults", json={"rate": 1.0, "weights": {"invalid": 1.0}})
    data = client.get("/siasn/v1/pegawai", params={"limit": 50}).json()["data"]
    short = [r["nip"] for r in data if len(r["nip"]) != 18]
    assert len(data) == 50 and len(short) == 1 and len(short[0]) == 17
    assert client.get("/_sim/stats").json()["faults"]["invalid"] == 1


def test_the_malformed_fault_cuts_the_body(server: tuple[httpx.Client, Simulator]) -> None:
    client, _ = server
    client.post("/_sim/faults", json={"rate": 1.0, "weights": {"malformed": 1.0}})
    response = client.get("/siasn/v1/instansi")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_fault_settings_are_checked(server: tuple[httpx.Client, Simulator]) -> None:
    client, _ = server
    assert client.post("/_sim/faults", json={"weights": {"gempa": 1}}).status_code == 400
    assert client.post("/_sim/faults", json={"rate": 2}).status_code == 400
    assert client.post("/_sim/faults", json={"kecepatan": 2}).status_code == 400
    assert client.post("/_sim/faults", json={"rate": 0.25, "latency_ms": 5}).json()["rate"] == 0.25


def test_serving_is_loopback_only(world: Snapshot) -> None:
    app = build_app(world, token=TOKEN)
    with pytest.raises(ValueError, match="loopback"):
        serve_in_thread(app, host="0.0.0.0")


def test_the_cli_refuses_a_host_that_is_not_loopback(tmp_path: Path) -> None:
    result = CliRunner().invoke(simulate, ["--snapshot", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "loopback" in result.output and "0.0.0.0" in result.output


def test_the_cli_refuses_a_bad_snapshot(tmp_path: Path) -> None:
    result = CliRunner().invoke(simulate, ["--snapshot", str(tmp_path / "tidak-ada")])
    assert result.exit_code == 2 and "tidak ditemukan" in result.output


def test_the_cli_serves_a_snapshot_and_prints_how_to_reach_it(tmp_path: Path, world: Snapshot) -> None:
    write_snapshot(world, tmp_path / "snap")
    code = "from selaras.cli.simulate import simulate; simulate()"
    args = [sys.executable, "-c", code, "--snapshot", str(tmp_path / "snap"), "--port", "0", "--token", TOKEN]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().strip().split("=", 1) for _ in range(4))
        assert lines["SELARAS_SOURCE_TOKEN"] == TOKEN
        response = httpx.get(f"{lines['SELARAS_SIASN_URL']}/instansi", headers=AUTH)
        assert response.status_code == 200
        assert [r["instansi_id"] for r in response.json()["data"]] == world["instansi"]["instansi_id"].sort().to_list()
    finally:
        process.terminate()
        process.wait(10)
