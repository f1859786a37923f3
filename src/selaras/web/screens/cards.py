"""An error as a card (what is wrong, who acts by name, the steps, whom the pegawai waits on,
the values of each system side by side with names beside ids), a logged result, a job."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from selaras.catalogue import words
from selaras.catalogue.codes import Aktor, lookup
from selaras.domain import blockers as diagnosis
from selaras.domain.results import Status
from selaras.jobs import queue
from selaras.store import reads
from selaras.store.database import Store
from selaras.views import detail_fields, values_differ
from selaras.web.screens.pihak import Pihak

_NAMED = words.NAMED_IDS


class Namer:
    """Names beside ids (units, schools, periods, people, instansi), looked up in one query
    per kind for everything a page shows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.found: dict[str, dict[str, str]] = {k: {} for k in set(_NAMED.values())}

    def learn(self, details: Iterable[dict[str, Any]]) -> None:
        """Look up the names of every id in these details at once."""
        wanted: dict[str, set[str]] = {k: set() for k in self.found}

        def walk(v: Any) -> None:
            if isinstance(v, dict):
                for k, x in v.items():
                    if k in _NAMED and isinstance(x, str) and x:
                        wanted[_NAMED[k]].add(x)
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)

        for d in details:
            walk(d)
        lookups = {
            "unor": reads.unit_names,
            "sekolah": reads.sekolah_names,
            "periode": reads.periode_names,
            "orang": reads.names_of,
            "instansi": reads.instansi_names,
        }
        for kind, ids in wanted.items():
            todo = ids - set(self.found[kind])
            if todo:
                self.found[kind].update(lookups[kind](self.store, todo))

    def value(self, field: str, value: Any) -> str:
        """One detail value in words, with the name beside an id."""
        return words.named(_NAMED.get(field), value, self.found)


def side_by_side(detail: dict[str, Any], namer: Namer | None = None) -> dict[str, Any] | None:
    """The values of each system as a table: ``{sistem: [labels], baris: [{data, nilai, beda}]}``."""
    systems, fields = detail_fields(detail)
    # PMM-13's unlinked RHK have a table of their own (the card's ``rhk``).
    fields = [f for f in fields if f != "rhk_tidak_terkait"]
    if not systems:
        return None
    show = namer.value if namer else (lambda _f, v: words.nilai(v))
    rows = [
        {
            "data": words.label(words.FIELD, f),
            "nilai": [show(f, detail[k][f]) if f in detail[k] else words.TIDAK_DI_SISTEM for k in systems],
            "beda": values_differ(f, [detail[k].get(f) for k in systems if f in detail[k]]),
        }
        for f in fields
    ]
    return {"sistem": [words.SISTEM[k] for k in systems], "baris": rows}


def _rhk_rows(err: dict[str, Any]) -> list[dict[str, str]]:
    """PMM-13: each RHK that cannot be linked, by its text, its parent's text, its cause in words."""
    return [
        {
            "rhk": str(r.get("uraian") or r.get("pmm_rhk_id") or "-"),
            "induk": str(r.get("induk_uraian") or r.get("induk_pmm_rhk_id") or ""),
            "sebab": words.label(words.NILAI, r.get("alasan")) if r.get("alasan") else "",
        }
        for r in diagnosis.unlinked_rhk(err)
    ]


def menunggu(err: dict[str, Any], who: list[dict[str, str]], pihak: Pihak, *, sendiri: bool) -> str | None:
    """What the pegawai waits for, if anyone: only a person whose action clears the error,
    never someone whose sync would not help."""
    target = diagnosis.waits_on(err)
    if target:
        return (
            f"Menunggu {pihak.nama(target)} (Kepala Sekolah) menyinkronkan SKP-nya; sinkronnya "
            "sudah siap. Selaras akan mencoba lagi otomatis."
        )
    aktor = diagnosis.aktor(err)
    d = pihak.superior(err)
    if d is not None and diagnosis.superior_sync_clears(err):
        return (
            f"Kepala sekolah {d['nama']} (NIP {d['nip']}) perlu lebih dulu menyelesaikan kendala SKP-nya "
            "sendiri, lalu menyinkronkan SKP-nya. Selaras akan mencoba lagi otomatis setelah itu."
        )
    if d is not None:
        # A PMM-13 caused by the teacher's own plan: fixed in PMM, no one's sync helps.
        pegawai = "Anda" if sendiri else pihak.entry.get("nama") or "guru"
        return (
            f"Perbaikan dilakukan di PMM oleh {pegawai} dan kepala sekolah {d['nama']}; sinkron kepala "
            "sekolah tidak menyelesaikan kendala ini."
        )
    if Aktor.PEGAWAI not in aktor and Aktor.SISTEM not in aktor and who:
        first = who[0]
        return (
            f"Menunggu {first['nama']} ({first['peran']}) memperbaiki data; "
            "Selaras akan mencoba lagi otomatis setelah perbaikan."
        )
    return None


def cards(store: Store, entry: dict[str, Any], *, sendiri: bool = False) -> list[dict[str, Any]]:
    """Every error of one log entry as a card: title, cause, who acts (name and role), the
    steps, what the pegawai waits for, and the values of each system side by side.

    ``sendiri``: the page is the pegawai's own (only then does a text say "Anda")."""
    pihak = Pihak(store, entry)
    namer = Namer(store)
    namer.learn(e.get("detail") or {} for e in entry["errors"])
    out = []
    for err in entry["errors"]:
        c = lookup(err["code"])
        who = [pihak.who(a, err) for a in diagnosis.aktor(err)]
        d = pihak.superior(err)
        out.append(
            {
                "code": c.code,
                "judul": c.judul,
                "judul_resmi": c.known,
                "penyebab": c.penyebab,
                "langkah": diagnosis.langkah(err),
                "pihak": who,
                "menunggu": menunggu(err, who, pihak, sendiri=sendiri),
                "atasan": d,
                "sebab": [words.label(words.NILAI, a) for a in diagnosis.causes(err)],
                "rhk": _rhk_rows(err) if c.code == "PMM-13" else [],
                "pmm_skp_id": err.get("pmm_skp_id"),
                "selesai_oleh": err.get("selesai_oleh"),
                "nilai": side_by_side(err.get("detail") or {}, namer),
                "detail": err.get("detail"),
            }
        )
    return out


def result_view(store: Store, entry: dict[str, Any] | None, *, sendiri: bool = False) -> dict[str, Any] | None:
    """A logged result as shown: status, outcome, when, and the error cards."""
    if entry is None:
        return None
    return {
        "log_id": entry["log_id"],
        "waktu": entry["waktu"],
        "mode": entry["mode"],
        "mode_label": words.label(words.MODE, entry["mode"]),
        "flow": entry["flow"],
        "flow_label": words.label(words.FLOW, entry["flow"]),
        "tahun": entry["tahun"],
        "status": entry["status"],
        "status_label": words.label(words.STATUS, entry["status"]),
        "hasil": entry["hasil"],
        "hasil_label": words.label(words.HASIL, entry["hasil"]) if entry.get("hasil") else None,
        "berhasil": entry["status"] == Status.TERSINKRON.value,
        "kartu": cards(store, entry, sendiri=sendiri),
        "nip": entry["nip"],
        "nama": entry["nama"],
    }


def job_view(job: queue.Job | None) -> dict[str, Any] | None:
    """A job as JSON-able data, with its status and reason in words."""
    if job is None:
        return None
    return {
        "job_id": job.job_id,
        "nip": job.nip,
        "flow": str(job.flow),
        "flow_label": words.label(words.FLOW, str(job.flow)),
        "tahun": job.tahun,
        "alasan": job.alasan,
        "alasan_label": words.label(words.ALASAN_JOB, job.alasan),
        "diminta_oleh": job.diminta_oleh,
        "status": str(job.status),
        "status_label": words.label(words.JOB_STATUS, str(job.status)),
        "dibuat": job.dibuat,
        "mulai": job.mulai,
        "selesai": job.selesai,
        "percobaan": job.percobaan,
        "log_id": job.log_id,
        "hasil": job.hasil,
        "hasil_label": words.label(words.HASIL, job.hasil) if job.hasil else None,
        "pesan": job.pesan,
    }
