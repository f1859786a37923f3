"""Health, readiness and metrics for the people who run a deployment.

- ``GET /healthz``: the process answers (no store, no broker: a liveness probe must not restart
  a healthy web process because the database is down).
- ``GET /readyz``: the store answers, its schema is at the latest migration, and the broker
  answers when one is used (``SELARAS_BROKER``, or the jobs go to Celery); 503 naming each
  failure in Indonesian.
- ``GET /metrics``: Prometheus' text format (``prometheus_client``): requests and latency by
  route template, jobs by status and the oldest waiting job's age, each pegawai's latest sync
  outcome by code, runs and their pegawai, waiting jobs a source failed, open escalation items.
  Readable from the loopback (``SELARAS_METRIK_LOOPBACK``, default on) or with the API token of
  a monitoring account (peran ``monitor``).
- ``SELARAS_LOG_JSON=1``: log lines as JSON, each with the request id of the request it belongs
  to (``X-Request-ID``: taken from the request when sane, else made, and sent back).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders

from selaras.domain.akun import Peran
from selaras.store import health as db
from selaras.store.database import Store
from selaras.usecases.accounts import token_account

router = APIRouter(include_in_schema=False)
log = logging.getLogger("selaras.web")

METRICS_TTL = 15.0
"""Seconds the store's numbers are kept between scrapes (each read scans the state table;
setting: ``SELARAS_METRIK_TTL``)."""
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("selaras_request_id", default="-")


def loopback_allowed() -> bool:
    """Whether ``/metrics`` answers any caller on the loopback (``SELARAS_METRIK_LOOPBACK``,
    default ``1``; set ``0`` behind a reverse proxy on the same machine)."""
    return os.environ.get("SELARAS_METRIK_LOOPBACK", "1").strip().lower() not in ("0", "false", "tidak", "no")


# ------------------------------------------------------------------------------ readiness


def ping_broker(url: str, timeout: float = 3.0) -> None:
    """Connect to the Celery broker at ``url`` once (raises when it does not answer)."""
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def configured_broker(runner: object = None) -> str:
    """The broker to check: ``SELARAS_BROKER``, or the default one when this app hands its
    jobs to Celery; empty when none is used."""
    broker = os.environ.get("SELARAS_BROKER", "").strip()
    if broker or runner is None:
        return broker
    from selaras.jobs.engine import CeleryDispatcher, broker_url

    return broker_url() if isinstance(runner, CeleryDispatcher) else ""


def readiness(store: Store, runner: object = None) -> list[str]:
    """What keeps this process from serving, in Indonesian; empty when ready."""
    problems: list[str] = []
    try:
        current = db.current_revision(store)
    except Exception as e:  # any driver error: the probe reports, never raises
        log.warning("readyz: store unreachable: %s", e)
        problems.append("Basis data tidak dapat dihubungi.")
    else:
        head = db.head_revision()
        if current != head:
            problems.append(
                f"Skema basis data belum mutakhir (revisi {current or 'kosong'}, seharusnya {head}): "
                "jalankan migrasi (selaras serve/worker memigrasi saat mulai)."
            )
    broker = configured_broker(runner)
    if broker:
        try:
            ping_broker(broker)
        except Exception as e:
            log.warning("readyz: broker unreachable: %s", e)
            problems.append("Broker antrean (SELARAS_BROKER) tidak dapat dihubungi.")
    return problems


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "hidup"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when store, schema and broker are fine; else 503 with each reason."""
    ctx = request.app.state.ctx
    problems = await run_in_threadpool(readiness, ctx.store, ctx.runner)
    if problems:
        return JSONResponse({"status": "belum siap", "masalah": problems}, status_code=503)
    return JSONResponse({"status": "siap", "masalah": []})


# -------------------------------------------------------------------------------- metrics


class StoreCollector:
    """The store's numbers as Prometheus metric families, read at most every ``METRICS_TTL``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cached: tuple[db.StoreMetrics, float] | None = None

    def read(self) -> db.StoreMetrics:
        """The store's numbers, from the cache when fresh."""
        now = time.monotonic()
        ttl = float(os.environ.get("SELARAS_METRIK_TTL") or METRICS_TTL)
        if self._cached is not None and now - self._cached[1] < ttl:
            return self._cached[0]
        m = db.store_metrics(self.store)
        self._cached = (m, now)
        return m

    def refresh(self) -> None:
        """Forget the cache: the next scrape reads the store."""
        self._cached = None

    def collect(self) -> Any:
        """The metric families (called by ``generate_latest``)."""
        m = self.read()
        jobs = GaugeMetricFamily("selaras_jobs", "Pekerjaan sinkron per status.", labels=["status"])
        for status in ("ANTRE", "JALAN", "SELESAI"):
            jobs.add_metric([status], m.jobs.get(status, 0))
        yield jobs
        age = 0.0
        if m.oldest_queued is not None:
            age = max(0.0, (datetime.now(UTC) - m.oldest_queued).total_seconds())
        yield GaugeMetricFamily(
            "selaras_job_antre_tertua_detik", "Umur pekerjaan tertua yang masih antre (detik).", value=age
        )
        outcomes = GaugeMetricFamily(
            "selaras_sinkron_pegawai",
            "Hasil terakhir tiap pegawai per alur, status dan kode (kosong bila tanpa kendala).",
            labels=["flow", "status", "kode"],
        )
        for (flow, status, kode), n in sorted(m.outcomes.items()):
            outcomes.add_metric([flow, status, kode], n)
        yield outcomes
        runs = CounterMetricFamily(
            "selaras_sinkron_run", "Pemeriksaan dan sinkron yang dijalankan.", labels=["mode", "flow"]
        )
        pegawai = CounterMetricFamily(
            "selaras_sinkron_run_pegawai",
            "Pegawai dalam pemeriksaan dan sinkron, per hasil (semua, gagal, tersinkron).",
            labels=["mode", "flow", "hasil"],
        )
        for (mode, flow), (n, semua, gagal, tersinkron) in sorted(m.runs.items()):
            runs.add_metric([mode, flow], n)
            pegawai.add_metric([mode, flow, "semua"], semua)
            pegawai.add_metric([mode, flow, "gagal"], gagal)
            pegawai.add_metric([mode, flow, "tersinkron"], tersinkron)
        yield runs
        yield pegawai
        sources = GaugeMetricFamily(
            "selaras_sumber_gagal_pekerjaan",
            "Pekerjaan antre yang percobaan terakhirnya gagal karena sumber tidak dapat dihubungi.",
            labels=["sumber"],
        )
        for source, n in sorted(m.source_failures.items()):
            sources.add_metric([source], n)
        yield sources
        items = GaugeMetricFamily(
            "selaras_eskalasi_terbuka", "Butir eskalasi yang masih terbuka, per pihak.", labels=["pihak"]
        )
        for pihak, n in sorted(m.escalations.items()):
            items.add_metric([pihak], n)
        yield items


class Metrics:
    """A registry per app: the request counters and the store collector."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "selaras_http_permintaan",
            "Permintaan HTTP per metode, rute dan status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "selaras_http_durasi_detik",
            "Lama menjawab permintaan HTTP per rute (detik).",
            ["method", "route"],
            registry=self.registry,
        )
        self.store = StoreCollector(store)
        self.registry.register(self.store)  # type: ignore[arg-type]


def _may_read_metrics(request: Request) -> bool:
    host = request.client.host if request.client else ""
    if loopback_allowed() and host in LOOPBACK:
        return True
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return False
    a = token_account(request.app.state.ctx.store, auth[7:].strip())
    return a is not None and a.peran is Peran.MONITOR


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus' text format; 403 unless from the loopback or with a monitoring token."""
    if not await run_in_threadpool(_may_read_metrics, request):
        return JSONResponse(
            {"detail": "Metrik hanya untuk loopback atau token akun pemantau (peran monitor).", "galat": []},
            status_code=403,
        )
    registry: CollectorRegistry = request.app.state.metrics.registry
    data = await run_in_threadpool(generate_latest, registry)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


# ------------------------------------------------------------ request metrics and log lines


class RequestMetrics:
    """Counts and times every request by its route template (``/pegawai/{nip}``, never the
    NIP itself: one series per route), gives it a request id (``X-Request-ID``) that every log
    line of the request carries, and logs one line per request. Plain ASGI, as SecurityHeaders."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if _REQUEST_ID.match(sent) else secrets.token_hex(8)
        token = request_id.set(rid)
        start = time.perf_counter()
        status = [500]

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "-"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            log.info("%s %s %s %.1f ms", method, template, status[0], elapsed * 1000)
            request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "waktu": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pesan": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_logs_wanted() -> bool:
    """``SELARAS_LOG_JSON`` set to 1/true/ya."""
    return os.environ.get("SELARAS_LOG_JSON", "").strip().lower() in ("1", "true", "ya", "yes")


def install_json_logs() -> None:
    """Every log line of the process as JSON with the request id (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
