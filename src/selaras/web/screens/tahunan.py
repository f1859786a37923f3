"""The year's end on the pages (annual.md): a pegawai's rating, credit and promotion readiness
(the teacher's page and the printable PAK konversi), a school's distribution against its PKO
(the leader), the schools without a PKO or breaking the rule (the Dinas), and the pegawai due
for promotion this year (the Admin Instansi)."""

from __future__ import annotations

from typing import Any

import polars as pl

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE, TAHUNAN_CODES
from selaras.domain.angka_kredit import kenaikan
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import Flow
from selaras.domain.rules import evaluate
from selaras.domain.rules.common import scope
from selaras.domain.rules.tahunan import TahunanContext
from selaras.domain.sebaran import ATURAN, MIN_DINILAI, langgar
from selaras.domain.snapshot import PREDIKAT, Snapshot
from selaras.store import reads
from selaras.store.parts import load_part, plan_parts
from selaras.store.repository import load_snapshot
from selaras.usecases.periksa import Pemeriksaan, periksa_pegawai
from selaras.web.access import Pengguna, forbidden, not_found, require_pegawai
from selaras.web.accounts import Peran
from selaras.web.charts import sebaran_chart
from selaras.web.screens.konteks import Konteks

JUDUL = {c: f"({e.judul})" for c, e in CATALOGUE.items() if c in TAHUNAN_CODES}


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
    sc = scope(snap, tahun, None, None)
    c = TahunanContext(snap, tahun, sc)
    row = c.sebaran.filter(pl.col("npsn") == npsn)
    r = row.row(0, named=True) if row.height else {"pko": None, "dinilai": 0, "pelanggaran": [], "dinilai_cukup": False}
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
    guru = (
        snap["dapodik_ptk"]
        .filter((pl.col("npsn") == npsn) & ~principal_expr() & pl.col("nip").is_not_null())
        .join(
            snap["pmm_predikat"].filter(pl.col("tahun") == tahun).select("ptk_id", "predikat"), on="ptk_id", how="left"
        )
        .sort("nama")
    )
    # Monitoring kurva: the distribution after one more rating of each kind, before it is given.
    jumlah = {p: int(r.get(f"jumlah_{p}") or 0) for p in PREDIKAT}
    sesudah = [
        {"predikat": p, "pelanggaran": langgar(r["pko"], {**jumlah, p: jumlah[p] + 1})}
        for p in PREDIKAT
        if r.get("pko")
    ]
    return {
        "npsn": npsn,
        "pko": r.get("pko"),
        "sesudah": sesudah,
        "dinilai": dinilai,
        "dinilai_cukup": bool(r.get("dinilai_cukup")),
        "min_dinilai": MIN_DINILAI,
        "pelanggaran": list(r.get("pelanggaran") or []),
        "batas": [b.kunci for b in ATURAN.get(r.get("pko") or "", ())],
        "chart": sebaran_chart(bars),
        "belum": guru.filter(pl.col("predikat").is_null()).select("nip", "nama").to_dicts(),
    }


def sekolah_dinas(snap: Snapshot, tahun: int) -> dict[str, Any]:
    """The Dinas's view: schools without a PKO, schools whose distribution breaks the rule."""
    sc = scope(snap, tahun, None, None)
    c = TahunanContext(snap, tahun, sc)
    nama = snap["dapodik_sekolah"].select("npsn", "nama")
    judged = c.sebaran
    tanpa = (
        nama.join(c.pko, on="npsn", how="anti")
        .join(sc.pegawai.group_by("npsn").len("pegawai"), on="npsn", how="inner")
        .sort("nama")
    )
    langgar = (
        judged.filter(pl.col("pelanggaran").list.len() > 0)
        .join(nama, on="npsn", how="left")
        .sort("nama")
        .select("npsn", "nama", "pko", "dinilai", "pelanggaran")
    )
    return {"tanpa_pko": tanpa.to_dicts(), "melanggar": langgar.to_dicts()}


def naik_tahun_ini(snap: Snapshot, tahun: int) -> dict[str, Any]:
    """The Admin Instansi's view: pegawai due for a promotion this year, and those whose credit
    is blocked by a missing rating (TAH-03) or jenjang (TAH-05)."""
    ev = evaluate(snap, tahun, Flow.TAHUNAN)
    nilai = ev.tahunan if ev.tahunan is not None else pl.DataFrame(schema={"nip": pl.String, "predikat": pl.String})
    ready = kenaikan(
        snap["siasn_jabatan"], snap["siasn_angka_kredit"], nilai.select("nip", "predikat").drop_nulls(), tahun
    )
    peg = ev.pegawai.select("nip", "nama", "npsn")
    due = (
        ready.filter(pl.col("naik_tahun_ini"))
        .join(peg, on="nip", how="inner")
        .sort("nama")
        .select(
            "nip",
            "nama",
            "npsn",
            "jenjang",
            "golongan",
            "terkumpul",
            "butuh_pangkat",
            "butuh_jenjang",
            "tahun_pangkat",
            "tahun_jenjang",
        )
    )
    blocked = (
        ev.errors.filter(pl.col("code").is_in(["TAH-03", "TAH-05"]))
        .group_by("nip")
        .agg(pl.col("code").unique().sort())
        .join(peg, on="nip", how="inner")
        .sort("nama")
        .with_columns(
            pl.col("code")
            .list.eval(pl.element() + pl.lit(" ") + pl.element().replace_strict(JUDUL, default=""))
            .alias("kendala")
        )
    )
    per_school = (
        nilai.join(peg, on="nip", how="inner")
        .group_by("npsn")
        .agg(pl.col("angka_kredit").sum().round(2).alias("angka_kredit"), pl.len().alias("pegawai"))
        .join(snap["dapodik_sekolah"].select("npsn", "nama"), on="npsn", how="left")
        .sort("nama")
    )
    return {"naik": due.to_dicts(), "terhambat": blocked.to_dicts(), "per_sekolah": per_school.to_dicts()}


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
        nips = [r["nip"] for r in reads.school_ptk(store, user.npsn) if r["nip"]]
        out["sekolah"] = sebaran_sekolah(load_snapshot(store, nips), tahun, user.npsn or "")
        out["sekolah"]["nama"] = user.sekolah_nama
    elif user.peran in (Peran.DINAS, Peran.ADMIN) and user.instansi_id:
        dinas: dict[str, list[dict[str, Any]]] = {"tanpa_pko": [], "melanggar": []}
        admin: dict[str, list[dict[str, Any]]] = {"naik": [], "terhambat": [], "per_sekolah": []}
        small: dict[str, pl.DataFrame] = {}
        for plan in plan_parts(store, instansi_id=user.instansi_id):
            snap = load_part(store, plan, small=small).snapshot
            for k, v in sekolah_dinas(snap, tahun).items():
                dinas[k].extend(v)
            if user.peran is Peran.ADMIN:
                for k, v in naik_tahun_ini(snap, tahun).items():
                    admin[k].extend(v)
        out["dinas"] = dinas
        out["admin"] = admin if user.peran is Peran.ADMIN else None
    else:
        raise forbidden("Halaman predikat tahunan untuk kepala sekolah, operator, Dinas dan Admin Instansi.")
    return out
