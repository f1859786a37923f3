"""The accounts' SQL: accounts, sessions, API tokens and the login counter.

Every change that must cut a person off (a new password, deactivation, re-creation) ends the
account's sessions and tokens in the same transaction, so no request sees the old credentials
working after the change commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from selaras.store.database import Store
from selaras.store.tables import CONTRACT, akun, akun_sesi, akun_token, login_batas


def _end_credentials(conn: sa.Connection, usernames: Sequence[str]) -> None:
    conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.username.in_(usernames)))
    conn.execute(
        sa.update(akun_token)
        .where(akun_token.c.username.in_(usernames), akun_token.c.dicabut == sa.false())
        .values(dicabut=True)
    )


def replace_accounts(store: Store, rows: Sequence[Mapping[str, Any]]) -> None:
    """Create or re-create accounts; a re-created account's sessions and tokens end with it."""
    names = [str(r["username"]) for r in rows]
    with store.write() as conn:
        for i in range(0, len(names), 500):
            part = names[i : i + 500]
            conn.execute(sa.delete(akun).where(akun.c.username.in_(part)))
            _end_credentials(conn, part)
        if rows:
            conn.execute(sa.insert(akun), [dict(r) for r in rows])


def account_row(store: Store, username: str) -> sa.Row | None:
    """The account row (with its password hash), or None."""
    with store.read() as conn:
        return conn.execute(sa.select(akun).where(akun.c.username == username)).first()


def account_rows(store: Store, *, peran: str | None = None, npsn: str | None = None) -> list[sa.Row]:
    """Account rows, filtered by role and school, by username."""
    q = sa.select(akun).order_by(akun.c.username)
    if peran is not None:
        q = q.where(akun.c.peran == peran)
    if npsn is not None:
        q = q.where(akun.c.npsn == npsn)
    with store.read() as conn:
        return list(conn.execute(q))


def set_password(store: Store, username: str, password_hash: str) -> bool:
    """A new password hash; ends every session and token of the account. False if no such account."""
    with store.write() as conn:
        done = conn.execute(sa.update(akun).where(akun.c.username == username).values(password_hash=password_hash))
        if not done.rowcount:
            return False
        _end_credentials(conn, [username])
    return True


def set_active(store: Store, username: str, aktif: bool) -> bool:
    """(De)activate an account; deactivation ends every session and token. False if no such account."""
    with store.write() as conn:
        done = conn.execute(sa.update(akun).where(akun.c.username == username).values(aktif=aktif))
        if not done.rowcount:
            return False
        if not aktif:
            _end_credentials(conn, [username])
    return True


# ------------------------------------------------------------------------------ login limit


def count_login_attempt(store: Store, kunci: str, now: datetime, window: timedelta) -> int:
    """Count one login attempt of ``kunci``; the number of attempts in its window, this one included.

    One statement (an upsert that adds one and returns the new count): concurrent attempts are
    serialised by the row, so no two of them read the same count. A window older than
    ``window`` starts again at one.
    """
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    fresh = login_batas.c.mulai < now - window
    stmt = dialect.insert(login_batas).values(kunci=kunci, jumlah=1, mulai=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[login_batas.c.kunci],
        set_={
            "jumlah": sa.case((fresh, 1), else_=login_batas.c.jumlah + 1),
            "mulai": sa.case((fresh, now), else_=login_batas.c.mulai),
        },
    ).returning(login_batas.c.jumlah)
    with store.write() as conn:
        return int(conn.execute(stmt).scalar_one())


def clear_login_attempts(store: Store, kunci: str, older_than: datetime) -> None:
    """Forget ``kunci``'s attempts (a successful login) and windows that began before ``older_than``."""
    with store.write() as conn:
        conn.execute(sa.delete(login_batas).where(login_batas.c.kunci == kunci))
        conn.execute(sa.delete(login_batas).where(login_batas.c.mulai < older_than))


# -------------------------------------------------------------------------------- sessions


def insert_session(store: Store, row: Mapping[str, Any], now: datetime) -> None:
    """Store a new session (and drop the sessions past their absolute end)."""
    with store.write() as conn:
        conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.kedaluwarsa < now))
        conn.execute(sa.insert(akun_sesi), [dict(row)])


def session_row(store: Store, sesi_hash: str) -> sa.Row | None:
    """The session with its account's columns, or None."""
    with store.read() as conn:
        return conn.execute(
            sa.select(akun, akun_sesi.c.csrf, akun_sesi.c.kedaluwarsa, akun_sesi.c.terakhir)
            .join(akun_sesi, akun_sesi.c.username == akun.c.username)
            .where(akun_sesi.c.sesi_hash == sesi_hash)
        ).first()


def touch_session(store: Store, sesi_hash: str, now: datetime) -> None:
    """Record the session's last use (the idle timeout counts from it)."""
    with store.write() as conn:
        conn.execute(sa.update(akun_sesi).where(akun_sesi.c.sesi_hash == sesi_hash).values(terakhir=now))


def delete_session(store: Store, sesi_hash: str) -> None:
    """End one session."""
    with store.write() as conn:
        conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.sesi_hash == sesi_hash))


def end_sessions(store: Store, username: str) -> int:
    """End every session of ``username``; how many there were."""
    with store.write() as conn:
        return conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.username == username)).rowcount or 0


def session_count(store: Store, username: str, now: datetime) -> int:
    """Sessions of ``username`` not past their absolute end."""
    with store.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(akun_sesi)
                .where(akun_sesi.c.username == username, akun_sesi.c.kedaluwarsa > now)
            ).scalar_one()
        )


# ---------------------------------------------------------------------------------- tokens


def insert_token(store: Store, row: Mapping[str, Any]) -> None:
    """Store a new API token (its hash)."""
    with store.write() as conn:
        conn.execute(sa.insert(akun_token), [dict(row)])


def token_rows(store: Store, username: str) -> list[sa.Row]:
    """The tokens of ``username`` (without hashes), newest first."""
    with store.read() as conn:
        return list(
            conn.execute(
                sa.select(
                    akun_token.c.token_id,
                    akun_token.c.label,
                    akun_token.c.dibuat,
                    akun_token.c.kedaluwarsa,
                    akun_token.c.dicabut,
                )
                .where(akun_token.c.username == username)
                .order_by(akun_token.c.dibuat.desc(), akun_token.c.token_id)
            )
        )


def revoke_token_rows(store: Store, username: str, token_id: str | None = None) -> int:
    """Revoke one token of ``username`` (by ``token_id``) or all of them; how many were live."""
    q = sa.update(akun_token).where(akun_token.c.username == username, akun_token.c.dicabut == sa.false())
    if token_id is not None:
        q = q.where(akun_token.c.token_id == token_id)
    with store.write() as conn:
        return conn.execute(q.values(dicabut=True)).rowcount or 0


def token_account_row(store: Store, token_hash: str) -> sa.Row | None:
    """The account of a token that is not revoked, with the token's expiry, or None."""
    with store.read() as conn:
        return conn.execute(
            sa.select(akun, akun_token.c.kedaluwarsa.label("token_kedaluwarsa"))
            .join(akun_token, akun_token.c.username == akun.c.username)
            .where(akun_token.c.token_hash == token_hash, akun_token.c.dicabut == sa.false())
        ).first()


# ------------------------------------------------------------------- reach (contract data)

_peg = CONTRACT["siasn_pegawai"]
_sekolah = CONTRACT["dapodik_sekolah"]
_instansi = CONTRACT["instansi"]


def demo_account_sources(store: Store) -> tuple[list[sa.Row], list[sa.Row], list[sa.Row]]:
    """What the demo's accounts are made for: instansi, schools and pegawai, each ordered by id."""
    with store.read() as conn:
        return (
            list(conn.execute(sa.select(_instansi.c.instansi_id, _instansi.c.nama).order_by(_instansi.c.instansi_id))),
            list(
                conn.execute(
                    sa.select(_sekolah.c.npsn, _sekolah.c.nama, _sekolah.c.instansi_id).order_by(_sekolah.c.npsn)
                )
            ),
            list(conn.execute(sa.select(_peg.c.nip, _peg.c.nama, _peg.c.instansi_id).order_by(_peg.c.nip))),
        )


# ------------------------------------------------------- own password, references, demo mark


def set_password_keeping(
    store: Store, username: str, password_hash: str, *, keep_sesi: str | None, keep_token: str | None
) -> tuple[int, int]:
    """A new password hash that ends every session and token of the account but the one of
    the request that changed it (``keep_sesi`` / ``keep_token``: hashes); (sessions ended,
    tokens revoked)."""
    with store.write() as conn:
        conn.execute(sa.update(akun).where(akun.c.username == username).values(password_hash=password_hash))
        sesi = sa.delete(akun_sesi).where(akun_sesi.c.username == username)
        if keep_sesi is not None:
            sesi = sesi.where(akun_sesi.c.sesi_hash != keep_sesi)
        token = sa.update(akun_token).where(akun_token.c.username == username, akun_token.c.dicabut == sa.false())
        if keep_token is not None:
            token = token.where(akun_token.c.token_hash != keep_token)
        ended = conn.execute(sesi).rowcount or 0
        revoked = conn.execute(token.values(dicabut=True)).rowcount or 0
    return ended, revoked


def unknown_references(
    store: Store, *, nip: str | None, npsn: str | None, instansi_id: str | None
) -> list[tuple[str, str]]:
    """Which of ``nip``, ``npsn`` and ``instansi_id`` the store's contract data does not know:
    ``(what, value)`` pairs, in that order."""
    checks = (
        ("nip", nip, _peg.c.nip),
        ("npsn", npsn, _sekolah.c.npsn),
        ("instansi", instansi_id, _instansi.c.instansi_id),
    )
    missing: list[tuple[str, str]] = []
    with store.read() as conn:
        for what, value, column in checks:
            if value is None:
                continue
            found = conn.execute(sa.select(sa.literal(1)).select_from(column.table).where(column == value)).first()
            if found is None:
                missing.append((what, value))
    return missing


def existing_usernames(store: Store, usernames: Sequence[str]) -> set[str]:
    """Which of ``usernames`` have an account."""
    found: set[str] = set()
    with store.read() as conn:
        for i in range(0, len(usernames), 500):
            part = list(usernames[i : i + 500])
            found.update(conn.execute(sa.select(akun.c.username).where(akun.c.username.in_(part))).scalars())
    return found
