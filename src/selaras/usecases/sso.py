"""Single sign-on's login bookkeeping as use cases: a login under way remembered and taken back
once, and the account row a signed-in person acts through. Each is one unit of work (no audit
row: signing in is bookkeeping, not an action); the decisions are in ``web/sso.py``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selaras.store import sso as db
from selaras.store import uow
from selaras.store.database import Store


def remember_login(store: Store, row: Mapping[str, Any], now: datetime) -> None:
    """Remember one login under way (and forget those past their time)."""
    uow.run(store, lambda u: db.put_state(u.store, row, now), name="sso_masuk", lock=False)


def take_login(store: Store, state_hash: str) -> sa.Row | None:
    """The login under way of ``state_hash``, deleted in the same unit of work: used once."""
    return uow.run(store, lambda u: db.take_state(u.store, state_hash), name="sso_masuk", lock=False)


def put_account(store: Store, row: Mapping[str, Any]) -> bool:
    """Write the account row a single sign-on person acts through, keeping its sessions and its
    ``aktif`` flag; whether the account is active."""
    return uow.run(store, lambda u: db.put_account(u.store, row), name="sso_akun", lock=False)
