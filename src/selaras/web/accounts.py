"""Accounts, password hashing, sessions, API tokens and the login rate limit (kept in the store,
whose SQL is in ``store/accounts.py``).

Passwords are hashed with argon2id. Session cookies and API tokens are random; the store keeps
only their SHA-256, so a copy of the database opens no session. Sessions end after
``SESSION_HOURS`` (absolute) or ``SELARAS_SESI_IDLE_MENIT`` minutes unused (idle, default 30);
tokens after ``SELARAS_TOKEN_HARI`` days (default 90, or as given when made). A new password,
deactivation or re-creation of an account ends all its sessions and tokens at once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from selaras.store import accounts as db
from selaras.store import tanda
from selaras.store.database import Store

SESSION_HOURS = 12
"""A session's absolute lifetime."""
SESSION_IDLE_MINUTES = 30
"""A session unused this long ends (setting: ``SELARAS_SESI_IDLE_MENIT``)."""
SESSION_TOUCH = timedelta(seconds=60)
"""A session's last use is written at most this often (not on every request)."""
TOKEN_DAYS = 90
"""An API token's default lifetime (setting: ``SELARAS_TOKEN_HARI``)."""
TOKEN_DAYS_MAX = 366
LOGIN_LIMIT = 5
"""Login attempts per username and address within ``LOGIN_WINDOW`` before logins are refused
(a success starts the count again)."""
LOGIN_WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "slr_"
SSO_PREFIX = "sso:"
"""The username of the account row a single sign-on person acts through is this plus the NIP."""


def _setting(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError as e:
        raise AccountError(f"{name} harus bilangan bulat, bukan {raw!r}") from e
    if not low <= value <= high:
        raise AccountError(f"{name} harus antara {low} dan {high}")
    return value


def session_idle() -> timedelta:
    """The idle timeout of sessions (``SELARAS_SESI_IDLE_MENIT``, default 30 minutes)."""
    return timedelta(minutes=_setting("SELARAS_SESI_IDLE_MENIT", SESSION_IDLE_MINUTES, 1, SESSION_HOURS * 60))


def token_days() -> int:
    """The default lifetime of new API tokens in days (``SELARAS_TOKEN_HARI``, default 90)."""
    return _setting("SELARAS_TOKEN_HARI", TOKEN_DAYS, 1, TOKEN_DAYS_MAX)


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
    MONITOR = "monitor"
    PIMPINAN = "pimpinan"  # the head of the agency: reads what is escalated to them


PERAN_LABEL = {
    Peran.PEGAWAI: "Pegawai",
    Peran.OPERATOR: "Operator Sekolah",
    Peran.ADMIN: "Admin Instansi",
    Peran.DINAS: "Dinas Pendidikan",
    Peran.NASIONAL: "Admin Nasional",
    Peran.MONITOR: "Pemantau Layanan",
    Peran.PIMPINAN: "Pimpinan Instansi",
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


def _row_akun(row: Any) -> Akun:
    return Akun(row.username, Peran(row.peran), row.nama, row.nip, row.npsn, row.instansi_id, bool(row.aktif))


def _validate(peran: Peran, nip: str | None, npsn: str | None, instansi_id: str | None) -> None:
    if peran is Peran.PEGAWAI and not nip:
        raise AccountError("akun pegawai memerlukan NIP")
    if peran is Peran.OPERATOR and not npsn:
        raise AccountError("akun operator sekolah memerlukan NPSN")
    if peran in (Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN) and not instansi_id:
        raise AccountError("akun admin instansi, dinas pendidikan dan pimpinan instansi memerlukan instansi")


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
    db.replace_accounts(store, [row])
    return Akun(username, peran, nama, nip, npsn, instansi_id)


def create_accounts(store: Store, rows: list[dict[str, object]], password_hash: str) -> int:
    """Create many accounts sharing one password hash (the demo); existing usernames are
    re-created (their sessions and tokens end)."""
    now = _now()
    full = [
        {"password_hash": password_hash, "aktif": True, "dibuat": now, "nip": None, "npsn": None, "instansi_id": None}
        | r
        for r in rows
    ]
    db.replace_accounts(store, full)
    return len(full)


def get_account(store: Store, username: str) -> Akun | None:
    """The account ``username``, or None."""
    row = db.account_row(store, username)
    return _row_akun(row) if row else None


def accounts_of(store: Store, *, peran: Peran | None = None, npsn: str | None = None) -> list[Akun]:
    """Accounts, filtered by role and school."""
    return [_row_akun(r) for r in db.account_rows(store, peran=peran.value if peran else None, npsn=npsn)]


def reset_password(store: Store, username: str, password: str) -> None:
    """Set a new password; every session and token of the account ends at once."""
    if len(password) < 8:
        raise AccountError("kata sandi minimal 8 karakter")
    if not db.set_password(store, username, hash_password(password)):
        raise AccountError(f"akun {username} tidak ada")


def set_active(store: Store, username: str, aktif: bool) -> None:
    """Activate or deactivate an account; deactivation ends every session and token at once."""
    if not db.set_active(store, username, aktif):
        raise AccountError(f"akun {username} tidak ada")


class RateLimited(Exception):
    """Too many failed logins for this username and address."""


def retry_after() -> str:
    """The ``Retry-After`` of a refused login, in seconds: the window in which failures are counted."""
    return str(int(LOGIN_WINDOW.total_seconds()))


def authenticate(store: Store, username: str, password: str, address: str) -> Akun | None:
    """The account when ``password`` is right; None otherwise. Raises :class:`RateLimited`.

    Failures are counted per username and address in the store, so every process of the
    server shares the limit; a success clears the count.
    """
    kunci = f"{username.lower()}|{address}"
    now = _now()
    # The attempt is counted before the password is checked, in one statement: attempts sent
    # at once cannot all read a count below the limit.
    if db.count_login_attempt(store, kunci, now, LOGIN_WINDOW) > LOGIN_LIMIT:
        raise RateLimited
    row = db.account_row(store, username)
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and row is not None and row.aktif):
        return None
    db.clear_login_attempts(store, kunci, now - 4 * LOGIN_WINDOW)
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
    db.insert_session(
        store,
        {
            "sesi_hash": _sha(value),
            "username": username,
            "csrf": csrf,
            "dibuat": now,
            "kedaluwarsa": now + timedelta(hours=SESSION_HOURS),
            "terakhir": now,
        },
        now,
    )
    return value, csrf


def session(store: Store, value: str) -> Sesi | None:
    """The live session of cookie ``value`` with its active account, or None (also past its
    absolute end or idle too long; such a session is deleted)."""
    key = _sha(value)
    row = db.session_row(store, key)
    if row is None or not row.aktif:
        return None
    now = _now()
    if _aware(row.kedaluwarsa) < now or _aware(row.terakhir) + session_idle() < now:
        db.delete_session(store, key)
        return None
    if now - _aware(row.terakhir) > SESSION_TOUCH:
        db.touch_session(store, key, now)
    return Sesi(_row_akun(row), row.csrf)


def close_session(store: Store, value: str) -> None:
    """End the session of cookie ``value``."""
    db.delete_session(store, _sha(value))


def end_sessions(store: Store, username: str) -> int:
    """End every session of ``username`` (sign out everywhere); how many there were."""
    return db.end_sessions(store, username)


def session_count(store: Store, username: str) -> int:
    """How many sessions of ``username`` are open."""
    return db.session_count(store, username, _now())


# -------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """An API token as listed (never its value)."""

    token_id: str
    label: str
    dibuat: datetime
    kedaluwarsa: datetime
    dicabut: bool

    @property
    def aktif(self) -> bool:
        return not self.dicabut and self.kedaluwarsa > _now()

    def json(self) -> dict[str, Any]:
        """As JSON for the API."""
        return {
            "token_id": self.token_id,
            "label": self.label,
            "dibuat": self.dibuat.isoformat(),
            "kedaluwarsa": self.kedaluwarsa.isoformat(),
            "dicabut": self.dicabut,
            "aktif": self.aktif,
        }


def create_token(store: Store, username: str, label: str = "api", days: int | None = None) -> str:
    """A new API token for ``username`` valid ``days`` (default: the setting); shown once, the
    store keeps its hash and a short id to list and revoke it by."""
    if get_account(store, username) is None:
        raise AccountError(f"akun {username} tidak ada")
    days = token_days() if days is None else days
    if not 1 <= days <= TOKEN_DAYS_MAX:
        raise AccountError(f"masa berlaku token harus 1..{TOKEN_DAYS_MAX} hari")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _sha(token)
    now = _now()
    db.insert_token(
        store,
        {
            "token_hash": digest,
            "token_id": digest[:12],
            "username": username,
            "label": label,
            "dibuat": now,
            "kedaluwarsa": now + timedelta(days=days),
            "dicabut": False,
        },
    )
    return token


def token_id_of(token: str) -> str:
    """The public id of a token value."""
    return _sha(token)[:12]


def list_tokens(store: Store, username: str) -> list[Token]:
    """The tokens of ``username``, newest first."""
    return [
        Token(r.token_id, r.label, _aware(r.dibuat), _aware(r.kedaluwarsa), bool(r.dicabut))
        for r in db.token_rows(store, username)
    ]


def revoke_token(store: Store, username: str, token_id: str) -> bool:
    """Revoke one token of ``username``; False when it has no live token of that id."""
    return db.revoke_token_rows(store, username, token_id) > 0


def revoke_tokens(store: Store, username: str) -> int:
    """Revoke every token of ``username``; how many were live."""
    return db.revoke_token_rows(store, username)


def token_account(store: Store, token: str) -> Akun | None:
    """The active account of a live API token (not revoked, not expired), or None."""
    row = db.token_account_row(store, _sha(token))
    if row is None or not row.aktif or _aware(row.token_kedaluwarsa) < _now():
        return None
    return _row_akun(row)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ------------------------------------------------- demo store, references, own password

DEMO_MARK = "demo"


def mark_demo_store(store: Store) -> None:
    """Mark ``store`` as made by ``selaras demo``: only such a store gets demo accounts."""
    tanda.set_mark(store, DEMO_MARK, "selaras demo", _now())


def is_demo_store(store: Store) -> bool:
    """Whether ``selaras demo`` made ``store``."""
    return tanda.mark(store, DEMO_MARK) is not None


def new_usernames(store: Store, usernames: list[str]) -> set[str]:
    """Which of ``usernames`` have no account yet."""
    return set(usernames) - db.existing_usernames(store, usernames)


_REFERENCE_WORDS = {
    "nip": "NIP {} tidak ada di data SIASN penyimpanan ini",
    "npsn": "NPSN {} tidak ada di data sekolah (Dapodik) penyimpanan ini",
    "instansi": "instansi {} tidak ada di penyimpanan ini",
}


def check_references(store: Store, nip: str | None, npsn: str | None, instansi_id: str | None) -> None:
    """Refuse (:class:`AccountError`, naming each) a NIP, NPSN or instansi the store does not know."""
    missing = db.unknown_references(store, nip=nip, npsn=npsn, instansi_id=instansi_id)
    if missing:
        raise AccountError("; ".join(_REFERENCE_WORDS[what].format(value) for what, value in missing))


def password_ok(store: Store, username: str, password: str) -> bool:
    """Whether ``password`` is the current password of ``username`` (in ``store``'s transaction)."""
    row = db.account_row(store, username)
    try:
        return bool(_hasher.verify(row.password_hash if row else _DUMMY_HASH, password)) and row is not None
    except (VerificationError, InvalidHashError):
        return False


def count_password_attempt(store: Store, username: str) -> bool:
    """Count one attempt to change ``username``'s own password; False once past the limit
    (the same limit as logins: guessing the old password from a stolen session is slow)."""
    return db.count_login_attempt(store, f"{username.lower()}|ganti-sandi", _now(), LOGIN_WINDOW) <= LOGIN_LIMIT


def clear_password_attempts(store: Store, username: str) -> None:
    """Forget the attempts of ``username`` to change the own password (it succeeded)."""
    db.clear_login_attempts(store, f"{username.lower()}|ganti-sandi", _now() - 4 * LOGIN_WINDOW)


def replace_password_keeping(
    store: Store, username: str, password_hash: str, *, sesi: str | None = None, token: str | None = None
) -> tuple[int, int]:
    """Set ``password_hash``; every other session and token of ``username`` ends, the session
    cookie ``sesi`` or API token ``token`` of the request stays. (sessions ended, tokens revoked)."""
    return db.set_password_keeping(
        store,
        username,
        password_hash,
        keep_sesi=_sha(sesi) if sesi else None,
        keep_token=_sha(token) if token else None,
    )
