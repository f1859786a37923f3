"""The year's end on the pages (annual.md): a pegawai's rating, credit and promotion readiness
(the teacher's page and the printable PAK konversi), a school's distribution against its PKO
(the leader), the schools without a PKO or breaking the rule (the Dinas), and the pegawai due
for promotion this year (the Admin Instansi). The rules run in ``usecases.periksa``; this
module shows what they found."""

from __future__ import annotations

from typing import Any

import polars as pl

from selaras.catalogue import words
from selaras.domain.akun import Peran
from selaras.domain.sebaran import ATURAN, MIN_DINILAI
from selaras.domain.snapshot import PREDIKAT, Snapshot
from selaras.store import reads
from selaras.usecases.access import Pengguna, forbidden, not_found, require_pegawai
from selaras.usecases.periksa import (
    Pemeriksaan,
    SebaranSekolah,
    periksa_instansi,
    periksa_pegawai,
    periksa_sekolah,
    sebaran_of,
)
from selaras.web.charts import sebaran_chart
from selaras.web.screens.konteks import Konteks


def tahun_pegawai_view(c: Pemeriksaan) -> dict[str, Any]:
    """The teacher's year: rating, credit with its formula and numbers, gathered and needed,
    the year each next step is expected at this year's rating (from the live check ``c``)."""
    nip, t = c.nip, c.tahunan
    nilai, r = t.nilai, t.kenaikan
    rincian = []
    for seg in (r or {}).get("rincian") or []:
        koef = seg["koefisien"]
        rumus = f"{seg['bulan']}/12 × {seg['persen']}% × {words.angka(koef, 1 if koef % 1 else 0)}"
        rincian.append(
            {
                "jenjang": words.label(words.JENJANG, seg["jenjang"]),
                "bulan": seg["bulan"],
                "persen": seg["persen"],
                "koefisien": koef,
                "angka_kredit": seg["angka_kredit"],
                "rumus": f"{rumus} = {words.angka(seg['angka_kredit'], 2)}",
            }
        )
    riwayat = c.snapshot["siasn_angka_kredit"].filter(pl.col("nip") == nip).sort("tahun", "jenis").to_dicts()
    return {
        "tahun": c.tahun,
        "predikat": nilai["predikat"][0] if nilai.height else None,
        "angka_kredit": nilai["angka_kredit"][0] if nilai.height else None,
        "jenjang": (r or {}).get("jenjang"),
        "golongan": (r or {}).get("golongan"),
        "rincian": rincian,
        "terkumpul": (r or {}).get("terkumpul"),
        "butuh_pangkat": (r or {}).get("butuh_pangkat"),
        "butuh_jenjang": (r or {}).get("butuh_jenjang"),
        "tahun_pangkat": (r or {}).get("tahun_pangkat"),
        "tahun_jenjang": (r or {}).get("tahun_jenjang"),
        "boleh_jenjang": (r or {}).get("boleh_jenjang"),
        "riwayat": riwayat,
        "kode": t.kode,
        "ada": r is not None or bool(nilai.height and nilai["predikat"][0]),
    }


def sebaran_sekolah(snap: Snapshot, tahun: int, npsn: str) -> dict[str, Any]:
    """The leader's view of ``npsn``: the PKO, each rating's count and share against the bounds,
    the bounds broken, and the teachers still without a rating (``snap``: the school's rows)."""
    return sebaran_view(sebaran_of(snap, tahun, npsn))


def sebaran_view(s: SebaranSekolah) -> dict[str, Any]:
    """The leader's view of a school's distribution as the rules judged it (:func:`sebaran_sekolah`)."""
    r = s.sebaran
    dinilai = r.get("dinilai") or 0
    aturan = ATURAN.get(r.get("pko") or "", ())
    broken = set(r.get("pelanggaran") or [])
    bars = [
        (
            words.label(words.PREDIKAT, p),
            int(r.get(f"jumlah_{p}") or 0),
            100 * (r.get(f"jumlah_{p}") or 0) / dinilai if dinilai else 0.0,
            [
                ("paling banyak" if b.arah == "paling_banyak" else "paling sedikit", float(b.nilai))
                for b in aturan
                if b.predikat == (p,) and b.satuan == "persen"
            ],
            any(b.kunci in broken and p in b.predikat for b in aturan),
        )
        for p in PREDIKAT
    ]
    return {
        "npsn": s.npsn,
        "pko": r.get("pko"),
        "sesudah": s.sesudah,
        "dinilai": dinilai,
        "dinilai_cukup": bool(r.get("dinilai_cukup")),
        "min_dinilai": MIN_DINILAI,
        "pelanggaran": list(r.get("pelanggaran") or []),
        "batas": [b.kunci for b in ATURAN.get(r.get("pko") or "", ())],
        "chart": sebaran_chart(bars),
        "belum": s.guru.filter(pl.col("predikat").is_null()).select("nip", "nama").to_dicts(),
    }


# --- from the store, by role -------------------------------------------------------------


def pak_view(ctx: Konteks, user: Pengguna, nip: str) -> dict[str, Any]:
    """The printable PAK konversi of one pegawai: who, the year's rating and credit per jenjang,
    the credit gathered and what the next steps need."""
    store = ctx.store
    require_pegawai(store, user, nip)
    c = periksa_pegawai(store, nip, ctx.tahun(), flow=None)
    if c is None:
        raise not_found()
    p = c.pegawai
    return {
        "nip": nip,
        "nama": p["nama"],
        "jabatan": p["jabatan_nama"],
        "unor_nama": reads.unit_names(store, [p["unor_id"] or ""]).get(p["unor_id"] or ""),
        "instansi_nama": reads.instansi_nama(store, p["instansi_id"]),
        "t": tahun_pegawai_view(c),
    }


def tahunan_view(ctx: Konteks, user: Pengguna) -> dict[str, Any]:
    """The year's end for the signed-in role: a school's distribution (principal, operator),
    the schools to act on (Dinas), and those plus the promotions due (Admin Instansi)."""
    store, tahun = ctx.store, ctx.tahun()
    out: dict[str, Any] = {"tahun": tahun, "sekolah": None, "dinas": None, "admin": None}
    if user.peran is Peran.OPERATOR or (user.peran is Peran.PEGAWAI and user.kepala_sekolah):
        out["sekolah"] = sebaran_view(periksa_sekolah(store, user.npsn, tahun))
        out["sekolah"]["nama"] = user.sekolah_nama
    elif user.peran in (Peran.DINAS, Peran.ADMIN) and user.instansi_id:
        out["dinas"], out["admin"] = periksa_instansi(store, user.instansi_id, tahun, naik=user.peran is Peran.ADMIN)
    else:
        raise forbidden("Halaman predikat tahunan untuk kepala sekolah, operator, Dinas dan Admin Instansi.")
    return out
