"""PostgreSQL going away under the web (issue 23, fault 1): every endpoint of every role
answers 503 with the Indonesian message, never a 500 and never a dropped connection; when
the server is back, every endpoint answers as before.

The test never stops the shared server. Twice over: the web reaches the shared server through a
TCP proxy that the test starts on a free port and cuts (every open connection closed, new ones
refused) and then opens again on the same port; and the web runs on a PostgreSQL server the
test makes itself (initdb, a free port) and restarts with ``pg_ctl stop -m fast`` / ``start``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from services import pg_database, unavailable
from test_web_api import ADMIN, DINAS, NASIONAL, OP, PASSWORD, two_instansi_rows
from world import G1, KS, TAHUN

from selaras.cli.akun import seed_demo_accounts
from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.simulation.simulator import RunningServer, serve_in_thread
from selaras.store.database import Store
from selaras.store.logs import record_run
from selaras.store.snapshots import save_snapshot
from selaras.usecases.accounts import create_token
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

pytestmark = pytest.mark.postgres

ROLES = [G1, KS, OP, ADMIN, DINAS, NASIONAL]
DOWN = "Basis data tidak dapat dihubungi"
STORE_FREE = {
    ("GET", "/masuk"),
    ("GET", "/api/docs"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/favicon.ico"),
    ("GET", "/healthz"),
    ("GET", "/masuk/sso"),  # single sign-on is not configured here: 404, store or not
    ("GET", "/masuk/sso/kembali"),
}
"""Endpoints that answer without the store (the login form, the API's description, the icon,
the liveness probe: a process whose store is down is alive, and restarting it would not help)."""
PROBES = {"/readyz", "/metrics"}
"""What an orchestrator or Prometheus asks: 503 naming the store, not a page."""
SIGN_IN = {("POST", "/api/v1/auth/token"), ("POST", "/masuk")}
PATH_VALUES = {
    "nip": G1,
    "token": "t" * 32,  # a well-formed one-time link token (none is stored: 404 when the store answers)
    "log_id": "1",
    "job_id": "1",
    "periode_id": "P-2026",
    "unor_id": "U-SD1",
    "skp_id": "X",
    "token_id": "abcdef012345",
}


class Proxy:
    """A TCP proxy from a free loopback port to the shared PostgreSQL server."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = 0
        self._pipes: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self.up()

    def up(self) -> None:
        """Listen (again, on the same port) and forward every connection."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def down(self) -> None:
        """As a server that stops: every open connection closed, new ones refused."""
        listener, self._listener = self._listener, None
        if listener is not None and self._accepting is not None:
            self._accepting.join(5)
            listener.close()
        with self._guard:
            pipes, self._pipes = self._pipes, set()
        for s in pipes:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            ready, _, _ = select.select([listener], [], [], 0.05)
            if not ready or self._listener is not listener:
                continue
            client, _ = listener.accept()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._guard:
                self._pipes |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class OwnPostgres:
    """A PostgreSQL server of the test's own (initdb in a temporary folder, a free port),
    stopped and started as an administrator restarts one: never the shared server."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="selaras-pg-"))
        self.data = self.folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.user: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            try:
                shutil.chown(self.folder, "postgres")
            except LookupError:
                unavailable("running as root without a postgres user to run a PostgreSQL server as")
            self.user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.up()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.user, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            unavailable(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")

    def up(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def down(self) -> None:
        """Stop the server as ``pg_ctl stop -m fast`` does: every session ended at once."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        self.down()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Site:
    """The web over a PostgreSQL store reached through ``proxy``, with a client per role."""

    proxy: Proxy | OwnPostgres
    server: RunningServer
    routes: list[tuple[str, str, bool]]
    tokens: dict[str, httpx.Client] = field(default_factory=dict)
    sessions: dict[str, tuple[httpx.Client, str]] = field(default_factory=dict)

    def requests(self) -> Iterator[tuple[str, httpx.Client, str, str, dict[str, Any]]]:
        """(who, client, method, path, request arguments) for every endpoint of every role:
        the API with the role's token, the pages with its session (and CSRF token)."""
        for who in ROLES:
            for method, path, api in self.routes:
                if (method, path) in SIGN_IN:
                    continue  # asked without credentials, with a whole form: below
                if api:
                    yield who, self.tokens[who], method, path, {"json": {}}
                else:
                    client, csrf = self.sessions[who]
                    # A form's own fields too, where a page asks no session (a one-time password link).
                    form = {"csrf_token": csrf, "password": PASSWORD, "ulang": PASSWORD}
                    yield who, client, method, path, {"data": form}
        anonymous = httpx.Client(base_url=self.server.url)
        yield "-", anonymous, "POST", "/api/v1/auth/token", {"data": {"username": ADMIN, "password": PASSWORD}}
        pra = re.search(r'name="pra" value="([^"]+)"', anonymous.get("/masuk").text).group(1)  # type: ignore[union-attr]
        yield "-", anonymous, "POST", "/masuk", {"data": {"username": ADMIN, "password": PASSWORD, "pra": pra}}


def _flat(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, also inside included routers (FastAPI keeps those
    as their own branch since 0.16x; older versions copied their routes into the app)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def _routes(app: Any) -> list[tuple[str, str, bool]]:
    """Every (method, concrete path, is API) of the app, path parameters filled in."""
    found = []
    for template, methods in _flat(app.routes):
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), template)
        for method in sorted(methods - {"HEAD"}):
            if (method, path) not in STORE_FREE:
                found.append((method, path, path.startswith("/api/")))
    return sorted(set(found))


def _login(url: str, username: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=url)
    pra = re.search(r'name="pra" value="([^"]+)"', c.get("/masuk").text).group(1)  # type: ignore[union-attr]
    r = c.post("/masuk", data={"username": username, "password": PASSWORD, "pra": pra})
    assert r.status_code == 303, r.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/akun").text)
    assert csrf is not None
    return c, csrf.group(1)


@contextmanager
def _cut_server() -> Iterator[tuple[Proxy | OwnPostgres, str]]:
    """A TCP proxy to a fresh database of the shared server, and its URL."""
    proxy = Proxy()
    try:
        with pg_database() as url:
            yield proxy, re.sub(r"127\.0\.0\.1:5432", f"127.0.0.1:{proxy.port}", url)
    finally:
        proxy.down()


@contextmanager
def _own_server() -> Iterator[tuple[Proxy | OwnPostgres, str]]:
    """A PostgreSQL server the test starts, and its URL."""
    server = OwnPostgres()
    try:
        yield server, server.url
    finally:
        server.remove()


@pytest.fixture(params=["proxy", "restart"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """The web over PostgreSQL behind a proxy the test cuts, or over a server it restarts."""
    make = _cut_server if request.param == "proxy" else _own_server
    with make() as (proxy, url):
        store = Store.open(url)
        snap = Snapshot.from_rows(two_instansi_rows())
        save_snapshot(store, snap)
        seed_demo_accounts(store, PASSWORD)
        record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
        # Not started: the jobs wait in the store; the test is about the requests.
        app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
        server = serve_in_thread(app)
        try:
            s = Site(proxy, server, _routes(app))
            for who in ROLES:
                s.tokens[who] = httpx.Client(
                    base_url=server.url, headers={"Authorization": f"Bearer {create_token(store, who)}"}
                )
                s.sessions[who] = _login(server.url, who)
            yield s
        finally:
            server.stop()
            store.dispose()


def _answers(site: Site, *, safe_only: bool = False) -> dict[tuple[str, str, str], httpx.Response]:
    got = {}
    for who, client, method, path, kwargs in site.requests():
        if safe_only and method != "GET":
            continue
        got[(who, method, path)] = client.request(method, path, **kwargs)
    return got


def test_every_endpoint_of_every_role_answers_503_while_postgresql_is_down(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELARAS_METRIK_TTL", "0")  # /metrics reads the store on every scrape, not its cache
    assert len(site.routes) > 40  # pages and API: the app's own list, not a copy of it
    before = _answers(site, safe_only=True)
    assert all(r.status_code < 500 for r in before.values()), {k: r.status_code for k, r in before.items()}

    site.proxy.down()
    down = _answers(site)
    wrong = {k: (r.status_code, r.text[:200]) for k, r in down.items() if r.status_code != 503 or DOWN not in r.text}
    assert not wrong, wrong
    for (_who, _m, path), r in down.items():
        assert r.headers["cache-control"] == "no-store" and "default-src" in r.headers["content-security-policy"]
        if path.startswith("/api/"):
            assert r.json()["detail"].startswith(DOWN)
        elif path in PROBES:
            assert DOWN in r.text  # a machine's answer in its own format (JSON, Prometheus text)
        else:
            assert '<html lang="id">' in r.text

    site.proxy.up()
    after = _answers(site, safe_only=True)
    was = {k: r.status_code for k, r in before.items()}
    changed = {k: (was[k], r.status_code) for k, r in after.items() if r.status_code != was[k]}
    assert not changed, changed


def test_requests_during_a_restart_are_answered_never_500_never_dropped(site: Site) -> None:
    """Requests keep coming while the server goes away and comes back: each is answered, as
    before or with the 503 and its message."""
    reads = [(c, "/api/v1/saya") for c in site.tokens.values()]
    reads += [(site.sessions[who][0], p) for who, p in ((ADMIN, "/rekap"), (KS, "/skp"), (G1, "/skp"), (OP, "/kerja"))]
    bad: list[tuple[str, str]] = []
    counts = {"ok": 0, "503": 0}
    stop = threading.Event()

    def hammer(client: httpx.Client, path: str) -> None:
        while not stop.is_set():
            try:
                r = client.get(path)
            except httpx.HTTPError as e:
                bad.append((path, f"no answer: {e!r}"))
                continue
            if r.status_code == 503 and DOWN in r.text:
                counts["503"] += 1
            elif r.status_code == 200:
                counts["ok"] += 1
            else:
                bad.append((path, f"{r.status_code}: {r.text[:200]}"))

    threads = [threading.Thread(target=hammer, args=rp, daemon=True) for rp in reads]
    for t in threads:
        t.start()
    time.sleep(1.0)
    site.proxy.down()
    time.sleep(1.0)
    site.proxy.up()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(30)
    assert not bad, bad[:10]
    assert counts["ok"] and counts["503"], counts
    for client, path in reads:
        assert client.get(path).status_code == 200, path
