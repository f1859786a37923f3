"""Accounts people can trust (issue 23, defect 2): demo accounts only on a demo store and
never over a password that was changed; ``akun tambah`` refuses what the store does not
know, naming it; a person changes their own password on ``/akun`` and in the API (old
password asked, every other session and token ends, audited).
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from test_web_api import ADMIN, PASSWORD, Web
from test_web_api import web as web_fixture  # noqa: F401  (the fixture, by its name "web")
from world import G1, G2, NPSN

from selaras.cli import main
from selaras.store.database import Store
from selaras.store.tables import audit_log
from selaras.usecases.accounts import authenticate, create_token, is_demo_store, mark_demo_store, session_count


@pytest.fixture
def web(web_fixture: Web) -> Web:  # noqa: F811
    """The app of ``test_web_api`` (two instansi, every role)."""
    return web_fixture


def _url(store: Store) -> str:
    return str(store.engine.url.render_as_string(hide_password=False))


def test_demo_accounts_only_on_a_demo_store_and_never_over_a_changed_password(web: Web) -> None:
    runner = CliRunner()
    url = _url(web.store)
    assert not is_demo_store(web.store)
    refused = runner.invoke(main, ["akun", "demo", "--db", url])
    assert refused.exit_code == 2
    assert "bukan penyimpanan demo" in refused.output and "selaras akun tambah" in refused.output

    mark_demo_store(web.store)
    assert is_demo_store(web.store)
    changed = runner.invoke(main, ["akun", "sandi", G1, "--db", url, "--password", "sandi-pribadi-9"])
    assert changed.exit_code == 0, changed.output
    again = runner.invoke(main, ["akun", "demo", "--db", url])
    assert again.exit_code == 0, again.output
    assert "0 akun dibuat" in again.output and "kata sandinya tidak diubah" in again.output
    # The changed password holds; the public one opens nothing; others keep theirs.
    assert authenticate(web.store, G1, "sandi-pribadi-9", "t") is not None
    assert authenticate(web.store, G1, "selaras-demo", "t") is None
    assert authenticate(web.store, G2, PASSWORD, "t") is not None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--peran", "pegawai", "--nip", "199001012020121999"], "NIP 199001012020121999"),
        (["--peran", "operator", "--npsn", "1234"], "NPSN 1234"),
        (["--peran", "admin", "--instansi", "I9"], "instansi I9"),
    ],
)
def test_akun_tambah_refuses_what_the_store_does_not_know(web: Web, args: list[str], named: str) -> None:
    out = CliRunner().invoke(
        main, ["akun", "tambah", "baru", "--nama", "Baru", *args, "--db", _url(web.store), "--password", "x" * 10]
    )
    assert out.exit_code == 2, out.output
    assert named in out.output and "tidak ada" in out.output
    assert authenticate(web.store, "baru", "x" * 10, "t") is None


def test_akun_tambah_accepts_what_the_store_knows(web: Web) -> None:
    out = CliRunner().invoke(
        main,
        ["akun", "tambah", "op-baru", "--peran", "operator", "--nama", "Operator Baru", "--npsn", NPSN]
        + ["--db", _url(web.store), "--password", "x" * 10],
    )
    assert out.exit_code == 0, out.output
    assert authenticate(web.store, "op-baru", "x" * 10, "t") is not None


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_a_person_changes_their_own_password_on_the_account_page(web: Web) -> None:
    here, csrf = web.login(G1)
    elsewhere, _ = web.login(G1)
    token = create_token(web.store, G1)
    bearer = web.client()
    bearer.headers["Authorization"] = f"Bearer {token}"
    page = here.get("/akun")
    assert 'action="/akun/sandi"' in page.text and 'name="sandi_lama"' in page.text

    wrong = here.post(
        "/akun/sandi",
        data={
            "csrf_token": csrf,
            "sandi_lama": "bukan-ini-1",
            "sandi_baru": "sandi-baru-77",
            "sandi_ulang": "sandi-baru-77",
        },
    )
    assert wrong.status_code == 403 and "Kata sandi lama salah" in wrong.text
    short = here.post(
        "/akun/sandi",
        data={"csrf_token": csrf, "sandi_lama": PASSWORD, "sandi_baru": "pendek", "sandi_ulang": "pendek"},
    )
    assert short.status_code == 422 and "minimal 8" in short.text
    assert authenticate(web.store, G1, PASSWORD, "t") is not None  # nothing changed yet
    assert here.post("/akun/sandi", data={"sandi_lama": PASSWORD, "sandi_baru": "sandi-baru-77"}).status_code == 403

    ok = here.post(
        "/akun/sandi",
        data={
            "csrf_token": csrf,
            "sandi_lama": PASSWORD,
            "sandi_baru": "sandi-baru-77",
            "sandi_ulang": "sandi-baru-77",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/akun?pesan=sandi"
    assert "Kata sandi diganti" in here.get(ok.headers["location"]).text  # this session stays
    assert elsewhere.get("/akun", follow_redirects=False).status_code == 303  # the other one ended
    assert bearer.get("/api/v1/saya").status_code == 401  # and the token
    assert session_count(web.store, G1) == 1
    assert authenticate(web.store, G1, PASSWORD, "t") is None
    assert authenticate(web.store, G1, "sandi-baru-77", "t") is not None
    with web.store.read() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.aksi == "GANTI_SANDI_SENDIRI")).all()
    assert [(r.username, r.sasaran) for r in rows] == [(G1, f"akun:{G1}")]
    assert '"token_dicabut": 1' in rows[0].sesudah and '"sesi_diakhiri": 1' in rows[0].sesudah
    assert "sandi-baru-77" not in str(rows[0]) and PASSWORD not in str(rows[0])


def test_a_person_changes_their_own_password_in_the_api(web: Web) -> None:
    mine = create_token(web.store, ADMIN)
    other = create_token(web.store, ADMIN)
    browser, _ = web.login(ADMIN)
    c = web.client()
    c.headers["Authorization"] = f"Bearer {mine}"
    wrong = c.post("/api/v1/saya/sandi", json={"sandi_lama": "salah-salah", "sandi_baru": "sandi-api-baru"})
    assert wrong.status_code == 403 and "Kata sandi lama salah" in wrong.json()["detail"]
    r = c.post("/api/v1/saya/sandi", json={"sandi_lama": PASSWORD, "sandi_baru": "sandi-api-baru"})
    assert r.status_code == 200, r.text
    assert r.json() == {"sesi_diakhiri": 1, "token_dicabut": 1}
    assert c.get("/api/v1/saya").status_code == 200  # the token that asked stays
    refused = web.client()
    refused.headers["Authorization"] = f"Bearer {other}"
    assert refused.get("/api/v1/saya").status_code == 401
    assert browser.get("/api/v1/saya").status_code == 401
    assert authenticate(web.store, ADMIN, "sandi-api-baru", "t") is not None


def test_guessing_the_old_password_is_limited(web: Web) -> None:
    c = web.client(G2)
    codes = [
        c.post("/api/v1/saya/sandi", json={"sandi_lama": f"tebak-{i}", "sandi_baru": "sandi-baru-88"}).status_code
        for i in range(7)
    ]
    assert codes[:5] == [403] * 5 and codes[-1] == 429
    right = c.post("/api/v1/saya/sandi", json={"sandi_lama": PASSWORD, "sandi_baru": "sandi-baru-88"})
    assert right.status_code == 429  # even the right one, while the limit holds
