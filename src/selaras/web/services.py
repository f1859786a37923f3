"""What the pages and the API show and do, as plain data: one function per screen or action.

Routes only parse the request, call one of these and render the result (HTML or JSON). Texts of
errors come from the catalogue; who must act, by name, from each error's ``detail`` and
``selesai_oleh`` plus the names in the store.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.catalogue.codes import CATALOGUE, Aktor, lookup
from selaras.domain.overlap import tahunan_overlaps
from selaras.domain.recap import recap
from selaras.domain.results import Flow, Status
from selaras.domain.rules import check, periode_problems
from selaras.jobs import cascade, queue
from selaras.jobs.notifications import notices_for
from selaras.jobs.runtime import Dispatcher
from selaras.store.database import Store
from selaras.store.repository import latest_results, load_snapshot, upsert_rows
from selaras.store.tables import CONTRACT, akun, sync_run
from selaras.views import SYSTEM_LABELS, detail_fields
from selaras.web import audit
from selaras.web.access import (
    KEPALA_SEKOLAH,
    Ditolak,
    Pengguna,
    forbidden,
    instansi_scope,
    not_found,
    require_admin,
    require_pegawai,
    require_sync_for,
)
from selaras.web.accounts import Peran

MASSAL_MAX = 20_000
"""Pegawai per bulk sync request."""
NIP_RE = re.compile(r"^\d{18}$")

_peg = CONTRACT["siasn_pegawai"]
_ptk = CONTRACT["dapodik_ptk"]
_sekolah = CONTRACT["dapodik_sekolah"]
_instansi = CONTRACT["instansi"]
_unor = CONTRACT["siasn_unor"]
_ek_unor = CONTRACT["ekinerja_unor"]
_ek_skp = CONTRACT["ekinerja_skp"]
_ek_rhk = CONTRACT["ekinerja_rhk"]
_periode = CONTRACT["ekinerja_periode"]

FIELD_LABELS = {
    "nip": "NIP",
    "nik": "NIK",
    "nama": "Nama",
    "ptk_id": "ID PTK",
    "npsn": "NPSN sekolah",
    "nama_sekolah": "Nama sekolah",
    "unor_id": "Unit kerja (unor)",
    "unor": "Status unit",
    "status": "Status",
    "jenis_asn": "Jenis ASN",
    "jenis_ptk": "Jenis PTK",
    "jabatan_nama": "Jabatan",
    "jabatan_jenis": "Jenis jabatan",
    "status_skp": "Status SKP",
    "periode_awal": "Awal SKP",
    "periode_akhir": "Akhir SKP",
    "periode_id": "Periode",
    "instansi_id": "Instansi",
    "jenis": "Jenis periode",
    "atasan_nip": "NIP atasan",
    "atasan_nama": "Nama atasan",
    "skp_id": "SKP e-Kinerja",
    "sumber": "Sumber SKP",
    "pmm_skp_id": "SKP PMM",
    "rhk_tidak_terkait": "RHK yang tidak dapat dikaitkan",
    "jumlah_penilaian": "Jumlah penilaian",
    "tipe_periodik": "Jenis periodik",
    "campuran": "Jenis campuran",
    "angka_ganda": "Nomor ganda",
    "di_luar_rentang": "Nomor di luar rentang",
    "penilaian_tanpa_periode": "Penilaian tanpa periode",
}


TAHUN_TTL = 30.0
"""Seconds the year shown is kept before the log is asked again (it changes once a year)."""


@dataclass
class Konteks:
    """What every request needs: the store, the job engine, the year and the deadline."""

    store: Store
    runner: Dispatcher
    tahun_tetap: int | None = None
    tenggat_tetap: date | None = None
    _tahun: tuple[int, float] | None = field(default=None, repr=False, compare=False)

    def tahun(self) -> int:
        """The year shown: fixed at start, else the latest year logged, else this year."""
        if self.tahun_tetap is not None:
            return self.tahun_tetap
        now = time.monotonic()
        if self._tahun is not None and now - self._tahun[1] < TAHUN_TTL:
            return self._tahun[0]
        with self.store.read() as conn:
            year = conn.execute(sa.select(sa.func.max(sync_run.c.tahun))).scalar()
        found = int(year) if year is not None else date.today().year
        self._tahun = (found, now)
        return found

    def tenggat(self, tahun: int) -> date:
        """The deadline the progress is measured against (default: the year's last day)."""
        return self.tenggat_tetap or date(tahun, 12, 31)


# ------------------------------------------------------------------------------ look-ups


def names_of(store: Store, nips: Sequence[str]) -> dict[str, str]:
    """NIP -> name, from SIASN, else from Dapodik."""
    wanted = sorted({n for n in nips if n})
    out: dict[str, str] = {}
    with store.read() as conn:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for nip, nama in conn.execute(sa.select(_ptk.c.nip, _ptk.c.nama).where(_ptk.c.nip.in_(chunk))):
                out[nip] = nama
            for nip, nama in conn.execute(sa.select(_peg.c.nip, _peg.c.nama).where(_peg.c.nip.in_(chunk))):
                out[nip] = nama
    return out


def kepala_sekolah(store: Store, npsn: str | None) -> dict[str, str] | None:
    """The principal of school ``npsn`` in Dapodik: ``{nip, nama}``."""
    if not npsn:
        return None
    with store.read() as conn:
        row = conn.execute(
            sa.select(_ptk.c.nip, _ptk.c.nama)
            .where(
                _ptk.c.npsn == npsn,
                sa.or_(_ptk.c.tugas_tambahan == KEPALA_SEKOLAH, _ptk.c.jenis_ptk == KEPALA_SEKOLAH),
            )
            .order_by(_ptk.c.ptk_id)
            .limit(1)
        ).first()
    if row is None:
        return None
    nama = names_of(store, [row.nip]).get(row.nip, row.nama) if row.nip else row.nama
    return {"nip": row.nip or "", "nama": nama}


def sekolah_nama(store: Store, npsn: str | None) -> str | None:
    """The Dapodik name of school ``npsn``."""
    if not npsn:
        return None
    with store.read() as conn:
        return conn.execute(sa.select(_sekolah.c.nama).where(_sekolah.c.npsn == npsn)).scalar()


def instansi_nama(store: Store, instansi_id: str | None) -> str | None:
    """The name of instansi ``instansi_id``."""
    if not instansi_id:
        return None
    with store.read() as conn:
        return conn.execute(sa.select(_instansi.c.nama).where(_instansi.c.instansi_id == instansi_id)).scalar()


def instansi_list(store: Store) -> list[dict[str, str]]:
    """Every instansi: ``{instansi_id, nama}``."""
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(_instansi).order_by(_instansi.c.nama))]


def _account_name(store: Store, peran: Peran, *, npsn: str | None = None, instansi_id: str | None = None) -> str | None:
    q = sa.select(akun.c.nama).where(akun.c.peran == peran.value, akun.c.aktif == sa.true())
    q = q.where(akun.c.npsn == npsn) if npsn else q.where(akun.c.instansi_id == instansi_id)
    with store.read() as conn:
        return conn.execute(q.order_by(akun.c.username).limit(1)).scalar()


# --------------------------------------------------------------------------------- cards


def _fmt(value: Any) -> str:
    if value is None:
        return "(kosong)"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(", ".join(f"{k}: {_fmt(v)}" for k, v in item.items()) for item in value)
        return ", ".join(_fmt(v) for v in value) or "(tidak ada)"
    return str(value)


def side_by_side(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The values of each system as a table: ``{sistem: [labels], baris: [{data, nilai: [...]}]}``."""
    systems, fields = detail_fields(detail)
    if not systems:
        return None
    rows = [
        {
            "data": FIELD_LABELS.get(f, f.replace("_", " ")),
            "nilai": [_fmt(detail[k][f]) if f in detail[k] else "" for k in systems],
            "beda": len({repr(detail[k].get(f)) for k in systems if f in detail[k]}) > 1,
        }
        for f in fields
    ]
    return {"sistem": [SYSTEM_LABELS[k] for k in systems], "baris": rows}


class _Pihak:
    """Names the people behind each actor of one pegawai's errors (looked up once)."""

    def __init__(self, store: Store, entry: dict[str, Any]) -> None:
        self.store, self.entry = store, entry
        self._ks: dict[str, str] | None | bool = False

    def kepala_sekolah(self) -> dict[str, str] | None:
        if self._ks is False:
            self._ks = kepala_sekolah(self.store, self.entry.get("npsn"))
        return self._ks  # type: ignore[return-value]

    def who(self, aktor: Aktor, err: dict[str, Any]) -> dict[str, str]:
        e, store = self.entry, self.store
        ek = (err.get("detail") or {}).get("ekinerja") or {}
        if aktor is Aktor.PEGAWAI:
            return {"peran": aktor.value, "nama": e.get("nama") or e["nip"], "nip": e["nip"]}
        if aktor is Aktor.KEPALA_SEKOLAH:
            if err["code"] in ("PMM-11", "PMM-13") and ek.get("atasan_nip"):
                return {
                    "peran": aktor.value,
                    "nama": ek.get("atasan_nama") or ek["atasan_nip"],
                    "nip": ek["atasan_nip"],
                }
            ks = self.kepala_sekolah()
            if ks and ks["nip"] != e["nip"]:
                return {"peran": aktor.value, "nama": ks["nama"], "nip": ks["nip"]}
            return {"peran": aktor.value, "nama": "kepala sekolah", "nip": ""}
        if aktor is Aktor.OPERATOR_SEKOLAH:
            npsn = e.get("npsn")
            nama = (
                _account_name(store, Peran.OPERATOR, npsn=npsn) or f"Operator {sekolah_nama(store, npsn) or 'sekolah'}"
            )
            return {"peran": aktor.value, "nama": nama, "nip": ""}
        if aktor is Aktor.ADMIN_INSTANSI:
            iid = e.get("instansi_id")
            nama = _account_name(store, Peran.ADMIN, instansi_id=iid) or f"BKD/BKPSDM {instansi_nama(store, iid) or ''}"
            return {"peran": aktor.value, "nama": nama.strip(), "nip": ""}
        if aktor is Aktor.DINAS_PENDIDIKAN:
            iid = e.get("instansi_id")
            nama = _account_name(store, Peran.DINAS, instansi_id=iid) or f"Dinas Pendidikan {instansi_nama(store, iid)}"
            return {"peran": aktor.value, "nama": nama, "nip": ""}
        return {"peran": aktor.value, "nama": "Selaras (otomatis)", "nip": ""}


def cards(store: Store, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Every error of one log entry as a card: title, cause, who acts (name and role), the
    steps, what the pegawai waits for, and the values of each system side by side."""
    pihak = _Pihak(store, entry)
    waiting_names = names_of(store, [e["selesai_oleh"] for e in entry["errors"] if e.get("selesai_oleh")])
    out = []
    for err in entry["errors"]:
        c = lookup(err["code"])
        who = [pihak.who(a, err) for a in c.aktor]
        menunggu = None
        if err.get("selesai_oleh"):
            nama = waiting_names.get(err["selesai_oleh"], err["selesai_oleh"])
            menunggu = (
                f"Menunggu {nama} (Kepala Sekolah) menyinkronkan SKP-nya; sinkronnya sudah siap. "
                "Selaras akan mencoba lagi otomatis."
            )
        elif Aktor.PEGAWAI not in c.aktor and Aktor.SISTEM not in c.aktor:
            first = who[0]
            if first["peran"] == Aktor.KEPALA_SEKOLAH.value:
                menunggu = (
                    f"Menunggu {first['nama']} (Kepala Sekolah) menyinkronkan SKP-nya; "
                    "Selaras akan mencoba lagi otomatis."
                )
            else:
                menunggu = (
                    f"Menunggu {first['nama']} ({first['peran']}) memperbaiki data; "
                    "Selaras akan mencoba lagi otomatis setelah perbaikan."
                )
        out.append(
            {
                "code": c.code,
                "judul": c.judul,
                "penyebab": c.penyebab,
                "langkah": list(c.langkah),
                "pihak": who,
                "menunggu": menunggu,
                "pmm_skp_id": err.get("pmm_skp_id"),
                "selesai_oleh": err.get("selesai_oleh"),
                "nilai": side_by_side(err.get("detail") or {}),
                "detail": err.get("detail"),
            }
        )
    return out


def result_view(store: Store, entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A logged result as shown: status, outcome, when, and the error cards."""
    if entry is None:
        return None
    return {
        "log_id": entry["log_id"],
        "waktu": entry["waktu"],
        "mode": entry["mode"],
        "flow": entry["flow"],
        "tahun": entry["tahun"],
        "status": entry["status"],
        "hasil": entry["hasil"],
        "berhasil": entry["status"] == Status.TERSINKRON.value,
        "kartu": cards(store, entry),
        "nip": entry["nip"],
        "nama": entry["nama"],
    }


def job_view(job: queue.Job | None) -> dict[str, Any] | None:
    """A job as JSON-able data."""
    if job is None:
        return None
    return {
        "job_id": job.job_id,
        "nip": job.nip,
        "flow": str(job.flow),
        "tahun": job.tahun,
        "alasan": job.alasan,
        "diminta_oleh": job.diminta_oleh,
        "status": str(job.status),
        "dibuat": job.dibuat,
        "mulai": job.mulai,
        "selesai": job.selesai,
        "percobaan": job.percobaan,
        "log_id": job.log_id,
        "hasil": job.hasil,
        "pesan": job.pesan,
    }


# ------------------------------------------------------------------------- pegawai page


def pegawai_view(ctx: Konteks, user: Pengguna, nip: str) -> dict[str, Any]:
    """The SKP page of one pegawai: who, the PMM plans of the year (schools for a rotation),
    the e-Kinerja SKPs, whether the Sinkron PMM button shows (PMM-01), the latest result of
    each flow, and the jobs in progress."""
    from selaras.web.queries import latest_entry

    store = ctx.store
    require_pegawai(store, user, nip)
    tahun = ctx.tahun()
    snap = load_snapshot(store, [nip])
    peg = snap["siasn_pegawai"].filter(pl.col("nip") == nip)
    if peg.height == 0:
        raise not_found()
    p = peg.row(0, named=True)
    live = check(snap, tahun, Flow.SKP, nips=[nip])
    live_errors = live.errors.filter(pl.col("nip") == nip)
    ptk = snap["dapodik_ptk"].filter((pl.col("nip") == nip) | (pl.col("nik") == p["nik"]))
    ptk_ids = ptk["ptk_id"].to_list()
    sekolah = {r["npsn"]: r["nama"] for r in snap["dapodik_sekolah"].iter_rows(named=True)}
    lo, hi = date(tahun, 1, 1), date(tahun, 12, 31)
    pmm = (
        snap["pmm_skp"]
        .filter(pl.col("ptk_id").is_in(ptk_ids) & (pl.col("periode_awal") <= hi) & (pl.col("periode_akhir") >= lo))
        .sort("periode_awal", "npsn")
    )
    atasan_names = names_of(store, pmm["atasan_nip"].drop_nulls().to_list())
    ek = snap["ekinerja_skp"].filter(pl.col("nip") == nip)
    ek_by_pmm = {r["pmm_skp_id"]: r for r in ek.iter_rows(named=True) if r["pmm_skp_id"]}
    nilai_pmm = snap["pmm_penilaian"].group_by("pmm_skp_id").len()
    nilai_pmm_n = dict(zip(nilai_pmm["pmm_skp_id"].to_list(), nilai_pmm["len"].to_list(), strict=True))
    nilai_ek = snap["ekinerja_penilaian"].group_by("skp_id").len()
    nilai_ek_n = dict(zip(nilai_ek["skp_id"].to_list(), nilai_ek["len"].to_list(), strict=True))
    skps = []
    for r in pmm.iter_rows(named=True):
        synced = ek_by_pmm.get(r["pmm_skp_id"])
        skps.append(
            {
                "pmm_skp_id": r["pmm_skp_id"],
                "npsn": r["npsn"],
                "sekolah": sekolah.get(r["npsn"]) or r["npsn"],
                "periode_awal": r["periode_awal"],
                "periode_akhir": r["periode_akhir"],
                "status": r["status"],
                "atasan_nip": r["atasan_nip"],
                "atasan_nama": atasan_names.get(r["atasan_nip"] or "", None),
                "skp_id": synced["skp_id"] if synced else None,
                "penilaian_pmm": nilai_pmm_n.get(r["pmm_skp_id"], 0),
                "penilaian_ekinerja": nilai_ek_n.get(synced["skp_id"], 0) if synced else 0,
            }
        )
    manual = [r for r in ek.iter_rows(named=True) if r["sumber"] == "MANUAL"]
    pmm01 = live_errors.filter(pl.col("code") == "PMM-01")
    tanpa_tombol = None
    if pmm01.height:
        entry = {
            "nip": nip,
            "nama": p["nama"],
            "npsn": ptk["npsn"][0] if ptk.height else None,
            "instansi_id": p["instansi_id"],
            "errors": [{**pmm01.row(0, named=True), "detail": _json(pmm01["detail"][0])}],
        }
        tanpa_tombol = cards(store, entry)[0]
    ks = (
        bool(
            ptk.filter(pl.col("nip") == nip)
            .select(
                (pl.col("jenis_ptk") == KEPALA_SEKOLAH) | (pl.col("tugas_tambahan") == KEPALA_SEKOLAH).fill_null(False)
            )
            .to_series()
            .any()
        )
        if ptk.height
        else False
    )
    jobs = [job_view(j) for j in queue.jobs_of(store, nip, limit=5)]
    return {
        "nip": nip,
        "nama": p["nama"],
        "jabatan": p["jabatan_nama"],
        "instansi_id": p["instansi_id"],
        "instansi_nama": instansi_nama(store, p["instansi_id"]),
        "unor_id": p["unor_id"],
        "kepala_sekolah": ks,
        "sekolah": sorted({s["sekolah"] for s in skps}),
        "tahun": tahun,
        "skp": skps,
        "skp_manual": manual,
        "rotasi": len({s["npsn"] for s in skps}) > 1,
        "tombol_sinkron": pmm01.height == 0,
        "tanpa_tombol": tanpa_tombol,
        "hasil_skp": result_view(store, latest_entry(store, nip, Flow.SKP.value)),
        "hasil_penilaian": result_view(store, latest_entry(store, nip, Flow.PENILAIAN.value)),
        "jobs": jobs,
        "job_aktif": next((j for j in jobs if j and j["status"] != queue.JobStatus.SELESAI.value), None),
        "boleh_sinkron": user.peran is Peran.ADMIN or (user.peran is Peran.PEGAWAI and user.akun.nip == nip),
        "boleh_ganti_manual": user.peran is Peran.ADMIN or (user.peran is Peran.PEGAWAI and user.akun.nip == nip),
    }


def _json(text: str | None) -> Any:
    import json

    return json.loads(text) if text else {}


# ------------------------------------------------------------------------------ actions


def request_sync(ctx: Konteks, user: Pengguna, nip: str, flow: Flow) -> list[int]:
    """Queue a sync of ``nip`` (the pegawai's button, or an admin on their behalf: audited)."""
    alasan = require_sync_for(ctx.store, user, nip)
    tahun = ctx.tahun()
    ids = ctx.runner.submit([nip], Flow(flow), tahun, alasan=alasan, diminta_oleh=user.akun.username)
    if alasan == "ADMIN":
        from selaras.web.queries import latest_state

        audit.record(
            ctx.store,
            user,
            "SINKRON_ATAS_NAMA",
            f"pegawai:{nip}",
            sebelum=latest_state(ctx.store, nip, Flow(flow).value, tahun),
            sesudah={"flow": Flow(flow).value, "tahun": tahun, "job_id": ids},
        )
    return ids


def bulk_sync(
    ctx: Konteks,
    user: Pengguna,
    *,
    flow: Flow = Flow.SKP,
    npsn: str | None = None,
    nips: Sequence[str] | None = None,
    code: str | None = None,
    semua: bool = False,
) -> dict[str, Any]:
    """Queue a sync for a school, a selection, everyone whose latest result has ``code``, or
    (``semua``) every pegawai of the admin's instansi; audited. ``{jumlah, job_ids}``."""
    instansi_id = require_admin(user)
    store, tahun = ctx.store, ctx.tahun()
    if not (npsn or nips or code or semua):
        raise Ditolak(422, "Pilih sekolah, pegawai, kode kendala, atau semua pegawai.")
    if code and code not in CATALOGUE:
        raise Ditolak(422, f"Kode {code} tidak dikenal.")
    chosen: set[str] = set()
    latest = latest_results(store, Flow(flow), instansi_id, tahun=tahun)
    if npsn:
        with store.read() as conn:
            rows = conn.execute(
                sa.select(_peg.c.nip)
                .join(_unor, _unor.c.unor_id == _peg.c.unor_id)
                .where(_unor.c.npsn == npsn, _peg.c.instansi_id == instansi_id)
            )
            chosen.update(r[0] for r in rows)
        if latest is not None:
            chosen.update(latest.pegawai.filter(pl.col("npsn") == npsn)["nip"].to_list())
    if semua:
        with store.read() as conn:
            chosen.update(r[0] for r in conn.execute(sa.select(_peg.c.nip).where(_peg.c.instansi_id == instansi_id)))
    if code and latest is not None:
        chosen.update(latest.errors.filter(pl.col("code") == code)["nip"].unique().to_list())
    if nips:
        wanted = sorted(set(nips))
        with store.read() as conn:
            found = {
                r[0]
                for i in range(0, len(wanted), 500)
                for r in conn.execute(
                    sa.select(_peg.c.nip).where(_peg.c.nip.in_(wanted[i : i + 500]), _peg.c.instansi_id == instansi_id)
                )
            }
        if len(found) != len(wanted):
            raise not_found("Sebagian pegawai yang dipilih tidak ditemukan di instansi Anda.")
        chosen.update(found)
    if len(chosen) > MASSAL_MAX:
        raise Ditolak(422, f"Terlalu banyak pegawai ({len(chosen):,}); batas satu permintaan {MASSAL_MAX:,}.")
    ordered = sorted(chosen)
    ids = (
        ctx.runner.submit(ordered, Flow(flow), tahun, alasan="MASSAL", diminta_oleh=user.akun.username)
        if ordered
        else []
    )
    audit.record(
        store,
        user,
        "SINKRON_MASSAL",
        f"instansi:{instansi_id}",
        sebelum={
            "kriteria": {"npsn": npsn, "kode": code, "nip": list(nips or []), "semua": semua},
            "flow": Flow(flow).value,
        },
        sesudah={"jumlah": len(ordered), "tahun": tahun, "job_id_pertama": ids[0] if ids else None},
    )
    return {"jumlah": len(ordered), "job_ids": ids}


def _cascade(ctx: Konteks, user: Pengguna, nips: Sequence[str], flow: Flow = Flow.SKP) -> int:
    if not nips:
        return 0
    ids = ctx.runner.submit(list(nips), flow, ctx.tahun(), alasan="KASKADE", diminta_oleh=user.akun.username)
    return len(ids)


# ---------------------------------------------------------------------- Manajemen Periode


def periode_list(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The e-Kinerja periods of an instansi, by start date."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(_periode)
            .where(_periode.c.instansi_id == instansi_id)
            .order_by(_periode.c.jenis.desc(), _periode.c.awal, _periode.c.periode_id)
        )
        return [dict(r._mapping) for r in rows]


def _periode_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    from selaras.domain.snapshot import TABLE

    return (
        pl.DataFrame(rows, schema=TABLE["ekinerja_periode"].polars_schema, orient="row")
        if rows
        else pl.DataFrame(schema=TABLE["ekinerja_periode"].polars_schema)
    )


def save_periode(ctx: Konteks, user: Pengguna, data: dict[str, Any]) -> dict[str, Any]:
    """Create or change one period of the admin's instansi. A setup that would not be standard
    (PER-01: mixed types, a number twice, out of range) is refused with the reasons (422)."""
    instansi_id = require_admin(user)
    store = ctx.store
    row = {
        "periode_id": (data.get("periode_id") or "").strip(),
        "instansi_id": instansi_id,
        "nama": (data.get("nama") or "").strip(),
        "jenis": (data.get("jenis") or "").strip().upper(),
        "awal": data.get("awal"),
        "akhir": data.get("akhir"),
        "tipe_periodik": (data.get("tipe_periodik") or "").strip().upper() or None,
        "angka_periodik": data.get("angka_periodik"),
    }
    problems = []
    if not row["periode_id"]:
        problems.append("ID periode wajib diisi.")
    if row["jenis"] not in ("TAHUNAN", "PERIODIK"):
        problems.append("Jenis periode harus TAHUNAN atau PERIODIK.")
    try:
        row["awal"] = _date(row["awal"])
        row["akhir"] = _date(row["akhir"])
        if row["awal"] > row["akhir"]:
            problems.append("Tanggal awal sesudah tanggal akhir.")
    except (TypeError, ValueError):
        problems.append("Tanggal awal dan akhir wajib, format YYYY-MM-DD.")
    if row["angka_periodik"] in ("", None):
        row["angka_periodik"] = None
    else:
        try:
            row["angka_periodik"] = int(row["angka_periodik"])
        except (TypeError, ValueError):
            problems.append("Nomor periodik harus angka.")
    if row["jenis"] == "PERIODIK":
        if row["tipe_periodik"] not in ("BULANAN", "TRIWULANAN"):
            problems.append("Periode PERIODIK memerlukan jenis BULANAN atau TRIWULANAN.")
        if row["angka_periodik"] is None:
            problems.append("Periode PERIODIK memerlukan nomor.")
    else:
        row["tipe_periodik"], row["angka_periodik"] = None, None
    if problems:
        raise Ditolak(422, " ".join(problems))
    existing = periode_list(store, instansi_id)
    with store.read() as conn:
        owner = conn.execute(
            sa.select(_periode.c.instansi_id).where(_periode.c.periode_id == row["periode_id"])
        ).scalar()
    if owner is not None and owner != instansi_id:  # out of reach: the same answer as for what does not exist
        raise not_found(f"ID periode {row['periode_id']} tidak dapat dipakai; pilih ID lain.")
    overlaps = tahunan_overlaps(existing, row)
    if overlaps:
        raise Ditolak(422, " ".join(overlaps))
    before = next((r for r in existing if r["periode_id"] == row["periode_id"]), None)
    after = [r for r in existing if r["periode_id"] != row["periode_id"]] + [row]
    if row["jenis"] == "PERIODIK":
        reasons = periode_problems(_periode_frame(after), instansi_id, row["awal"].year)
        if reasons:
            raise Ditolak(422, "Pengaturan ditolak (PER-01, " + lookup("PER-01").judul + "): " + " ".join(reasons))
    upsert_rows(store, "ekinerja_periode", _periode_frame([row]))
    audit.record(store, user, "PERIODE_SIMPAN", f"periode:{row['periode_id']}", sebelum=before, sesudah=row)
    _cascade(ctx, user, _blocked_by(ctx, instansi_id, ("PMM-06",)), Flow.SKP)
    _cascade(ctx, user, _blocked_by(ctx, instansi_id, ("PER-01",), Flow.PENILAIAN), Flow.PENILAIAN)
    return row


def delete_periode(ctx: Konteks, user: Pengguna, periode_id: str) -> None:
    """Delete one period of the admin's instansi (audited); 404 for another instansi's."""
    instansi_id = require_admin(user)
    existing = periode_list(ctx.store, instansi_id)
    before = next((r for r in existing if r["periode_id"] == periode_id), None)
    if before is None:
        raise not_found("Periode tidak ditemukan di instansi Anda.")
    with ctx.store.write() as conn:
        conn.execute(sa.delete(_periode).where(_periode.c.periode_id == periode_id))
        audit.record(ctx.store, user, "PERIODE_HAPUS", f"periode:{periode_id}", sebelum=before, conn=conn)


def _blocked_by(ctx: Konteks, instansi_id: str, codes: Sequence[str], flow: Flow = Flow.SKP) -> list[str]:
    latest = latest_results(ctx.store, flow, instansi_id, tahun=ctx.tahun())
    if latest is None:
        return []
    return sorted(set(latest.errors.filter(pl.col("code").is_in(list(codes)))["nip"].to_list()))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ------------------------------------------------------------------ units and manual SKP


def unor_list(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The instansi's units with activity in SIASN and e-Kinerja and the e-Kinerja superior."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(
                _unor.c.unor_id,
                _unor.c.nama,
                _unor.c.npsn,
                _unor.c.parent_unor_id,
                _unor.c.aktif.label("aktif_siasn"),
                _ek_unor.c.aktif.label("aktif_ekinerja"),
                _ek_unor.c.atasan_nip,
            )
            .outerjoin(_ek_unor, _ek_unor.c.unor_id == _unor.c.unor_id)
            .where(_unor.c.instansi_id == instansi_id)
            .order_by(_unor.c.nama)
        )
        out = [dict(r._mapping) for r in rows]
    names = names_of(store, [r["atasan_nip"] for r in out if r["atasan_nip"]])
    for r in out:
        r["atasan_nama"] = names.get(r["atasan_nip"] or "")
    return out


def set_atasan(ctx: Konteks, user: Pengguna, unor_id: str, atasan_nip: str) -> dict[str, Any]:
    """Change the superior of one unit in e-Kinerja (audited), then re-check whom it concerns."""
    instansi_id = require_admin(user)
    store = ctx.store
    if not NIP_RE.match(atasan_nip or ""):
        raise Ditolak(422, "NIP atasan harus 18 angka.")
    with store.read() as conn:
        owner = conn.execute(sa.select(_unor.c.instansi_id).where(_unor.c.unor_id == unor_id)).scalar()
        before = conn.execute(sa.select(_ek_unor).where(_ek_unor.c.unor_id == unor_id)).first()
    if owner != instansi_id:
        raise not_found("Unit kerja tidak ditemukan di instansi Anda.")
    sebelum = dict(before._mapping) if before is not None else None
    after = {"unor_id": unor_id, "aktif": sebelum["aktif"] if sebelum else True, "atasan_nip": atasan_nip}
    from selaras.domain.snapshot import TABLE

    upsert_rows(store, "ekinerja_unor", pl.DataFrame([after], schema=TABLE["ekinerja_unor"].polars_schema))
    audit.record(store, user, "UBAH_ATASAN_UNOR", f"unor:{unor_id}", sebelum=sebelum, sesudah=after)
    n = _cascade(ctx, user, cascade.affected(store, unor_id=unor_id, flow=Flow.SKP), Flow.SKP)
    return {**after, "dicoba_lagi": n}


def replace_manual_skp(ctx: Konteks, user: Pengguna, nip: str, skp_id: str) -> dict[str, Any]:
    """Let the synced SKP replace a MANUAL e-Kinerja SKP (PMM-07): the manual SKP and its RHK
    are removed in one transaction with the audit row, then the pegawai's sync is queued."""
    if not (user.peran is Peran.ADMIN or (user.peran is Peran.PEGAWAI and user.akun.nip == nip)):
        require_pegawai(ctx.store, user, nip)
        raise forbidden("Hanya pegawai itu sendiri atau Admin Instansi yang dapat mengganti SKP manual.")
    require_pegawai(ctx.store, user, nip)
    store = ctx.store
    with store.write() as conn:
        skp = conn.execute(sa.select(_ek_skp).where(_ek_skp.c.skp_id == skp_id, _ek_skp.c.nip == nip)).first()
        if skp is None or skp.sumber != "MANUAL":
            raise not_found("SKP manual tidak ditemukan untuk pegawai ini.")
        rhk = [dict(r._mapping) for r in conn.execute(sa.select(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))]
        conn.execute(sa.delete(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))
        conn.execute(sa.delete(_ek_skp).where(_ek_skp.c.skp_id == skp_id))
        audit.record(
            store,
            user,
            "GANTI_SKP_MANUAL",
            f"pegawai:{nip}",
            sebelum={"skp": dict(skp._mapping), "rhk": rhk},
            sesudah={"skp": None, "diganti_oleh": "SKP hasil Sinkron PMM"},
            conn=conn,
        )
    alasan = "TOMBOL" if user.peran is Peran.PEGAWAI else "ADMIN"
    ids = ctx.runner.submit([nip], Flow.SKP, ctx.tahun(), alasan=alasan, diminta_oleh=user.akun.username)
    return {"skp_id": skp_id, "dihapus_rhk": len(rhk), "job_ids": ids}


# ---------------------------------------------------------------------------------- recap


def recap_view(ctx: Konteks, user: Pengguna, flow: Flow, instansi_id: str | None) -> dict[str, Any]:
    """The recap of sync problems of the user's instansi (a national admin: any or all)."""
    from selaras.store.repository import load_table
    from selaras.web.queries import trend

    scope = instansi_scope(user, instansi_id)
    if user.peran is Peran.DINAS:
        raise forbidden("Rekap hanya untuk Admin Instansi dan Admin Nasional.")
    store, tahun = ctx.store, ctx.tahun()
    result = latest_results(store, Flow(flow), scope, tahun=tahun)
    tenggat = ctx.tenggat(tahun)
    base: dict[str, Any] = {
        "flow": Flow(flow).value,
        "tahun": tahun,
        "instansi_id": scope,
        "instansi_nama": instansi_nama(store, scope) if scope else "Semua instansi",
        "tenggat": tenggat,
        "sisa_hari": (tenggat - datetime.now(UTC).date()).days,
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
            "persen_tersinkron": 0.0,
        }
    sekolah = load_table(store, "dapodik_sekolah")
    r = recap(result, sekolah)
    total = r.total
    return {
        **base,
        "total": total,
        "status": r.by_status,
        "persen_tersinkron": round(100.0 * r.by_status.get(Status.TERSINKRON.value, 0) / total, 1) if total else 0.0,
        "kode": r.by_code.to_dicts(),
        "sekolah": r.by_school.to_dicts(),
        "aktor": r.by_actor.to_dicts(),
        "penahan": r.blockers.to_dicts(),
        "tren": trend(store, Flow(flow).value, tahun, scope).to_dicts(),
    }


# ------------------------------------------------------------------------------ worklists


def _root(code: str, err: dict[str, Any], row: dict[str, Any]) -> tuple[str, str]:
    """The root cause an error shares with others: one item per principal, unit, school..."""
    d = err.get("detail") or {}
    if code in ("PMM-11", "PMM-13") and (d.get("ekinerja") or {}).get("atasan_nip"):
        return "atasan", d["ekinerja"]["atasan_nip"]
    if code == "PMM-12" and (d.get("ekinerja") or {}).get("unor_id"):
        return "unor", d["ekinerja"]["unor_id"]
    if code == "PMM-03" and (d.get("siasn") or {}).get("unor_id"):
        return "unor", d["siasn"]["unor_id"]
    if code == "PMM-08" and (d.get("pmm") or {}).get("npsn"):
        return "sekolah", d["pmm"]["npsn"]
    if code in ("PMM-06", "PER-01"):
        return "instansi", row.get("instansi_id") or ""
    if code == "PMM-02" and row.get("kepala_sekolah") is False:
        return "sekolah-skp", row.get("npsn") or ""
    return "pegawai", row["nip"]


def _actor_for(user: Pengguna) -> tuple[Aktor, ...]:
    p = user.peran
    if p is Peran.ADMIN:
        return (Aktor.ADMIN_INSTANSI,)
    if p is Peran.DINAS:
        return (Aktor.DINAS_PENDIDIKAN,)
    if p is Peran.OPERATOR:
        return (Aktor.OPERATOR_SEKOLAH,)
    if p is Peran.PEGAWAI and user.kepala_sekolah:
        return (Aktor.KEPALA_SEKOLAH, Aktor.PEGAWAI)
    if p is Peran.PEGAWAI:
        return (Aktor.PEGAWAI,)
    raise forbidden("Admin Nasional hanya membaca rekap dan log; tidak ada daftar kerja.")


def worklist(ctx: Konteks, user: Pengguna) -> dict[str, Any]:
    """What the user must fix, grouped by root cause: one principal who has not synced is one
    item with the teachers it blocks, a unit's wrong superior one item with its teachers."""
    actors = _actor_for(user)
    store, tahun = ctx.store, ctx.tahun()
    if not user.instansi_id:
        return {"tahun": tahun, "butir": [], "peran": user.label}
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for flow in Flow:
        latest = latest_results(store, flow, user.instansi_id, tahun=tahun)
        if latest is None:
            continue
        peg = {r["nip"]: r for r in latest.pegawai.iter_rows(named=True)}
        for e in latest.errors.iter_rows(named=True):
            c = CATALOGUE[e["code"]]
            row = peg.get(e["nip"], {"nip": e["nip"]})
            err = {**e, "detail": _json(e["detail"])}
            mine = [a for a in c.aktor if a in actors]
            if not mine:
                continue
            if not _concerns(user, mine, c.code, err, row):
                continue
            kind, key = _root(c.code, err, row)
            item = groups.setdefault(
                (c.code, kind, key),
                {"code": c.code, "judul": c.judul, "jenis": kind, "kunci": key, "flow": flow.value, "pegawai": {}},
            )
            item["pegawai"][e["nip"]] = row.get("nama") or e["nip"]
    items = []
    atasan_names = names_of(store, [k for (_, kind, k) in groups if kind == "atasan"])
    unit_names = _unit_names(store, [k for (_, kind, k) in groups if kind == "unor"])
    for (code, kind, key), item in groups.items():
        pegawai = sorted(item.pop("pegawai").items(), key=lambda kv: kv[1] or "")
        label = {
            "atasan": lambda k, code=code: (
                f"Kepala sekolah {atasan_names.get(k, k)} (NIP {k}) belum menyinkronkan SKP-nya"
                if code == "PMM-11"
                else f"SKP kepala sekolah {atasan_names.get(k, k)} (NIP {k}) belum hasil sinkron dari PMM"
            ),
            "unor": lambda k, code=code: (
                f"Atasan unit {unit_names.get(k, k)} ({k}) di e-Kinerja berbeda dengan PMM"
                if code == "PMM-12"
                else f"Unit {unit_names.get(k, k)} ({k}) tidak aktif atau tidak terdaftar"
            ),
            "sekolah": lambda k: f"Sekolah {sekolah_nama(store, k) or k} (NPSN {k})",
            "sekolah-skp": lambda k: f"SKP guru di {sekolah_nama(store, k) or k} belum disepakati",
            "instansi": lambda k: f"Pengaturan periode instansi {instansi_nama(store, k) or k}",
            "pegawai": lambda k, first=pegawai[0][1]: f"{first} (NIP {k})",
        }[kind](key)
        items.append(
            {
                **item,
                "label": label,
                "jumlah": len(pegawai),
                "daftar": [{"nip": n, "nama": nm} for n, nm in pegawai],
                "urutan": CATALOGUE[code].urutan,
            }
        )
    items.sort(key=lambda i: (-i["jumlah"], i["urutan"], i["kunci"]))
    return {"tahun": tahun, "peran": user.label, "butir": items}


def _unit_names(store: Store, ids: Sequence[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    with store.read() as conn:
        return {
            r.unor_id: r.nama
            for i in range(0, len(wanted), 500)
            for r in conn.execute(
                sa.select(_unor.c.unor_id, _unor.c.nama).where(_unor.c.unor_id.in_(wanted[i : i + 500]))
            )
        }


def _concerns(user: Pengguna, mine: list[Aktor], code: str, err: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether an error (whose actors include the user's) is this user's to fix."""
    if user.peran in (Peran.ADMIN, Peran.DINAS):
        return True
    if user.peran is Peran.OPERATOR:
        return row.get("npsn") == user.npsn
    nip = user.akun.nip
    if Aktor.KEPALA_SEKOLAH in mine and user.kepala_sekolah:
        if code in ("PMM-11", "PMM-13"):
            return ((err["detail"].get("ekinerja") or {}).get("atasan_nip")) == nip
        if row["nip"] != nip and row.get("npsn") == user.npsn:
            return True
    return Aktor.PEGAWAI in mine and row["nip"] == nip


# ------------------------------------------------------------------------ school and notices


def school_view(ctx: Konteks, user: Pengguna) -> dict[str, Any]:
    """The sync state of each pegawai of the user's school (operator, principal)."""
    if not (user.peran is Peran.OPERATOR or (user.peran is Peran.PEGAWAI and user.kepala_sekolah)):
        raise forbidden("Halaman sekolah untuk operator sekolah dan kepala sekolah.")
    store, tahun = ctx.store, ctx.tahun()
    with store.read() as conn:
        ptk = conn.execute(
            sa.select(_ptk.c.nip, _ptk.c.nama, _ptk.c.jenis_ptk, _ptk.c.tugas_tambahan)
            .where(_ptk.c.npsn == user.npsn)
            .order_by(_ptk.c.nama)
        ).all()
    state: dict[str, dict[str, Any]] = {}
    for flow in Flow:
        latest = latest_results(store, flow, user.instansi_id, tahun=tahun) if user.instansi_id else None
        if latest is None:
            continue
        codes = latest.errors.group_by("nip").agg(pl.col("code").unique(maintain_order=True))
        code_of = dict(zip(codes["nip"].to_list(), codes["code"].to_list(), strict=True))
        for r in latest.pegawai.iter_rows(named=True):
            state.setdefault(r["nip"], {})[flow.value] = {"status": r["status"], "kode": code_of.get(r["nip"], [])}
    rows = [
        {
            "nip": p.nip,
            "nama": p.nama,
            "jenis_ptk": p.jenis_ptk,
            "kepala_sekolah": KEPALA_SEKOLAH in (p.jenis_ptk, p.tugas_tambahan),
            "skp": state.get(p.nip or "", {}).get("skp"),
            "penilaian": state.get(p.nip or "", {}).get("penilaian"),
        }
        for p in ptk
    ]
    return {"npsn": user.npsn, "nama": user.sekolah_nama, "tahun": tahun, "pegawai": rows}


def penerima_of(user: Pengguna) -> list[str]:
    """The notice addresses of a user (``jobs.notifications``)."""
    p = user.peran
    if p is Peran.PEGAWAI and user.akun.nip:
        return [f"pegawai:{user.akun.nip}"]
    if p is Peran.OPERATOR and user.npsn:
        return [f"operator:{user.npsn}"]
    if p is Peran.ADMIN and user.instansi_id:
        return [f"admin:{user.instansi_id}"]
    if p is Peran.DINAS and user.instansi_id:
        return [f"dinas:{user.instansi_id}"]
    return []


def notices(store: Store, user: Pengguna, limit: int = 20) -> list[dict[str, Any]]:
    """The user's newest notices."""
    keys = penerima_of(user)
    if not keys:
        return []
    return [n.__dict__ for n in notices_for(store, keys, limit=limit)]
