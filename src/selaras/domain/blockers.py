"""How an error read from the log is acted on downstream (cards, notices, worklists, the
recap, the cascade): the superior D the teacher's RHK must link to, the causes of PMM-13
(``alasan`` per RHK), who must act, and whether the teacher waits on D's sync (errors.md,
Clarifications).

Pure: reads the error as logged (``code``, ``detail``, ``selesai_oleh``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from selaras.catalogue.codes import Aktor, lookup

WAITING_CODES = ("PMM-11", "PMM-13")
"""The codes of a teacher whose RHK must link to the superior D's e-Kinerja SKP."""

INDUK_KOSONG = "INDUK_KOSONG"
INDUK_BUKAN_RHK_ATASAN = "INDUK_BUKAN_RHK_ATASAN"
BELUM_DI_SKP_ATASAN = "BELUM_DI_SKP_ATASAN"

A = Aktor
CAUSE_AKTOR: dict[str, tuple[Aktor, ...]] = {
    INDUK_KOSONG: (A.PEGAWAI, A.KEPALA_SEKOLAH),
    INDUK_BUKAN_RHK_ATASAN: (A.PEGAWAI, A.KEPALA_SEKOLAH),
    BELUM_DI_SKP_ATASAN: (A.KEPALA_SEKOLAH, A.ADMIN_INSTANSI),
}
"""The actors of each cause of PMM-13."""

_PMM_STEPS = (
    "Guru membuka SKP-nya di PMM dan mengaitkan setiap RHK yang disebut di bawah ke salah satu RHK "
    "kepala sekolah (atasan) pada SKP PMM kepala sekolah tahun ini.",
    "Kepala sekolah menyepakati kembali SKP guru itu di PMM.",
    "Setelah data PMM yang baru tiba, guru menekan Sinkron PMM lagi (atau Selaras mencobanya pada "
    "pembaruan terjadwal).",
)
CAUSE_LANGKAH: dict[str, tuple[str, ...]] = {
    INDUK_KOSONG: _PMM_STEPS,
    INDUK_BUKAN_RHK_ATASAN: _PMM_STEPS,
}
"""Steps of the causes fixed in PMM by the teacher and the principal; the third cause
(``BELUM_DI_SKP_ATASAN``) has the catalogue's steps (the principal's sync)."""


def _rhk_items(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "alasan" in value and ("pmm_rhk_id" in value or "teks" in value or "induk_pmm_rhk_id" in value):
            yield value
        for v in value.values():
            yield from _rhk_items(v)
    elif isinstance(value, list):
        for v in value:
            yield from _rhk_items(v)


def unlinked_rhk(err: dict[str, Any]) -> list[dict[str, Any]]:
    """The RHK of a PMM-13 that cannot be linked, each with its ``alasan`` (when logged)."""
    return list(_rhk_items(err.get("detail") or {}))


def causes(err: dict[str, Any]) -> list[str]:
    """The PMM-13 causes present (in the Clarifications' order); empty for other codes."""
    if err.get("code") != "PMM-13":
        return []
    found = {r.get("alasan") for r in unlinked_rhk(err)}
    return [c for c in CAUSE_AKTOR if c in found]


def aktor(err: dict[str, Any]) -> tuple[Aktor, ...]:
    """Who must act on this error: for PMM-13 the actors of the causes present, otherwise the
    catalogue's."""
    found = causes(err)
    if not found:
        return lookup(err["code"]).aktor
    out: list[Aktor] = []
    for c in found:
        out += [a for a in CAUSE_AKTOR[c] if a not in out]
    return tuple(out)


def langkah(err: dict[str, Any]) -> list[str]:
    """The steps: per cause for PMM-13 (the PMM steps first: they are the teacher's), else the
    catalogue's."""
    found = causes(err)
    if not found:
        return list(lookup(err["code"]).langkah)
    out: list[str] = []
    for c in found:
        for s in CAUSE_LANGKAH.get(c, lookup("PMM-13").langkah):
            if s not in out:
                out.append(s)
    return out


def superior(err: dict[str, Any]) -> dict[str, str] | None:
    """The superior D a PMM-11 / PMM-13 is about: ``{nip, nama}`` (None for other codes)."""
    if err.get("code") not in WAITING_CODES:
        return None
    d = err.get("detail") or {}
    for key in ("atasan", "ekinerja"):
        block = d.get(key)
        if isinstance(block, dict):
            nip = block.get("nip") if key == "atasan" else block.get("atasan_nip")
            if nip:
                nama = block.get("nama") if key == "atasan" else block.get("atasan_nama")
                return {"nip": nip, "nama": nama or ""}
    return None


def superior_sync_clears(err: dict[str, Any]) -> bool:
    """Whether the superior D's successful sync clears this error: PMM-11, or a PMM-13 whose
    every unlinked RHK is only missing from D's e-Kinerja SKP (an old log row without causes
    counts as that)."""
    code = err.get("code")
    if code == "PMM-11":
        return True
    if code != "PMM-13":
        return False
    found = causes(err)
    return not found or found == [BELUM_DI_SKP_ATASAN]


def waits_on(err: dict[str, Any]) -> str | None:
    """The NIP whose ready sync will clear this error (the check's ``selesai_oleh``)."""
    return err.get("selesai_oleh") or None
