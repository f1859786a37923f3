"""Who leads a school on a date (leaders.md): the ONE definition of "leader of a school".

A school's leader L(s) is its definitive principal, else its active Plt, else its active Plh,
else nobody. Dapodik records each of these as an extra duty (``dapodik_tugas_tambahan``); a PTK
whose ``jenis_ptk`` or ``tugas_tambahan`` says Kepala Sekolah holds an active KEPALA_SEKOLAH
duty at its own school (the compatibility reading) unless the duty file has a KEPALA_SEKOLAH
row for that PTK and school, whose dates then decide. So a snapshot without the file reads as
before. The rules, the cascade, the web's access and the views all ask this module.

Pure: frames in, frames out, vectorised (the check runs over millions of pegawai).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import polars as pl

from selaras.domain.pegawai import KEPALA_SEKOLAH, principal_expr
from selaras.domain.snapshot import Snapshot

DEFINITIF = "KEPALA_SEKOLAH"
PLT = "PLT_KEPALA_SEKOLAH"
PLH = "PLH_KEPALA_SEKOLAH"
RANK: dict[str, int] = {DEFINITIF: 1, PLT: 2, PLH: 3}
"""Which active duty leads a school: definitive before Plt before Plh."""

PENUGASAN: dict[str, str] = {DEFINITIF: "DEFINITIF", PLT: "PLT", PLH: "PLH"}
"""The duty's jenis as e-Kinerja's ``atasan_penugasan`` says it."""

SK_DIGIT_MIN = 10
"""A decree number (SK) needs at least this many digits (Dapodik's guide)."""

BOLEH_MENILAI_BAKU = True
MASA_BULAN_BAKU = 9
"""Per-instansi defaults: a Plt may assess; a term is 6 months plus a 3-month extension."""

SETELAN_SCHEMA: dict[str, pl.DataType] = {
    "instansi_id": pl.String(),
    "plt_boleh_menilai": pl.Boolean(),
    "plt_masa_bulan": pl.Int64(),
}


TANGGAL_ENV = "SELARAS_TANGGAL"
"""A fixed check date (YYYY-MM-DD) for every check that does not name one: re-running a past
day, or a demo or test whose generated Plt terms are dated from the snapshot's day."""


def hari_ini(zona_jam: int = 7) -> date:
    """Today in a zone ``zona_jam`` hours ahead of UTC (WIB by default), unless
    ``$SELARAS_TANGGAL`` fixes the check date."""
    fixed = os.environ.get(TANGGAL_ENV)
    if fixed:
        return date.fromisoformat(fixed)
    return (datetime.now(UTC) + timedelta(hours=zona_jam)).date()


@dataclass(frozen=True)
class Kebijakan:
    """What the leader rules need beyond the snapshot: the check date and each instansi's
    settings (``SETELAN_SCHEMA``; an instansi without a row uses the defaults)."""

    tanggal: date = field(default_factory=hari_ini)
    setelan: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SETELAN_SCHEMA))

    def of_instansi(self, instansi: pl.DataFrame) -> pl.DataFrame:
        """``instansi`` (a frame with ``instansi_id``) with both settings, defaults filled."""
        return instansi.join(self.setelan.select(list(SETELAN_SCHEMA)), on="instansi_id", how="left").with_columns(
            pl.col("plt_boleh_menilai").fill_null(BOLEH_MENILAI_BAKU),
            pl.col("plt_masa_bulan").fill_null(MASA_BULAN_BAKU),
        )


def ada_data_tugas(s: Snapshot) -> bool:
    """Whether the snapshot carries Dapodik's duty file: without it nobody can tell a school
    without a leader (PLT-01) from one whose leader is simply not recorded (as before)."""
    return s["dapodik_tugas_tambahan"].height > 0


def duties(s: Snapshot) -> pl.DataFrame:
    """Every leadership duty: the file's rows and the compatibility reading's KEPALA_SEKOLAH
    duties (``kompat``), each with the holder's PTK columns (``ptk_npsn``, ``jenis_ptk``, ``nip``)."""
    ptk = s["dapodik_ptk"]
    file_rows = s["dapodik_tugas_tambahan"].with_columns(pl.lit(False).alias("kompat"))
    explicit_ks = file_rows.filter(pl.col("jenis") == DEFINITIF).select("ptk_id", "npsn")
    compat = (
        ptk.filter(principal_expr())
        .select("ptk_id", "npsn")
        .join(explicit_ks, on=["ptk_id", "npsn"], how="anti")
        .with_columns(
            pl.lit(DEFINITIF).alias("jenis"),
            pl.lit(None, pl.String).alias("nomor_sk"),
            pl.lit(None, pl.Date).alias("tmt"),
            pl.lit(None, pl.Date).alias("tst"),
            pl.lit(True).alias("kompat"),
        )
        .select(file_rows.columns)
    )
    holders = ptk.select(
        "ptk_id", pl.col("npsn").alias("ptk_npsn"), "jenis_ptk", "nip", pl.col("nama").alias("ptk_nama"), "nik"
    )
    return pl.concat([compat, file_rows]).join(holders, on="ptk_id", how="left")


def leaders(s: Snapshot, kebijakan: Kebijakan, npsn: pl.Series | None = None) -> pl.DataFrame:
    """L(s) for every school with an active leadership duty on ``kebijakan.tanggal`` (or only
    the schools in ``npsn``): one row per school.

    Columns: ``npsn``, ``ptk_id``, ``jenis`` (:data:`DEFINITIF`, :data:`PLT`, :data:`PLH`),
    ``nomor_sk``, ``tmt``, ``tst``, ``nip``, ``nik``, ``ptk_nama``, the validity flags
    ``sekolah_induk`` (held at the PTK's own school), ``jenis_ptk_ks``, ``sk_kurang`` (fewer
    than 10 digits), ``tmt_kosong``, then ``sah`` (valid), ``akhir_masa`` (the last day of the
    term, TMT plus the instansi's months), ``berakhir`` (valid and the term is over),
    ``instansi_id``, ``plt_boleh_menilai``, ``plt_masa_bulan``. A definitive principal is
    always valid and never expires.
    """
    d = duties(s)
    if npsn is not None:
        d = d.filter(pl.col("npsn").is_in(npsn.implode()))
    day = kebijakan.tanggal
    active = d.filter(
        pl.col("kompat")
        | ((pl.col("tmt").is_null() | (pl.col("tmt") <= day)) & (pl.col("tst").is_null() | (pl.col("tst") >= day)))
    )
    acting = pl.col("jenis") != DEFINITIF
    flags = active.with_columns(
        (acting & (pl.col("npsn") == pl.col("ptk_npsn")).fill_null(False)).alias("sekolah_induk"),
        (acting & (pl.col("jenis_ptk") == KEPALA_SEKOLAH).fill_null(False)).alias("jenis_ptk_ks"),
        (acting & (pl.col("nomor_sk").str.count_matches(r"\d").fill_null(0) < SK_DIGIT_MIN)).alias("sk_kurang"),
        (acting & pl.col("tmt").is_null()).alias("tmt_kosong"),
        pl.col("jenis").replace_strict(RANK, default=9, return_dtype=pl.Int64).alias("_rank"),
    ).with_columns(
        ~(pl.col("sekolah_induk") | pl.col("jenis_ptk_ks") | pl.col("sk_kurang") | pl.col("tmt_kosong")).alias("sah")
    )
    chosen = flags.sort(
        ["npsn", "_rank", "sah", "tmt", "ptk_id"], descending=[False, False, True, True, False], nulls_last=True
    ).unique("npsn", keep="first", maintain_order=True)
    inst = kebijakan.of_instansi(s["dapodik_sekolah"].select("npsn", "instansi_id"))
    out = chosen.join(inst, on="npsn", how="left").with_columns(
        pl.col("plt_boleh_menilai").fill_null(BOLEH_MENILAI_BAKU),
        pl.col("plt_masa_bulan").fill_null(MASA_BULAN_BAKU),
    )
    out = out.with_columns(
        pl.when(acting & pl.col("tmt").is_not_null())
        .then(pl.col("tmt").dt.offset_by(pl.format("{}mo", pl.col("plt_masa_bulan"))))
        .alias("akhir_masa")
    ).with_columns((acting & pl.col("sah") & (pl.col("akhir_masa") < day).fill_null(False)).alias("berakhir"))
    return out.drop("_rank", "kompat", "ptk_npsn", "jenis_ptk")


def acting_for(s: Snapshot, kebijakan: Kebijakan, nip: str) -> list[str]:
    """The schools (NPSN) the pegawai ``nip`` leads as a valid, unexpired Plt/Plh on the date:
    the schools whose teachers a Plt sees and acts for, while the duty lasts and no longer."""
    ptk = s["dapodik_ptk"].filter(pl.col("nip") == nip)["ptk_id"]
    if ptk.len() == 0:
        return []
    held = s["dapodik_tugas_tambahan"].filter(pl.col("ptk_id").is_in(ptk.implode()))["npsn"].unique()
    if held.len() == 0:
        return []
    led = leaders(s, kebijakan, held).filter(
        (pl.col("jenis") != DEFINITIF) & pl.col("ptk_id").is_in(ptk.implode()) & pl.col("sah") & ~pl.col("berakhir")
    )
    return sorted(led["npsn"].to_list())
