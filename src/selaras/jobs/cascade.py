"""Who to re-check when a blocker clears.

Each function answers from each pegawai's latest logged state (``store.reads.latest_state``):
the pegawai whose last result was GAGAL and whom the cleared blocker concerns. A teacher is
re-checked after a principal's sync only when that sync can clear the teacher's error (the
superior D of PMM-11 / PMM-13, and for PMM-13 only the cause "not yet in D's e-Kinerja SKP"):
never for an outdated head, never for a plan that must be fixed in PMM first.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from selaras.domain import blockers as diagnosis
from selaras.domain.results import Flow, Status
from selaras.store import reads
from selaras.store.database import Store

WAITING_CODES = diagnosis.WAITING_CODES
"""The codes of a teacher waiting on the principal's sync."""


def waiting_on(store: Store, atasan: Collection[str], flow: Flow = Flow.SKP) -> list[str]:
    """Pegawai whose latest result has an error that a sync of one of ``atasan`` clears."""
    wanted = set(atasan)
    if not wanted:
        return []
    # A teacher waits on a principal of their own instansi: read only those instansi's rows.
    instansi = reads.instansi_of(store, wanted)
    out: set[str] = set()
    for state in reads.latest_state(store, Flow(flow).value, instansi_ids=instansi, codes=WAITING_CODES):
        for err in state.errors:
            if err["code"] in WAITING_CODES and waits_on_any(err, wanted):
                out.add(state.nip)
    return sorted(out)


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


def affected(
    store: Store,
    *,
    unor_id: str | None = None,
    instansi_id: str | None = None,
    npsn: str | None = None,
    nip: str | None = None,
    flow: Flow | None = None,
) -> list[str]:
    """Pegawai whose latest result is GAGAL and whom a fix to this unit, instansi, school or
    pegawai concerns (for a pegawai: those waiting on them, and the pegawai themselves)."""
    if unor_id is None and instansi_id is None and npsn is None and nip is None:
        return []
    flows = [Flow(flow)] if flow else list(Flow)
    concerning = {
        k: v for k, v in (("unor_id", unor_id), ("instansi_id", instansi_id), ("npsn", npsn), ("nip", nip)) if v
    }
    found: set[str] = set()
    for f in flows:
        states = reads.latest_state(store, f.value, status=Status.GAGAL.value, concerning=concerning)
        found.update(s.nip for s in states)
        if nip is not None:
            found.update(waiting_on(store, [nip], f))
    return sorted(found)


def atasan_of(detail: Any) -> str | None:
    """The superior D an error's ``detail`` names (PMM-11 / PMM-13), if any."""
    import json

    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return None
    if not isinstance(detail, dict):
        return None
    sup = diagnosis.superior({"code": "PMM-11", "detail": detail})
    return sup["nip"] if sup else None
