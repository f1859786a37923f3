"""The recap of sync problems of an instansi (a national admin: any or all)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from selaras.catalogue import words
from selaras.domain.akun import Peran
from selaras.domain.recap import recap
from selaras.domain.results import Flow, Status
from selaras.store import reads
from selaras.store.logs import latest_results
from selaras.store.snapshots import load_table
from selaras.usecases.access import Pengguna, forbidden, instansi_scope
from selaras.web.queries import trend
from selaras.web.screens import umur
from selaras.web.screens.konteks import Konteks


def recap_view(ctx: Konteks, user: Pengguna, flow: Flow, instansi_id: str | None) -> dict[str, Any]:
    """The recap of sync problems of the user's instansi (a national admin: any or all)."""
    scope = instansi_scope(user, instansi_id)
    if user.peran is Peran.DINAS:
        raise forbidden("Rekap hanya untuk Admin Instansi dan Admin Nasional.")
    store, tahun = ctx.store, ctx.tahun()
    result = latest_results(store, Flow(flow), scope, tahun=tahun)
    tenggat = ctx.tenggat(tahun)
    base: dict[str, Any] = {
        "flow": Flow(flow).value,
        "flow_label": words.FLOW[Flow(flow).value],
        "tahun": tahun,
        "instansi_id": scope,
        "instansi_nama": reads.instansi_nama(store, scope) if scope else "Semua instansi",
        "zona": ctx.zona(scope),
        "tenggat": tenggat,
        "sisa_hari": (tenggat - datetime.now(UTC).date()).days,
        "status_label": {s.value: words.STATUS[s.value] for s in Status},
    }
    if result is None:
        return {
            **base,
            "total": 0,
            "status": {s.value: 0 for s in Status},
            "kode": [],
            "sekolah": [],
            "aktor": [],
            "penahan": [],
            "tren": [],
            "prakiraan": None,
            "terlama": [],
            "persen_tersinkron": 0.0,
            "persen_label": words.persen(0.0),
        }
    sekolah = load_table(store, "dapodik_sekolah")
    r = recap(result, sekolah)
    school_names = dict(zip(sekolah["npsn"].to_list(), sekolah["nama"].to_list(), strict=True))
    penahan = r.blockers.to_dicts()
    for b in penahan:
        b["sekolah_nama"] = school_names.get(b["npsn"] or "")
    total = r.total
    persen = round(100.0 * r.by_status.get(Status.TERSINKRON.value, 0) / total, 1) if total else 0.0
    return {
        **base,
        "total": total,
        "status": r.by_status,
        "persen_tersinkron": persen,
        "persen_label": words.persen(persen),
        "kode": r.by_code.to_dicts(),
        "sekolah": r.by_school.to_dicts(),
        "aktor": r.by_actor.to_dicts(),
        "penahan": penahan,
        # The daily summary once written (fast at national scale), else the log itself.
        "tren": umur.trend_rows(store, Flow(flow).value, tahun, scope)
        or trend(store, Flow(flow).value, tahun, scope).to_dicts(),
        "prakiraan": umur.forecast(store, Flow(flow).value, tahun, scope, tenggat),
        "terlama": umur.oldest(store, scope, tahun),
    }
