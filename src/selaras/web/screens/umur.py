"""Blocker ages, escalations and the forecast on the screens (issue 12): the age of each
worklist item ("menunggu sejak 12 hari kerja"), the oldest blockers and the forecast of the
recap, and the trend read from the daily summary (not the log) once it is written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from selaras.catalogue import dates, words
from selaras.domain.eskalasi import TINGKAT_LABEL, Butir, Tingkat, umur_label
from selaras.domain.harikerja import tanggal_lokal
from selaras.store import eskalasi as esk
from selaras.store import reads
from selaras.store.database import Store
from selaras.usecases import eskalasi as uc


def _age(store: Store, item: dict[str, Any], today: datetime, cache: dict[str, Any]) -> dict[str, Any]:
    inst = item["instansi_id"]
    if inst not in cache:
        cache[inst] = (uc.kalender_of(store, inst), reads.zona_of(store, inst))
    kal, zona = cache[inst]
    sejak = tanggal_lokal(item["pertama_terlihat"], zona)
    hari = kal.antara(sejak, tanggal_lokal(today, zona))
    return {
        "umur": hari,
        "umur_label": umur_label(hari),
        "sejak": sejak,
        "sejak_label": dates.tanggal(sejak),
        "eskalasi": [
            {"tingkat": int(t), "kepada": TINGKAT_LABEL[Tingkat(t)], "waktu": w}
            for t, w in sorted(item["tingkat"].items())
        ],
    }


def annotate(store: Store, instansi_id: str | None, items: list[dict[str, Any]], now: datetime | None = None) -> None:
    """Add to each worklist item (``flow``, ``code``, ``jenis``, ``kunci``) its age and the
    escalation steps taken, as recorded by the last policy run (no age before the first)."""
    if not instansi_id or not items:
        return
    now = now or datetime.now(UTC)
    known = {(i["flow"], i["kode"], i["jenis"], i["kunci"]): i for i in esk.items_of(store, instansi_id=instansi_id)}
    cache: dict[str, Any] = {}
    for it in items:
        found = known.get((it["flow"], it["code"], it["jenis"], it["kunci"]))
        extra = _age(store, found, now, cache) if found else {"umur": None, "umur_label": None, "eskalasi": []}
        it.update(extra)


def oldest(store: Store, instansi_id: str | None, tahun: int, limit: int = 10) -> list[dict[str, Any]]:
    """The oldest open blockers (of an instansi, or of all escalated to the head for the
    national admin), with their age, teachers held and escalations."""
    now = datetime.now(UTC)
    found = esk.items_of(
        store,
        instansi_id=instansi_id,
        tahun=tahun,
        tingkat_min=None if instansi_id else int(Tingkat.PIMPINAN),
        limit=limit,
    )
    out, cache = [], {}
    for inst in sorted({i["instansi_id"] for i in found}):
        group = [i for i in found if i["instansi_id"] == inst]
        names = uc.names_of_items(
            store, [Butir(i["flow"], i["kode"], i["jenis"], i["kunci"], i["pihak"]) for i in group], inst
        )
        for i in group:
            out.append(
                {
                    "instansi_id": inst,
                    "instansi_nama": names["instansi"].get(inst, inst),
                    "kode": i["kode"],
                    "label": uc.label_of(i["jenis"], i["kunci"], i["kode"], names),
                    "guru": i["jumlah_pegawai"],
                    **_age(store, i, now, cache),
                }
            )
    return sorted(out, key=lambda r: (-r["umur"], -r["guru"], r["label"]))


def forecast(store: Store, flow: str, tahun: int, instansi_id: str | None, tenggat: date) -> dict[str, Any] | None:
    """The forecast at the deadline and those at risk (schools of an instansi, or instansi)."""
    from selaras.domain.results import Flow

    result = uc.prakiraan(store, Flow(flow), instansi_id=instansi_id, tahun=tahun, tenggat=tenggat)
    if result is None or result.keseluruhan is None:
        return None
    p = result.keseluruhan
    return {
        # Now, from the same state the page's figures come from: the forecast starts there.
        "total": p.total,
        "tersinkron": p.tersinkron,
        "persen_sekarang": round(100.0 * p.tersinkron / p.total, 1) if p.total else 0.0,
        "persen": round(p.persen, 1),
        "bawah": round(p.persen_bawah, 1),
        "atas": round(p.persen_atas, 1),
        "label": f"{words.persen(p.persen)} (rentang {words.persen(p.persen_bawah)} "
        f"sampai {words.persen(p.persen_atas)})",
        "hari_kerja_sisa": p.hari_kerja_sisa,
        "guru_terancam": p.guru_terancam,
        "tingkat": "sekolah" if instansi_id else "instansi",
        "berisiko": [
            {
                "kunci": r.kunci,
                "nama": r.nama,
                "guru": r.prakiraan.total,
                "tersinkron": r.prakiraan.tersinkron,
                "persen": round(r.prakiraan.persen, 1),
                "bawah": round(r.prakiraan.persen_bawah, 1),
                "atas": round(r.prakiraan.persen_atas, 1),
                "rentang": f"{words.persen(r.prakiraan.persen_bawah)} sampai {words.persen(r.prakiraan.persen_atas)}",
                "guru_terancam": r.prakiraan.guru_terancam,
            }
            for r in result.berisiko[:20]
        ],
    }


def trend_rows(store: Store, flow: str, tahun: int, instansi_id: str | None) -> list[dict[str, Any]] | None:
    """The trend per day from the daily summary, in the chart's shape (None: no summary yet)."""
    df = esk.trend(store, flow, tahun, instansi_id)
    if df.is_empty():
        return None
    return [
        {"hari": r["tanggal"], "SIAP": r["siap"], "GAGAL": r["gagal"], "TERSINKRON": r["tersinkron"]}
        for r in df.iter_rows(named=True)
    ]
