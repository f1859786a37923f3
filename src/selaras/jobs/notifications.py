"""Notices to people: in the app always, by e-mail over SMTP when configured.

A notice goes to a *penerima*: ``pegawai:<nip>``, ``operator:<npsn>``, ``admin:<instansi_id>``
or ``dinas:<instansi_id>``. Each job tells its pegawai the result, and tells each person who
must act what to do. The same unread notice (same penerima, pegawai and code) is not repeated.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from selaras.catalogue import words
from selaras.catalogue.codes import Aktor, lookup
from selaras.domain import blockers
from selaras.domain.results import Flow, Outcome, Status
from selaras.store import eskalasi as eskalasi_store
from selaras.store import notices as stored
from selaras.store.database import Store


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


FLOW_NAMA = {Flow.SKP: "SKP", Flow.PENILAIAN: "Penilaian Periodik", Flow.TAHUNAN: "Predikat Tahunan"}


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
    nip, nama = entry["nip"], entry.get("nama") or entry["nip"]
    what = FLOW_NAMA[Flow(flow)]
    own = f"pegawai:{nip}"
    if entry["status"] == Status.TERSINKRON.value:
        # Only news is worth a notice: a re-check that wrote nothing tells nobody anything.
        if entry.get("hasil") not in (Outcome.BARU.value, Outcome.DIPERBARUI.value):
            return []
        return [Draft(own, nip, None, f"{what} tersinkron", f"{what} Anda sudah tersinkron ke e-Kinerja.", job_id)]
    out: list[Draft] = []
    for err in entry.get("errors", []):
        code = lookup(err["code"])
        aktor = blockers.aktor(err)
        steps = " ".join(blockers.langkah(err))
        rhk = _rhk_text(err)
        penerima = _penerima(aktor, entry, err)
        sup = blockers.superior(err)
        sup_nama = (names.get(sup["nip"]) or sup["nama"] or sup["nip"]) if sup else ""
        waits = blockers.waits_on(err)
        if own in penerima:
            out.append(
                Draft(
                    own, nip, code.code, f"{code.code}: {code.judul}", f"Yang perlu Anda lakukan: {steps}{rhk}", job_id
                )
            )
        elif waits:
            who = f"{names.get(waits) or sup_nama or waits} (Kepala Sekolah)"
            out.append(
                Draft(
                    own,
                    nip,
                    code.code,
                    f"{code.code}: menunggu {who}",
                    f"{code.judul}. Sinkron SKP {who} sudah siap dan akan menyelesaikan kendala ini; "
                    "Selaras mencoba lagi sinkron Anda otomatis setelah itu.",
                    job_id,
                )
            )
        elif sup is not None and blockers.superior_sync_clears(err):
            out.append(
                Draft(
                    own,
                    nip,
                    code.code,
                    f"{code.code}: {code.judul}",
                    f"Kepala sekolah {sup_nama} perlu lebih dulu menyelesaikan kendala SKP-nya sendiri, lalu "
                    "menyinkronkan SKP-nya; Selaras mencoba lagi sinkron Anda otomatis setelah itu.",
                    job_id,
                )
            )
        else:
            who = ", ".join(a.value for a in aktor)
            out.append(
                Draft(
                    own,
                    nip,
                    code.code,
                    f"{code.code}: {code.judul}",
                    f"Yang harus bertindak: {who}. Langkahnya: {steps} "
                    "Selaras mencoba lagi otomatis setelah data diperbaiki.",
                    job_id,
                )
            )
        for p in penerima:
            if p == own:
                continue
            if sup is not None and p == f"pegawai:{sup['nip']}" and blockers.superior_sync_clears(err) and not waits:
                isi = (
                    f"{nama} (NIP {nip}) menunggu SKP Anda di e-Kinerja, tetapi sinkron SKP Anda sendiri "
                    "belum bisa berjalan. Selesaikan dulu kendala SKP Anda (lihat halaman SKP Anda), lalu "
                    "sinkronkan; guru ini dicoba lagi otomatis setelah itu."
                )
            else:
                isi = f"Untuk {nama} (NIP {nip}): {steps}{rhk}"
            out.append(Draft(p, nip, code.code, f"{code.code}: {code.judul}", isi, job_id))
    return out


def _rhk_text(err: dict[str, Any]) -> str:
    """PMM-13: the RHK that cannot be linked, by their text, with the cause of each."""
    items = blockers.unlinked_rhk(err)
    if not items:
        return ""
    parts = []
    for r in items[:5]:
        teks = r.get("uraian") or r.get("pmm_rhk_id") or "-"
        sebab = words.label(words.NILAI, r.get("alasan")) if r.get("alasan") else ""
        parts.append(f"“{teks}”" + (f" ({sebab})" if sebab else ""))
    more = f" dan {words.angka(len(items) - 5)} lainnya" if len(items) > 5 else ""
    return " RHK: " + "; ".join(parts) + more + "."


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


def save(store: Store, drafts: Sequence[Draft]) -> int:
    """Store ``drafts``, skipping one whose unread twin (penerima, nip, kode) is there; how many."""
    return stored.insert_new(
        store,
        [
            {"penerima": d.penerima, "nip": d.nip, "kode": d.kode, "judul": d.judul, "isi": d.isi, "job_id": d.job_id}
            for d in drafts
        ],
    )


def notices_for(store: Store, penerima: Sequence[str], *, limit: int = 50, unread_only: bool = False) -> list[Notice]:
    """The newest notices to any of ``penerima``."""
    return [_notice(m) for m in stored.newest(store, penerima, limit=limit, unread_only=unread_only)]


def mark_read(store: Store, penerima: Sequence[str], ids: Sequence[int]) -> int:
    """Mark notices read; only those addressed to ``penerima``. How many changed."""
    return stored.mark_read(store, penerima, ids)


def account_address(store: Store) -> Callable[[str], str | None]:
    """``address_of(penerima)`` from the accounts: the e-mail of the account that penerima
    names (a pegawai by NIP, the operator of a school, the admin or dinas of an instansi), or
    the head of an agency's address in its escalation policy (``pimpinan:<instansi_id>``)."""
    found: dict[str, str | None] = {}

    def address_of(penerima: str) -> str | None:
        if penerima not in found:
            kind, _, value = penerima.partition(":")
            if kind == "pimpinan":
                # The head of an agency: the address in the instansi's escalation policy.
                found[penerima] = eskalasi_store.kebijakan_of(store, value).pimpinan_email
            else:
                found[penerima] = stored.email_of(store, kind, value)
        return found[penerima]

    return address_of


def send_email(store: Store, address_of: Callable[[str], str | None], *, limit: int = 500) -> int:
    """E-mail notices not yet e-mailed, when ``$SELARAS_SMTP_HOST`` is set; how many were sent.

    ``address_of(penerima)`` gives the address (``None``: that penerima has none, the notice
    stays in the app only). Sender ``$SELARAS_SMTP_FROM``; port ``$SELARAS_SMTP_PORT`` (25).
    """
    host = os.environ.get("SELARAS_SMTP_HOST")
    if not host:
        return 0
    port = int(os.environ.get("SELARAS_SMTP_PORT", "25"))
    sender = os.environ.get("SELARAS_SMTP_FROM", "selaras@localhost")
    rows = stored.not_emailed(store, limit)
    sent: list[int] = []
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        for row in rows:
            to = address_of(row["penerima"])
            if to:
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = sender, to, f"[Selaras] {row['judul']}"
                msg.set_content(row["isi"])
                smtp.send_message(msg)
            sent.append(row["notifikasi_id"])
    stored.mark_emailed(store, sent)
    return len(sent)


def _notice(m: Any) -> Notice:
    waktu = m["waktu"]
    return Notice(
        notifikasi_id=int(m["notifikasi_id"]),
        penerima=m["penerima"],
        waktu=waktu.replace(tzinfo=UTC) if waktu.tzinfo is None else waktu,
        nip=m["nip"],
        kode=m["kode"],
        judul=m["judul"],
        isi=m["isi"],
        job_id=m["job_id"],
        dibaca=bool(m["dibaca"]),
    )
