"""The SQL of single sign-on and bulk local accounts: role grants to a NIP, OIDC logins under
way (one-shot), the account row a signed-in person acts through, and one-time password-set
links. Decisions are made in ``web/sso.py``, ``usecases/sso.py`` and ``usecases/akun.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import akun, akun_hak, akun_sesi, akun_tautan, akun_token, oidc_state

# ------------------------------------------------------------------------------- grants


def grant_row(store: Store, nip: str) -> sa.Row | None:
    """The role granted to ``nip``, or None."""
    with store.read() as conn:
        return conn.execute(sa.select(akun_hak).where(akun_hak.c.nip == nip)).first()


def grant_rows(store: Store, instansi_id: str | None = None) -> list[sa.Row]:
    """Grants by NIP (of one instansi, or all)."""
    q = sa.select(akun_hak).order_by(akun_hak.c.nip)
    if instansi_id is not None:
        q = q.where(akun_hak.c.instansi_id == instansi_id)
    with store.read() as conn:
        return list(conn.execute(q))


def put_grant(conn: sa.Connection, row: Mapping[str, Any]) -> sa.Row | None:
    """Grant (or replace) the role of ``row["nip"]``; returns the grant it replaced."""
    before = conn.execute(sa.select(akun_hak).where(akun_hak.c.nip == row["nip"])).first()
    conn.execute(sa.delete(akun_hak).where(akun_hak.c.nip == row["nip"]))
    conn.execute(sa.insert(akun_hak), [dict(row)])
    return before


def delete_grant(conn: sa.Connection, nip: str) -> sa.Row | None:
    """Remove the grant of ``nip``; the grant removed, or None."""
    before = conn.execute(sa.select(akun_hak).where(akun_hak.c.nip == nip)).first()
    conn.execute(sa.delete(akun_hak).where(akun_hak.c.nip == nip))
    return before


def end_credentials(conn: sa.Connection, username: str) -> None:
    """End every session and token of ``username`` in ``conn``'s transaction."""
    conn.execute(sa.delete(akun_sesi).where(akun_sesi.c.username == username))
    conn.execute(
        sa.update(akun_token)
        .where(akun_token.c.username == username, akun_token.c.dicabut == sa.false())
        .values(dicabut=True)
    )


# ------------------------------------------------------------------ logins under way


def put_state(store: Store, row: Mapping[str, Any], now: datetime) -> None:
    """Remember one login under way (and forget those past their time)."""
    with store.write() as conn:
        conn.execute(sa.delete(oidc_state).where(oidc_state.c.kedaluwarsa < now))
        conn.execute(sa.insert(oidc_state), [dict(row)])


def take_state(store: Store, state_hash: str) -> sa.Row | None:
    """The login under way of ``state_hash``, deleted in the same transaction: a state is used
    once (a second callback with it, a replay, finds nothing)."""
    with store.write() as conn:
        row = conn.execute(sa.select(oidc_state).where(oidc_state.c.state_hash == state_hash)).first()
        if row is None:
            return None
        gone = conn.execute(sa.delete(oidc_state).where(oidc_state.c.state_hash == state_hash)).rowcount
        return row if gone == 1 else None


# ------------------------------------------------------------ the signed-in person's row


def put_account(store: Store, row: Mapping[str, Any]) -> bool:
    """Create or update the account row a single sign-on person acts through, keeping its
    sessions (a login on a second device does not end the first) and its ``aktif`` flag (an
    account deactivated by an admin stays so). Whether the account is active."""
    values = dict(row)
    with store.write() as conn:
        found = conn.execute(sa.select(akun.c.aktif).where(akun.c.username == values["username"])).first()
        if found is None:
            conn.execute(sa.insert(akun), [values])
            return bool(values.get("aktif", True))
        changed = {k: v for k, v in values.items() if k not in ("username", "aktif", "dibuat")}
        conn.execute(sa.update(akun).where(akun.c.username == values["username"]).values(**changed))
        return bool(found.aktif)


# --------------------------------------------------------------- password-set links


def insert_accounts_with_links(
    store: Store, accounts: Sequence[Mapping[str, Any]], links: Sequence[Mapping[str, Any]]
) -> None:
    """Create accounts and their password-set links in one transaction (nothing on error)."""
    with store.write() as conn:
        if accounts:
            conn.execute(sa.insert(akun), [dict(a) for a in accounts])
        if links:
            conn.execute(sa.insert(akun_tautan), [dict(x) for x in links])


def existing_usernames(store: Store, usernames: Sequence[str]) -> set[str]:
    """Which of ``usernames`` exist already."""
    found: set[str] = set()
    with store.read() as conn:
        for i in range(0, len(usernames), 500):
            part = list(usernames[i : i + 500])
            found |= set(conn.execute(sa.select(akun.c.username).where(akun.c.username.in_(part))).scalars())
    return found


def link_row(store: Store, tautan_hash: str) -> sa.Row | None:
    """The password-set link of ``tautan_hash`` with its account's state, or None."""
    q = (
        sa.select(akun_tautan, akun.c.aktif, akun.c.nama)
        .join(akun, akun.c.username == akun_tautan.c.username)
        .where(akun_tautan.c.tautan_hash == tautan_hash)
    )
    with store.read() as conn:
        return conn.execute(q).first()


def use_link(store: Store, tautan_hash: str, password_hash: str, now: datetime) -> str | None:
    """Set the password through a live link, once: the link and every other link of the
    account are deleted, its sessions and tokens end. The username, or None when the link is
    unknown, used or past its time."""
    with store.write() as conn:
        row = conn.execute(
            sa.select(akun_tautan.c.username).where(
                akun_tautan.c.tautan_hash == tautan_hash, akun_tautan.c.kedaluwarsa >= now
            )
        ).first()
        if row is None:
            return None
        gone = conn.execute(sa.delete(akun_tautan).where(akun_tautan.c.tautan_hash == tautan_hash)).rowcount
        if gone != 1:
            return None
        username = str(row.username)
        conn.execute(sa.delete(akun_tautan).where(akun_tautan.c.username == username))
        conn.execute(sa.update(akun).where(akun.c.username == username).values(password_hash=password_hash))
        end_credentials(conn, username)
        return username
