"""Credentials that can be cut off: the login limit holds under concurrent attempts; tokens
expire and are listed and revoked (CLI, API, page); a new password, deactivation and
re-creation end every session and token at once; idle and absolute session timeouts.
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from test_web_api import ADMIN, OP, PASSWORD, Web
from test_web_api import web as web_fixture  # noqa: F401  (the fixture, by its name "web")

from selaras.cli import main
from selaras.store.tables import akun_sesi, akun_token
from selaras.usecases.accounts import LOGIN_LIMIT, create_account, create_token, token_id_of


@pytest.fixture
def web(web_fixture: Web) -> Web:  # noqa: F811
    """The app of ``test_web_api`` (two instansi, every role)."""
    return web_fixture


@pytest.fixture
def server(web: Web) -> Iterator[str]:
    """The app served by uvicorn on an ephemeral loopback port (real concurrent requests)."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_login_limit_holds_for_attempts_sent_at_once(web: Web, server: str) -> None:
    def attempt(i: int) -> int:
        with httpx.Client(base_url=server, timeout=60) as c:
            r = c.post("/api/v1/auth/token", data={"username": ADMIN, "password": f"salah-{i}"})
            return r.status_code

    barrier_ok = Counter[int]()
    with ThreadPoolExecutor(max_workers=40) as pool:
        for status in pool.map(attempt, range(40)):
            barrier_ok[status] += 1
    assert barrier_ok[401] <= LOGIN_LIMIT, barrier_ok
    assert barrier_ok[401] + barrier_ok[429] == 40, barrier_ok
    # The right password is refused too while the limit holds.
    with httpx.Client(base_url=server) as c:
        r = c.post("/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD})
    assert r.status_code == 429 and "15 menit" in r.json()["detail"]


def _refused(web: Web, session: object, token: str) -> None:
    assert session.get("/api/v1/saya").status_code == 401  # type: ignore[attr-defined]
    assert session.get("/rekap", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]
    bearer = web.client()
    bearer.headers["Authorization"] = f"Bearer {token}"
    assert bearer.get("/api/v1/saya").status_code == 401


def _signed_in(web: Web, username: str) -> tuple[object, str]:
    session, _csrf = web.login(username)
    token = create_token(web.store, username)
    assert session.get("/api/v1/saya").status_code == 200
    bearer = web.client()
    bearer.headers["Authorization"] = f"Bearer {token}"
    assert bearer.get("/api/v1/saya").status_code == 200
    return session, token


def test_revoking_a_token_from_the_api_and_the_page(web: Web) -> None:
    token = create_token(web.store, ADMIN, "skrip")
    other = create_token(web.store, ADMIN, "lain")
    c = web.client()
    c.headers["Authorization"] = f"Bearer {token}"
    listed = c.get("/api/v1/saya/token").json()
    assert {t["token_id"] for t in listed} >= {token_id_of(token), token_id_of(other)}
    assert all("token_hash" not in t and t["aktif"] for t in listed)
    assert c.delete(f"/api/v1/saya/token/{token_id_of(other)}").status_code == 204
    refused = web.client()
    refused.headers["Authorization"] = f"Bearer {other}"
    assert refused.get("/api/v1/saya").status_code == 401
    assert c.delete(f"/api/v1/saya/token/{token_id_of(other)}").status_code == 404
    # Another account's token cannot be revoked (404, as if it did not exist).
    op_token = create_token(web.store, OP)
    assert c.delete(f"/api/v1/saya/token/{token_id_of(op_token)}").status_code == 404

    page, csrf = web.login(ADMIN)
    html = page.get("/akun").text
    assert token_id_of(token) in html and "dicabut" in html
    r = page.post(f"/akun/token/{token_id_of(token)}/cabut", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/v1/saya").status_code == 401


def test_new_password_deactivation_and_recreation_end_everything(web: Web) -> None:
    runner = CliRunner()
    url = str(web.store.engine.url.render_as_string(hide_password=False))

    session, token = _signed_in(web, ADMIN)
    out = runner.invoke(main, ["akun", "sandi", ADMIN, "--db", url, "--password", "sandi-baru-123"])
    assert out.exit_code == 0, out.output
    _refused(web, session, token)
    web.login(ADMIN, "sandi-baru-123")  # the new password works

    session, token = _signed_in(web, OP)
    out = runner.invoke(main, ["akun", "nonaktif", OP, "--db", url])
    assert out.exit_code == 0, out.output
    _refused(web, session, token)
    anon = web.client()
    assert anon.post("/api/v1/auth/token", data={"username": OP, "password": PASSWORD}).status_code == 401
    assert runner.invoke(main, ["akun", "aktif", OP, "--db", url]).exit_code == 0
    web.login(OP)

    session, token = _signed_in(web, OP)
    create_account(web.store, OP, "sandi-lain-456", "operator", "Operator", npsn="10000001")
    _refused(web, session, token)


def test_cli_lists_and_revokes_tokens(web: Web) -> None:
    runner = CliRunner()
    url = str(web.store.engine.url.render_as_string(hide_password=False))
    out = runner.invoke(main, ["akun", "token", ADMIN, "--db", url, "--hari", "7", "--label", "skrip"])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    listing = runner.invoke(main, ["akun", "token-daftar", ADMIN, "--db", url])
    assert token_id_of(token) in listing.output and "skrip" in listing.output and "aktif" in listing.output
    assert runner.invoke(main, ["akun", "cabut", ADMIN, token_id_of(token), "--db", url]).exit_code == 0
    c = web.client()
    c.headers["Authorization"] = f"Bearer {token}"
    assert c.get("/api/v1/saya").status_code == 401
    again = runner.invoke(main, ["akun", "cabut", ADMIN, token_id_of(token), "--db", url])
    assert again.exit_code == 2 and "sudah dicabut" in again.output
    assert "dicabut" in runner.invoke(main, ["akun", "token-daftar", ADMIN, "--db", url]).output
    assert runner.invoke(main, ["akun", "token", "tidak-ada", "--db", url]).exit_code == 2


def test_expired_tokens_and_timed_out_sessions_are_refused(web: Web) -> None:
    token = create_token(web.store, ADMIN, days=1)
    c = web.client()
    c.headers["Authorization"] = f"Bearer {token}"
    assert c.get("/api/v1/saya").status_code == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    with web.store.write() as conn:
        conn.execute(sa.update(akun_token).where(akun_token.c.token_id == token_id_of(token)).values(kedaluwarsa=past))
    assert c.get("/api/v1/saya").status_code == 401

    idle, _csrf = web.login(ADMIN)
    absolute, _csrf = web.login(ADMIN)
    assert idle.get("/api/v1/saya").status_code == 200 and absolute.get("/api/v1/saya").status_code == 200
    value = {"idle": idle.cookies.get("selaras_sesi"), "absolute": absolute.cookies.get("selaras_sesi")}
    from selaras.usecases.accounts import _sha

    with web.store.write() as conn:
        conn.execute(
            sa.update(akun_sesi)
            .where(akun_sesi.c.sesi_hash == _sha(str(value["idle"])))
            .values(terakhir=datetime.now(UTC) - timedelta(minutes=31))
        )
        conn.execute(
            sa.update(akun_sesi).where(akun_sesi.c.sesi_hash == _sha(str(value["absolute"]))).values(kedaluwarsa=past)
        )
    assert idle.get("/api/v1/saya").status_code == 401
    assert absolute.get("/api/v1/saya").status_code == 401


def test_sign_out_everywhere_from_the_page(web: Web) -> None:
    first, _csrf = web.login(ADMIN)
    second, csrf = web.login(ADMIN)
    page = second.get("/akun").text
    assert re.search(r"[2-9] sesi terbuka", page)
    r = second.post("/akun/keluar-semua", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk"
    assert first.get("/api/v1/saya").status_code == 401
    assert second.get("/api/v1/saya").status_code == 401
