"""Health, readiness and metrics (issue 20): what a load balancer, an orchestrator and
Prometheus ask, answered from the real store (SQLite and PostgreSQL), and PostgreSQL taken
away and given back through a loopback relay the test owns (the machine's server stays up)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from services import pg_database
from world import TAHUN, base_rows

from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot
from selaras.store.tables import eskalasi_butir
from selaras.usecases.accounts import create_account, create_token
from selaras.usecases.batch import work_once
from selaras.usecases.sync import sync_store
from selaras.web.app import create_app

LOCAL = ("127.0.0.1", 50000)


class Relay:
    """A TCP relay on the loopback to ``target``: ``stop()`` closes it and every connection
    through it (the server is gone, as far as the app can tell); ``start()`` opens it again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        """Accept connections and relay them."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every relayed connection."""
        if self.listener is not None:
            with contextlib.suppress(OSError):  # shutdown wakes the accepting thread: the port is free
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def _app(store: Store) -> Any:
    return create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)


def test_healthz_answers_without_the_store(store: Store) -> None:
    c = TestClient(_app(store))
    r = c.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "hidup"}
    assert r.headers["x-request-id"]
    assert c.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["x-request-id"] == "lb-42"


def test_readyz_names_an_old_schema_and_an_unreachable_broker(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    c = TestClient(_app(store))
    assert c.get("/readyz").json() == {"status": "siap", "masalah": []}
    monkeypatch.setenv("SELARAS_BROKER", "redis://127.0.0.1:9/0")  # the discard port: nothing listens
    r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["masalah"] == ["Broker antrean (SELARAS_BROKER) tidak dapat dihubungi."]
    monkeypatch.delenv("SELARAS_BROKER")
    from selaras.jobs.engine import CeleryDispatcher

    celery_app = create_app(store, CeleryDispatcher(store), tahun=TAHUN)  # the default broker: Redis here
    monkeypatch.setattr("selaras.jobs.engine.DEFAULT_BROKER", "redis://127.0.0.1:9/0")
    r = TestClient(celery_app).get("/readyz")
    assert r.status_code == 503 and r.json()["masalah"] == ["Broker antrean (SELARAS_BROKER) tidak dapat dihubungi."]
    with store.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0008'"))
    r = c.get("/readyz")
    assert r.status_code == 503
    (problem,) = r.json()["masalah"]
    assert problem.startswith("Skema basis data belum mutakhir (revisi 0008")


@pytest.mark.postgres
def test_readyz_is_503_while_postgresql_is_unreachable_and_200_when_back() -> None:
    with pg_database() as url:
        Store.open(url).dispose()  # migrated once, through the direct port
        relay = Relay(("127.0.0.1", 5432))
        relay.start()
        store = Store.open(url.replace(":5432/", f":{relay.port}/"))
        try:
            c = TestClient(_app(store))
            assert c.get("/readyz").status_code == 200
            relay.stop()
            r = c.get("/readyz")
            assert r.status_code == 503
            assert r.json() == {"status": "belum siap", "masalah": ["Basis data tidak dapat dihubungi."]}
            assert c.get("/healthz").status_code == 200  # alive, only not ready
            relay.start()
            r = c.get("/readyz")
            assert r.status_code == 200, r.text
        finally:
            relay.stop()
            store.dispose()


@pytest.fixture
def synced_world(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("SELARAS_METRIK_TTL", "0")
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    yield store


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_parse_and_move_when_a_sync_runs(synced_world: Store) -> None:
    store = synced_world
    c = TestClient(_app(store), client=LOCAL)
    before = _samples(c.get("/metrics").text)
    assert not any(name == "selaras_sinkron_run_total" for name, _ in before)
    assert before[("selaras_jobs", (("status", "ANTRE"),))] == 0
    sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji")
    c.get("/healthz")
    after = _samples(c.get("/metrics").text)
    assert after[("selaras_sinkron_run_total", (("flow", "skp"), ("mode", "SYNC")))] >= 1
    synced = after[("selaras_sinkron_run_pegawai_total", (("flow", "skp"), ("hasil", "tersinkron"), ("mode", "SYNC")))]
    assert synced >= 3
    latest = {k: v for k, v in after.items() if k[0] == "selaras_sinkron_pegawai"}
    assert sum(latest.values()) == 3  # one latest outcome per pegawai of the world
    assert after[("selaras_http_permintaan_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1
    assert after[("selaras_http_permintaan_total", (("method", "GET"), ("route", "/metrics"), ("status", "200")))] == 1


def test_metrics_count_jobs_and_the_oldest_waiting_age(synced_world: Store) -> None:
    store = synced_world
    app = _app(store)  # its runner is not started: the jobs stay queued
    app.state.ctx.runner.submit(["198502022010012002"], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh="uji")
    with store.write() as conn:
        conn.execute(sa.text("UPDATE sync_job SET dibuat = dibuat - INTERVAL '1 hour'")) if store.dialect == (
            "postgresql"
        ) else conn.execute(sa.text("UPDATE sync_job SET dibuat = datetime(dibuat, '-1 hour')"))
    m = _samples(TestClient(app, client=LOCAL).get("/metrics").text)
    assert m[("selaras_jobs", (("status", "ANTRE"),))] == 1
    assert 3500 < m[("selaras_job_antre_tertua_detik", ())] < 3700
    assert not any(k[0] == "selaras_sumber_gagal_pekerjaan" for k in m)
    # the job's source was down (as usecases/batch.py puts it back), and one escalation item is open
    with store.write() as conn:
        conn.execute(
            sa.text("UPDATE sync_job SET pesan = :p"), {"p": "SYS-01: PMM tidak dapat dihubungi (/skp): timeout"}
        )
        conn.execute(
            sa.insert(eskalasi_butir),
            [
                {
                    "instansi_id": "I1",
                    "tahun": TAHUN,
                    "flow": "skp",
                    "kode": "PMM-11",
                    "jenis": "kepala",
                    "kunci": "x",
                    "pihak": "KEPALA_SEKOLAH",
                    "pegawai": "[]",
                    "jumlah_pegawai": 2,
                    "pertama_terlihat": datetime.now(UTC),
                    "terakhir_berubah": datetime.now(UTC),
                }
            ],
        )
    m = _samples(TestClient(app, client=LOCAL).get("/metrics").text)
    assert m[("selaras_sumber_gagal_pekerjaan", (("sumber", "PMM"),))] == 1
    assert m[("selaras_eskalasi_terbuka", (("pihak", "KEPALA_SEKOLAH"),))] == 1


def test_metrics_only_from_the_loopback_or_with_a_monitoring_token(
    synced_world: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = synced_world
    app = _app(store)
    create_account(store, "prometheus", "rahasia-pantau-1", "monitor", "Prometheus")
    create_account(store, "admin-I1", "rahasia-admin-1", "admin", "Admin", instansi_id="I1")
    monitor, admin = create_token(store, "prometheus"), create_token(store, "admin-I1")
    remote = TestClient(app, client=("203.0.113.9", 40000))
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).status_code == 403
    r = remote.get("/metrics", headers={"Authorization": f"Bearer {monitor}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    # the monitoring token opens nothing else
    assert remote.get("/api/v1/saya", headers={"Authorization": f"Bearer {monitor}"}).status_code == 403
    browser = TestClient(app)  # nor does its password open a page
    pra = browser.get("/masuk").text.split('name="pra" value="', 1)[1].split('"', 1)[0]
    login = {"username": "prometheus", "password": "rahasia-pantau-1", "pra": pra}
    assert browser.post("/masuk", data=login, follow_redirects=False).status_code == 303
    for path in ("/", "/kerja", "/log", "/akun"):
        assert browser.get(path, follow_redirects=False).status_code == 403, path
    assert TestClient(app, client=LOCAL).get("/metrics").status_code == 200
    monkeypatch.setenv("SELARAS_METRIK_LOOPBACK", "0")  # behind a proxy on the same machine
    assert TestClient(app, client=LOCAL).get("/metrics").status_code == 403


def test_json_log_lines_carry_the_request_id(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import logging

    from selaras.web.health import JsonFormatter, install_json_logs

    monkeypatch.setenv("SELARAS_LOG_JSON", "1")
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        app = _app(store)  # installs the JSON handler on the root logger
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, JsonFormatter)
        install_json_logs()  # idempotent
        assert len([h for h in root.handlers if h not in before]) == 1
        out = io.StringIO()
        capture = logging.StreamHandler(out)
        capture.setFormatter(JsonFormatter())
        root.addHandler(capture)
        r = TestClient(app).get("/readyz")
        root.removeHandler(capture)
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        mine = [x for x in lines if x["logger"] == "selaras.web"]
        assert mine and all(x["request_id"] == r.headers["x-request-id"] for x in mine)
        assert mine[-1]["pesan"].startswith("GET /readyz 200")
    finally:
        root.handlers = before
        root.setLevel(level)
