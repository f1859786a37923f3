"""An instansi's own settings in Selaras, as the command line changes them: the time zone its
people read times in, its extra days off, its escalation policy and its Plt policy. Each change
is one unit of work with its audit row (who: ``pelaku``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import polars as pl

from selaras.domain.akun import Pelaku
from selaras.domain.eskalasi import Kebijakan
from selaras.store import eskalasi as esk
from selaras.store import reads, uow
from selaras.store.admin import insert_audit
from selaras.store.database import Store


def _audit(u: uow.UnitOfWork, pelaku: Pelaku, aksi: str, instansi_id: str, sebelum: Any, sesudah: Any) -> None:
    insert_audit(
        u.conn,
        username=pelaku.username,
        peran=pelaku.peran,
        aksi=aksi,
        sasaran=f"instansi:{instansi_id}",
        instansi_id=instansi_id,
        sebelum=sebelum,
        sesudah=sesudah,
    )


def set_zona(store: Store, instansi_id: str, zona: str, *, pelaku: Pelaku) -> None:
    """Set the time zone of ``instansi_id`` (the caller validates ``zona``), audited."""

    def work(u: uow.UnitOfWork) -> None:
        sebelum = reads.zona_of(u.store, instansi_id)
        reads.set_zona(u.store, instansi_id, zona)
        _audit(u, pelaku, "UBAH_ZONA_WAKTU", instansi_id, {"zona_waktu": sebelum}, {"zona_waktu": zona})

    uow.run(store, work, name="zona_waktu", lock=False)


def add_libur(store: Store, instansi_id: str, tanggal: date, keterangan: str, *, pelaku: Pelaku) -> None:
    """Add (or rename) a day off of ``instansi_id``, audited."""

    def work(u: uow.UnitOfWork) -> None:
        sebelum = esk.libur_of(u.store, instansi_id).get(tanggal)
        esk.add_libur(u.store, instansi_id, tanggal, keterangan)
        before = {"tanggal": tanggal, "keterangan": sebelum} if sebelum is not None else None
        _audit(u, pelaku, "TAMBAH_HARI_LIBUR", instansi_id, before, {"tanggal": tanggal, "keterangan": keterangan})

    uow.run(store, work, name="hari_libur", lock=False)


def set_kebijakan_eskalasi(store: Store, instansi_id: str, kebijakan: Kebijakan, *, pelaku: Pelaku) -> None:
    """Set the escalation policy of ``instansi_id``, audited."""

    def work(u: uow.UnitOfWork) -> None:
        sebelum = esk.kebijakan_of(u.store, instansi_id)
        esk.set_kebijakan(u.store, instansi_id, kebijakan)
        _audit(u, pelaku, "UBAH_KEBIJAKAN_ESKALASI", instansi_id, asdict(sebelum), asdict(kebijakan))

    uow.run(store, work, name="kebijakan_eskalasi", lock=False)


def set_plt(
    store: Store, instansi_id: str, boleh_menilai: bool | None, masa_bulan: int | None, *, pelaku: Pelaku
) -> None:
    """Set the Plt policy of ``instansi_id`` (``None`` keeps a value; nothing at all: nothing
    written), audited. The next check reads it."""
    if boleh_menilai is None and masa_bulan is None:
        return

    def work(u: uow.UnitOfWork) -> None:
        found = reads.plt_setelan(u.store).filter(pl.col("instansi_id") == instansi_id)
        sebelum = found.row(0, named=True) if found.height else None
        reads.set_plt(u.store, instansi_id, boleh_menilai, masa_bulan)
        sesudah = {"plt_boleh_menilai": boleh_menilai, "plt_masa_bulan": masa_bulan}
        _audit(
            u, pelaku, "UBAH_KEBIJAKAN_PLT", instansi_id, sebelum, {k: v for k, v in sesudah.items() if v is not None}
        )

    uow.run(store, work, name="kebijakan-plt")
