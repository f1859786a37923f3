"""Stage 1: the instansi (regional governments, a few hundred rows: plain Python), their size,
their instansi-level faults and their e-Kinerja periods (PER-01 and PMM-06 where broken)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from selaras.simulation.generator.build import Build
from selaras.simulation.generator.faults import INSTANSI_PERIODIK_RATE, INSTANSI_TAHUNAN_RATE
from selaras.simulation.generator.randomness import ordered_join
from selaras.simulation.generator.words import BULAN, KABUPATEN, KOTA, PROVINSI, ROMAWI


def _unique_names(pool: Sequence[str], k: int, rng: random.Random) -> list[str]:
    names = list(pool)
    rng.shuffle(names)
    out = names[:k]
    for suffix in ("Utara", "Selatan", "Timur", "Barat", "Tengah", "Raya", "Hulu", "Hilir"):
        if len(out) >= k:
            break
        out += [f"{n} {suffix}" for n in names[: k - len(out)]]
    n = 2
    while len(out) < k:
        out += [f"{p} {n}" for p in names[: k - len(out)]]
        n += 1
    return out


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def add_instansi(b: Build) -> None:
    """The instansi (``instansi``), their kind, place and size, and their instansi-level faults
    (``b.inst``)."""
    n, py = b.n_inst, b.py
    if n == 1:
        kinds = ["kab"]
    else:
        n_prov = round(n * 38 / 552)
        n_kota = round(n * 98 / 552)
        kinds = ["prov"] * n_prov + ["kota"] * n_kota + ["kab"] * (n - n_prov - n_kota)
        py.shuffle(kinds)
    pools = {"prov": PROVINSI, "kota": KOTA, "kab": KABUPATEN}
    names = {k: iter(_unique_names(pools[k], kinds.count(k), py)) for k in pools}
    places = [next(names[k]) for k in kinds]

    factor = {"prov": 3.2, "kab": 1.0, "kota": 0.75}
    weights = [factor[k] * py.lognormvariate(0.0, 0.45) for k in kinds]
    extra = b.pegawai - n
    total = sum(weights)
    raw = [w / total * extra for w in weights]
    base = [int(x) for x in raw]
    order = sorted(range(n), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: extra - sum(base)]:
        base[i] += 1
    n_peg = [1 + b for b in base]
    n_sch = [min(p, max(1, round(p / 10))) for p in n_peg]

    fault_tahunan: list[str | None] = [None] * n
    fault_periodik: list[str | None] = [None] * n
    if n >= 8:
        k_t = max(1, round(n * INSTANSI_TAHUNAN_RATE))
        k_p = max(1, round(n * INSTANSI_PERIODIK_RATE))
        chosen = py.sample(range(n), k_t + k_p)
        for j, i in enumerate(chosen[:k_t]):
            fault_tahunan[i] = ("hilang", "semester")[j % 2]
        for j, i in enumerate(chosen[k_t:]):
            fault_periodik[i] = ("campur", "ganda", "rentang")[j % 3]
    periodik = ["BULANAN" if py.random() < 0.2 else "TRIWULANAN" for _ in range(n)]

    label = {"prov": "Provinsi", "kab": "Kabupaten", "kota": "Kota"}
    dinas = {
        "prov": "Dinas Pendidikan Provinsi",
        "kab": "Dinas Pendidikan dan Kebudayaan Kabupaten",
        "kota": "Dinas Pendidikan Kota",
    }
    b.inst = pl.DataFrame(
        {
            "inst": list(range(n)),
            "instansi_id": [f"INS-{i + 1:04d}" for i in range(n)],
            "nama": [f"Pemerintah {label[k]} {p}" for k, p in zip(kinds, places, strict=True)],
            "dinas_nama": [f"{dinas[k]} {p}" for k, p in zip(kinds, places, strict=True)],
            "kind": kinds,
            "place": places,
            "n_peg": n_peg,
            "n_sch": n_sch,
            "periodik": periodik,
            "fault_tahunan": fault_tahunan,
            "fault_periodik": fault_periodik,
            "prov_code": [11 + (i // 90) % 89 for i in range(n)],
            "kab_code": [i % 90 + 1 for i in range(n)],
        },
        schema_overrides={
            "inst": pl.Int64,
            "n_peg": pl.Int64,
            "n_sch": pl.Int64,
            "fault_tahunan": pl.String,
            "fault_periodik": pl.String,
            "prov_code": pl.Int64,
            "kab_code": pl.Int64,
        },
    ).with_columns(bad_tahunan=pl.col("fault_tahunan").is_not_null())
    b.frames["instansi"] = b.inst.select("instansi_id", "nama")


class _PeriodeRows:
    """The rows of ``ekinerja_periode``, as they are added."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        inst_id: str,
        code: str,
        nama: str,
        jenis: str,
        awal: date,
        akhir: date,
        tipe: str | None = None,
        angka: int | None = None,
    ) -> None:
        self.rows.append(
            {
                "periode_id": f"PRD-{inst_id[4:]}-{code}",
                "instansi_id": inst_id,
                "nama": nama,
                "jenis": jenis,
                "awal": awal,
                "akhir": akhir,
                "tipe_periodik": tipe,
                "angka_periodik": angka,
            }
        )

    def periodic(self, inst_id: str, year: int, tipe: str, numbers: Sequence[int], tag: str = "") -> None:
        for a in numbers:
            if tipe == "BULANAN":
                m = min(max(a, 1), 12)
                self.add(
                    inst_id,
                    f"{year}-B{a:02d}{tag}",
                    f"Bulan {BULAN[m - 1]} {year}",
                    "PERIODIK",
                    date(year, m, 1),
                    _month_end(year, m),
                    tipe,
                    a,
                )
            else:
                q = min(max(a, 1), 4)
                self.add(
                    inst_id,
                    f"{year}-Q{a}{tag}",
                    f"Triwulan {ROMAWI[a - 1]} {year}",
                    "PERIODIK",
                    date(year, 3 * q - 2, 1),
                    _month_end(year, 3 * q),
                    tipe,
                    a,
                )


def _periode_rows(inst: pl.DataFrame, tahun: int) -> pl.DataFrame:
    """Each instansi's periods of last year and of ``tahun``, with its period faults."""
    rows = _PeriodeRows()
    add, periodic = rows.add, rows.periodic
    for r in inst.iter_rows(named=True):
        iid, tipe = r["instansi_id"], r["periodik"]
        n_num = 12 if tipe == "BULANAN" else 4
        last = tahun - 1
        add(iid, f"{last}-T", f"Tahunan {last}", "TAHUNAN", date(last, 1, 1), date(last, 12, 31))
        periodic(iid, last, tipe, range(1, n_num + 1))
        if r["fault_tahunan"] is None:
            add(iid, f"{tahun}-T", f"Tahunan {tahun}", "TAHUNAN", date(tahun, 1, 1), date(tahun, 12, 31))
        elif r["fault_tahunan"] == "semester":
            add(iid, f"{tahun}-S1", f"Semester I {tahun}", "TAHUNAN", date(tahun, 1, 1), date(tahun, 6, 30))
            add(iid, f"{tahun}-S2", f"Semester II {tahun}", "TAHUNAN", date(tahun, 7, 1), date(tahun, 12, 31))
        periodic(iid, tahun, tipe, range(1, n_num + 1))
        fault = r["fault_periodik"]
        if fault == "campur":
            other = "TRIWULANAN" if tipe == "BULANAN" else "BULANAN"
            periodic(iid, tahun, other, range(1, (12 if other == "BULANAN" else 4) + 1))
        elif fault == "ganda":
            periodic(iid, tahun, tipe, [2], tag="-2")
        elif fault == "rentang":
            periodic(iid, tahun, tipe, [n_num + 1])
    return pl.DataFrame(
        rows.rows,
        schema={
            "periode_id": pl.String,
            "instansi_id": pl.String,
            "nama": pl.String,
            "jenis": pl.String,
            "awal": pl.Date,
            "akhir": pl.Date,
            "tipe_periodik": pl.String,
            "angka_periodik": pl.Int64,
        },
    )


def add_periode(b: Build) -> None:
    """e-Kinerja's periods (``ekinerja_periode``) and what later stages read from them: each
    instansi's yearly period of ``tahun``, its periods in the year, and the broken ones."""
    tahun = b.tahun
    periode = _periode_rows(b.inst, tahun)
    b.frames["ekinerja_periode"] = periode
    with_inst = ordered_join(periode, b.inst.select("inst", "instansi_id"), "instansi_id", "inner")
    b.tahunan = with_inst.filter(
        (pl.col("jenis") == "TAHUNAN")
        & (pl.col("awal") == date(tahun, 1, 1))
        & (pl.col("akhir") == date(tahun, 12, 31))
    ).select("inst", "periode_id")
    in_year = with_inst.filter(
        (pl.col("jenis") == "PERIODIK")
        & (pl.col("awal") <= date(tahun, 12, 31))
        & (pl.col("akhir") >= date(tahun, 1, 1))
    ).select("inst", "periode_id", tipe="tipe_periodik", angka="angka_periodik")
    # PER-01 as errors.md states it, computed from the periods themselves.
    max_angka = pl.when(pl.col("tipe") == "BULANAN").then(12).otherwise(4)
    b.broken_inst = (
        in_year.group_by("inst")
        .agg(
            n_tipe=pl.col("tipe").n_unique(),
            dup=pl.col("angka").is_duplicated().any(),
            out=((pl.col("angka") < 1) | (pl.col("angka") > max_angka)).any(),
        )
        .filter((pl.col("n_tipe") > 1) | pl.col("dup") | pl.col("out"))
        .select("inst")
        .sort("inst")
    )
    b.known_periodik = in_year.select("inst", "tipe", "angka").unique()
    b.good_periodik = in_year.filter(~pl.col("inst").is_in(b.broken_inst["inst"].implode()))
