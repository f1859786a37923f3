"""A synthetic, realistic snapshot of the four systems, with known injected faults.

``generate(pegawai)`` builds the data of PMM, e-Kinerja, SIASN and Dapodik for one year as
they look in the sync season (snapshot taken mid-October of ``tahun``): nearly all plans
agreed in PMM, about 30% of pegawai already synced into e-Kinerja, and a small share of every
data disparity that ``errors.md`` describes. Alongside comes the *manifest*: for every pegawai
in scope the error codes that the rules of ``errors.md`` say hold. It is the oracle of the
end-to-end tests and the workload of the benchmarks.

Everything is vectorised (polars expressions over row indices; Python loops only over
instansi and batches), so the national scale (2.03 million pegawai, 17 million RHK) takes
about 20 seconds and 5 GB on two cores. Randomness is a counter-based hash (splitmix64 of a
seed, a named stream and the row number), so a seed gives the same snapshot on every run,
whatever the batch size.

Faults are injected one per victim, victims drawn disjointly, so that the manifest follows
from the injection and its knock-on effects:

* instansi level (only with 8 or more instansi; about 0.6% and 1.1% of them): no yearly
  period for ``tahun``, or two per-semester ones (PMM-06 for every pegawai there, who are
  otherwise fault-free and not synced); a broken periodic setup: both types, a number twice,
  or a number out of range (PER-01 for every pegawai there);
* school level, among schools with two teachers or more (0.5 to 1.2% of schools each): the
  school unit carries no NPSN (PMM-08 for all), the principal not synced yet (PMM-11 for the
  teachers), the unit inactive in e-Kinerja (PMM-03 for all), the unit's e-Kinerja superior
  still the former principal, now a pengawas with a hand-made SKP (PMM-12 for the teachers:
  their superior D is the PMM superior, the real principal, synced), the principal's
  e-Kinerja SKP made by hand (PMM-07 for the principal, PMM-13 for the teachers);
* teacher level, among teachers of fault-free schools (0.5 to 1.2% each): PMM-01 (NIP in
  Dapodik wrong or empty, found by NIK), PMM-02 (no SKP, or DRAF/DIAJUKAN/DISETUJUI),
  PMM-04 (jenis PTK of staff), PMM-05 (jabatan not Guru/FUNGSIONAL), PMM-06 (SKP from July
  of the year before to June), PMM-07 (a MANUAL e-Kinerja SKP), PMM-09 (not AKTIF, or
  HONORER), PMM-10 (SIASN unit of another school), PMM-12 (the PMM superior another
  principal, who is then D: PMM-13 beside it when D has an e-Kinerja SKP, else PMM-11),
  PMM-13 (an RHK without induk), PER-01 (assessments of the type the instansi does not use),
  PER-03 (no assessment yet), and rotations (two SKPs, no fault).

The penilaian codes of the manifest (PER-01/02/03) are computed from the generated tables.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any, Literal

import polars as pl

from selaras.domain.snapshot import Snapshot
from selaras.simulation.tahunan import year_end

__all__ = ["Generated", "generate"]

ProgressFn = Callable[[str, float], None]


MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "flow": pl.String(),
    "code": pl.String(),
}


@dataclass
class Generated:
    """A generated snapshot and the errors that must hold in it."""

    snapshot: Snapshot
    manifest: pl.DataFrame
    """Columns ``nip``, ``flow`` ("skp" or "penilaian"), ``code``: one row per error that the
    rules of errors.md say holds for that pegawai in scope; pegawai without rows have none."""


def generate(
    pegawai: int,
    *,
    seed: int = 1,
    tahun: int = 2026,
    instansi: int | None = None,
    progress: ProgressFn | None = None,
) -> Generated:
    """Generate a snapshot with ``pegawai`` ASN teachers and principals in scope.

    ``instansi`` is the number of regional governments (default: one per about 3,700
    pegawai, at least one). The same ``seed`` gives the same snapshot. ``progress`` is called
    as ``progress(stage, fraction)`` with a fraction from 0 to 1 as the work advances.
    """
    if pegawai < 1:
        raise ValueError("pegawai must be at least 1")
    if instansi is not None and instansi < 1:
        raise ValueError("instansi must be at least 1")
    return _Builder(pegawai, seed, tahun, instansi, progress).run()


# --- randomness --------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def _splitmix(z: int) -> int:
    z = (z + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


class _Rand:
    """Counter-based random numbers: a pure function of (seed, stream name, row key)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed & _MASK64

    def _salt(self, stream: str) -> int:
        return _splitmix(self.seed ^ _splitmix(zlib.crc32(stream.encode())))

    def u(self, key: pl.Expr | str, stream: str) -> pl.Expr:
        """Uniform in [0, 1) for each row's non-negative integer key."""
        k = pl.col(key) if isinstance(key, str) else key
        # UInt64 arithmetic wraps in polars, which is what splitmix64 needs; there is no
        # shift operator, so shifts are divisions by powers of two.
        x = k.cast(pl.UInt64) * _u64(_GOLDEN) + _u64(self._salt(stream))
        x = (x ^ (x // _u64(1 << 30))) * _u64(_MIX1)
        x = (x ^ (x // _u64(1 << 27))) * _u64(_MIX2)
        x = x ^ (x // _u64(1 << 31))
        return (x // _u64(1 << 11)).cast(pl.Float64) * (2.0**-53)

    def below(self, key: pl.Expr | str, stream: str, n: pl.Expr | int) -> pl.Expr:
        """Uniform integer in [0, n)."""
        return (self.u(key, stream) * n).floor().cast(pl.Int64)


def _choice_index(u: pl.Expr, weights: Sequence[float]) -> pl.Expr:
    """The index of the cumulative-weight interval that holds ``u`` (uniform in [0, 1))."""
    total = sum(weights)
    bounds, acc = [], 0.0
    for w in weights[:-1]:
        acc += w
        bounds.append(acc / total)
    if not bounds:
        return pl.lit(0, pl.Int64)
    return pl.lit(pl.Series(bounds, dtype=pl.Float64)).search_sorted(u, side="right").cast(pl.Int64)


def _choice(u: pl.Expr, options: Sequence[tuple[str, float]]) -> pl.Expr:
    """One of the options, chosen by ``u`` with the given weights."""
    return _pick([name for name, _ in options], _choice_index(u, [w for _, w in options]))


def _choice_by(key: pl.Expr, u: pl.Expr, table: dict[str, Sequence[tuple[str, float]]]) -> pl.Expr:
    """``_choice`` with the options depending on the value of ``key`` (null: no match)."""
    names: list[str] = []
    index: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for value, options in table.items():
        chosen = len(names) + _choice_index(u, [w for _, w in options])
        index = pl.when(key == value).then(chosen).otherwise(index)
        names += [name for name, _ in options]
    return _pick(names, index)


def _pick(pool: Sequence[str], index: pl.Expr) -> pl.Expr:
    """``pool[index]`` per row (a gather, so long texts share one buffer)."""
    return pl.lit(pl.Series(list(pool), dtype=pl.String)).gather(index)


def _code(prefix: str, index: pl.Expr, base: int) -> pl.Expr:
    """A compact unique identifier ``prefix`` + digits of ``index + base``."""
    return pl.concat_str([pl.lit(prefix), (index + base).cast(pl.String)])


def _join(
    left: pl.DataFrame,
    right: pl.DataFrame,
    on: str | list[str],
    how: Literal["left", "inner"] = "left",
) -> pl.DataFrame:
    """A join that keeps the left frame's row order (the output must be deterministic)."""
    return left.join(right, on=on, how=how, maintain_order="left")


def _quota(eligible: int, rate: float, minimum_eligible: int) -> int:
    k = round(eligible * rate)
    if k == 0 and eligible >= minimum_eligible:
        k = 1
    return k


def _assign(
    df: pl.DataFrame,
    rand: _Rand,
    key: str,
    eligible: pl.Expr,
    stream: str,
    rates: Sequence[tuple[str, float]],
    minimum_eligible: int,
    name: str,
) -> pl.DataFrame:
    """Add column ``name``: disjoint random sets of eligible rows get the labels, in quota
    (rate times the number eligible, at least one once ``minimum_eligible`` rows are)."""
    n_eligible = df.select(eligible.sum()).item()
    quotas = [(label, _quota(n_eligible, rate, minimum_eligible)) for label, rate in rates]
    df = df.with_columns(_rank=pl.when(eligible).then(rand.u(key, stream)).otherwise(None).rank("ordinal"))
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    bound = sum(k for _, k in quotas)
    for label, k in reversed(quotas):
        expr = pl.when(pl.col("_rank") <= bound).then(pl.lit(label)).otherwise(expr)
        bound -= k
    return df.with_columns(expr.alias(name)).drop("_rank")


# --- word lists --------------------------------------------------------------------------
# Names, places, degrees, subjects and RHK texts live in data/words.json (package data), so
# that they are edited as data; their order is part of what a seed generates.

_WORDS: dict[str, Any] = json.loads((resources.files("selaras.simulation") / "data" / "words.json").read_text("utf-8"))


def _weighted(pairs: Sequence[Sequence[Any]]) -> tuple[tuple[str, float], ...]:
    return tuple((str(text), float(weight)) for text, weight in pairs)


_PROVINSI: tuple[str, ...] = tuple(_WORDS["provinsi"])
_KOTA: tuple[str, ...] = tuple(_WORDS["kota"])
_KABUPATEN: tuple[str, ...] = tuple(_WORDS["kabupaten"])
_NAMA_DEPAN_L: tuple[str, ...] = tuple(_WORDS["nama_depan_l"])
_NAMA_DEPAN_P: tuple[str, ...] = tuple(_WORDS["nama_depan_p"])
_NAMA_BELAKANG: tuple[str, ...] = tuple(_WORDS["nama_belakang"])
_GURU_GELAR = _weighted(_WORDS["gelar_guru"])
_KEPALA_GELAR = _weighted(_WORDS["gelar_kepala"])
_DINAS_GELAR = _weighted(_WORDS["gelar_dinas"])

_JENJANG_KABKOTA = (("TK", 6.0), ("SD", 68.0), ("SMP", 26.0))
_JENJANG_PROV = (("SMA", 48.0), ("SMK", 40.0), ("SLB", 12.0))
_JENJANG_BOBOT = {"TK": 0.35, "SD": 0.9, "SMP": 1.5, "SMA": 1.9, "SMK": 2.1, "SLB": 0.9}

_JENIS_GURU: dict[str, Sequence[tuple[str, float]]] = {k: _weighted(v) for k, v in _WORDS["jenis_guru"].items()}
_MAPEL: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["mapel"].items()}
_RHK_KEPALA_UTAMA: tuple[str, ...] = tuple(_WORDS["rhk_kepala_utama"])
_RHK_KEPALA_TAMBAHAN: tuple[str, ...] = tuple(_WORDS["rhk_kepala_tambahan"])
_RHK_GURU_TAMBAHAN: tuple[str, ...] = tuple(_WORDS["rhk_guru_tambahan"])
_RHK_GURU_TEMPLATE: tuple[str, ...] = tuple(_WORDS["rhk_guru_template"])
_RHK_MANUAL: tuple[str, ...] = tuple(_WORDS["rhk_manual"])
_BULAN: tuple[str, ...] = tuple(_WORDS["bulan"])

_EKSPEKTASI = ("DIATAS", "SESUAI", "DIBAWAH")
# Permenpan RB 6/2022 matrix: predikat from hasil kerja (rows) and perilaku (columns).
_PREDIKAT_MATRIX = (
    "SANGAT_BAIK",
    "BAIK",
    "KURANG",
    "BAIK",
    "BAIK",
    "KURANG",
    "BUTUH_PERBAIKAN",
    "BUTUH_PERBAIKAN",
    "SANGAT_KURANG",
)
_ROMAWI = ("I", "II", "III", "IV", "V")

# Fault rates: share of the eligible schools / teachers that get each fault.
_SCHOOL_FAULTS = (
    ("PMM-08", 0.008),
    ("PMM-11", 0.012),
    ("PMM-03", 0.005),
    ("PMM-12S", 0.006),
    ("PMM-13S", 0.006),
)
_TEACHER_FAULTS = (
    ("rotasi", 0.010),
    ("PMM-01", 0.010),
    ("PMM-02a", 0.006),
    ("PMM-02b", 0.012),
    ("PMM-04", 0.005),
    ("PMM-05", 0.006),
    ("PMM-06", 0.005),
    ("PMM-07", 0.005),
    ("PMM-09", 0.007),
    ("PMM-10", 0.008),
    ("PMM-12", 0.006),
    ("PMM-13", 0.005),
    ("PER-01", 0.005),
    ("PER-03", 0.012),
)
_TEACHER_SYNCED = 0.27
_INSTANSI_TAHUNAN_RATE = 0.006
_INSTANSI_PERIODIK_RATE = 0.011

_LABEL_CODE = {
    "PMM-01": "PMM-01",
    "PMM-02a": "PMM-02",
    "PMM-02b": "PMM-02",
    "PMM-04": "PMM-04",
    "PMM-05": "PMM-05",
    "PMM-06": "PMM-06",
    "PMM-07": "PMM-07",
    "PMM-09": "PMM-09",
    "PMM-10": "PMM-10",
    "PMM-12": "PMM-12",
    "PMM-13": "PMM-13",
}
# Codes that a school fault gives its principal (KS) and its teachers (GURU).
_SCHOOL_CODES: dict[str, dict[str, tuple[str, ...]]] = {
    "PMM-08": {"KS": ("PMM-08",), "GURU": ("PMM-08",)},
    "PMM-11": {"KS": (), "GURU": ("PMM-11",)},
    "PMM-03": {"KS": ("PMM-03",), "GURU": ("PMM-03",)},
    # The superior D of PMM-11/13 is the PMM superior while PMM-12 holds (errors.md,
    # Clarifications): the real principal, synced, whose RHK the teachers' RHK link to.
    "PMM-12S": {"KS": (), "GURU": ("PMM-12",)},
    "PMM-13S": {"KS": ("PMM-07",), "GURU": ("PMM-13",)},
}


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


# --- the builder -------------------------------------------------------------------------


_CHUNK_SKP = 250_000
"""SKPs per batch when exploding RHK and assessments (bounds the transient memory)."""

_JABATAN: tuple[tuple[str, str], ...] = (
    ("Guru Ahli Pertama", "FUNGSIONAL"),  # 0
    ("Guru Ahli Muda", "FUNGSIONAL"),  # 1
    ("Guru Ahli Madya", "FUNGSIONAL"),  # 2
    ("Guru Ahli Utama", "FUNGSIONAL"),  # 3
    ("Guru Terampil", "FUNGSIONAL"),  # 4
    ("Guru Mahir", "FUNGSIONAL"),  # 5
    ("Guru Penyelia", "FUNGSIONAL"),  # 6
    ("Kepala Dinas Pendidikan", "STRUKTURAL"),  # 7
    ("Sekretaris Dinas", "STRUKTURAL"),  # 8
    ("Kepala Bidang Pembinaan Sekolah", "STRUKTURAL"),  # 9
    ("Pengawas Sekolah Ahli Madya", "FUNGSIONAL"),  # 10
    ("Pengadministrasi Perkantoran", "PELAKSANA"),  # 11
    ("Pustakawan Ahli Pertama", "FUNGSIONAL"),  # 12
    ("Guru Ahli Pertama", "PELAKSANA"),  # 13
    ("Penata Layanan Operasional", "PELAKSANA"),  # 14
)
_JABATAN_05 = ((11, 30.0), (12, 25.0), (13, 25.0), (14, 20.0))
_STATUS_09 = (("PENSIUN", 35.0), ("CLTN", 20.0), ("BERHENTI", 10.0), ("MENINGGAL", 5.0), ("HONORER", 30.0))


def _unor_id(index: pl.Expr) -> pl.Expr:
    return _code("UNR", index, 10_000_000)


def _skp_pmm_id(index: pl.Expr) -> pl.Expr:
    return _code("S", index, 100_000_000)


def _rhk_pmm_id(index: pl.Expr) -> pl.Expr:
    return _code("R", index, 1_000_000_000)


def _skp_ek_id(index: pl.Expr) -> pl.Expr:
    return _code("SKP", index, 100_000_000)


def _rhk_ek_id(index: pl.Expr) -> pl.Expr:
    return _code("RHK", index, 100_000_000)


def _ptk_id(index: pl.Expr) -> pl.Expr:
    return _code("PTK", index, 100_000_000)


class _Builder:
    """Builds the tables stage by stage; each stage keeps only what later ones need."""

    def __init__(
        self,
        pegawai: int,
        seed: int,
        tahun: int,
        n_instansi: int | None,
        progress: ProgressFn | None,
    ) -> None:
        self.pegawai = pegawai
        self.tahun = tahun
        self.rand = _Rand(seed)
        self.py = random.Random(seed)
        n = n_instansi if n_instansi is not None else max(1, round(pegawai / 3700))
        self.n_inst = max(1, min(n, pegawai))
        self.progress = progress
        self.frames: dict[str, pl.DataFrame] = {}

    def _report(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(stage, min(1.0, max(0.0, fraction)))

    def run(self) -> Generated:
        stages: list[tuple[str, float, Callable[[], None]]] = [
            ("instansi", 0.0, self._instansi),
            ("sekolah", 0.01, self._sekolah),
            ("pegawai", 0.02, self._pegawai),
            ("identitas", 0.08, self._identitas),
            ("siasn_dapodik", 0.2, self._siasn_dapodik),
            ("pmm_skp", 0.34, self._pmm_skp),
            ("pmm_rhk", 0.4, self._rhk),
            ("pmm_penilaian", 0.74, self._penilaian),
            ("ekinerja", 0.86, self._ekinerja),
            # The year's ratings are set by the schools' leaders as the leadership stage leaves them.
            ("pimpinan", 0.88, self._pimpinan),
            ("tahunan", 0.9, self._year_end),
        ]
        for name, fraction, stage in stages:
            self._report(name, fraction)
            stage()
        self._report("manifest", 0.92)
        manifest = self._manifest()
        frames = self.frames
        # The working frames are no longer needed; free them before the snapshot is built.
        for name in (
            "peg",
            "sch",
            "others",
            "nips",
            "skp",
            "skp_with_pen",
            "skp_unmatched",
            "tahunan",
            "known_periodik",
            "good_periodik",
            "broken_inst",
            "pimpinan_codes",
            "frames",
        ):
            delattr(self, name)
        self._report("snapshot", 0.97)
        snapshot = Snapshot(frames)
        self._report("selesai", 1.0)
        return Generated(snapshot=snapshot, manifest=manifest)

    # -- instansi and their periods (a few hundred rows: plain Python) ----------------------

    def _instansi(self) -> None:
        n, py = self.n_inst, self.py
        if n == 1:
            kinds = ["kab"]
        else:
            n_prov = round(n * 38 / 552)
            n_kota = round(n * 98 / 552)
            kinds = ["prov"] * n_prov + ["kota"] * n_kota + ["kab"] * (n - n_prov - n_kota)
            py.shuffle(kinds)
        pools = {"prov": _PROVINSI, "kota": _KOTA, "kab": _KABUPATEN}
        names = {k: iter(_unique_names(pools[k], kinds.count(k), py)) for k in pools}
        places = [next(names[k]) for k in kinds]

        factor = {"prov": 3.2, "kab": 1.0, "kota": 0.75}
        weights = [factor[k] * py.lognormvariate(0.0, 0.45) for k in kinds]
        extra = self.pegawai - n
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
            k_t = max(1, round(n * _INSTANSI_TAHUNAN_RATE))
            k_p = max(1, round(n * _INSTANSI_PERIODIK_RATE))
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
        self.inst = pl.DataFrame(
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
        self.frames["instansi"] = self.inst.select("instansi_id", "nama")
        self._periode()

    def _periode(self) -> None:
        tahun = self.tahun
        rows: list[dict[str, object]] = []

        def add(
            inst_id: str,
            code: str,
            nama: str,
            jenis: str,
            awal: date,
            akhir: date,
            tipe: str | None = None,
            angka: int | None = None,
        ) -> None:
            rows.append(
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

        def periodic(inst_id: str, year: int, tipe: str, numbers: Sequence[int], tag: str = "") -> None:
            for a in numbers:
                if tipe == "BULANAN":
                    m = min(max(a, 1), 12)
                    add(
                        inst_id,
                        f"{year}-B{a:02d}{tag}",
                        f"Bulan {_BULAN[m - 1]} {year}",
                        "PERIODIK",
                        date(year, m, 1),
                        _month_end(year, m),
                        tipe,
                        a,
                    )
                else:
                    q = min(max(a, 1), 4)
                    add(
                        inst_id,
                        f"{year}-Q{a}{tag}",
                        f"Triwulan {_ROMAWI[a - 1]} {year}",
                        "PERIODIK",
                        date(year, 3 * q - 2, 1),
                        _month_end(year, 3 * q),
                        tipe,
                        a,
                    )

        for r in self.inst.iter_rows(named=True):
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
        periode = pl.DataFrame(
            rows,
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
        self.frames["ekinerja_periode"] = periode
        with_inst = _join(periode, self.inst.select("inst", "instansi_id"), "instansi_id", "inner")
        self.tahunan = with_inst.filter(
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
        self.broken_inst = (
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
        self.known_periodik = in_year.select("inst", "tipe", "angka").unique()
        self.good_periodik = in_year.filter(~pl.col("inst").is_in(self.broken_inst["inst"].implode()))

    # -- schools ------------------------------------------------------------------------------

    def _sekolah(self) -> None:
        r = self.rand
        all_places = list(_KABUPATEN) + list(_KOTA)
        sch = (
            self.inst.select("inst", "kind", "place", "n_peg", "n_sch", "bad_tahunan", k=pl.int_ranges(0, "n_sch"))
            .explode("k")
            .with_row_index("sch")
            .with_columns(pl.col("sch").cast(pl.Int64))
            .with_columns(u_j=r.u("sch", "jenjang"), u_w=r.u("sch", "bobot"))
        )
        sch = sch.with_columns(
            jenjang=pl.when(pl.col("kind") == "prov")
            .then(_choice(pl.col("u_j"), _JENJANG_PROV))
            .otherwise(_choice(pl.col("u_j"), _JENJANG_KABKOTA)),
            place=pl.when(pl.col("kind") == "prov")
            .then(_pick(all_places, r.below("sch", "place", len(all_places))))
            .otherwise(pl.col("place")),
        )
        w = pl.col("jenjang").replace_strict(_JENJANG_BOBOT, return_dtype=pl.Float64) * (0.6 + 0.8 * pl.col("u_w"))
        teachers = pl.col("n_peg") - pl.col("n_sch")
        sch = sch.with_columns(
            nomor=pl.int_range(1, pl.len() + 1).over(["inst", "jenjang", "place"]),
            cf=w.cum_sum().over("inst") / w.sum().over("inst"),
        ).with_columns(bound=(pl.col("cf") * teachers).round().cast(pl.Int64))
        # An affine bijection of the school number (the multiplier is prime to 90,000,000),
        # so NPSN are unique.
        offset = self.py.randrange(90_000_000)
        npsn = 10_000_000 + (pl.col("sch") * 27_644_437 + offset) % 90_000_000
        sch = sch.with_columns(
            n_guru=pl.col("bound") - pl.col("bound").shift(1).over("inst").fill_null(0),
            nama=pl.format("{} Negeri {} {}", "jenjang", "nomor", "place"),
            npsn=npsn.cast(pl.String),
            unor=3 * self.n_inst + pl.col("sch"),
        )
        eligible = (~pl.col("bad_tahunan")) & (pl.col("n_guru") >= 2)
        sch = _assign(sch, r, "sch", eligible, "school-fault", _SCHOOL_FAULTS, 12, "fault")
        self.sch = sch.select("sch", "inst", "jenjang", "nama", "npsn", "n_guru", "unor", "fault", "bad_tahunan")

    # -- pegawai in scope: one principal (KS) per school and its teachers (GURU) -------------

    def _pegawai(self) -> None:
        r = self.rand
        peg = (
            self.sch.select("sch", "inst", "fault", "bad_tahunan", n=pl.col("n_guru") + 1)
            .with_columns(k=pl.int_ranges(0, "n"))
            .explode("k")
            .drop("n")
            .with_row_index("oid")
            .with_columns(
                pl.col("oid").cast(pl.Int64),
                role=pl.when(pl.col("k") == 0).then(pl.lit("KS")).otherwise(pl.lit("GURU")),
            )
        )
        # Fault-free schools, indexed per instansi, to draw partners (rotation, PMM-10/12).
        clean = (
            self.sch.filter(pl.col("fault").is_null() & ~pl.col("bad_tahunan"))
            .select("sch", "inst")
            .with_row_index("cpos")
            .with_columns(pl.col("cpos").cast(pl.Int64))
        )
        cinfo = clean.group_by("inst").agg(coff=pl.col("cpos").min(), ccount=pl.len())
        peg = _join(_join(peg, clean.select("sch", "cpos"), "sch"), cinfo, "inst")
        eligible = (pl.col("role") == "GURU") & pl.col("cpos").is_not_null()
        peg = _assign(peg, r, "oid", eligible, "teacher-fault", _TEACHER_FAULTS, 100, "label")
        crank = pl.col("cpos") - pl.col("coff")
        shift = 1 + r.below("oid", "partner", (pl.col("ccount") - 1).clip(lower_bound=1))
        ppos = pl.col("coff") + (crank + shift) % pl.col("ccount")
        peg = peg.with_columns(
            partner=pl.when(pl.col("cpos").is_not_null() & (pl.col("ccount") >= 2))
            .then(pl.lit(clean["sch"]).gather(ppos.fill_null(0)))
            .otherwise(None)
        )
        # A rotation or a wrong SIASN unit needs a second school; without one: no fault.
        peg = peg.with_columns(
            label=pl.when(pl.col("label").is_in(["rotasi", "PMM-10"]) & pl.col("partner").is_null())
            .then(None)
            .otherwise(pl.col("label"))
        )
        ks_synced = pl.col("fault").is_null() | pl.col("fault").is_in(["PMM-03", "PMM-12S"])
        teacher_synced = (
            pl.col("cpos").is_not_null()
            & (pl.col("label").is_null() | pl.col("label").is_in(["rotasi", "PER-01", "PER-03"]))
            & (r.u("oid", "synced") < _TEACHER_SYNCED)
        )
        peg = peg.with_columns(
            synced=pl.when(pl.col("role") == "KS").then(ks_synced & ~pl.col("bad_tahunan")).otherwise(teacher_synced)
        )
        ks = peg.filter(pl.col("role") == "KS").select("sch", ks_oid="oid")
        peg = _join(peg, ks, "sch")
        peg = _join(peg, ks.rename({"sch": "partner", "ks_oid": "partner_ks_oid"}), "partner")
        self.peg = peg.select(
            "oid",
            "sch",
            "inst",
            "role",
            "fault",
            "bad_tahunan",
            "label",
            "partner",
            "synced",
            "ks_oid",
            "partner_ks_oid",
        )

    # -- identities: NIP, NIK, names, for everyone -------------------------------------------

    def _identitas(self) -> None:
        r, tahun = self.rand, self.tahun
        base = self.peg.height
        dinas = pl.DataFrame({"inst": pl.int_range(0, self.n_inst, eager=True)})
        staff_roles = pl.DataFrame({"role": ["SEKDIS", "KABID", "PELAKSANA"], "sub": [1, 2, 1]})
        per_school = self.sch.select(
            "sch",
            "inst",
            n_hon=r.below("sch", "honorer", 3),
            n_tas=r.below("sch", "tas", 2) + (pl.col("n_guru") >= 12).cast(pl.Int64),
        )
        none = pl.lit(None, pl.Int64)
        others = pl.concat(
            [
                dinas.select("inst", role=pl.lit("KADIS"), sub=pl.lit(0, pl.Int64), sch=none, pengawas_sch=none),
                dinas.join(staff_roles, how="cross").select(
                    "inst", "role", pl.col("sub").cast(pl.Int64), sch=none, pengawas_sch=none
                ),
                self.sch.filter(pl.col("fault") == "PMM-12S").select(
                    "inst", role=pl.lit("PENGAWAS"), sub=pl.lit(0, pl.Int64), sch=none, pengawas_sch="sch"
                ),
                per_school.filter(pl.col("n_hon") > 0)
                .with_columns(k=pl.int_ranges(0, "n_hon"))
                .explode("k")
                .select("inst", role=pl.lit("HONORER"), sub=pl.lit(0, pl.Int64), sch="sch", pengawas_sch=none),
                per_school.filter(pl.col("n_tas") > 0)
                .with_columns(k=pl.int_ranges(0, "n_tas"))
                .explode("k")
                .select("inst", role=pl.lit("TAS"), sub=pl.lit(0, pl.Int64), sch="sch", pengawas_sch=none),
            ],
            how="vertical_relaxed",
        ).with_columns(oid=pl.int_range(base, base + pl.len(), dtype=pl.Int64))
        self.others = others

        orang = pl.concat(
            [self.peg.select("oid", "inst", "sch", "role"), others.select("oid", "inst", "sch", "role")],
            how="vertical_relaxed",
        ).with_columns(
            **{
                f"u_{s}": r.u("oid", s)
                for s in (
                    "sex",
                    "by",
                    "bm",
                    "bd",
                    "pppk",
                    "ty",
                    "tm0",
                    "tm",
                    "kec",
                    "nl",
                    "np",
                    "nb",
                    "n1",
                    "gelar",
                    "nuptk",
                )
            }
        )
        role = pl.col("role")
        senior = role.is_in(["KADIS", "SEKDIS", "KABID", "PENGAWAS"])
        asn = ~role.is_in(["HONORER", "TAS"])

        def below(name: str, n: int | pl.Expr) -> pl.Expr:
            return (pl.col(f"u_{name}") * n).floor().cast(pl.Int64)

        female_share = pl.when(role == "KS").then(0.45).when(senior).then(0.35).otherwise(0.64)
        orang = orang.with_columns(
            female=pl.col("u_sex") < female_share,
            by=pl.when(senior)
            .then(tahun - 58 + below("by", 12))
            .when(role == "KS")
            .then(tahun - 58 + below("by", 22))
            .when(~asn)
            .then(tahun - 48 + below("by", 26))
            .otherwise(tahun - 59 + below("by", 36)),
            bm=1 + below("bm", 12),
            bd=1 + below("bd", 28),
            pppk=(role == "GURU") & (pl.col("u_pppk") < 0.35),
            asn=asn,
        )
        ty = (
            pl.when(pl.col("pppk"))
            .then(pl.max_horizontal(pl.col("by") + 22, tahun - 1 - below("ty", 4)))
            .otherwise(pl.min_horizontal(tahun - 1, pl.col("by") + 23 + below("ty", 18)))
        )
        orang = orang.with_columns(
            ty=pl.min_horizontal(ty, tahun - 1),
            tm=pl.when(pl.col("u_tm0") < 0.6).then(1).otherwise(1 + below("tm", 12)),
            sexd=pl.when(pl.col("female")).then(2).otherwise(1),
        )
        birth = (pl.col("by") * 100 + pl.col("bm")) * 100 + pl.col("bd")
        nip_key = birth * 10_000_000 + (pl.col("ty") * 100 + pl.col("tm")) * 10 + pl.col("sexd")
        region = pl.col("prov_code") * 10_000 + pl.col("kab_code") * 100 + 1 + below("kec", 30)
        nik_date = (
            (pl.col("bd") + 40 * pl.col("female").cast(pl.Int64)) * 10_000 + pl.col("bm") * 100 + pl.col("by") % 100
        )
        orang = _join(orang, self.inst.select("inst", "prov_code", "kab_code"), "inst")
        orang = orang.with_columns(
            nip_key=nip_key.cast(pl.Int64), nik_key=(region * 1_000_000 + nik_date).cast(pl.Int64)
        ).with_columns(
            nip_seq=pl.int_range(1, pl.len() + 1).over(["asn", "nip_key"]),
            nik_seq=pl.int_range(1, pl.len() + 1).over("nik_key"),
        )
        max_seq = orang.filter(pl.col("asn")).select(pl.col("nip_seq").max()).item() or 0
        # A wrong NIP in Verval PTK (PMM-01) is the true one with 500 added to the sequence
        # number; that is unique only while the true sequence numbers stay below 500.
        if max_seq >= 500:
            raise RuntimeError("NIP sequence numbers overflow; too many pegawai for one date")
        nip_num = pl.col("nip_key") * 1000 + pl.col("nip_seq")
        depan = (
            pl.when(pl.col("female"))
            .then(_pick(_NAMA_DEPAN_P, below("np", len(_NAMA_DEPAN_P))))
            .otherwise(_pick(_NAMA_DEPAN_L, below("nl", len(_NAMA_DEPAN_L))))
        )
        belakang = _pick(_NAMA_BELAKANG, below("nb", len(_NAMA_BELAKANG)))
        nama = pl.when(pl.col("u_n1") < 0.12).then(depan).otherwise(pl.concat_str([depan, pl.lit(" "), belakang]))
        u_gelar = pl.col("u_gelar")
        gelar = (
            pl.when(role == "KS")
            .then(_choice(u_gelar, _KEPALA_GELAR))
            .when(senior)
            .then(_choice(u_gelar, _DINAS_GELAR))
            .when(role.is_in(["GURU", "HONORER"]))
            .then(_choice(u_gelar, _GURU_GELAR))
            .when(role == "PELAKSANA")
            .then(_choice(u_gelar, (("", 60.0), ("S.E.", 25.0), ("A.Md.", 15.0))))
            .otherwise(pl.lit(""))
        )
        has_nuptk = role.is_in(["KS", "GURU", "HONORER"]) & (
            pl.col("u_nuptk") < pl.when(pl.col("pppk")).then(0.6).when(role == "HONORER").then(0.4).otherwise(0.9)
        )
        # A bijection of the row number onto 15 digits (the multiplier is prime to 10), so
        # NUPTK are unique; a leading digit 1..9 makes 16.
        scrambled = (pl.col("oid") * 2_718_281_828_459 + 314_159_265_358_979) % (10**15)
        nuptk = (scrambled % 9 + 1) * 10**15 + scrambled
        self.orang = orang.select(
            "oid",
            "inst",
            "sch",
            "role",
            "by",
            "ty",
            "pppk",
            nip=pl.when(pl.col("asn")).then(nip_num.cast(pl.String)),
            nip_wrong=pl.when(pl.col("asn")).then((nip_num + 500).cast(pl.String)),
            nik=(pl.col("nik_key") * 10_000 + pl.col("nik_seq")).cast(pl.String),
            nama=nama,
            gelar=gelar,
            nuptk=pl.when(has_nuptk).then(nuptk.cast(pl.String)),
        )
        self.nips = self.orang.select("oid", "nip")

    # -- SIASN, Dapodik and the units ---------------------------------------------------------

    def _siasn_dapodik(self) -> None:
        r, tahun = self.rand, self.tahun
        inst = self.inst
        sch = _join(self.sch, inst.select("inst", "instansi_id"), "inst")

        # Units: per instansi the Dinas Pendidikan (top), its Sekretariat and a Bidang; then
        # one unit per school under the Dinas.
        dinas_units = pl.concat(
            [
                inst.select("instansi_id", unor=3 * pl.col("inst"), nama="dinas_nama", parent=pl.lit(None, pl.Int64)),
                inst.select(
                    "instansi_id",
                    unor=3 * pl.col("inst") + 1,
                    nama=pl.concat_str([pl.lit("Sekretariat "), pl.col("dinas_nama")]),
                    parent=3 * pl.col("inst"),
                ),
                inst.select(
                    "instansi_id",
                    unor=3 * pl.col("inst") + 2,
                    nama=pl.when(pl.col("kind") == "prov")
                    .then(pl.lit("Bidang Pembinaan SMA dan SMK"))
                    .otherwise(pl.lit("Bidang Pembinaan Sekolah Dasar")),
                    parent=3 * pl.col("inst"),
                ),
            ]
        ).sort("unor")
        self.frames["siasn_unor"] = pl.concat(
            [
                dinas_units.select(
                    unor_id=_unor_id(pl.col("unor")),
                    instansi_id="instansi_id",
                    nama="nama",
                    parent_unor_id=_unor_id(pl.col("parent")),
                    npsn=pl.lit(None, pl.String),
                    aktif=pl.lit(True),
                ),
                sch.select(
                    unor_id=_unor_id(pl.col("unor")),
                    instansi_id="instansi_id",
                    nama="nama",
                    parent_unor_id=_unor_id(3 * pl.col("inst")),
                    npsn=pl.when(pl.col("fault") == "PMM-08").then(None).otherwise(pl.col("npsn")),
                    aktif=pl.lit(True),
                ),
            ]
        )
        self.frames["dapodik_sekolah"] = sch.select("npsn", "nama", "instansi_id")

        orang = _join(self.orang, self.peg.select("oid", "label", "partner"), "oid")
        orang = _join(orang, self.others.select("oid", "sub", "pengawas_sch"), "oid")
        orang = _join(orang, sch.select("sch", "jenjang", "npsn", "unor", "instansi_id"), "sch")
        orang = _join(orang, sch.select(partner="sch", partner_unor="unor"), "partner")
        orang = orang.with_columns(
            u_jab=r.u("oid", "jabatan"),
            u_fault=r.u("oid", "fault-variant"),
            u_ptk=r.u("oid", "jenis-ptk"),
            u_kst=r.u("oid", "ks-tugas"),
            u_dap=r.u("oid", "nama-dapodik"),
        )
        role, label = pl.col("role"), pl.col("label").fill_null("")
        years = tahun - pl.col("ty")
        u_jab, u_fault = pl.col("u_jab"), pl.col("u_fault")
        jab_guru = (
            pl.when(pl.col("pppk"))
            .then(pl.when(u_jab < 0.85).then(0).otherwise(1))
            .when(u_jab < 0.04)
            .then(pl.when(years < 8).then(4).when(years < 16).then(5).otherwise(6))
            .when((years >= 25) & (u_jab > 0.99))
            .then(3)
            .when(years < 6)
            .then(0)
            .when(years < 14)
            .then(1)
            .otherwise(2)
        )
        jab_05 = pl.lit(pl.Series([j for j, _ in _JABATAN_05], dtype=pl.Int64)).gather(
            _choice_index(u_fault, [w for _, w in _JABATAN_05])
        )
        jab = (
            pl.when(label == "PMM-05")
            .then(jab_05)
            .when(role == "KS")
            .then(pl.when(years < 14).then(1).otherwise(2))
            .when(role == "GURU")
            .then(jab_guru)
            .when(role == "KADIS")
            .then(7)
            .when(role == "SEKDIS")
            .then(8)
            .when(role == "KABID")
            .then(9)
            .when(role == "PENGAWAS")
            .then(10)
            .otherwise(11)
        )
        status_09 = _choice(u_fault, _STATUS_09)
        is_09 = label == "PMM-09"
        unor = (
            pl.when(label == "PMM-10")
            .then(pl.col("partner_unor"))
            .when(role.is_in(["KS", "GURU"]))
            .then(pl.col("unor"))
            .when(role.is_in(["KADIS", "PENGAWAS"]))
            .then(3 * pl.col("inst"))
            .otherwise(3 * pl.col("inst") + pl.col("sub"))
        )
        siasn = _join(
            orang.filter(pl.col("nip").is_not_null()).drop("instansi_id"),
            inst.select("inst", "instansi_id"),
            "inst",
        )
        self.frames["siasn_pegawai"] = siasn.with_columns(jab=jab, s09=status_09).select(
            "nip",
            "nik",
            nama=pl.when(pl.col("gelar") == "")
            .then(pl.col("nama"))
            .otherwise(pl.concat_str([pl.col("nama"), pl.lit(", "), pl.col("gelar")])),
            instansi_id="instansi_id",
            unor_id=_unor_id(unor),
            jenis_asn=pl.when(is_09 & (pl.col("s09") == "HONORER"))
            .then(pl.lit("HONORER"))
            .when(pl.col("pppk"))
            .then(pl.lit("PPPK"))
            .otherwise(pl.lit("PNS")),
            status=pl.when(is_09 & (pl.col("s09") != "HONORER")).then(pl.col("s09")).otherwise(pl.lit("AKTIF")),
            jabatan_nama=_pick([n for n, _ in _JABATAN], pl.col("jab")),
            jabatan_jenis=_pick([j for _, j in _JABATAN], pl.col("jab")),
        )

        # Dapodik PTK: principals, teachers, and the non-ASN staff of each school.
        ptk = orang.filter(pl.col("sch").is_not_null()).with_columns(
            jenis_asli=_choice_by(pl.col("jenjang"), pl.col("u_ptk"), _JENIS_GURU)
        )
        jenis_04 = _choice(
            u_fault, (("Tenaga Administrasi Sekolah", 50.0), ("Laboran", 20.0), ("Tenaga Perpustakaan", 30.0))
        )
        jenis_tas = _choice(
            pl.col("u_ptk"), (("Tenaga Administrasi Sekolah", 80.0), ("Tenaga Perpustakaan", 12.0), ("Laboran", 8.0))
        )
        ks_plain = (role == "KS") & (pl.col("u_kst") >= 0.2)
        self.frames["dapodik_ptk"] = ptk.select(
            ptk_id=_ptk_id(pl.col("oid")),
            nik="nik",
            nuptk="nuptk",
            nama=pl.when(pl.col("u_dap") < 0.35).then(pl.col("nama").str.to_uppercase()).otherwise(pl.col("nama")),
            nip=pl.when(label == "PMM-01")
            .then(pl.when(u_fault < 0.6).then(pl.col("nip_wrong")))
            .otherwise(pl.col("nip")),
            jenis_ptk=pl.when(label == "PMM-04")
            .then(jenis_04)
            .when(ks_plain)
            .then(pl.lit("Kepala Sekolah"))
            .when(role == "TAS")
            .then(jenis_tas)
            .otherwise(pl.col("jenis_asli")),
            # A principal recorded with another jenis PTK has the extra duty instead.
            tugas_tambahan=pl.when((role == "KS") & ~ks_plain).then(pl.lit("Kepala Sekolah")),
            npsn="npsn",
        )
        j = pl.col("jenis_asli")
        self.mapel_group = ptk.filter(role == "GURU").select(
            "oid",
            mg=pl.when(j == "Guru BK")
            .then(pl.lit("BK"))
            .when(j == "Guru TIK")
            .then(pl.lit("TIK"))
            .when(j.is_in(["Guru Pendamping Khusus", "Guru Pembimbing Khusus"]) | (pl.col("jenjang") == "SLB"))
            .then(pl.lit("KHUSUS"))
            .when(pl.col("jenjang") == "TK")
            .then(pl.lit("TK"))
            .when((pl.col("jenjang") == "SD") & (j == "Guru Mapel"))
            .then(pl.lit("MAPEL_SD"))
            .when(pl.col("jenjang") == "SD")
            .then(pl.lit("KELAS_SD"))
            .otherwise(pl.col("jenjang")),
        )
        del self.orang

        # e-Kinerja's copy of the units, each with its head as e-Kinerja knows it.
        heads = _join(
            self.others.filter(pl.col("role").is_in(["KADIS", "SEKDIS", "KABID"])).select(
                "oid", unor=3 * pl.col("inst") + pl.col("sub")
            ),
            self.nips,
            "oid",
        ).sort("unor")
        ks_nip = _join(self.peg.filter(pl.col("role") == "KS").select("sch", "oid"), self.nips, "oid")
        pengawas_nip = _join(
            self.others.filter(pl.col("role") == "PENGAWAS").select("oid", sch="pengawas_sch"),
            self.nips,
            "oid",
        ).select("sch", pengawas_nip="nip")
        school_units = _join(
            _join(self.sch.select("sch", "unor", "fault"), ks_nip.select("sch", "nip"), "sch"),
            pengawas_nip,
            "sch",
        )
        self.frames["ekinerja_unor"] = pl.concat(
            [
                heads.select(unor_id=_unor_id(pl.col("unor")), aktif=pl.lit(True), atasan_nip="nip"),
                school_units.select(
                    unor_id=_unor_id(pl.col("unor")),
                    aktif=pl.col("fault").fill_null("") != "PMM-03",
                    atasan_nip=pl.when(pl.col("fault") == "PMM-12S")
                    .then(pl.col("pengawas_nip"))
                    .otherwise(pl.col("nip")),
                ),
            ]
        )

    # -- PMM SKP ------------------------------------------------------------------------------

    def _pmm_skp(self) -> None:
        r, tahun = self.rand, self.tahun
        kadis = self.others.filter(pl.col("role") == "KADIS").select("inst", kadis_oid="oid")
        peg = _join(self.peg, kadis, "inst")
        label = pl.col("label").fill_null("")
        status_02 = _choice(r.u("oid", "status-skp"), (("DRAF", 40.0), ("DIAJUKAN", 30.0), ("DISETUJUI", 30.0)))
        main = peg.filter(label != "PMM-02a").select(
            "oid",
            "inst",
            "role",
            "label",
            "synced",
            skp_sch="sch",
            awal=pl.when(label == "PMM-06")
            .then(pl.lit(date(tahun - 1, 7, 1)))
            .when(label == "rotasi")
            .then(pl.lit(date(tahun, 7, 1)))
            .otherwise(pl.lit(date(tahun, 1, 1))),
            akhir=pl.when(label == "PMM-06").then(pl.lit(date(tahun, 6, 30))).otherwise(pl.lit(date(tahun, 12, 31))),
            status=pl.when(label == "PMM-02b").then(status_02).otherwise(pl.lit("DISEPAKATI")),
            atasan_oid=pl.when(pl.col("role") == "KS")
            .then(pl.col("kadis_oid"))
            .when(label == "PMM-12")
            .then(pl.coalesce("partner_ks_oid", "kadis_oid"))
            .otherwise(pl.col("ks_oid")),
        )
        rot = peg.filter(label == "rotasi").select(
            "oid",
            "inst",
            "role",
            "label",
            "synced",
            skp_sch="partner",
            awal=pl.lit(date(tahun, 1, 1)),
            akhir=pl.lit(date(tahun, 6, 30)),
            status=pl.lit("DISEPAKATI"),
            atasan_oid="partner_ks_oid",
        )
        skp = (
            pl.concat([main, rot])
            .sort(["oid", "awal"])
            .with_row_index("skp")
            .with_columns(pl.col("skp").cast(pl.Int64))
        )
        is_ks = pl.col("role") == "KS"
        skp = skp.with_columns(
            # Not approved yet: PMM has no superior for the plan.
            atasan_oid=pl.when(pl.col("status").is_in(["DRAF", "DIAJUKAN"])).then(None).otherwise(pl.col("atasan_oid")),
            synced=pl.col("synced") & (pl.col("status") == "DISEPAKATI"),
            n_rhk=pl.when(is_ks).then(6 + r.below("skp", "n-rhk", 7)).otherwise(5 + r.below("skp", "n-rhk", 8)),
            n_tamb=pl.when(is_ks).then(1 + r.below("skp", "n-tamb", 2)).otherwise(r.below("skp", "n-tamb", 3)),
        )
        synced_n = pl.col("synced").cast(pl.Int64)
        skp = skp.with_columns(
            rhk_start=pl.col("n_rhk").cum_sum() - pl.col("n_rhk"),
            n_utama=pl.col("n_rhk") - pl.col("n_tamb"),
            ek=pl.when(pl.col("synced")).then(synced_n.cum_sum() - 1),
            ek_rhk_start=pl.when(pl.col("synced")).then((pl.col("n_rhk") * synced_n).cum_sum() - pl.col("n_rhk")),
        )
        self.n_ek_skp = int(skp.select(synced_n.sum()).item() or 0)
        self.n_ek_rhk = int(skp.select((pl.col("n_rhk") * synced_n).sum()).item() or 0)
        ks_skp = skp.filter(is_ks).select(
            "skp_sch",
            ks_rhk_start="rhk_start",
            ks_n_utama="n_utama",
            ks_n="n_rhk",
            ks_ek_rhk_start="ek_rhk_start",
        )
        skp = _join(skp, ks_skp, "skp_sch")

        label = pl.col("label").fill_null("")
        base_day = (
            pl.when(label == "PMM-06")
            .then(pl.lit(date(tahun - 1, 7, 8)))
            .when(label == "PMM-02b")
            .then(pl.lit(date(tahun, 8, 1)))
            .when(pl.col("awal") == date(tahun, 7, 1))
            .then(pl.lit(date(tahun, 7, 3)))
            .otherwise(pl.lit(date(tahun, 1, 6)))
        )
        seconds = r.below("skp", "diperbarui", 60 * 86_400)
        diperbarui = (base_day.cast(pl.Datetime("us")) + pl.duration(seconds=seconds)).dt.strftime("%Y-%m-%dT%H:%M:%S")
        skp = _join(skp, self.sch.select(skp_sch="sch", npsn="npsn", skp_unor="unor"), "skp_sch")
        skp = _join(skp, self.nips.rename({"oid": "atasan_oid", "nip": "atasan_nip"}), "atasan_oid")
        self.frames["pmm_skp"] = skp.select(
            pmm_skp_id=_skp_pmm_id(pl.col("skp")),
            ptk_id=_ptk_id(pl.col("oid")),
            npsn="npsn",
            periode_awal="awal",
            periode_akhir="akhir",
            status="status",
            atasan_nip="atasan_nip",
            diperbarui=diperbarui,
        )
        self.skp = skp.drop("npsn")

    # -- PMM RHK and their synced copies in e-Kinerja (in batches of SKPs) --------------------

    def _rhk(self) -> None:
        r = self.rand
        groups = list(_MAPEL)
        offsets, sizes, flat, off = {}, {}, [], 0
        for g in groups:
            offsets[g], sizes[g] = off, len(_MAPEL[g])
            flat += list(_MAPEL[g])
            off += len(_MAPEL[g])
        n_ku, n_kt = len(_RHK_KEPALA_UTAMA), len(_RHK_KEPALA_TAMBAHAN)
        n_gt, n_tpl = len(_RHK_GURU_TAMBAHAN), len(_RHK_GURU_TEMPLATE)
        pool = (
            list(_RHK_KEPALA_UTAMA)
            + list(_RHK_KEPALA_TAMBAHAN)
            + list(_RHK_GURU_TAMBAHAN)
            + [t.format(m) for m in flat for t in _RHK_GURU_TEMPLATE]
        )
        mg = self.mapel_group.select(
            "oid",
            mapel=pl.col("mg").replace_strict(offsets, return_dtype=pl.Int64)
            + r.below("oid", "mapel", pl.col("mg").replace_strict(sizes, return_dtype=pl.Int64)),
        )
        del self.mapel_group
        skp = _join(self.skp, mg, "oid").select(
            "skp",
            "synced",
            "rhk_start",
            "n_rhk",
            "n_utama",
            "ks_rhk_start",
            "ks_n_utama",
            "ks_n",
            "ks_ek_rhk_start",
            "ek",
            "ek_rhk_start",
            is_ks=pl.col("role") == "KS",
            mapel=pl.col("mapel").fill_null(0),
            uoff=r.below("skp", "rhk-uoff", n_tpl),
            toff=r.below("skp", "rhk-toff", 12),
            no_induk=pl.col("label").fill_null("") == "PMM-13",
            stale=pl.col("synced") & (pl.col("role") == "GURU") & (r.u("skp", "stale") < 0.04),
        )
        pos, n_utama = pl.col("pos"), pl.col("n_utama")
        utama = pos < n_utama
        ks_text = (
            pl.when(utama).then((pl.col("uoff") + pos) % n_ku).otherwise(n_ku + (pl.col("toff") + pos - n_utama) % n_kt)
        )
        guru_text = (
            pl.when(utama)
            .then(n_ku + n_kt + n_gt + pl.col("mapel") * n_tpl + (pl.col("uoff") + pos) % n_tpl)
            .otherwise(n_ku + n_kt + (pl.col("toff") + pos - n_utama) % n_gt)
        )
        u_induk = pl.col("u_induk")
        induk_off = (
            pl.when(utama)
            .then((u_induk * pl.col("ks_n_utama")).floor())
            .otherwise((u_induk * pl.col("ks_n")).floor())
            .cast(pl.Int64)
        )
        # The synced copy of a teacher RHK whose PMM text changed since the sync (a later
        # sync updates it).
        text = pl.col("text")
        old_text = pl.when(text % 2 == 0).then(text + 1).otherwise(text - 1).clip(0, len(pool) - 1)
        pmm_parts: list[pl.DataFrame] = []
        ek_parts: list[pl.DataFrame] = []
        n = skp.height
        for start in range(0, n, _CHUNK_SKP):
            part = (
                skp.slice(start, _CHUNK_SKP)
                .with_columns(pos=pl.int_ranges(0, "n_rhk"))
                .explode("pos")
                .with_columns(rhk=pl.col("rhk_start") + pl.col("pos"))
                .with_columns(u_induk=r.u("rhk", "induk"))
                .with_columns(
                    text=pl.when(pl.col("is_ks")).then(ks_text).otherwise(guru_text),
                    utama=utama,
                    induk_off=pl.when(pl.col("is_ks") | (pl.col("no_induk") & (pos == 0)))
                    .then(None)
                    .otherwise(induk_off),
                )
            )
            pmm_parts.append(
                part.select(
                    pmm_rhk_id=_rhk_pmm_id(pl.col("rhk")),
                    pmm_skp_id=_skp_pmm_id(pl.col("skp")),
                    uraian=_pick(pool, text),
                    jenis=_pick(("TAMBAHAN", "UTAMA"), pl.col("utama").cast(pl.Int64)),
                    induk_pmm_rhk_id=_rhk_pmm_id(pl.col("ks_rhk_start") + pl.col("induk_off")),
                )
            )
            ek_parts.append(
                part.filter(pl.col("synced")).select(
                    rhk_id=_rhk_ek_id(pl.col("ek_rhk_start") + pos),
                    skp_id=_skp_ek_id(pl.col("ek")),
                    uraian=_pick(pool, pl.when(pl.col("stale") & (pos == 0)).then(old_text).otherwise(text)),
                    pmm_rhk_id=_rhk_pmm_id(pl.col("rhk")),
                    induk_rhk_id=_rhk_ek_id(pl.col("ks_ek_rhk_start") + pl.col("induk_off")),
                )
            )
            del part
            self._report("pmm_rhk", 0.4 + 0.34 * min(n, start + _CHUNK_SKP) / max(n, 1))
        schema = {
            "pmm_rhk_id": pl.String,
            "pmm_skp_id": pl.String,
            "uraian": pl.String,
            "jenis": pl.String,
            "induk_pmm_rhk_id": pl.String,
        }
        self.frames["pmm_rhk"] = pl.concat(pmm_parts) if pmm_parts else pl.DataFrame(schema=schema)
        self.ek_rhk_synced = (
            pl.concat(ek_parts)
            if ek_parts
            else pl.DataFrame(
                schema={
                    "rhk_id": pl.String,
                    "skp_id": pl.String,
                    "uraian": pl.String,
                    "pmm_rhk_id": pl.String,
                    "induk_rhk_id": pl.String,
                }
            )
        )
        self.skp = self.skp.select(
            "skp", "oid", "inst", "role", "label", "status", "synced", "ek", "awal", "akhir", "skp_unor", "atasan_nip"
        )

    # -- PMM assessments, the ones already in e-Kinerja, and what PER-01/03 need ---------------

    def _penilaian(self) -> None:
        r, tahun = self.rand, self.tahun
        # The snapshot is taken in mid-October: months up to September and quarters up to
        # the third are over and assessed.
        last_month = tahun * 12 + 8
        skp = _join(self.skp, self.inst.select("inst", "periodik"), "inst").filter(
            (pl.col("status") == "DISEPAKATI") & (pl.col("label").fill_null("") != "PER-03")
        )
        is_per01 = pl.col("label").fill_null("") == "PER-01"
        tipe = (
            pl.when(is_per01)
            .then(pl.when(pl.col("periodik") == "BULANAN").then(pl.lit("TRIWULANAN")).otherwise(pl.lit("BULANAN")))
            .otherwise(pl.col("periodik"))
        )
        m0 = pl.col("awal").dt.year().cast(pl.Int64) * 12 + pl.col("awal").dt.month() - 1
        m1 = pl.min_horizontal(
            pl.col("akhir").dt.year().cast(pl.Int64) * 12 + pl.col("akhir").dt.month() - 1,
            pl.lit(last_month, pl.Int64),
        )
        bulanan = pl.col("tipe") == "BULANAN"
        m0c, m1c = pl.col("m0"), pl.col("m1")
        u_flow = r.u("skp", "penilaian-flow")
        skp = (
            skp.select(
                "skp",
                "inst",
                "synced",
                "ek",
                tipe=tipe,
                m0=m0,
                m1=m1,
                flow=pl.when(u_flow < 0.3).then(2).when(u_flow < 0.9).then(1).otherwise(0),
            )
            .with_columns(
                lo=pl.when(bulanan).then(m0c).otherwise(m0c // 3),
                hi=pl.when(bulanan).then(m1c).otherwise((m1c + 1) // 3 - 1),
            )
            .filter(pl.col("hi") >= pl.col("lo"))
        )
        known = self.known_periodik
        good = self.good_periodik.select("inst", "tipe", "angka", "periode_id")
        key = pl.col("skp") * 16 + pl.col("t") - pl.col("lo")
        hasil = pl.when(pl.col("u_h") < 0.15).then(0).when(pl.col("u_h") < 0.96).then(1)
        perilaku = pl.when(pl.col("u_p") < 0.2).then(0).when(pl.col("u_p") < 0.97).then(1)
        pmm_parts: list[pl.DataFrame] = []
        ek_parts: list[pl.DataFrame] = []
        with_pen: list[pl.Series] = []
        unmatched: list[pl.Series] = []
        n = skp.height
        for start in range(0, n, _CHUNK_SKP):
            part = (
                skp.slice(start, _CHUNK_SKP)
                .with_columns(t=pl.int_ranges("lo", pl.col("hi") + 1))
                .explode("t")
                .with_columns(u_h=r.u(key, "hasil"), u_p=r.u(key, "perilaku"))
                .with_columns(
                    angka=pl.when(bulanan).then(pl.col("t") % 12 + 1).otherwise(pl.col("t") % 4 + 1),
                    last=pl.col("t") == pl.col("hi"),
                    h=hasil.otherwise(2),
                    p=perilaku.otherwise(2),
                )
            )
            rated = dict(
                hasil_kerja=_pick(_EKSPEKTASI, pl.col("h")),
                perilaku=_pick(_EKSPEKTASI, pl.col("p")),
                predikat=_pick(_PREDIKAT_MATRIX, pl.col("h") * 3 + pl.col("p")),
            )
            pmm_parts.append(
                part.select(
                    pmm_skp_id=_skp_pmm_id(pl.col("skp")),
                    tipe_periodik="tipe",
                    angka_periodik="angka",
                    **rated,
                )
            )
            # Assessments already flowed: for most synced SKPs all but the latest period.
            flowed = part.filter(pl.col("synced") & ((pl.col("flow") == 2) | ((pl.col("flow") == 1) & ~pl.col("last"))))
            ek_parts.append(
                _join(flowed, good, ["inst", "tipe", "angka"], "inner").select(
                    skp_id=_skp_ek_id(pl.col("ek")), periode_id="periode_id", **rated
                )
            )
            with_pen.append(part["skp"].unique())
            unmatched.append(part.join(known, on=["inst", "tipe", "angka"], how="anti")["skp"].unique())
            del part
            self._report("pmm_penilaian", 0.74 + 0.12 * min(n, start + _CHUNK_SKP) / max(n, 1))
        pmm_schema = {
            "pmm_skp_id": pl.String,
            "tipe_periodik": pl.String,
            "angka_periodik": pl.Int64,
            "hasil_kerja": pl.String,
            "perilaku": pl.String,
            "predikat": pl.String,
        }
        ek_schema = {
            "skp_id": pl.String,
            "periode_id": pl.String,
            "hasil_kerja": pl.String,
            "perilaku": pl.String,
            "predikat": pl.String,
        }
        self.frames["pmm_penilaian"] = pl.concat(pmm_parts) if pmm_parts else pl.DataFrame(schema=pmm_schema)
        self.frames["ekinerja_penilaian"] = pl.concat(ek_parts) if ek_parts else pl.DataFrame(schema=ek_schema)
        empty = pl.Series("skp", [], dtype=pl.Int64)
        self.skp_with_pen = pl.concat(with_pen) if with_pen else empty
        self.skp_unmatched = pl.concat(unmatched) if unmatched else empty

    # -- e-Kinerja SKP: synced ones, and the ones people made by hand --------------------------

    def _ekinerja(self) -> None:
        r = self.rand
        synced = _join(_join(self.skp.filter(pl.col("synced")), self.tahunan, "inst"), self.nips, "oid")
        # Hand-made SKPs: teachers with PMM-07, principals of PMM-13 schools, and the Dinas
        # staff (out of scope) of instansi that have the yearly period.
        kadis = self.others.filter(pl.col("role") == "KADIS").select("inst", kadis_oid="oid")
        manual_peg = _join(
            self.peg.filter(
                (pl.col("label").fill_null("") == "PMM-07")
                | ((pl.col("role") == "KS") & (pl.col("fault").fill_null("") == "PMM-13S"))
            ),
            self.sch.select("sch", "unor"),
            "sch",
        )
        manual_peg = _join(manual_peg, kadis, "inst").select(
            "oid",
            "inst",
            "unor",
            atasan_oid=pl.when(pl.col("role") == "KS").then(pl.col("kadis_oid")).otherwise(pl.col("ks_oid")),
        )
        manual_dinas = _join(
            self.others.filter(pl.col("role").is_in(["KADIS", "SEKDIS", "KABID", "PELAKSANA", "PENGAWAS"])),
            kadis,
            "inst",
        ).select(
            "oid",
            "inst",
            unor=pl.when(pl.col("role").is_in(["KADIS", "PENGAWAS"]))
            .then(3 * pl.col("inst"))
            .otherwise(3 * pl.col("inst") + pl.col("sub")),
            atasan_oid=pl.when(pl.col("role") == "KADIS").then(None).otherwise(pl.col("kadis_oid")),
        )
        manual = _join(pl.concat([manual_peg, manual_dinas]), self.tahunan, "inst", "inner")
        manual = manual.sort("oid").with_columns(
            ek=pl.int_range(self.n_ek_skp, self.n_ek_skp + pl.len(), dtype=pl.Int64)
        )
        manual = _join(
            _join(manual, self.nips, "oid"), self.nips.rename({"oid": "atasan_oid", "nip": "atasan_nip"}), "atasan_oid"
        )
        self.frames["ekinerja_skp"] = pl.concat(
            [
                synced.select(
                    skp_id=_skp_ek_id(pl.col("ek")),
                    nip="nip",
                    periode_id="periode_id",
                    unor_id=_unor_id(pl.col("skp_unor")),
                    atasan_nip="atasan_nip",
                    sumber=pl.lit("PMM"),
                    pmm_skp_id=_skp_pmm_id(pl.col("skp")),
                ),
                manual.select(
                    skp_id=_skp_ek_id(pl.col("ek")),
                    nip="nip",
                    periode_id="periode_id",
                    unor_id=_unor_id(pl.col("unor")),
                    atasan_nip="atasan_nip",
                    sumber=pl.lit("MANUAL"),
                    pmm_skp_id=pl.lit(None, pl.String),
                ),
            ]
        )
        manual_rhk = (
            manual.select("ek", n=3 + r.below("ek", "manual-rhk", 3))
            .with_columns(k=pl.int_ranges(0, "n"))
            .explode("k")
            .with_columns(i=pl.int_range(self.n_ek_rhk, self.n_ek_rhk + pl.len(), dtype=pl.Int64))
            .select(
                rhk_id=_rhk_ek_id(pl.col("i")),
                skp_id=_skp_ek_id(pl.col("ek")),
                uraian=_pick(_RHK_MANUAL, (pl.col("k") + r.below("ek", "manual-text", 8)) % len(_RHK_MANUAL)),
                pmm_rhk_id=pl.lit(None, pl.String),
                induk_rhk_id=pl.lit(None, pl.String),
            )
        )
        self.frames["ekinerja_rhk"] = pl.concat([self.ek_rhk_synced, manual_rhk])
        del self.ek_rhk_synced

    # -- school leaders: Plt, Plh, none, unclaimed units (simulation/pimpinan.py) ------------

    def _pimpinan(self) -> None:
        from selaras.simulation import pimpinan

        self.pimpinan_codes = pimpinan.inject(
            assign=_assign,
            rand=self.rand,
            tahun=self.tahun,
            sch=self.sch,
            peg=self.peg,
            frames=self.frames,
            ptk_id_of=_ptk_id,
            unor_id_of=_unor_id,
        )

    # -- the manifest -------------------------------------------------------------------------

    def _pmm12_knock_on(self) -> pl.DataFrame:
        """A PMM-12 teacher's superior D is the PMM superior (another principal, or the
        Kadis): with an e-Kinerja SKP, the teacher's RHK (linked to the own principal's) cannot
        link to it (PMM-13); without one, PMM-11. Neither without the yearly period (PMM-06)."""
        teachers = self.peg.filter((pl.col("label") == "PMM-12") & ~pl.col("bad_tahunan")).select("oid")
        d = (
            _join(teachers, self.nips, "oid")
            .join(
                self.frames["pmm_skp"].select(pl.col("ptk_id").alias("_ptk"), pl.col("atasan_nip").alias("d_nip")),
                left_on=_ptk_id(pl.col("oid")),
                right_on="_ptk",
                how="inner",
            )
            .with_columns(has_ek=pl.col("d_nip").is_in(self.frames["ekinerja_skp"]["nip"].implode()))
        )
        return d.select(
            "oid", code=pl.when(pl.col("has_ek")).then(pl.lit("PMM-13")).otherwise(pl.lit("PMM-11"))
        ).unique()

    def _year_end(self) -> None:
        # Its own random streams: the tables above are the same with or without it.
        self.frames.update(year_end(self.frames, self.tahun, self.rand.seed))

    def _manifest(self) -> pl.DataFrame:
        peg = self.peg
        parts: list[pl.DataFrame] = [
            peg.filter(pl.col("label").is_in(list(_LABEL_CODE))).select(
                "oid", code=pl.col("label").replace_strict(_LABEL_CODE, return_dtype=pl.String)
            )
        ]
        for fault, by_role in _SCHOOL_CODES.items():
            for role, codes in by_role.items():
                parts += [
                    peg.filter((pl.col("fault") == fault) & (pl.col("role") == role)).select("oid", code=pl.lit(code))
                    for code in codes
                ]
        parts.append(peg.filter(pl.col("bad_tahunan")).select("oid", code=pl.lit("PMM-06")))
        parts.append(self._pmm12_knock_on())
        parts.append(self.pimpinan_codes)
        skp_codes = pl.concat(parts).with_columns(flow=pl.lit("skp"))

        # Flow penilaian, computed from the generated data: P's agreed SKPs of the year, their
        # e-Kinerja copies (by pmm_skp_id) and their PMM assessments.
        agreed = self.skp.filter(pl.col("status") == "DISEPAKATI").select(
            "oid",
            "synced",
            no_pen=~pl.col("skp").is_in(self.skp_with_pen.implode()),
            bad_pen=pl.col("skp").is_in(self.skp_unmatched.implode()),
        )
        per_oid = agreed.group_by("oid").agg(
            unsynced=(~pl.col("synced")).any(),
            # PER-03 only when none of P's agreed SKPs has an assessment (errors.md).
            no_pen=pl.col("no_pen").all(),
            bad_pen=pl.col("bad_pen").any(),
        )
        pp = _join(peg.select("oid", "inst"), per_oid, "oid").with_columns(
            broken=pl.col("inst").is_in(self.broken_inst["inst"].implode())
        )
        per_codes = pl.concat(
            [
                pp.filter(pl.col("unsynced").fill_null(True)).select("oid", code=pl.lit("PER-02")),
                pp.filter(pl.col("broken") | pl.col("bad_pen").fill_null(False)).select("oid", code=pl.lit("PER-01")),
                pp.filter(pl.col("no_pen").fill_null(False)).select("oid", code=pl.lit("PER-03")),
            ]
        ).with_columns(flow=pl.lit("penilaian"))
        return (
            _join(pl.concat([skp_codes, per_codes]).unique(), self.nips, "oid")
            .select("nip", "flow", "code")
            .sort(["nip", "flow", "code"])
        )
