"""Who to re-check when a blocker clears.

Each function answers from each pegawai's latest logged state (``store.reads.latest_state``):
the pegawai whose last result was GAGAL and whom the cleared blocker concerns (the decisions
are ``domain.cascade``'s).
"""

from __future__ import annotations

from collections.abc import Collection

from selaras.domain.cascade import WAITING_CODES, waits_on_any
from selaras.domain.results import Flow, Status
from selaras.store import reads
from selaras.store.database import Store


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
