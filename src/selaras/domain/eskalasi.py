"""Escalation: a worklist item nobody acts on goes up one level after N working days.

An *item* (``Butir``) is one root cause with one responsible party, as the worklists group
them (:func:`selaras.domain.blockers.root`): one principal who has not synced, one unit with a
wrong superior, one teacher's own plan... The party is a notice address (``pegawai:<nip>``,
``operator:<npsn>``, ``admin:<instansi_id>``, ``dinas:<instansi_id>``).

The levels (each step taken once per item, and recorded on it):

1. ``ADMIN``: an item of a pegawai, a principal, an operator or the education office still
   open ``ke_admin`` working days after it was first seen goes to the Admin Instansi.
2. ``PIMPINAN``: an item at the Admin Instansi (its own, or escalated there) still open
   ``ke_pimpinan`` working days after it was first seen goes to the head of the agency (an
   e-mail address in the policy, and the in-app address ``pimpinan:<instansi_id>``) and shows
   on the national admin's view.

Ages count from *first seen*, not from the last change: a principal's item changes when more
teachers come to wait on them, which is not the principal acting. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from selaras.catalogue.codes import Aktor
from selaras.catalogue.sentences import ESKALASI
from selaras.domain import blockers

KE_ADMIN_BAKU = 5
"""Default working days before an item goes to the Admin Instansi (one working week)."""
KE_PIMPINAN_BAKU = 10
"""Default working days (from first seen) before an Admin Instansi item goes to the head."""


class Tingkat(IntEnum):
    """The escalation levels above the responsible party."""

    ADMIN = 1
    PIMPINAN = 2


TINGKAT_LABEL = {
    Tingkat.ADMIN: ESKALASI["tingkat_admin"],
    Tingkat.PIMPINAN: ESKALASI["tingkat_pimpinan"],
}


@dataclass(frozen=True)
class Kebijakan:
    """An instansi's escalation policy (the defaults when it set none)."""

    ke_admin: int = KE_ADMIN_BAKU
    ke_pimpinan: int = KE_PIMPINAN_BAKU
    pimpinan_email: str | None = None

    def __post_init__(self) -> None:
        if self.ke_admin < 1 or self.ke_pimpinan < 1:
            raise ValueError(ESKALASI["ambang_minimal"])


@dataclass(frozen=True)
class Butir:
    """One worklist item of an instansi: a root cause, its responsible party, its pegawai."""

    flow: str
    kode: str
    jenis: str
    kunci: str
    pihak: str
    pegawai: tuple[str, ...] = field(default=())

    @property
    def kunci_butir(self) -> tuple[str, str, str, str]:
        """What identifies the item across runs: flow, code, kind of root cause, its key."""
        return (self.flow, self.kode, self.jenis, self.kunci)


def pihak_of(
    jenis: str, kunci: str, aktor: Sequence[Aktor], row: Mapping[str, Any], superior_nip: str | None, instansi_id: str
) -> str | None:
    """The one party responsible for an item (None: only the system can act)."""
    if jenis in (blockers.ATASAN, blockers.ATASAN_TERTAHAN, blockers.RHK_PMM):
        return f"pegawai:{kunci}"
    if jenis in ("unor", "instansi"):
        return f"admin:{instansi_id}"
    npsn = kunci if jenis in ("sekolah", "sekolah-skp") else row.get("npsn")
    for a in aktor:
        if a is Aktor.PEGAWAI and row.get("nip"):
            return f"pegawai:{row['nip']}"
        if a is Aktor.KEPALA_SEKOLAH and superior_nip:
            return f"pegawai:{superior_nip}"
        if a is Aktor.OPERATOR_SEKOLAH and npsn:
            return f"operator:{npsn}"
        if a is Aktor.ADMIN_INSTANSI:
            return f"admin:{instansi_id}"
        if a is Aktor.DINAS_PENDIDIKAN:
            return f"dinas:{instansi_id}"
    return None


def butir_dari(
    flow: str, errors: Iterable[Mapping[str, Any]], pegawai: Mapping[str, Mapping[str, Any]], instansi_id: str
) -> list[Butir]:
    """The open items of an instansi from its pegawai's latest errors (``code``, parsed
    ``detail``, ``selesai_oleh``, ``nip``), one per root cause, in a stable order."""
    found: dict[tuple[str, str, str], tuple[str, set[str]]] = {}
    for e in errors:
        err = dict(e)
        row = pegawai.get(err["nip"], {"nip": err["nip"]})
        jenis, kunci = blockers.root(err["code"], err, dict(row))
        sup = blockers.superior(err)
        party = pihak_of(jenis, kunci, blockers.aktor(err), row, sup["nip"] if sup else None, instansi_id)
        if party is None:
            continue
        key = (err["code"], jenis, kunci)
        if key not in found:
            found[key] = (party, set())
        found[key][1].add(err["nip"])
    return [
        Butir(flow, kode, jenis, kunci, party, tuple(sorted(nips)))
        for (kode, jenis, kunci), (party, nips) in sorted(found.items())
    ]


def langkah_jatuh_tempo(pihak: str, umur: int, sudah: Iterable[int], kebijakan: Kebijakan) -> list[Tingkat]:
    """The escalation steps due now for an item ``umur`` working days old whose steps
    ``sudah`` were taken: each step once, in order, at its threshold exactly."""
    done = set(sudah)
    due: list[Tingkat] = []
    at_admin = pihak.startswith("admin:") or Tingkat.ADMIN in done
    if not at_admin and umur >= kebijakan.ke_admin:
        due.append(Tingkat.ADMIN)
        at_admin = True
    if at_admin and Tingkat.PIMPINAN not in done and umur >= kebijakan.ke_pimpinan:
        due.append(Tingkat.PIMPINAN)
    return due


def penerima_eskalasi(tingkat: Tingkat, instansi_id: str) -> str:
    """The in-app address an escalation step notifies."""
    return f"admin:{instansi_id}" if tingkat is Tingkat.ADMIN else f"pimpinan:{instansi_id}"


def umur_label(hari: int) -> str:
    """How long an item has waited, in words people use."""
    if hari <= 0:
        return ESKALASI["umur_hari_ini"]
    return ESKALASI["umur_hari"].format(hari=hari)


@dataclass(frozen=True)
class BarisDigest:
    """One open item as a digest lists it."""

    label: str
    umur: int
    jumlah_guru: int
    baru: bool
    tingkat: int = 0


def digest(nama: str, baris: Sequence[BarisDigest]) -> tuple[str, str]:
    """A daily digest's title and text: the open items, oldest first, with the teachers each
    one holds and what is new since the last digest."""
    rows = sorted(baris, key=lambda b: (-b.umur, -b.jumlah_guru, b.label))
    baru = sum(1 for b in rows if b.baru)
    t = ESKALASI
    judul = t["digest_judul_baru" if baru else "digest_judul"].format(n=len(rows), baru=baru)
    lines = [t["digest_salam"].format(nama=nama), "", t["digest_pembuka"]]
    for b in rows:
        extra = t["digest_baru"] if b.baru else ""
        if b.tingkat:
            extra += t["digest_dieskalasi"].format(kepada=TINGKAT_LABEL[Tingkat(b.tingkat)])
        lines.append(t["digest_baris"].format(label=b.label, umur=umur_label(b.umur), guru=b.jumlah_guru, tanda=extra))
    return judul, "\n".join(lines)
