"""One row of the sync log with its error cards, as the API and the page show it."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from selaras.usecases.access import Pengguna, log_scope, not_found
from selaras.web import screens
from selaras.web.deps import konteks
from selaras.web.queries import log_entry


def _in_scope(entry: dict[str, Any], user: Pengguna) -> bool:
    s = log_scope(user)
    if s.instansi_id and entry["instansi_id"] != s.instansi_id:
        return False
    if s.npsn and entry["npsn"] != s.npsn:
        return False
    if s.nip and entry["nip"] != s.nip:
        return False
    return not (s.codes is not None and not any(e["code"] in s.codes for e in entry["errors"]))


def log_detail(request: Request, user: Pengguna, log_id: int) -> dict[str, Any]:
    """One log row with its error cards, if the user may read it (else 404)."""
    store = konteks(request).store
    entry = log_entry(store, log_id)
    if entry is None or not _in_scope(entry, user):
        raise not_found()
    return {**entry, "kartu": screens.cards(store, entry)}
