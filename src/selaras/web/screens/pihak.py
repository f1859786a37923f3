"""The people behind each actor of one pegawai's errors, by name (looked up once per page)."""

from __future__ import annotations

from typing import Any

from selaras.catalogue import words
from selaras.catalogue.codes import Aktor
from selaras.domain import blockers as diagnosis
from selaras.store import pimpinan, reads
from selaras.store.database import Store


class Pihak:
    """Names the people behind each actor of one pegawai's errors.

    ``entry`` is a log entry (or its shape): ``nip``, ``nama``, ``npsn``, ``instansi_id``.
    """

    def __init__(self, store: Store, entry: dict[str, Any]) -> None:
        self.store, self.entry = store, entry
        self._ks: dict[str, str] | None | bool = False
        self._names: dict[str, str] = {}

    def kepala_sekolah(self) -> dict[str, str] | None:
        """Who leads the pegawai's school today (a definitive principal, or a running Plt/Plh)."""
        if self._ks is False:
            self._ks = pimpinan.kepala_sekolah(self.store, self.entry.get("npsn"))
        return self._ks  # type: ignore[return-value]

    def nama(self, nip: str) -> str:
        """The name of ``nip`` (SIASN, else Dapodik; the NIP itself when unknown)."""
        if nip not in self._names:
            self._names.update(reads.names_of(self.store, [nip]))
        return self._names.get(nip, nip)

    def superior(self, err: dict[str, Any]) -> dict[str, str] | None:
        """The superior D of a PMM-11 / PMM-13, with the name known to the store."""
        d = diagnosis.superior(err)
        if d is None:
            return None
        return {"nip": d["nip"], "nama": d["nama"] or self.nama(d["nip"])}

    def who(self, aktor: Aktor, err: dict[str, Any]) -> dict[str, str]:
        """``{peran, nama, nip}`` of the person who acts as ``aktor`` on ``err``."""
        e, store = self.entry, self.store
        peran = aktor.value
        if aktor is Aktor.PEGAWAI:
            # A principal's own error names him as what he is, not "Pegawai".
            if e.get("kepala_sekolah"):
                peran = Aktor.KEPALA_SEKOLAH.value
            return {"peran": peran, "nama": e.get("nama") or self.nama(e["nip"]), "nip": e["nip"]}
        if aktor is Aktor.KEPALA_SEKOLAH:
            d = self.superior(err)
            if d is not None:
                return {"peran": peran, "nama": d["nama"], "nip": d["nip"]}
            ks = self.kepala_sekolah()
            if ks and ks["nip"] != e["nip"]:
                if ks.get("penugasan") in ("PLT", "PLH"):
                    peran = f"{ks['penugasan'].capitalize()} {peran}"
                return {"peran": peran, "nama": ks["nama"], "nip": ks["nip"]}
            sekolah = reads.sekolah_nama(store, e.get("npsn"))
            return {"peran": peran, "nama": f"Kepala {sekolah}" if sekolah else "Kepala sekolah", "nip": ""}
        if aktor is Aktor.OPERATOR_SEKOLAH:
            npsn = e.get("npsn")
            nama = reads.account_name(store, "operator", npsn=npsn) if npsn else None
            nama = nama or f"Operator {reads.sekolah_nama(store, npsn) or 'sekolah'}"
            return {"peran": peran, "nama": nama, "nip": ""}
        if aktor is Aktor.ADMIN_INSTANSI:
            iid = e.get("instansi_id")
            nama = reads.account_name(store, "admin", instansi_id=iid) if iid else None
            nama = nama or f"BKD/BKPSDM {reads.instansi_nama(store, iid) or ''}".strip()
            return {"peran": peran, "nama": nama, "nip": ""}
        if aktor is Aktor.DINAS_PENDIDIKAN:
            iid = e.get("instansi_id")
            nama = reads.account_name(store, "dinas", instansi_id=iid) if iid else None
            nama = nama or f"Dinas Pendidikan {reads.instansi_nama(store, iid) or ''}".strip()
            return {"peran": peran, "nama": nama, "nip": ""}
        return {"peran": words.label(words.PERAN, peran), "nama": "Selaras (otomatis)", "nip": ""}
