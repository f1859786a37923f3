"""How an error read from the log is acted on downstream (cards, notices, worklists, the
cascade): the superior D the teacher's RHK must link to, the PMM-13 causes, who must act, the
steps, and whom the teacher waits on. Built on :mod:`selaras.domain.diagnosis` (the facts) and
the catalogue's causes (``SEBAB``); pure.
"""

from __future__ import annotations

from typing import Any

from selaras.catalogue.codes import SEBAB, Aktor, lookup
from selaras.domain import diagnosis

WAITING_CODES = diagnosis.WAITING_CODES


def unlinked_rhk(err: dict[str, Any]) -> list[dict[str, Any]]:
    """The RHK of a PMM-13 that cannot be linked, each with its ``alasan``."""
    found = ((err.get("detail") or {}).get("pmm") or {}).get("rhk_tidak_terkait") or []
    return [r for r in found if isinstance(r, dict)]


def causes(err: dict[str, Any]) -> list[str]:
    """The causes present (in the catalogue's order); empty for codes without causes."""
    known = SEBAB.get(err.get("code") or "", {})
    present = set(diagnosis.alasan_of(err.get("detail")))
    return [a for a in known if a in present]


def aktor(err: dict[str, Any]) -> tuple[Aktor, ...]:
    """Who must act on this error: the actors of the causes present (errors.md)."""
    return tuple(diagnosis.error_actors(err["code"], err.get("detail")))


def langkah(err: dict[str, Any]) -> list[str]:
    """The steps: those of each cause present, else the catalogue's."""
    found = causes(err)
    if not found:
        return list(lookup(err["code"]).langkah)
    out: list[str] = []
    for c in found:
        out += [s for s in SEBAB[err["code"]][c].langkah if s not in out]
    return out


def superior(err: dict[str, Any]) -> dict[str, str] | None:
    """The superior D a PMM-11 / PMM-13 is about: ``{nip, nama}`` (None for other codes)."""
    if err.get("code") not in WAITING_CODES:
        return None
    ek = (err.get("detail") or {}).get("ekinerja") or {}
    if not isinstance(ek, dict) or not ek.get("atasan_nip"):
        return None
    return {"nip": ek["atasan_nip"], "nama": ek.get("atasan_nama") or ""}


def superior_sync_clears(err: dict[str, Any]) -> bool:
    """Whether D's successful sync clears this error (PMM-11; PMM-13 of the last cause only)."""
    return diagnosis.waits_on_superior(err.get("code") or "", err.get("detail"))


def waits_on(err: dict[str, Any]) -> str | None:
    """The NIP whose ready sync will clear this error (the check's ``selesai_oleh``)."""
    return err.get("selesai_oleh") or None


ATASAN = "atasan"
"""Teachers whose error the principal's ready sync clears."""
ATASAN_TERTAHAN = "atasan-tertahan"
"""Teachers whose error the principal's sync would clear, but the principal's own SKP fails."""
RHK_PMM = "rhk-pmm"
"""A PMM-13 caused by the teacher's own plan: fixed in PMM by the teacher and the principal."""


def root(code: str, err: dict[str, Any], row: dict[str, Any]) -> tuple[str, str]:
    """The root cause an error shares with others, ``(jenis, kunci)``: one worklist item per
    principal, unit, school... (``row`` is the pegawai's logged row)."""
    d = err.get("detail") or {}
    target = waits_on(err)
    if target:
        return ATASAN, target
    sup = superior(err)
    if sup is not None and superior_sync_clears(err):
        return ATASAN_TERTAHAN, sup["nip"]
    if sup is not None:
        return RHK_PMM, row["nip"]
    if code == "PMM-12" and (d.get("ekinerja") or {}).get("unor_id"):
        return "unor", d["ekinerja"]["unor_id"]
    if code == "PMM-03" and (d.get("siasn") or {}).get("unor_id"):
        return "unor", d["siasn"]["unor_id"]
    if code == "PMM-08" and (d.get("pmm") or {}).get("npsn"):
        return "sekolah", d["pmm"]["npsn"]
    if code in ("TAH-02", "TAH-04") and (d.get("pmm") or {}).get("npsn"):
        return "sekolah", d["pmm"]["npsn"]  # one PKO, one distribution per school
    if code == "TAH-03" and row.get("kepala_sekolah") is False and (d.get("pmm") or {}).get("npsn"):
        return "sekolah-skp", d["pmm"]["npsn"]  # the principal rates the school's teachers
    if code in ("PLT-01", "PLT-02", "PLT-03") and d.get("npsn"):
        return "sekolah", d["npsn"]  # one item per school led (leaders.md): the Dinas's to fix
    if code in ("PMM-06", "PER-01"):
        return "instansi", row.get("instansi_id") or ""
    if code == "PMM-02" and row.get("kepala_sekolah") is False:
        return "sekolah-skp", row.get("npsn") or ""
    return "pegawai", row["nip"]
