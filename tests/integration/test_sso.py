"""Single sign-on against a real OpenID provider (oidc-provider, OpenID Certified, started on
the loopback by ``tests/oidc_provider.py``): its own login and consent forms, the code flow
with PKCE, state and nonce; roles from the data on every request, grants, the claim mapping,
a NIP unknown to the store, logout at the provider. Bad ID tokens (wrong audience, wrong
issuer, expired, no nonce) come from a small provider of the test's own that signs what it is
told to, so that the app's real callback, code exchange and Authlib validation refuse them.
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from world import G1, G2, KADIS, KS, NPSN, TAHUN, base_rows, row

from selaras.domain.akun import AccountError
from selaras.domain.pemberitahuan import Draft
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store import notices
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot
from selaras.store.tables import akun, audit_log, sync_job
from selaras.usecases import akun as uc
from selaras.usecases.accounts import create_account, set_active
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

APP = "http://testserver"
CALLBACK = f"{APP}/masuk/sso/kembali"
UNKNOWN = "199912312020121009"
ACCOUNTS = {
    "guru": {"nip": G1, "name": "Guru Satu"},
    "kepsek": {"nip": KS, "name": "Kepala Sekolah"},
    "guru2": {"nip": G2, "name": "Guru Dua", "groups": ["selaras-admin-I1"]},
    "asing": {"nip": UNKNOWN, "name": "Orang Asing"},
    "kadis": {"nip": KADIS, "name": "Kepala Dinas", "groups": ["selaras-pimpinan-I1"]},
    "tanpa-nip": {"name": "Tanpa NIP"},
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider([CALLBACK], [f"{APP}/masuk"], ACCOUNTS) as url:
        yield url


def _configure(monkeypatch: pytest.MonkeyPatch, issuer: str, **extra: str) -> None:
    monkeypatch.setenv("SELARAS_OIDC_ISSUER", issuer)
    monkeypatch.setenv("SELARAS_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SELARAS_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    for k, v in extra.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def app(store: Store, issuer: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    _configure(monkeypatch, issuer)
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    return create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)


def provider_login(location: str, login: str) -> str:
    """Go through the provider's own login and consent forms as a browser would; the URL it
    finally sends the browser to (the app's callback)."""
    with httpx.Client(follow_redirects=False, timeout=20) as idp:
        r = idp.get(location)
        for _ in range(12):
            if r.is_redirect:
                target = urljoin(str(r.url), r.headers["location"])
                if target.startswith(APP):
                    return target
                r = idp.get(target)
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', r.text)
            prompt = re.search(r'name="prompt" value="(\w+)"', r.text)
            assert action and prompt, r.text
            data = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                data |= {"login": login, "password": "apa saja"}
            r = idp.post(urljoin(str(r.url), html.unescape(action.group(1))), data=data)
    raise AssertionError("the provider never sent the browser back")


def sso_login(app: Any, login: str, lanjut: str = "/") -> tuple[TestClient, Any]:
    """A browser-like client through the whole flow; the callback's answer."""
    c = TestClient(app)
    r = c.get(f"/masuk/sso?lanjut={lanjut}", follow_redirects=False)
    assert r.status_code == 303, r.text
    back = provider_login(r.headers["location"], login)
    answer = c.get(back.removeprefix(APP), follow_redirects=False)
    return c, answer


def test_login_page_offers_sso_beside_the_local_login(app: Any) -> None:
    page = TestClient(app).get("/masuk")
    assert 'data-testid="masuk-sso"' in page.text
    assert 'name="password"' in page.text


def test_authorization_request_uses_pkce_state_and_nonce(app: Any) -> None:
    r = TestClient(app).get("/masuk/sso", follow_redirects=False)
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["response_type"] == ["code"]
    assert q["code_challenge_method"] == ["S256"]
    assert len(q["code_challenge"][0]) >= 43 and len(q["state"][0]) >= 32 and len(q["nonce"][0]) >= 32
    assert "openid" in q["scope"][0].split()


def test_teacher_and_principal_sign_in_and_see_their_pages(app: Any, store: Store) -> None:
    c, r = sso_login(app, "guru", "/skp")
    assert r.status_code == 303 and r.headers["location"] == "/skp"
    page = c.get("/skp")
    assert page.status_code == 200 and "Guru" in page.text
    assert c.get("/sekolah").status_code == 403
    assert c.get(f"/pegawai/{G2}").status_code == 404
    k, r = sso_login(app, "kepsek")
    assert r.status_code == 303
    sekolah = k.get("/sekolah")
    assert sekolah.status_code == 200
    assert k.get(f"/pegawai/{G1}").status_code == 200
    with store.read() as conn:
        roles = dict(conn.execute(sa.select(akun.c.username, akun.c.peran).where(akun.c.username.like("sso:%"))).all())
    assert roles == {f"sso:{G1}": "pegawai", f"sso:{KS}": "pegawai"}


def test_a_replaced_principal_loses_the_principals_pages_on_the_next_request(app: Any, store: Store) -> None:
    k, _ = sso_login(app, "kepsek")
    assert k.get("/sekolah").status_code == 200
    rows = base_rows()
    row(rows, "dapodik_ptk", nip=KS)["tugas_tambahan"] = None
    row(rows, "dapodik_ptk", nip=G2)["tugas_tambahan"] = "Kepala Sekolah"
    save_snapshot(store, Snapshot.from_rows(rows))
    assert k.get("/sekolah").status_code == 403
    assert k.get(f"/pegawai/{G1}").status_code == 404
    assert k.get("/skp").status_code == 200  # still a teacher: their own page stays


def test_a_nip_gone_from_the_data_is_refused_on_the_next_request(app: Any, store: Store) -> None:
    c, _ = sso_login(app, "guru")
    rows = base_rows()
    rows["siasn_pegawai"] = [p for p in rows["siasn_pegawai"] if p["nip"] != G1]
    rows["dapodik_ptk"] = [p for p in rows["dapodik_ptk"] if p["nip"] != G1]
    save_snapshot(store, Snapshot.from_rows(rows))
    r = c.get("/skp")
    assert r.status_code == 403 and "tidak ada lagi di data Selaras" in r.text


def test_an_unknown_nip_gets_a_clear_page_and_no_account(app: Any, store: Store) -> None:
    _c, r = sso_login(app, "asing")
    assert r.status_code == 403
    assert f"NIP {UNKNOWN} belum ada di data Selaras" in r.text
    _c, r = sso_login(app, "tanpa-nip")
    assert r.status_code == 403 and "tidak membawa NIP" in r.text
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(akun)).scalar_one() == 0


def test_a_replayed_state_is_refused(app: Any) -> None:
    c = TestClient(app)
    r = c.get("/masuk/sso", follow_redirects=False)
    state_cookie = c.cookies.get("selaras_oidc")
    back = provider_login(r.headers["location"], "guru").removeprefix(APP)
    assert c.get(back, follow_redirects=False).status_code == 303
    replay = TestClient(app)
    replay.cookies.set("selaras_oidc", state_cookie or "", path="/masuk/sso")
    again = replay.get(back, follow_redirects=False)
    assert again.status_code == 400 and "sudah dipakai" in again.text
    assert "selaras_sesi" not in again.cookies
    # a callback from another browser (no state cookie) is refused before anything else
    other = TestClient(app).get(back, follow_redirects=False)
    assert other.status_code == 400 and "tidak cocok dengan peramban ini" in other.text


def test_grants_decide_the_role_and_revoking_ends_the_session_at_once(app: Any, store: Store) -> None:
    pelaku = uc.Pelaku("cli:uji", "cli")
    uc.grant(store, pelaku, G2, "admin", instansi_id="I1")
    c, _ = sso_login(app, "guru2")
    assert c.get("/rekap").status_code == 200
    uc.revoke(store, pelaku, G2)
    assert c.get("/rekap", follow_redirects=False).status_code == 303  # signed out: to /masuk
    c, _ = sso_login(app, "guru2")
    assert c.get("/rekap").status_code == 403  # a teacher again, as the data says
    with store.read() as conn:
        aksi = [r.aksi for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id))]
    assert aksi == ["BERI_PERAN", "CABUT_PERAN"]


def test_a_deactivated_sso_account_stays_deactivated(app: Any, store: Store) -> None:
    c, _ = sso_login(app, "guru")
    set_active(store, f"sso:{G1}", False)
    assert c.get("/skp", follow_redirects=False).status_code == 303  # its session ended
    _c, r = sso_login(app, "guru")
    assert r.status_code == 403 and "dinonaktifkan" in r.text
    set_active(store, f"sso:{G1}", True)
    c, r = sso_login(app, "guru")
    assert r.status_code == 303 and c.get("/skp").status_code == 200


def test_claim_mapping_gives_a_role(store: Store, issuer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _configure(
        monkeypatch,
        issuer,
        SELARAS_OIDC_KLAIM_PERAN="groups",
        SELARAS_OIDC_PETA_PERAN=json.dumps({"selaras-admin-I1": "admin:I1"}),
    )
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    c, _ = sso_login(app, "guru2")
    assert c.get("/rekap").status_code == 200
    g, _ = sso_login(app, "guru")  # no such group: the data decides
    assert g.get("/rekap").status_code == 403


def test_logout_ends_the_session_and_goes_to_the_providers_logout(app: Any, issuer: str) -> None:
    c, _ = sso_login(app, "guru")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/skp").text)
    assert csrf
    r = c.post("/keluar", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 200
    link = re.search(r'data-testid="keluar-sso"', r.text) and re.search(r'href="([^"]+)" data-testid', r.text)
    assert link
    end = urlsplit(html.unescape(link.group(1)))
    assert f"{end.scheme}://{end.netloc}" == issuer and end.path == "/session/end"
    q = parse_qs(end.query)
    assert q["post_logout_redirect_uri"] == [f"{APP}/masuk"] and q["client_id"] == [CLIENT_ID]
    assert c.get("/skp", follow_redirects=False).status_code == 303  # this session is over


def test_sso_sessions_reach_what_local_sessions_of_the_same_role_reach(app: Any, store: Store) -> None:
    """The RBAC of local accounts holds for single sign-on ones: same pages, same answers."""
    local_accounts = [
        (G1, "pegawai", {"nip": G1}),
        (KS, "pegawai", {"nip": KS}),
        (f"op-{NPSN}", "operator", {"npsn": NPSN}),
        ("admin-I1", "admin", {"instansi_id": "I1"}),
        ("dinas-I1", "dinas", {"instansi_id": "I1"}),
    ]
    for username, peran, where in local_accounts:
        create_account(store, username, "rahasia-uji-1", peran, username, **where)
    cli = uc.Pelaku("cli:uji", "cli")
    pages = [
        "/skp",
        "/sekolah",
        "/kerja",
        "/log",
        "/rekap",
        "/periode",
        "/unor",
        "/audit",
        "/akun/hak",
        f"/pegawai/{G1}",
        f"/pegawai/{G2}",
        f"/pegawai/{KS}",
        "/kerja/ekspor.csv",
        "/log/ekspor",
    ]

    def local(username: str) -> TestClient:
        c = TestClient(app)
        pra = re.search(r'name="pra" value="([^"]+)"', c.get("/masuk").text)
        assert pra
        r = c.post(
            "/masuk",
            data={"username": username, "password": "rahasia-uji-1", "pra": pra.group(1)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        return c

    cases = [
        ("guru", G1, None),
        ("kepsek", KS, None),
        ("guru2", f"op-{NPSN}", lambda: uc.grant(store, cli, G2, "operator", npsn=NPSN)),
        ("guru2", "admin-I1", lambda: uc.grant(store, cli, G2, "admin", instansi_id="I1")),
        ("kadis", "dinas-I1", lambda: uc.grant(store, cli, KADIS, "dinas", instansi_id="I1")),
    ]
    for sso_name, local_name, give in cases:
        if give is not None:
            give()
        s, _ = sso_login(app, sso_name)
        loc = local(local_name)
        got = {p: s.get(p, follow_redirects=False).status_code for p in pages}
        want = {p: loc.get(p, follow_redirects=False).status_code for p in pages}
        assert got == want, (sso_name, local_name)
        assert len(set(got.values())) > 1  # each role reaches some pages and not others


def _local(app: Any, username: str) -> TestClient:
    c = TestClient(app)
    pra = re.search(r'name="pra" value="([^"]+)"', c.get("/masuk").text)
    assert pra
    r = c.post(
        "/masuk", data={"username": username, "password": "rahasia-uji-1", "pra": pra.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303
    return c


def _csrf(c: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/akun").text)
    assert found
    return found.group(1)


PIMPINAN_PAGES = [
    "/",
    "/skp",
    "/sekolah",
    "/kerja",
    "/log",
    "/rekap",
    "/tahunan",
    "/periode",
    "/unor",
    "/audit",
    "/akun/hak",
    f"/pegawai/{G1}",
    f"/pegawai/{G2}",
    f"/pegawai/{KS}",
    f"/pegawai/{G1}/pak",
    "/kerja/ekspor.csv",
    "/log/ekspor",
    "/api/v1/eskalasi",
    "/api/v1/prakiraan",
    "/api/v1/eskalasi?instansi_id=I2",
]


def _same_as_local_pimpinan(app: Any, sso: TestClient, store: Store) -> None:
    """The single sign-on pimpinan reaches exactly what the local ``pimpinan-I1`` reaches: the
    same answer on every page, the escalation sent to the head of the agency, and no action."""
    loc = _local(app, "pimpinan-I1")
    got = {p: sso.get(p, follow_redirects=False).status_code for p in PIMPINAN_PAGES}
    want = {p: loc.get(p, follow_redirects=False).status_code for p in PIMPINAN_PAGES}
    assert got == want
    assert got["/rekap"] == 200 and got[f"/pegawai/{G1}"] == 200  # it reads its instansi
    assert got["/akun/hak"] == 403 and got["/kerja"] == 403  # and is no admin, no worker
    for c in (sso, loc):
        rekap = c.get("/rekap").text
        assert 'data-testid="eskalasi-pimpinan"' in rekap and "Eskalasi uji untuk pimpinan" in rekap
        token = _csrf(c)
        acts = {
            f"/pegawai/{G1}/sinkron": {"csrf_token": token},
            "/sinkron-massal": {"csrf_token": token, "semua": "1"},
            "/akun/hak": {"csrf_token": token, "nip": G1, "peran": "admin"},
        }
        for path, data in acts.items():
            assert c.post(path, data=data, follow_redirects=False).status_code == 403, path
    with store.read() as conn:
        assert not conn.execute(sa.select(sa.func.count()).select_from(sync_job)).scalar()


def test_a_pimpinan_granted_on_the_page_signs_in_by_sso_as_a_local_pimpinan(app: Any, store: Store) -> None:
    """An Admin Instansi grants the head of its agency on /akun/hak; by single sign-on that NIP
    then sees what the local Pimpinan Instansi account sees, and nothing more."""
    create_account(store, "admin-I1", "rahasia-uji-1", "admin", "Admin I1", instansi_id="I1")
    create_account(store, "pimpinan-I1", "rahasia-uji-1", "pimpinan", "Pimpinan I1", instansi_id="I1")
    notices.save(store, [Draft("pimpinan:I1", None, "PMM-12", "Eskalasi uji untuk pimpinan", "isi")])
    admin = _local(app, "admin-I1")
    form = admin.get("/akun/hak").text
    assert 'value="pimpinan">Pimpinan Instansi</option>' in form
    r = admin.post(
        "/akun/hak", data={"csrf_token": _csrf(admin), "nip": G2, "peran": "pimpinan"}, follow_redirects=False
    )
    assert r.status_code == 303
    rows = uc.grants(store, "I1")
    assert [(g["nip"], g["peran"], g["instansi_id"], g["diberikan_oleh"]) for g in rows] == [
        (G2, "pimpinan", "I1", "admin-I1")
    ]
    s, answer = sso_login(app, "guru2")
    assert answer.status_code == 303
    with store.read() as conn:
        made = conn.execute(sa.select(akun.c.peran, akun.c.instansi_id).where(akun.c.username == f"sso:{G2}")).one()
    assert tuple(made) == ("pimpinan", "I1")
    _same_as_local_pimpinan(app, s, store)


def test_a_pimpinan_granted_on_the_command_line_or_mapped_from_a_claim_is_a_pimpinan(
    store: Store, issuer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``selaras akun hak NIP --peran pimpinan --instansi I1`` and the claim mapping
    ``pimpinan:I1`` give the same Pimpinan Instansi; a grant without an instansi is refused."""
    _configure(
        monkeypatch,
        issuer,
        SELARAS_OIDC_KLAIM_PERAN="groups",
        SELARAS_OIDC_PETA_PERAN=json.dumps({"selaras-pimpinan-I1": "pimpinan:I1"}),
    )
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    create_account(store, "pimpinan-I1", "rahasia-uji-1", "pimpinan", "Pimpinan I1", instansi_id="I1")
    notices.save(store, [Draft("pimpinan:I1", None, "PMM-12", "Eskalasi uji untuk pimpinan", "isi")])
    cli = uc.Pelaku("cli:uji", "cli")
    with pytest.raises(AccountError, match="pimpinan instansi memerlukan instansi"):
        uc.grant(store, cli, G1, "pimpinan")
    uc.grant(store, cli, G1, "pimpinan", instansi_id="I1")
    granted, _ = sso_login(app, "guru")
    _same_as_local_pimpinan(app, granted, store)
    mapped, _ = sso_login(app, "kadis")
    _same_as_local_pimpinan(app, mapped, store)
    with store.read() as conn:
        roles = dict(
            conn.execute(sa.select(akun.c.username, akun.c.instansi_id).where(akun.c.peran == "pimpinan")).all()
        )
    assert roles == {"pimpinan-I1": "I1", f"sso:{G1}": "I1", f"sso:{KADIS}": "I1"}


# ------------------------------------------------------ ID tokens the library must refuse


class BadProvider:
    """A provider of the test's own on the loopback: discovery, keys, and a token endpoint
    whose ID token carries whatever claims the test sets (signed with its real key)."""

    def __init__(self, named_issuer: str | None = None) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "uji-1"}, private=True)
        self.claims: dict[str, Any] = {}
        self.named_issuer = named_issuer
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": owner.named_issuer or owner.issuer,
                            "authorization_endpoint": f"{owner.issuer}/auth",
                            "token_endpoint": f"{owner.issuer}/token",
                            "jwks_uri": f"{owner.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json(KeySet([owner.key]).as_dict(private=False))
                else:
                    self.send_response(404)
                    self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = jwt.encode({"alg": "RS256", "kid": "uji-1"}, owner.claims, owner.key)
                self._json({"access_token": "at-uji", "token_type": "Bearer", "expires_in": 60, "id_token": token})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def bad() -> Iterator[BadProvider]:
    p = BadProvider()
    yield p
    p.server.shutdown()


@pytest.mark.parametrize("case", ["sah", "audiens-lain", "penerbit-lain", "kedaluwarsa", "tanpa-nonce", "nonce-lain"])
def test_id_tokens_are_checked_by_the_library(
    case: str, store: Store, bad: BadProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, bad.issuer)
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    c = TestClient(app)
    r = c.get("/masuk/sso", follow_redirects=False)
    q = parse_qs(urlsplit(r.headers["location"]).query)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": bad.issuer,
        "sub": "guru",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": q["nonce"][0],
        "nip": G1,
    }
    if case == "audiens-lain":
        claims["aud"] = "aplikasi-lain"
    elif case == "penerbit-lain":
        claims["iss"] = "http://127.0.0.1:1"
    elif case == "kedaluwarsa":
        claims["iat"], claims["exp"] = now - 3600, now - 600
    elif case == "tanpa-nonce":
        del claims["nonce"]
    elif case == "nonce-lain":
        claims["nonce"] = "bukan-nonce-permintaan-ini"
    bad.claims = claims
    answer = c.get(f"/masuk/sso/kembali?code=kode-uji&state={q['state'][0]}", follow_redirects=False)
    if case == "sah":  # the same path with a sound token signs in: the refusals are the checks'
        assert answer.status_code == 303
        assert c.get("/skp").status_code == 200
        return
    assert answer.status_code == 401
    assert "Token identitas dari layanan SSO tidak sah" in answer.text
    assert "selaras_sesi" not in answer.cookies


def test_a_provider_naming_another_issuer_is_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    other = BadProvider(named_issuer="https://penerbit-lain.contoh")
    try:
        _configure(monkeypatch, other.issuer)
        save_snapshot(store, Snapshot.from_rows(base_rows()))
        c = TestClient(create_app(store, JobRunner(store, run=work_once), tahun=TAHUN))
        q = parse_qs(urlsplit(c.get("/masuk/sso", follow_redirects=False).headers["location"]).query)
        now = int(time.time())
        other.claims = {
            "iss": other.issuer,
            "sub": "guru",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": q["nonce"][0],
            "nip": G1,
        }
        r = c.get(f"/masuk/sso/kembali?code=kode-uji&state={q['state'][0]}", follow_redirects=False)
        assert r.status_code == 503 and "penerbit lain" in r.text
    finally:
        other.server.shutdown()
