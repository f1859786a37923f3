"""Accounts, password hashing, sessions, API tokens and the login rate limit (kept in the store,
whose SQL is in ``store/accounts.py``).

Passwords are hashed with argon2id. Session cookies and API tokens are random; the store keeps
only their SHA-256, so a copy of the database opens no session. Sessions end after
``SESSION_HOURS`` (absolute) or ``SELARAS_SESI_IDLE_MENIT`` minutes unused (idle, default 30);
tokens after ``SELARAS_TOKEN_HARI`` days (default 90, or as given when made). A new password,
deactivation or re-creation of an account ends all its sessions and tokens at once.

Every write is a use case: one unit of work (``store.uow.run``). An action someone takes on an
account (``pelaku``: the CLI's operator, an admin, the person themselves) commits with its audit
row; signing in and out (sessions, the login counter, a token got by signing in) is bookkeeping
and writes none.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from selaras.domain.akun import AccountError, Akun, Pelaku, Peran
from selaras.store import accounts as db
from selaras.store import tanda, uow
from selaras.store.admin import insert_audit
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


def _now() -> datetime:
    return datetime.now(UTC)


def cli_pelaku() -> Pelaku:
    """The command line as the one who acts: the deployment's operator, audited with the OS user."""
    try:
        return Pelaku(f"cli:{getpass.getuser()}", "cli")
    except Exception:  # noqa: BLE001 - no user name in some containers
        return Pelaku("cli", "cli")


def _audit(
    u: uow.UnitOfWork,
    pelaku: Pelaku | None,
    aksi: str,
    username: str,
    *,
    instansi_id: str | None = None,
    sebelum: Any = None,
    sesudah: Any = None,
) -> None:
    """The audit row of ``pelaku``'s action on account ``username``, in the use case's transaction.
    Without ``pelaku`` (a person signing in, the demo's seeding) there is none: bookkeeping, not an action."""
    if pelaku is None:
        return
    insert_audit(
        u.conn,
        username=pelaku.username,
        peran=pelaku.peran,
        aksi=aksi,
        sasaran=f"akun:{username}",
        instansi_id=instansi_id or pelaku.instansi_id,
        sebelum=sebelum,
        sesudah=sesudah,
    )


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
    pelaku: Pelaku | None = None,
) -> Akun:
    """Create (or replace) one account; ``password_hash`` skips hashing ``password`` again.
    One unit of work: the account, its ended sessions and tokens, and ``pelaku``'s audit row."""
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
    made = Akun(username, peran, nama, nip, npsn, instansi_id)

    def work(u: uow.UnitOfWork) -> None:
        before = db.account_row(u.store, username)
        db.replace_accounts(u.store, [row])
        _audit(
            u,
            pelaku,
            "BUAT_AKUN",
            username,
            instansi_id=instansi_id,
            sebelum=_akun_json(_row_akun(before)) if before is not None else None,
            sesudah=_akun_json(made),
        )

    uow.run(store, work, name="buat_akun", lock=False)
    return made


def _akun_json(a: Akun) -> dict[str, Any]:
    return {"peran": a.peran.value, "nama": a.nama, "nip": a.nip, "npsn": a.npsn, "instansi_id": a.instansi_id}


def create_accounts(
    store: Store, rows: list[dict[str, object]], password_hash: str, *, pelaku: Pelaku | None = None
) -> int:
    """Create many accounts sharing one password hash (the demo); existing usernames are
    re-created (their sessions and tokens end). One unit of work, with ``pelaku``'s audit row."""
    now = _now()
    full = [
        {"password_hash": password_hash, "aktif": True, "dibuat": now, "nip": None, "npsn": None, "instansi_id": None}
        | r
        for r in rows
    ]

    def work(u: uow.UnitOfWork) -> None:
        db.replace_accounts(u.store, full)
        if pelaku is not None:
            insert_audit(
                u.conn,
                username=pelaku.username,
                peran=pelaku.peran,
                aksi="BUAT_AKUN_MASSAL",
                sasaran="akun:*",
                instansi_id=pelaku.instansi_id,
                sesudah={"jumlah": len(full)},
            )

    uow.run(store, work, name="buat_akun", lock=False)
    return len(full)


def get_account(store: Store, username: str) -> Akun | None:
    """The account ``username``, or None."""
    row = db.account_row(store, username)
    return _row_akun(row) if row else None


def accounts_of(store: Store, *, peran: Peran | None = None, npsn: str | None = None) -> list[Akun]:
    """Accounts, filtered by role and school."""
    return [_row_akun(r) for r in db.account_rows(store, peran=peran.value if peran else None, npsn=npsn)]


def reset_password(store: Store, username: str, password: str, *, pelaku: Pelaku | None = None) -> None:
    """Set a new password; every session and token of the account ends at once (one unit of
    work with ``pelaku``'s audit row)."""
    if len(password) < 8:
        raise AccountError("kata sandi minimal 8 karakter")
    digest = hash_password(password)  # slow on purpose: outside the transaction

    def work(u: uow.UnitOfWork) -> None:
        row = db.account_row(u.store, username)
        if row is None or not db.set_password(u.store, username, digest):
            raise AccountError(f"akun {username} tidak ada")
        _audit(u, pelaku, "GANTI_SANDI", username, instansi_id=row.instansi_id)

    uow.run(store, work, name="ganti_sandi", lock=False)


def set_active(store: Store, username: str, aktif: bool, *, pelaku: Pelaku | None = None) -> None:
    """Activate or deactivate an account; deactivation ends every session and token at once
    (one unit of work with ``pelaku``'s audit row)."""

    def work(u: uow.UnitOfWork) -> None:
        row = db.account_row(u.store, username)
        if row is None or not db.set_active(u.store, username, aktif):
            raise AccountError(f"akun {username} tidak ada")
        aksi = "AKTIFKAN_AKUN" if aktif else "NONAKTIFKAN_AKUN"
        _audit(u, pelaku, aksi, username, instansi_id=row.instansi_id, sebelum={"aktif": bool(row.aktif)})

    uow.run(store, work, name="aktif_akun", lock=False)


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
    # The attempt is counted and committed before the password is checked (its own unit of
    # work, one statement): attempts sent at once cannot all read a count below the limit, and
    # the slow check holds no transaction.
    if _count_attempt(store, kunci, now) > LOGIN_LIMIT:
        raise RateLimited
    row = db.account_row(store, username)
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and row is not None and row.aktif):
        return None
    _clear_attempts(store, kunci, now)
    return _row_akun(row)


def _count_attempt(store: Store, kunci: str, now: datetime) -> int:
    """Count one attempt of ``kunci`` (login bookkeeping: its own unit of work, no audit row)."""
    return uow.run(
        store, lambda u: db.count_login_attempt(u.store, kunci, now, LOGIN_WINDOW), name="login_batas", lock=False
    )


def _clear_attempts(store: Store, kunci: str, now: datetime) -> None:
    """Forget ``kunci``'s attempts and windows long past (a success: its own unit of work)."""
    uow.run(
        store, lambda u: db.clear_login_attempts(u.store, kunci, now - 4 * LOGIN_WINDOW), name="login_batas", lock=False
    )


# ------------------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class Sesi:
    """A browser session: the account and the CSRF token of its forms."""

    akun: Akun
    csrf: str


def open_session(store: Store, username: str) -> tuple[str, str]:
    """Start a session (login bookkeeping: one unit of work, no audit row); returns (cookie
    value, CSRF token)."""
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = _now()
    row = {
        "sesi_hash": _sha(value),
        "username": username,
        "csrf": csrf,
        "dibuat": now,
        "kedaluwarsa": now + timedelta(hours=SESSION_HOURS),
        "terakhir": now,
    }
    uow.run(store, lambda u: db.insert_session(u.store, row, now), name="sesi", lock=False)
    return value, csrf


def session(store: Store, value: str) -> Sesi | None:
    """The live session of cookie ``value`` with its active account, or None (also past its
    absolute end or idle too long; such a session is deleted). Read on every request: a unit
    of work is opened only when the session ends or its last use is written."""
    key = _sha(value)
    row = db.session_row(store, key)
    if row is None or not row.aktif:
        return None
    now = _now()
    if _aware(row.kedaluwarsa) < now or _aware(row.terakhir) + session_idle() < now:
        uow.run(store, lambda u: db.delete_session(u.store, key), name="sesi", lock=False)
        return None
    if now - _aware(row.terakhir) > SESSION_TOUCH:
        uow.run(store, lambda u: db.touch_session(u.store, key, now), name="sesi", lock=False)
    return Sesi(_row_akun(row), row.csrf)


def close_session(store: Store, value: str) -> None:
    """End the session of cookie ``value`` (signing out: one unit of work, no audit row)."""
    key = _sha(value)
    uow.run(store, lambda u: db.delete_session(u.store, key), name="sesi", lock=False)


def end_sessions(store: Store, username: str, *, pelaku: Pelaku | None = None) -> int:
    """End every session of ``username`` (sign out everywhere); how many there were. One unit
    of work with ``pelaku``'s audit row."""

    def work(u: uow.UnitOfWork) -> int:
        n = db.end_sessions(u.store, username)
        _audit(u, pelaku, "AKHIRI_SESI", username, instansi_id=_instansi_of(u, username), sesudah={"sesi": n})
        return n

    return uow.run(store, work, name="sesi", lock=False)


def _instansi_of(u: uow.UnitOfWork, username: str) -> str | None:
    row = db.account_row(u.store, username)
    return row.instansi_id if row is not None else None


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


def create_token(
    store: Store, username: str, label: str = "api", days: int | None = None, *, pelaku: Pelaku | None = None
) -> str:
    """A new API token for ``username`` valid ``days`` (default: the setting); shown once, the
    store keeps its hash and a short id to list and revoke it by. One unit of work with
    ``pelaku``'s audit row (none for a token got by signing in)."""
    days = token_days() if days is None else days
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _sha(token)
    now = _now()
    row = {
        "token_hash": digest,
        "token_id": digest[:12],
        "username": username,
        "label": label,
        "dibuat": now,
        "kedaluwarsa": now + timedelta(days=days),
        "dicabut": False,
    }

    def work(u: uow.UnitOfWork) -> None:
        akun = db.account_row(u.store, username)
        if akun is None:
            raise AccountError(f"akun {username} tidak ada")
        if not 1 <= days <= TOKEN_DAYS_MAX:
            raise AccountError(f"masa berlaku token harus 1..{TOKEN_DAYS_MAX} hari")
        db.insert_token(u.store, row)
        sesudah = {"token_id": digest[:12], "label": label, "hari": days}
        _audit(u, pelaku, "BUAT_TOKEN", username, instansi_id=akun.instansi_id, sesudah=sesudah)

    uow.run(store, work, name="token", lock=False)
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


def revoke_token(store: Store, username: str, token_id: str, *, pelaku: Pelaku | None = None) -> bool:
    """Revoke one token of ``username``; False when it has no live token of that id. One unit
    of work with ``pelaku``'s audit row."""

    def work(u: uow.UnitOfWork) -> bool:
        if db.revoke_token_rows(u.store, username, token_id) == 0:
            return False
        _audit(
            u, pelaku, "CABUT_TOKEN", username, instansi_id=_instansi_of(u, username), sesudah={"token_id": token_id}
        )
        return True

    return uow.run(store, work, name="token", lock=False)


def revoke_tokens(store: Store, username: str, *, pelaku: Pelaku | None = None) -> int:
    """Revoke every token of ``username``; how many were live. One unit of work with
    ``pelaku``'s audit row."""

    def work(u: uow.UnitOfWork) -> int:
        n = db.revoke_token_rows(u.store, username)
        _audit(u, pelaku, "CABUT_TOKEN", username, instansi_id=_instansi_of(u, username), sesudah={"jumlah": n})
        return n

    return uow.run(store, work, name="token", lock=False)


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
    now = _now()
    uow.run(store, lambda u: tanda.set_mark(u.store, DEMO_MARK, "selaras demo", now), name="tanda_demo", lock=False)


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
    return _count_attempt(store, f"{username.lower()}|ganti-sandi", _now()) <= LOGIN_LIMIT


def clear_password_attempts(store: Store, username: str) -> None:
    """Forget the attempts of ``username`` to change the own password (it succeeded)."""
    _clear_attempts(store, f"{username.lower()}|ganti-sandi", _now())


def replace_password_keeping(
    store: Store, username: str, password_hash: str, *, sesi: str | None = None, token: str | None = None
) -> tuple[int, int]:
    """Set ``password_hash``; every other session and token of ``username`` ends, the session
    cookie ``sesi`` or API token ``token`` of the request stays. (sessions ended, tokens revoked).
    A step of :func:`selaras.usecases.sandi.ganti_sandi`: joins its unit of work (audited there)."""
    keep_sesi, keep_token = _sha(sesi) if sesi else None, _sha(token) if token else None
    return uow.run(
        store,
        lambda u: db.set_password_keeping(u.store, username, password_hash, keep_sesi=keep_sesi, keep_token=keep_token),
        name="ganti_sandi",
        lock=False,
    )
