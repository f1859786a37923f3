"""Who to re-check when a blocker clears.

Each function answers from each pegawai's latest logged state (``sync_state``): the pegawai
whose last result was GAGAL and whom the cleared blocker concerns. Re-checking is cheap and a
sync is idempotent, so the answers err on the side of including a pegawai.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from selaras.domain.diagnosis import WAITING_CODES
from selaras.domain.results import Flow, Status
from selaras.store.database import Store
from selaras.store.tables import CONTRACT, sync_log, sync_log_error, sync_state


def waiting_on(store: Store, atasan: Collection[str], flow: Flow = Flow.SKP) -> list[str]:
    """Pegawai whose latest result waits on one of ``atasan`` (PMM-11 / PMM-13 naming them)."""
    wanted = set(atasan)
    if not wanted:
        return []
    query = (
        sa.select(sync_log.c.nip, sync_log_error.c.selesai_oleh, sync_log_error.c.detail)
        .select_from(sync_state)
        .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
        .join(sync_log_error, sync_log_error.c.log_id == sync_state.c.log_id)
        .where(sync_state.c.flow == Flow(flow).value, sync_log_error.c.code.in_(WAITING_CODES))
    )
    # A teacher waits on a principal of their own instansi: read only those instansi's rows.
    peg = CONTRACT["siasn_pegawai"]
    out: set[str] = set()
    with store.read() as conn:
        instansi = {
            r[0]
            for r in conn.execute(sa.select(peg.c.instansi_id).where(peg.c.nip.in_(sorted(wanted))).distinct())
            if r[0] is not None
        }
        for nip, selesai_oleh, detail in conn.execute(query.where(sync_state.c.instansi_id.in_(sorted(instansi)))):
            if selesai_oleh in wanted or atasan_of(detail) in wanted:
                out.add(nip)
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
    flows = [Flow(flow).value] if flow else [f.value for f in Flow]
    base = (
        sa.select(sync_log.c.nip)
        .select_from(sync_state)
        .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
        .where(sync_state.c.flow.in_(flows), sync_log.c.status == Status.GAGAL.value)
    )
    conds: list[Any] = []
    if unor_id is not None:
        peg = CONTRACT["siasn_pegawai"]
        conds.append(sync_log.c.unor_id == unor_id)
        conds.append(sync_log.c.nip.in_(sa.select(peg.c.nip).where(peg.c.unor_id == unor_id)))
    if instansi_id is not None:
        conds.append(sync_state.c.instansi_id == instansi_id)
    if npsn is not None:
        conds.append(sync_log.c.npsn == npsn)
    if nip is not None:
        conds.append(sync_log.c.nip == nip)
    if not conds:
        return []
    with store.read() as conn:
        found = {r[0] for r in conn.execute(base.where(sa.or_(*conds)))}
    if nip is not None:
        for f in flows:
            found.update(waiting_on(store, [nip], Flow(f)))
    return sorted(found)


def atasan_of(detail: str | dict[str, Any] | None) -> str | None:
    """The superior's NIP an error's ``detail`` names on the e-Kinerja side, if any."""
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return None
    ek = detail.get("ekinerja") if isinstance(detail, dict) else None
    return ek.get("atasan_nip") if isinstance(ek, dict) else None
