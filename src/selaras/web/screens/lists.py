"""Units, periods and instansi for the admin pages, with names beside ids and words for values."""

from __future__ import annotations

from typing import Any

from selaras.catalogue import words
from selaras.store import pimpinan as pimpinan_store
from selaras.store import reads
from selaras.store.database import Store

names_of = reads.names_of
kepala_sekolah = pimpinan_store.kepala_sekolah
sekolah_nama = reads.sekolah_nama
instansi_nama = reads.instansi_nama
instansi_list = reads.instansi_list
periode_list = reads.periode_list


def unor_list(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The instansi's units with activity in SIASN and e-Kinerja and the e-Kinerja superior."""
    out = reads.unor_list(store, instansi_id)
    names = reads.names_of(store, [r["atasan_nip"] for r in out if r["atasan_nip"]])
    schools = reads.sekolah_names(store, [r["npsn"] for r in out if r["npsn"]])
    for r in out:
        r["atasan_nama"] = names.get(r["atasan_nip"] or "")
        r["sekolah_nama"] = schools.get(r["npsn"] or "")
        r["aktif_siasn_label"] = words.ya_tidak(r["aktif_siasn"])
        r["aktif_ekinerja_label"] = (
            "tidak terdaftar" if r["aktif_ekinerja"] is None else words.ya_tidak(r["aktif_ekinerja"])
        )
    return out


def periode_rows(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The instansi's periods with their type and periodic kind in words."""
    out = periode_list(store, instansi_id)
    for r in out:
        r["jenis_label"] = words.label(words.NILAI, r["jenis"])
        r["tipe_label"] = words.label(words.NILAI, r["tipe_periodik"]) if r["tipe_periodik"] else ""
    return out
