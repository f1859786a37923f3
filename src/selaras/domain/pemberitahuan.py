"""The notices a logged result calls for, drafted for each person concerned (no I/O).

A notice goes to a *penerima*: ``pegawai:<nip>``, ``operator:<npsn>``, ``admin:<instansi_id>``
or ``dinas:<instansi_id>`` (and ``sumber:<source>``, ``pimpinan:<instansi_id>``). Each job tells
its pegawai the result, and tells each person who must act what to do. The sentences are
``catalogue.pemberitahuan``'s; storing, reading and e-mailing them is ``store.notices``' and
``usecases.pemberitahuan``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selaras.catalogue import pemberitahuan as teks
from selaras.catalogue import words
from selaras.catalogue.codes import Aktor, ErrorCode, lookup
from selaras.domain import blockers
from selaras.domain.results import Flow, Outcome, Status


@dataclass(frozen=True)
class Notice:
    """One notice to one penerima."""

    notifikasi_id: int
    penerima: str
    waktu: datetime
    nip: str | None
    kode: str | None
    judul: str
    isi: str
    job_id: int | None
    dibaca: bool


@dataclass(frozen=True)
class Draft:
    """A notice not yet stored."""

    penerima: str
    nip: str | None
    kode: str | None
    judul: str
    isi: str
    job_id: int | None = None


def drafts_for(
    entry: dict[str, Any], flow: Flow, job_id: int | None = None, names: dict[str, str] | None = None
) -> list[Draft]:
    """The notices one logged result calls for.

    ``entry`` is a log entry (``log_entries`` shape: nip, nama, npsn, instansi_id, status,
    hasil, errors with code, detail and selesai_oleh). The pegawai hears news of a sync that
    wrote to e-Kinerja, or the errors; everyone who must act on an error hears what to do. A
    teacher is told to wait only on a principal whose sync clears the error (``selesai_oleh``);
    a principal whose own SKP still fails hears that first. ``names`` maps NIPs to names.
    """
    names = names or {}
    if entry["status"] == Status.TERSINKRON.value:
        # Only news is worth a notice: a re-check that wrote nothing tells nobody anything.
        if entry.get("hasil") not in (Outcome.BARU.value, Outcome.DIPERBARUI.value):
            return []
        alur = teks.ALUR[Flow(flow).value]
        nip = entry["nip"]
        judul, isi = teks.TERSINKRON_JUDUL.format(alur=alur), teks.TERSINKRON_ISI.format(alur=alur)
        return [Draft(f"pegawai:{nip}", nip, None, judul, isi, job_id)]
    return [d for err in entry.get("errors", []) for d in _drafts_for_error(entry, err, job_id, names)]


@dataclass(frozen=True)
class _Error:
    """One error of a log entry, read once for every notice it calls for."""

    code: ErrorCode
    langkah: str
    rhk: str
    sup: dict[str, Any] | None
    sup_nama: str
    waits: str | None
    judul: str


def _drafts_for_error(
    entry: dict[str, Any], err: dict[str, Any], job_id: int | None, names: dict[str, str]
) -> list[Draft]:
    """The pegawai's notice of one error, then one to each other person who must act on it."""
    nip, nama = entry["nip"], entry.get("nama") or entry["nip"]
    code = lookup(err["code"])
    aktor = blockers.aktor(err)
    sup = blockers.superior(err)
    e = _Error(
        code=code,
        langkah=" ".join(blockers.langkah(err)),
        rhk=_rhk_text(err),
        sup=sup,
        sup_nama=(names.get(sup["nip"]) or sup["nama"] or sup["nip"]) if sup else "",
        waits=blockers.waits_on(err),
        judul=teks.KENDALA_JUDUL.format(kode=code.code, judul=code.judul),
    )
    own = f"pegawai:{nip}"
    penerima = _penerima(aktor, entry, err)
    out = [_to_pegawai(own in penerima, aktor, err, e, names, nip, job_id)]
    for p in penerima:
        if p == own:
            continue
        if e.sup is not None and p == f"pegawai:{e.sup['nip']}" and blockers.superior_sync_clears(err) and not e.waits:
            isi = teks.KEPALA_TERTAHAN_ISI.format(nama=nama, nip=nip)
        else:
            isi = teks.UNTUK_ISI.format(nama=nama, nip=nip, langkah=e.langkah, rhk=e.rhk)
        out.append(Draft(p, nip, code.code, e.judul, isi, job_id))
    return out


def _to_pegawai(
    acts: bool,
    aktor: Sequence[Aktor],
    err: dict[str, Any],
    e: _Error,
    names: dict[str, str],
    nip: str,
    job_id: int | None,
) -> Draft:
    """The pegawai's own notice of one error: what to do, whom they wait on, or who must act."""
    own, kode = f"pegawai:{nip}", e.code.code
    if acts:
        return Draft(own, nip, kode, e.judul, teks.LAKUKAN_ISI.format(langkah=e.langkah, rhk=e.rhk), job_id)
    if e.waits:
        siapa = teks.KEPALA_SEKOLAH.format(nama=names.get(e.waits) or e.sup_nama or e.waits)
        judul = teks.MENUNGGU_JUDUL.format(kode=kode, siapa=siapa)
        return Draft(own, nip, kode, judul, teks.MENUNGGU_ISI.format(judul=e.code.judul, siapa=siapa), job_id)
    if e.sup is not None and blockers.superior_sync_clears(err):
        return Draft(own, nip, kode, e.judul, teks.KEPALA_DULU_ISI.format(nama=e.sup_nama), job_id)
    siapa = ", ".join(a.value for a in aktor)
    return Draft(own, nip, kode, e.judul, teks.ORANG_LAIN_ISI.format(siapa=siapa, langkah=e.langkah), job_id)


def for_source_owners(problems: Iterable[Any]) -> list[Draft]:
    """SYS-02 to each source's owner (``sumber:<source>``): one notice per record it sent that
    breaks the contract (``SourceProblem``: source, table, key, and its text)."""
    return [
        Draft(
            f"sumber:{p.source}",
            None,
            "SYS-02",
            teks.SUMBER_JUDUL.format(sumber=p.source, tabel=p.table, kunci=p.key),
            str(p),
        )
        for p in problems
    ]


def _rhk_text(err: dict[str, Any]) -> str:
    """PMM-13: the RHK that cannot be linked, by their text, with the cause of each."""
    items = blockers.unlinked_rhk(err)
    if not items:
        return ""
    parts = []
    for r in items[:5]:
        butir = teks.RHK_BUTIR.format(teks=r.get("uraian") or r.get("pmm_rhk_id") or "-")
        sebab = words.label(words.NILAI, r.get("alasan")) if r.get("alasan") else ""
        parts.append(butir + (teks.RHK_SEBAB.format(sebab=sebab) if sebab else ""))
    more = teks.RHK_LAINNYA.format(jumlah=words.angka(len(items) - 5)) if len(items) > 5 else ""
    return teks.RHK_DAFTAR.format(daftar="; ".join(parts), lainnya=more)


def _penerima(aktor: Iterable[Aktor], entry: dict[str, Any], err: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for a in aktor:
        key = None
        if a is Aktor.PEGAWAI:
            key = f"pegawai:{entry['nip']}"
        elif a is Aktor.KEPALA_SEKOLAH:
            sup = blockers.superior(err)
            key = f"pegawai:{sup['nip']}" if sup else None
        elif a is Aktor.OPERATOR_SEKOLAH and entry.get("npsn"):
            key = f"operator:{entry['npsn']}"
        elif a is Aktor.ADMIN_INSTANSI and entry.get("instansi_id"):
            key = f"admin:{entry['instansi_id']}"
        elif a is Aktor.DINAS_PENDIDIKAN and entry.get("instansi_id"):
            key = f"dinas:{entry['instansi_id']}"
        if key and key not in out:
            out.append(key)
    return out
