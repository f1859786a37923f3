"""School leaders read from the store (leaders.md): the rows L(s) needs for some schools, the
schools a pegawai leads as Plt/Plh, and an instansi's schools by leadership. The reading
itself is :mod:`selaras.domain.pimpinan`'s; only the SQL is here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import polars as pl
import sqlalchemy as sa

from selaras.domain import pimpinan
from selaras.domain.pegawai import KEPALA_SEKOLAH
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.snapshot import TABLE, Snapshot
from selaras.store import reads
from selaras.store.database import Store
from selaras.store.tables import CONTRACT

_ptk = CONTRACT["dapodik_ptk"]
_tugas = CONTRACT["dapodik_tugas_tambahan"]
_sekolah = CONTRACT["dapodik_sekolah"]
_peg = CONTRACT["siasn_pegawai"]
_unor = CONTRACT["siasn_unor"]
_eu = CONTRACT["ekinerja_unor"]

SEGERA_HARI = 30
"""A Plt term ending within this many days is listed as ending (leaders.md)."""


def _frame(name: str, rows: list[sa.Row[object]]) -> pl.DataFrame:
    schema = TABLE[name].polars_schema
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _cols(name: str) -> list[sa.Column[object]]:
    t = CONTRACT[name]
    return [t.c[c] for c in TABLE[name].column_names]


def snapshot_sekolah(store: Store, where: sa.ColumnElement[bool]) -> Snapshot:
    """The rows L(s) needs for the schools ``where`` selects (a condition on
    ``dapodik_sekolah``): the schools, their duties, the PTK who may lead them, their names."""
    with store.read() as conn:
        sekolah = conn.execute(sa.select(*_cols("dapodik_sekolah")).where(where)).all()
        npsn = [r.npsn for r in sekolah]
        tugas = conn.execute(sa.select(*_cols("dapodik_tugas_tambahan")).where(_tugas.c.npsn.in_(npsn))).all()
        holders = {r.ptk_id for r in tugas}
        ptk = conn.execute(
            sa.select(*_cols("dapodik_ptk")).where(
                sa.or_(
                    _ptk.c.ptk_id.in_(holders),
                    sa.and_(
                        _ptk.c.npsn.in_(npsn),
                        sa.or_(_ptk.c.jenis_ptk == KEPALA_SEKOLAH, _ptk.c.tugas_tambahan == KEPALA_SEKOLAH),
                    ),
                )
            )
        ).all()
        any_duty = conn.execute(sa.select(_tugas.c.ptk_id).limit(1)).first() is not None
    tugas_df = _frame("dapodik_tugas_tambahan", tugas)
    if any_duty and tugas_df.height == 0:
        # The file exists for the store: a school without any duty has no leader (PLT-01).
        tugas_df = pl.DataFrame(
            {"ptk_id": ["-"], "npsn": ["-"], "jenis": [pimpinan.PLH]},
            schema={"ptk_id": pl.String, "npsn": pl.String, "jenis": pl.String},
        )
    return Snapshot(
        {
            "dapodik_sekolah": _frame("dapodik_sekolah", sekolah),
            "dapodik_tugas_tambahan": tugas_df,
            "dapodik_ptk": _frame("dapodik_ptk", ptk),
        }
    )


def kebijakan_of(store: Store, tanggal: date | None = None, instansi_id: str | None = None) -> Kebijakan:
    """The check date (``tanggal``, else today in the instansi's zone) and the Plt settings."""
    from selaras.catalogue.dates import ZONA

    if tanggal is None:
        tanggal = pimpinan.hari_ini(ZONA.get(reads.zona_of(store, instansi_id), 7))
    return Kebijakan(tanggal, reads.plt_setelan(store))


def sekolah_dipimpin(
    store: Store, nip: str, kebijakan: Kebijakan | None = None, instansi_id: str | None = None
) -> list[str]:
    """The schools (NPSN) ``nip`` leads as a valid, unexpired Plt/Plh on the date (default:
    today in ``instansi_id``'s zone; read only for a pegawai who holds a duty at all)."""
    with store.read() as conn:
        nik = conn.execute(sa.select(_peg.c.nik).where(_peg.c.nip == nip)).scalar()
        match = _ptk.c.nip == nip if nik is None else sa.or_(_ptk.c.nip == nip, _ptk.c.nik == nik)
        ptk_ids = list(conn.execute(sa.select(_ptk.c.ptk_id).where(match)).scalars().all())
        npsn = conn.execute(sa.select(_tugas.c.npsn).where(_tugas.c.ptk_id.in_(ptk_ids))).scalars().all()
    if not npsn:
        return []
    s = snapshot_sekolah(store, _sekolah.c.npsn.in_(npsn))
    led = pimpinan.leaders(s, kebijakan or kebijakan_of(store, instansi_id=instansi_id)).filter(
        (pl.col("jenis") != pimpinan.DEFINITIF) & pl.col("ptk_id").is_in(ptk_ids) & pl.col("sah") & ~pl.col("berakhir")
    )
    return sorted(led["npsn"].to_list())


def memimpin_definitif(store: Store, ptk_id: str, npsn: str, instansi_id: str | None = None) -> bool:
    """Whether PTK ``ptk_id`` is the definitive principal of school ``npsn`` today (L(s),
    leaders.md): Dapodik's Kepala Sekolah, unless the duty file has a KEPALA_SEKOLAH row for
    that PTK and school, whose dates then decide (a replaced principal is no longer one)."""
    s = snapshot_sekolah(store, _sekolah.c.npsn == npsn)
    lead = pimpinan.leaders(s, kebijakan_of(store, instansi_id=instansi_id)).filter(
        (pl.col("npsn") == npsn) & (pl.col("jenis") == pimpinan.DEFINITIF) & (pl.col("ptk_id") == ptk_id)
    )
    return lead.height > 0


def sekolah_by_pimpinan(store: Store, instansi_id: str | None, kebijakan: Kebijakan) -> list[dict[str, object]]:
    """Every school of ``instansi_id`` (all when None) with how it is led on the date:
    ``keadaan`` DEFINITIF, PLT, PLH, TANPA (nobody), TIDAK_SAH (an invalid Plt/Plh) or
    BERAKHIR (a term over); ``segera_berakhir`` (a Plt term ending within 30 days); the
    leader's name and NIP, TMT and end of term; the number of other PTK (teachers at stake);
    the e-Kinerja head of the school's unit, how it is recorded and whether it is claimed."""
    where = sa.true() if instansi_id is None else _sekolah.c.instansi_id == instansi_id
    s = snapshot_sekolah(store, where)
    lead = pimpinan.leaders(s, kebijakan)
    with store.read() as conn:
        guru = dict(
            conn.execute(
                sa.select(_ptk.c.npsn, sa.func.count())
                .where(_ptk.c.npsn.in_(s["dapodik_sekolah"]["npsn"].to_list()))
                .group_by(_ptk.c.npsn)
            ).all()
        )
        heads = conn.execute(
            sa.select(_unor.c.npsn, _eu.c.atasan_nip, _eu.c.atasan_penugasan, _eu.c.pimpinan_diklaim, _unor.c.unor_id)
            .join(_eu, _eu.c.unor_id == _unor.c.unor_id)
            .where(_unor.c.npsn.in_(s["dapodik_sekolah"]["npsn"].to_list()))
            .order_by(_unor.c.unor_id)
        ).all()
    head = {}
    for h in heads:
        head.setdefault(h.npsn, h)
    by_npsn = {r["npsn"]: r for r in lead.iter_rows(named=True)}
    names = reads.names_of(store, [r["nip"] for r in by_npsn.values() if r["nip"]])
    head_names = reads.names_of(store, [h.atasan_nip for h in head.values() if h.atasan_nip])
    out: list[dict[str, object]] = []
    for sk in s["dapodik_sekolah"].sort("nama").iter_rows(named=True):
        r = by_npsn.get(sk["npsn"])
        h = head.get(sk["npsn"])
        if r is None:
            keadaan = "TANPA"
        elif r["jenis"] == pimpinan.DEFINITIF:
            keadaan = "DEFINITIF"
        elif not r["sah"]:
            keadaan = "TIDAK_SAH"
        elif r["berakhir"]:
            keadaan = "BERAKHIR"
        else:
            keadaan = pimpinan.PENUGASAN[r["jenis"]]
        akhir = r["akhir_masa"] if r is not None else None
        segera = keadaan in ("PLT", "PLH") and akhir is not None and (akhir - kebijakan.tanggal).days <= SEGERA_HARI
        leader_nip = r["nip"] if r is not None else None
        out.append(
            {
                "npsn": sk["npsn"],
                "nama": sk["nama"],
                "instansi_id": sk["instansi_id"],
                "keadaan": keadaan,
                "segera_berakhir": segera,
                "pimpinan_nip": leader_nip,
                "pimpinan_nama": (names.get(leader_nip or "") or (r["ptk_nama"] if r is not None else None)),
                "nomor_sk": r["nomor_sk"] if r is not None else None,
                "tmt": r["tmt"] if r is not None else None,
                "akhir_masa": akhir,
                "guru": max(0, int(guru.get(sk["npsn"], 0)) - (1 if keadaan == "DEFINITIF" else 0)),
                "unor_id": h.unor_id if h is not None else None,
                "atasan_ekinerja_nip": h.atasan_nip if h is not None else None,
                "atasan_ekinerja_nama": head_names.get(h.atasan_nip or "") if h is not None else None,
                "atasan_penugasan": (h.atasan_penugasan or "DEFINITIF") if h is not None else None,
                "pimpinan_diklaim": (h.pimpinan_diklaim is not False) if h is not None else None,
            }
        )
    return out


def admin_todo(rows: Collection[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    """The Admin Instansi's PLT/PLH to-do list from :func:`sekolah_by_pimpinan`'s rows: schools
    led by a valid Plt/Plh whose e-Kinerja head is not that Plt/Plh, and units not claimed."""
    menu = [
        r
        for r in rows
        if r["keadaan"] in ("PLT", "PLH") and r["unor_id"] and r["atasan_ekinerja_nip"] != r["pimpinan_nip"]
    ]
    klaim = [r for r in rows if r["pimpinan_diklaim"] is False]
    return {"menu_plt": menu, "belum_diklaim": klaim}


def pimpinan_of(store: Store, npsn: str, kebijakan: Kebijakan | None = None) -> dict[str, object] | None:
    """Who leads school ``npsn`` today (leaders.md): ``{nip, nama, penugasan, tmt, akhir_masa}``
    for a definitive principal or a valid, unexpired Plt/Plh; None otherwise (nobody, or a
    Plt whose duty is not valid or has ended: no card names such a Plt)."""
    s = snapshot_sekolah(store, _sekolah.c.npsn == npsn)
    if kebijakan is None:
        inst = s["dapodik_sekolah"]["instansi_id"]
        kebijakan = kebijakan_of(store, instansi_id=inst[0] if inst.len() else None)
    lead = pimpinan.leaders(s, kebijakan).filter(pl.col("npsn") == npsn)
    if lead.height == 0:
        return None
    r = lead.row(0, named=True)
    if r["jenis"] != pimpinan.DEFINITIF and (not r["sah"] or r["berakhir"]):
        return None
    nip = r["nip"] or ""
    nama = reads.names_of(store, [nip]).get(nip, r["ptk_nama"]) if nip else r["ptk_nama"]
    return {
        "nip": nip,
        "nama": nama,
        "penugasan": pimpinan.PENUGASAN[r["jenis"]],
        "tmt": r["tmt"],
        "akhir_masa": r["akhir_masa"],
    }


def kepala_sekolah(store: Store, npsn: str | None) -> dict[str, str] | None:
    """Who leads school ``npsn`` today: ``{nip, nama, penugasan}`` (SIASN's name when known):
    the one reading of L(s) for the pages, cards and notices (a Plt while the duty is valid and
    running; without the duty file, Dapodik's Kepala Sekolah, as before)."""
    if not npsn:
        return None
    found = pimpinan_of(store, npsn)
    if found is None:
        return None
    return {"nip": str(found["nip"]), "nama": str(found["nama"]), "penugasan": str(found["penugasan"])}


def setelan_of(conn: sa.Connection, instansi_id: str) -> dict[str, object]:
    """An instansi's Plt settings in a transaction (the defaults when never set)."""
    from selaras.store.tables import instansi_setelan as t

    row = conn.execute(
        sa.select(t.c.plt_boleh_menilai, t.c.plt_masa_bulan).where(t.c.instansi_id == instansi_id)
    ).first()
    if row is None:
        return {"plt_boleh_menilai": pimpinan.BOLEH_MENILAI_BAKU, "plt_masa_bulan": pimpinan.MASA_BULAN_BAKU}
    return {"plt_boleh_menilai": bool(row.plt_boleh_menilai), "plt_masa_bulan": int(row.plt_masa_bulan)}


def save_setelan(conn: sa.Connection, instansi_id: str, values: dict[str, object]) -> None:
    """Write an instansi's Plt settings in a transaction (its time zone kept as it is)."""
    from selaras.store.tables import instansi_setelan as t

    done = conn.execute(sa.update(t).where(t.c.instansi_id == instansi_id).values(**values))
    if not done.rowcount:
        conn.execute(sa.insert(t), [{"instansi_id": instansi_id, "zona_waktu": reads.ZONA_BAKU, **values}])
