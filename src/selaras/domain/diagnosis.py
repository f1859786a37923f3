"""Facts about a diagnosis that every layer shares: which errors wait on the superior, which
cause of PMM-13 each unlinked RHK has, and so who must act on an error that holds.

The catalogue says who acts on a code in general; for PMM-13 the actors depend on the causes
present (errors.md, Clarifications), read here from the error's ``detail``.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from selaras.catalogue.codes import CATALOGUE, SEBAB, Aktor

WAITING_CODES: tuple[str, ...] = ("PMM-11", "PMM-13")
"""The codes of a teacher whose sync needs the superior D's e-Kinerja SKP (errors.md)."""

INDUK_KOSONG = "INDUK_KOSONG"
"""PMM-13 cause: the teacher's RHK has no parent RHK in PMM."""
INDUK_BUKAN_RHK_ATASAN = "INDUK_BUKAN_RHK_ATASAN"
"""PMM-13 cause: the parent is not an RHK of the superior D's agreed PMM plan of the year."""
BELUM_DI_SKP_ATASAN = "BELUM_DI_SKP_ATASAN"
"""PMM-13 cause: the parent is in D's PMM plan but not in D's e-Kinerja SKP (D's sync clears it)."""
PIMPINAN_BELUM_DIKLAIM = "PIMPINAN_BELUM_DIKLAIM"
"""PMM-13 cause: D = A and A has not claimed the unit's leadership in e-Kinerja (leaders.md);
it clears when D claims, not when D syncs."""
ATASAN_PLT = "ATASAN_PLT"
"""PMM-12 cause: the PMM superior is the school's valid Plt/Plh, not yet the unit's acting head."""


def _detail(detail: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return {}
    return detail if isinstance(detail, dict) else {}


def alasan_of(detail: str | dict[str, Any] | None) -> list[str]:
    """The causes present in an error's ``detail`` (its ``alasan`` list; empty for codes
    without causes)."""
    found = _detail(detail).get("alasan")
    return [a for a in found if isinstance(a, str)] if isinstance(found, list) else []


def error_actors(code: str, detail: str | dict[str, Any] | None = None) -> list[Aktor]:
    """Who must act on error ``code`` with this ``detail``: the actors of the causes present
    when the code has causes (PMM-13), else the catalogue's, in the catalogue's order."""
    causes = SEBAB.get(code)
    if not causes:
        return list(CATALOGUE[code].aktor)
    present = {a for alasan in alasan_of(detail) if alasan in causes for a in causes[alasan].aktor}
    if not present:
        return list(CATALOGUE[code].aktor)
    return [a for a in Aktor if a in present]


def actors_expr(code: str = "code", detail: str = "detail") -> pl.Expr:
    """:func:`error_actors` as a polars expression over the ``code`` and ``detail`` (JSON)
    columns: a list of actor names per error row, for set-based output of millions of rows."""
    parts = []
    for a in Aktor:
        plain = [c for c, e in CATALOGUE.items() if a in e.aktor and c not in SEBAB]
        cond = pl.col(code).is_in(plain)
        for c, causes in SEBAB.items():
            has = [x for x, s in causes.items() if a in s.aktor]
            if has:
                pattern = "|".join(f'"alasan":"{x}"' for x in has)
                cond = cond | ((pl.col(code) == c) & pl.col(detail).str.contains(pattern))
            if a in CATALOGUE[c].aktor:
                # No cause named in the detail: the catalogue's actors (error_actors does the same).
                any_cause = "|".join(f'"alasan":"{x}"' for x in causes)
                cond = cond | ((pl.col(code) == c) & ~pl.col(detail).str.contains(any_cause))
        parts.append(pl.when(cond).then(pl.lit(a.value)))
    return pl.concat_list(parts).list.drop_nulls()


def waits_on_superior(code: str, detail: str | dict[str, Any] | None = None) -> bool:
    """Whether error ``code`` clears once the superior D syncs (PMM-11 always; PMM-13 only when
    every unlinked RHK is :data:`BELUM_DI_SKP_ATASAN`)."""
    if code not in WAITING_CODES:
        return False
    causes = SEBAB.get(code)
    if not causes:
        return True
    present = alasan_of(detail)
    return bool(present) and all(causes[a].menunggu_atasan for a in present if a in causes)


def waits_on_superior_expr(code: str = "code", detail: str = "detail") -> pl.Expr:
    """:func:`waits_on_superior` as a polars expression over ``code`` and ``detail`` (JSON)."""
    own_plan = [x for c in WAITING_CODES for x, s in SEBAB.get(c, {}).items() if not s.menunggu_atasan]
    cleared_by_d = pl.col(code).is_in(WAITING_CODES)
    if own_plan:
        cleared_by_d = cleared_by_d & ~pl.col(detail).str.contains("|".join(f'"alasan":"{x}"' for x in own_plan))
    return cleared_by_d
