"""Accounts, password hashing, sessions, API tokens and the login rate limit (all in the store).

Passwords are hashed with argon2id. Session cookies and API tokens are random; the store keeps
only their SHA-256, so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from selaras.store.database import Store
from selaras.store.tables import akun, akun_sesi, akun_token, login_gagal

SESSION_HOURS = 12
LOGIN_LIMIT = 5
"""Failed logins per username and address within ``LOGIN_WINDOW`` before logins are refused."""
LOGIN_WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "slr_"

_hasher = PasswordHasher()
# Verifying an unknown username costs as much as a known one: no timing hint of which exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


class Peran(StrEnum):
    """Account roles. A principal (kepala sekolah) is a pegawai account; see ``access``."""

    PEGAWAI = "pegawai"
    OPERATOR = "operator"
    ADMIN = "admin"
    DINAS = "dinas"
    NASIONAL = "nasional"


PERAN_LABEL = {
    Peran.PEGAWAI: "Pegawai",
    Peran.OPERATOR: "Operator Sekolah",
    Peran.ADMIN: "Admin Instansi",
    Peran.DINAS: "Dinas Pendidikan",
    Peran.NASIONAL: "Admin Nasional",
}


@dataclass(frozen=True)
class Akun:
    """One account as stored (without its password hash)."""

    username: str
    peran: Peran
    nama: str
    nip: str | None = None
    npsn: str | None = None
    instansi_id: str | None = None
    aktif: bool = True


class AccountError(ValueError):
    """An account that cannot be created as asked."""


def _now() -> datetime:
    return datetime.now(UTC)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def _row_akun(row: sa.Row) -> Akun:
    return Akun(row.username, Peran(row.peran), row.nama, row.nip, row.npsn, row.instansi_id, bool(row.aktif))


def _validate(peran: Peran, nip: str | None, npsn: str | None, instansi_id: str | None) -> None:
    if peran is Peran.PEGAWAI and not nip:
        raise AccountError("akun pegawai memerlukan NIP")
    if peran is Peran.OPERATOR and not npsn:
        raise AccountError("akun operator sekolah memerlukan NPSN")
    if peran in (Peran.ADMIN, Peran.DINAS) and not instansi_id:
        raise AccountError("akun admin instansi dan dinas pendidikan memerlukan instansi")


def create_account(
    store: Store,
    username: str,
    password: str,
    peran: Peran | str,
    nama: str,
    *,
    nip: str | None = None,
    npsn: str | None = None,
    instansi_id: str | None = None,
    password_hash: str | None = None,
    email: str | None = None,
) -> Akun:
    """Create (or replace) one account; ``password_hash`` skips hashing ``password`` again."""
    peran = Peran(peran)
    _validate(peran, nip, npsn, instansi_id)
    if not username or (len(password) < 8 and password_hash is None):
        raise AccountError("nama pengguna wajib dan kata sandi minimal 8 karakter")
    row = {
        "username": username,
        "password_hash": password_hash or hash_password(password),
        "peran": peran.value,
        "nama": nama,
        "nip": nip,
        "npsn": npsn,
        "instansi_id": instansi_id,
        "aktif": True,
        "dibuat": _now(),
        "email": email,
    }
    with store.write() as conn:
        conn.execute(sa.delete(akun).where(akun.c.username == username))
        conn.execute(sa.insert(akun), [row])
    return Akun(username, peran, nama, nip, npsn, instansi_id)


def create_accounts(store: Store, rows: list[dict[str, object]], password_hash: str) -> int:
    """Create many accounts sharing one password hash (the demo); existing usernames are replaced."""
    now = _now()
    full = [
        {"password_hash": password_hash, "aktif": True, "dibuat": now, "nip": None, "npsn": None, "instansi_id": None}
        | r
        for r in rows
    ]
    with store.write() as conn:
        names = [r["username"] for r in full]
        for i in range(0, len(names), 500):
            conn.execute(sa.delete(akun).where(akun.c.username.in_(names[i : i + 500])))
        if full:
            conn.execute(sa.insert(akun), full)
    return len(full)


def get_account(store: Store, username: str) -> Akun | None:
    """The account ``username``, or None."""
    with store.read() as conn:
        row = conn.execute(sa.select(akun).where(akun.c.username == username)).first()
    return _row_akun(row) if row else None


def accounts_of(store: Store, *, peran: Peran | None = None, npsn: str | None = None) -> list[Akun]:
    """Accounts, filtered by role and school."""
    q = sa.select(akun).order_by(akun.c.username)
    if peran is not None:
        q = q.where(akun.c.peran == peran.value)
    if npsn is not None:
        q = q.where(akun.c.npsn == npsn)
    with store.read() as conn:
        return [_row_akun(r) for r in conn.execute(q)]


class RateLimited(Exception):
    """Too many failed logins for this username and address."""


def authenticate(store: Store, username: str, password: str, address: str) -> Akun | None:
    """The account when ``password`` is right; None otherwise. Raises :class:`RateLimited`.

    Failures are counted per username and address in the store, so every process of the
    server shares the limit; a success clears the count.
    """
    kunci = f"{username.lower()}|{address}"
    now = _now()
    with store.read() as conn:
        failures = conn.execute(
            sa.select(sa.func.count())
            .select_from(login_gagal)
            .where(login_gagal.c.kunci == kunci, login_gagal.c.waktu > now - LOGIN_WINDOW)
        ).scalar_one()
        row = conn.execute(sa.select(akun).where(akun.c.username == username)).first()
    if failures >= LOGIN_LIMIT:
        raise RateLimited
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    with store.write() as conn:
        if ok and row is not None and row.aktif:
            conn.execute(sa.delete(login_gagal).where(login_gagal.c.kunci == kunci))
        else:
            conn.execute(sa.insert(login_gagal), [{"kunci": kunci, "waktu": now}])
            conn.execute(sa.delete(login_gagal).where(login_gagal.c.waktu < now - 4 * LOGIN_WINDOW))
            return None
    return _row_akun(row)


# ------------------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class Sesi:
    """A browser session: the account and the CSRF token of its forms."""

    akun: Akun
    csrf: str


def open_session(store: Store, username: str) -> tuple[str, str]:
    """Start a session; returns (cookie value, CSRF token)."""
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = _now()
    with store.write() as conn:
        conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.kedaluwarsa < now))
        conn.execute(
            sa.insert(akun_sesi),
            [
                {
                    "sesi_hash": _sha(value),
                    "username": username,
                    "csrf": csrf,
                    "dibuat": now,
                    "kedaluwarsa": now + timedelta(hours=SESSION_HOURS),
                }
            ],
        )
    return value, csrf


def session(store: Store, value: str) -> Sesi | None:
    """The live session of cookie ``value`` with its active account, or None."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(akun, akun_sesi.c.csrf, akun_sesi.c.kedaluwarsa)
            .join(akun_sesi, akun_sesi.c.username == akun.c.username)
            .where(akun_sesi.c.sesi_hash == _sha(value))
        ).first()
    if row is None or not row.aktif or _aware(row.kedaluwarsa) < _now():
        return None
    return Sesi(_row_akun(row), row.csrf)


def close_session(store: Store, value: str) -> None:
    """End the session of cookie ``value``."""
    with store.write() as conn:
        conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.sesi_hash == _sha(value)))


# -------------------------------------------------------------------------------- tokens


def create_token(store: Store, username: str, label: str = "api") -> str:
    """A new API token for ``username`` (shown once; the store keeps its hash)."""
    if get_account(store, username) is None:
        raise AccountError(f"akun {username} tidak ada")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.write() as conn:
        conn.execute(
            sa.insert(akun_token),
            [{"token_hash": _sha(token), "username": username, "label": label, "dibuat": _now(), "dicabut": False}],
        )
    return token


def revoke_tokens(store: Store, username: str) -> int:
    """Revoke every token of ``username``; how many were live."""
    with store.write() as conn:
        result = conn.execute(
            sa.update(akun_token)
            .where(akun_token.c.username == username, akun_token.c.dicabut == sa.false())
            .values(dicabut=True)
        )
    return result.rowcount or 0


def token_account(store: Store, token: str) -> Akun | None:
    """The active account of a live API token, or None."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(akun)
            .join(akun_token, akun_token.c.username == akun.c.username)
            .where(akun_token.c.token_hash == _sha(token), akun_token.c.dicabut == sa.false())
        ).first()
    return _row_akun(row) if row is not None and row.aktif else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
