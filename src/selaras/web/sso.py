"""Single sign-on with OpenID Connect (BKN's SSO, a ministry account, any certified provider).

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, through Authlib: the ID
token's signature (the provider's JWKS), issuer, audience, expiry and nonce are checked by the
library, never by hand. Each login under way is a row of ``oidc_state`` (the state's SHA-256,
its nonce and PKCE verifier), taken once when the provider sends the browser back, and bound
to that browser by a cookie: a replayed or forged callback finds nothing. The routes
(``/masuk/sso`` and its callback) are in ``web.sso_pages``.

Who the person is comes from the data, decided at every login (:func:`decide`), and checked
again on every request (``access.resolve``: a principal replaced in Dapodik is a teacher on the
next request; a NIP gone from the data is refused):

1. a role granted to the NIP by an admin (``selaras akun hak``, the page ``/akun/hak``);
2. else a role given by the configured claim mapping;
3. else a pegawai known to the store: a teacher, or the principal of the school led now;
4. else a clear page: the NIP is not in Selaras's data (no account is made).

Configuration (environment): ``SELARAS_OIDC_ISSUER``, ``SELARAS_OIDC_CLIENT_ID``,
``SELARAS_OIDC_CLIENT_SECRET``, ``SELARAS_OIDC_KLAIM_NIP`` (default ``nip``),
``SELARAS_OIDC_SCOPE`` (default ``openid profile``), ``SELARAS_OIDC_KLAIM_PERAN`` with
``SELARAS_OIDC_PETA_PERAN`` (JSON: claim value -> ``peran[:instansi or npsn]``),
``SELARAS_OIDC_LABEL`` (the button), ``SELARAS_OIDC_REDIRECT_URI`` (default: this server's
``/masuk/sso/kembali`` as the request reached it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OpenIDMixin
from fastapi import Request

from selaras.domain.akun import SSO_PREFIX, Akun, Peran
from selaras.store import reach, reads
from selaras.store import sso as db
from selaras.store.database import Store
from selaras.usecases import sso as sso_uc
from selaras.usecases.accounts import open_session

with warnings.catch_warnings():
    # Authlib prefers the httpx2 fork; httpx is the project's HTTP client and works with it.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

log = logging.getLogger("selaras.web.sso")

STATE_COOKIE = "selaras_oidc"
STATE_MINUTES = 10
"""A login under way must come back from the provider within this time."""
UNUSABLE_PASSWORD = "!sso"
"""The password hash of a single sign-on account row: no password ever matches it."""
SCOPED = {Peran.OPERATOR: "npsn", Peran.ADMIN: "instansi_id", Peran.DINAS: "instansi_id", Peran.PIMPINAN: "instansi_id"}
"""Which reach each granted role needs."""


class SsoError(Exception):
    """A login that cannot finish; ``pesan`` says why, in Indonesian."""

    def __init__(self, pesan: str, status: int = 400) -> None:
        super().__init__(pesan)
        self.pesan = pesan
        self.status = status


@dataclass(frozen=True)
class Setelan:
    """The single sign-on configuration from the environment."""

    issuer: str
    client_id: str
    client_secret: str
    klaim_nip: str = "nip"
    scope: str = "openid profile"
    klaim_peran: str | None = None
    peta_peran: tuple[tuple[str, str], ...] = ()
    label: str = "Masuk dengan SSO"
    redirect_uri: str | None = None


def setelan() -> Setelan | None:
    """The configuration, or None when single sign-on is off (no ``SELARAS_OIDC_ISSUER``)."""
    issuer = os.environ.get("SELARAS_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    peta = os.environ.get("SELARAS_OIDC_PETA_PERAN", "").strip()
    try:
        mapping = json.loads(peta) if peta else {}
        if not isinstance(mapping, dict):
            raise ValueError
    except ValueError as e:
        raise SsoError("SELARAS_OIDC_PETA_PERAN harus objek JSON: nilai klaim -> peran[:lingkup].", 503) from e
    return Setelan(
        issuer=issuer,
        client_id=os.environ.get("SELARAS_OIDC_CLIENT_ID", ""),
        client_secret=os.environ.get("SELARAS_OIDC_CLIENT_SECRET", ""),
        klaim_nip=os.environ.get("SELARAS_OIDC_KLAIM_NIP", "nip") or "nip",
        scope=os.environ.get("SELARAS_OIDC_SCOPE", "openid profile") or "openid profile",
        klaim_peran=os.environ.get("SELARAS_OIDC_KLAIM_PERAN") or None,
        peta_peran=tuple((str(k), str(v)) for k, v in mapping.items()),
        label=os.environ.get("SELARAS_OIDC_LABEL", "Masuk dengan SSO") or "Masuk dengan SSO",
        redirect_uri=os.environ.get("SELARAS_OIDC_REDIRECT_URI") or None,
    )


def sso_label() -> str | None:
    """The login page's single sign-on button, or None when it is off."""
    try:
        s = setelan()
    except SsoError:
        return None
    return s.label if s else None


# ---------------------------------------------------------------------- the OIDC client


class OidcClient(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]
    """Authlib's OpenID Connect client (the one its web framework integrations use), with a
    synchronous httpx session: discovery, PKCE, the code exchange, ID token validation."""

    client_cls = OAuth2Client


_clients: dict[Setelan, OidcClient] = {}
_clients_lock = threading.Lock()


def client(s: Setelan) -> OidcClient:
    """The client of configuration ``s`` (its discovery document and keys are kept)."""
    with _clients_lock:
        c = _clients.get(s)
        if c is None:
            c = OidcClient(
                FrameworkIntegration("selaras"),
                name="selaras",
                client_id=s.client_id,
                client_secret=s.client_secret,
                server_metadata_url=f"{s.issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": s.scope, "code_challenge_method": "S256", "timeout": 10},
            )
            _clients[s] = c
        return c


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def redirect_uri_of(request: Request, s: Setelan) -> str:
    """Where the provider sends the browser back: configured, or this server's callback."""
    return s.redirect_uri or str(request.url_for("sso_kembali"))


def _safe_target(lanjut: str) -> str:
    return lanjut if lanjut.startswith("/") and not lanjut.startswith("//") else "/"


def begin(store: Store, s: Setelan, redirect_uri: str, lanjut: str) -> tuple[str, str]:
    """Start a login: (the provider's authorization URL, the state for the browser's cookie)."""
    c = client(s)
    try:
        c.load_server_metadata()
    except Exception as e:
        log.warning("OIDC discovery failed: %s", e)
        raise SsoError(
            "Layanan SSO tidak dapat dihubungi. Coba lagi sebentar lagi atau masuk dengan akun lokal.", 503
        ) from e
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    rv = c.create_authorization_url(redirect_uri, state=state, nonce=nonce, code_verifier=verifier)
    now = datetime.now(UTC)
    sso_uc.remember_login(
        store,
        {
            "state_hash": _sha(state),
            "nonce": nonce,
            "verifier": verifier,
            "lanjut": _safe_target(lanjut),
            "kedaluwarsa": now + timedelta(minutes=STATE_MINUTES),
        },
        now,
    )
    return str(rv["url"]), state


def finish(
    store: Store, s: Setelan, redirect_uri: str, params: dict[str, str], cookie: str
) -> tuple[dict[str, Any], str]:
    """The provider sent the browser back: check the state (once, this browser's), exchange the
    code with the PKCE verifier, validate the ID token. The claims and where to go next."""
    if params.get("error"):
        raise SsoError(f"Layanan SSO menolak masuk: {params.get('error_description') or params['error']}.", 401)
    state = params.get("state", "")
    if not state or not cookie or not secrets.compare_digest(state, cookie):
        raise SsoError("Permintaan masuk SSO tidak cocok dengan peramban ini. Mulai lagi dari halaman Masuk.")
    row = sso_uc.take_login(store, _sha(state))
    if row is None:
        raise SsoError("Permintaan masuk SSO sudah dipakai atau tidak dikenal. Mulai lagi dari halaman Masuk.")
    kedaluwarsa = row.kedaluwarsa if row.kedaluwarsa.tzinfo else row.kedaluwarsa.replace(tzinfo=UTC)
    if kedaluwarsa < datetime.now(UTC):
        raise SsoError("Permintaan masuk SSO sudah kedaluwarsa. Mulai lagi dari halaman Masuk.")
    c = client(s)
    try:
        token = c.fetch_access_token(redirect_uri, code=params.get("code", ""), code_verifier=row.verifier)
    except httpx.TransportError as e:
        log.warning("OIDC token endpoint unreachable: %s", e)
        raise SsoError(
            "Layanan SSO tidak dapat dihubungi. Coba lagi sebentar lagi atau masuk dengan akun lokal.", 503
        ) from e
    except Exception as e:
        log.warning("OIDC code exchange failed: %s", e)
        raise SsoError("Kode masuk dari layanan SSO ditolak. Mulai lagi dari halaman Masuk.", 401) from e
    if "id_token" not in token:
        raise SsoError("Layanan SSO tidak mengirim token identitas.", 401)
    # The provider's issuer exactly as it writes it (with or without a final slash), once it is
    # the configured one: the token's ``iss`` must equal it.
    issuer = str(c.load_server_metadata().get("issuer") or "")
    if issuer.rstrip("/") != s.issuer:
        log.warning("OIDC discovery names issuer %r, configured %r", issuer, s.issuer)
        raise SsoError("Layanan SSO menyebut penerbit lain daripada yang diatur (SELARAS_OIDC_ISSUER).", 503)
    options = {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [s.client_id]},
        "nonce": {"essential": True},
    }
    try:
        claims = dict(c.parse_id_token(token, nonce=row.nonce, claims_options=options, leeway=60))
    except Exception as e:
        log.warning("OIDC ID token refused: %s", e)
        raise SsoError(
            "Token identitas dari layanan SSO tidak sah (penerbit, audiens, masa berlaku atau nonce).", 401
        ) from e
    if s.klaim_nip not in claims and c.load_server_metadata().get("userinfo_endpoint"):
        try:
            info = dict(c.userinfo(token=token))
        except Exception as e:
            log.warning("OIDC userinfo failed: %s", e)
            info = {}
        if info.get("sub") == claims.get("sub"):
            claims = {**info, **claims}
    return claims, str(row.lanjut)


# ----------------------------------------------------------------------- who the person is


def _mapped(s: Setelan, claims: dict[str, Any]) -> tuple[Peran, str | None] | None:
    if not s.klaim_peran or not s.peta_peran:
        return None
    values = claims.get(s.klaim_peran)
    given = {str(v) for v in values} if isinstance(values, list) else ({str(values)} if values else set())
    for key, target in s.peta_peran:
        if key in given:
            peran, _, lingkup = target.partition(":")
            try:
                return Peran(peran), lingkup or None
            except ValueError:
                log.warning("SELARAS_OIDC_PETA_PERAN: unknown role %r", peran)
    return None


def decide(store: Store, s: Setelan, claims: dict[str, Any]) -> Akun:
    """The account a signed-in person acts through, decided now from the grants, the claim
    mapping and the data; raises :class:`SsoError` (403) for a NIP the store does not know."""
    nip = str(claims.get(s.klaim_nip) or "").strip()
    if not nip:
        raise SsoError(f"Akun SSO Anda tidak membawa NIP (klaim {s.klaim_nip}). Hubungi admin SSO instansi Anda.", 403)
    username = SSO_PREFIX + nip
    nama = reads.names_of(store, [nip]).get(nip) or str(claims.get("name") or nip)
    grant = db.grant_row(store, nip)
    if grant is not None:
        return Akun(username, Peran(grant.peran), nama, nip, grant.npsn, grant.instansi_id)
    mapped = _mapped(s, claims)
    if mapped is not None:
        peran, lingkup = mapped
        field = SCOPED.get(peran)
        if field is None or lingkup:
            return Akun(
                username,
                peran,
                nama,
                nip,
                lingkup if field == "npsn" else None,
                lingkup if field == "instansi_id" else None,
            )
    if reach.pegawai_reach(store, nip).exists:
        return Akun(username, Peran.PEGAWAI, nama, nip)
    raise SsoError(
        f"NIP {nip} belum ada di data Selaras (SIASN), jadi belum ada halaman untuk Anda. "
        "Bila Anda pegawai ASN di instansi yang memakai Selaras, minta Admin Instansi memeriksa data "
        "kepegawaian Anda; perubahan terbaca setelah data berikutnya diimpor.",
        403,
    )


def sign_in(store: Store, a: Akun) -> str:
    """Write the account row as decided now (its other sessions stay) and open a session;
    :class:`SsoError` (403) when an admin deactivated the account (``selaras akun nonaktif``)."""
    aktif = sso_uc.put_account(
        store,
        {
            "username": a.username,
            "password_hash": UNUSABLE_PASSWORD,
            "peran": a.peran.value,
            "nama": a.nama,
            "nip": a.nip,
            "npsn": a.npsn,
            "instansi_id": a.instansi_id,
            "aktif": True,
            "dibuat": datetime.now(UTC),
        },
    )
    if not aktif:
        raise SsoError("Akun Anda di Selaras dinonaktifkan oleh admin. Hubungi Admin Instansi Anda.", 403)
    value, _csrf = open_session(store, a.username)
    return value


def logout_url(request: Request, username: str) -> str | None:
    """Where a single sign-on person goes after signing out here: the provider's logout
    (RP-initiated), which sends the browser back to the login page; None for local accounts."""
    if not username.startswith(SSO_PREFIX):
        return None
    try:
        s = setelan()
        if s is None:
            return None
        end = client(s).load_server_metadata().get("end_session_endpoint")
    except Exception as e:  # the provider is down: sign out here only
        log.warning("OIDC logout endpoint unavailable: %s", e)
        return None
    if not end:
        return None
    back = str(request.url_for("masuk"))
    return f"{end}?{urlencode({'client_id': s.client_id, 'post_logout_redirect_uri': back})}"
