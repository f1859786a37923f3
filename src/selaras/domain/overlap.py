"""Periods that may not share days: the TAHUNAN periods of one instansi (pure, no I/O).

An SKP takes the first TAHUNAN period of its instansi that covers its dates; two TAHUNAN
periods that overlap make that choice depend on row order, so a setup with them is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from selaras.catalogue.sentences import SOURCES


def _tgl(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def tahunan_overlaps(existing: Iterable[Mapping[str, Any]], row: Mapping[str, Any]) -> list[str]:
    """Why ``row`` (a period to save) overlaps a TAHUNAN period of ``existing`` (the same
    instansi's periods); empty when it does not, or when ``row`` is not TAHUNAN. A period of the
    same ``periode_id`` is the one being replaced and is not compared."""
    if row.get("jenis") != "TAHUNAN":
        return []
    awal, akhir = row["awal"], row["akhir"]
    problems = []
    for other in existing:
        if other.get("jenis") != "TAHUNAN" or other["periode_id"] == row["periode_id"]:
            continue
        o_awal, o_akhir = _as_date(other["awal"]), _as_date(other["akhir"])
        if awal <= o_akhir and o_awal <= akhir:
            problems.append(
                SOURCES["periode_bertumpang"].format(
                    periode_id=row["periode_id"],
                    awal=_tgl(awal),
                    akhir=_tgl(akhir),
                    lain_id=other["periode_id"],
                    lain_awal=_tgl(o_awal),
                    lain_akhir=_tgl(o_akhir),
                )
            )
    return problems


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
