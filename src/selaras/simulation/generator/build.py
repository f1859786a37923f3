"""The work in progress of one generation: its settings, the snapshot's tables made so far and
the working frames that later stages read (each stage keeps only what later ones need)."""

from __future__ import annotations

import random
from collections.abc import Callable

import polars as pl

from selaras.simulation.generator.randomness import Rand

ProgressFn = Callable[[str, float], None]

CHUNK_SKP = 250_000
"""SKPs per batch when exploding RHK and assessments (bounds the transient memory)."""


def report(progress: ProgressFn | None, stage: str, fraction: float) -> None:
    """Tell ``progress`` (if any) that ``stage`` is under way, ``fraction`` of the work done."""
    if progress is not None:
        progress(stage, min(1.0, max(0.0, fraction)))


class Build:
    """The state the stages share: set by one stage, read by the ones after it."""

    frames: dict[str, pl.DataFrame]
    """The snapshot's tables, by name."""
    inst: pl.DataFrame
    tahunan: pl.DataFrame
    broken_inst: pl.DataFrame
    known_periodik: pl.DataFrame
    good_periodik: pl.DataFrame
    sch: pl.DataFrame
    peg: pl.DataFrame
    others: pl.DataFrame
    orang: pl.DataFrame
    nips: pl.DataFrame
    mapel_group: pl.DataFrame
    skp: pl.DataFrame
    n_ek_skp: int
    n_ek_rhk: int
    ek_rhk_synced: pl.DataFrame
    skp_with_pen: pl.Series
    skp_unmatched: pl.Series
    pimpinan_codes: pl.DataFrame

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
        self.rand = Rand(seed)
        self.py = random.Random(seed)
        n = n_instansi if n_instansi is not None else max(1, round(pegawai / 3700))
        self.n_inst = max(1, min(n, pegawai))
        self.progress = progress
        self.frames = {}

    def report(self, stage: str, fraction: float) -> None:
        """Report progress (see :func:`report`)."""
        report(self.progress, stage, fraction)
