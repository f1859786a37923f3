"""Which cleared blocker frees whom: the decisions of the cascade, on logged errors (no I/O).

A teacher is re-checked after a principal's sync only when that sync can clear the teacher's
error (the superior D of PMM-11 / PMM-13, and for PMM-13 only the cause "not yet in D's
e-Kinerja SKP"): never for an outdated head, never for a plan that must be fixed in PMM first.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from selaras.domain import blockers as diagnosis

WAITING_CODES = diagnosis.WAITING_CODES
"""The codes of a teacher waiting on the principal's sync."""


def waits_on_any(err: dict[str, Any], atasan: Collection[str]) -> bool:
    """Whether a sync of one of ``atasan`` clears ``err``."""
    if diagnosis.waits_on(err) in atasan:
        return True
    sup = diagnosis.superior(err)
    return sup is not None and sup["nip"] in atasan and diagnosis.superior_sync_clears(err)


def clearing_superiors(errors: list[dict[str, Any]]) -> set[str]:
    """The NIPs whose successful sync clears one of these errors (each error's superior D, only
    where D's sync helps)."""
    out: set[str] = set()
    for err in errors:
        if diagnosis.waits_on(err):
            out.add(err["selesai_oleh"])
        sup = diagnosis.superior(err)
        if sup is not None and diagnosis.superior_sync_clears(err):
            out.add(sup["nip"])
    return out


def atasan_of(detail: Any) -> str | None:
    """The superior D an error's ``detail`` names (PMM-11 / PMM-13), if any."""
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return None
    if not isinstance(detail, dict):
        return None
    sup = diagnosis.superior({"code": "PMM-11", "detail": detail})
    return sup["nip"] if sup else None
