"""Read queries for the screens, the notices and the jobs: names, units, periods, a school's
PTK, the instansi's settings and each pegawai's latest logged state.

The web and the jobs call these; they never build SQL on ``store.tables`` themselves. The
latest-state join (``sync_state`` -> ``sync_log`` -> ``sync_log_error``) is written once,
here (:func:`latest_state`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import CONTRACT, akun, instansi_setelan, sync_log, sync_log_error, sync_run, sync_state

CHUNK = 500

_peg = CONTRACT["siasn_pegawai"]
_ptk = CONTRACT["dapodik_ptk"]
_sekolah = CONTRACT["dapodik_sekolah"]
_instansi = CONTRACT["instansi"]
_unor = CONTRACT["siasn_unor"]
_ek_unor = CONTRACT["ekinerja_unor"]
_periode = CONTRACT["ekinerja_periode"]


def _chunks(values: Collection[str]) -> list[list[str]]:
    wanted = sorted({v for v in values if v})
    return [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]


# ------------------------------------------------------------------------------- names


def _names(store: Store, table: sa.Table, key: str, ids: Collection[str]) -> dict[str, str]:
    """``key`` -> ``nama`` of the rows of ``table`` whose ``key`` is one of ``ids``."""
    out: dict[str, str] = {}
    with store.read() as conn:
        for chunk in _chunks(ids):
            q = sa.select(table.c[key], table.c.nama).where(table.c[key].in_(chunk))
            out.update({k: nama for k, nama in conn.execute(q) if nama})
    return out


def names_of(store: Store, nips: Collection[str]) -> dict[str, str]:
    """NIP -> name, from SIASN, else from Dapodik."""
    out: dict[str, str] = {}
    with store.read() as conn:
        for chunk in _chunks(nips):
            for nip, nama in conn.execute(sa.select(_ptk.c.nip, _ptk.c.nama).where(_ptk.c.nip.in_(chunk))):
                if nama:
                    out[nip] = nama
            for nip, nama in conn.execute(sa.select(_peg.c.nip, _peg.c.nama).where(_peg.c.nip.in_(chunk))):
                if nama:
                    out[nip] = nama
    return out


def pegawai_brief(store: Store, nips: Collection[str]) -> dict[str, dict[str, Any]]:
    """NIP -> ``{nama, instansi_id, unor_id}`` from SIASN (pegawai in the store only)."""
    out: dict[str, dict[str, Any]] = {}
    with store.read() as conn:
        for chunk in _chunks(nips):
            q = sa.select(_peg.c.nip, _peg.c.nama, _peg.c.instansi_id, _peg.c.unor_id).where(_peg.c.nip.in_(chunk))
            for r in conn.execute(q):
                out[r.nip] = {"nama": r.nama, "instansi_id": r.instansi_id, "unor_id": r.unor_id}
    return out


def sekolah_names(store: Store, npsns: Collection[str]) -> dict[str, str]:
    """NPSN -> the Dapodik name of the school."""
    return _names(store, _sekolah, "npsn", npsns)


def sekolah_nama(store: Store, npsn: str | None) -> str | None:
    """The Dapodik name of school ``npsn``."""
    return sekolah_names(store, [npsn]).get(npsn) if npsn else None


def instansi_names(store: Store, ids: Collection[str]) -> dict[str, str]:
    """instansi_id -> name."""
    return _names(store, _instansi, "instansi_id", ids)


def instansi_nama(store: Store, instansi_id: str | None) -> str | None:
    """The name of instansi ``instansi_id``."""
    return instansi_names(store, [instansi_id]).get(instansi_id) if instansi_id else None


def instansi_list(store: Store) -> list[dict[str, str]]:
    """Every instansi: ``{instansi_id, nama}``, by name."""
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(_instansi).order_by(_instansi.c.nama))]


def unit_names(store: Store, ids: Collection[str]) -> dict[str, str]:
    """unor_id -> the SIASN name of the unit."""
    return _names(store, _unor, "unor_id", ids)


def periode_names(store: Store, ids: Collection[str]) -> dict[str, str]:
    """periode_id -> the e-Kinerja name of the period."""
    return _names(store, _periode, "periode_id", ids)


def account_name(store: Store, peran: str, *, npsn: str | None = None, instansi_id: str | None = None) -> str | None:
    """The name of the first active account of ``peran`` for a school or an instansi."""
    q = sa.select(akun.c.nama).where(akun.c.peran == peran, akun.c.aktif == sa.true())
    q = q.where(akun.c.npsn == npsn) if npsn else q.where(akun.c.instansi_id == instansi_id)
    with store.read() as conn:
        return conn.execute(q.order_by(akun.c.username).limit(1)).scalar()


def account_names(store: Store, usernames: Collection[str]) -> dict[str, str]:
    """username -> the account's name."""
    out: dict[str, str] = {}
    with store.read() as conn:
        for chunk in _chunks(usernames):
            q = sa.select(akun.c.username, akun.c.nama).where(akun.c.username.in_(chunk))
            out.update({r.username: r.nama for r in conn.execute(q) if r.nama})
    return out


# ------------------------------------------------------------------------ units, periods


def unor_list(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The instansi's units: SIASN and e-Kinerja activity and the e-Kinerja superior (NIP)."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(
                _unor.c.unor_id,
                _unor.c.nama,
                _unor.c.npsn,
                _unor.c.parent_unor_id,
                _unor.c.aktif.label("aktif_siasn"),
                _ek_unor.c.aktif.label("aktif_ekinerja"),
                _ek_unor.c.atasan_nip,
            )
            .outerjoin(_ek_unor, _ek_unor.c.unor_id == _unor.c.unor_id)
            .where(_unor.c.instansi_id == instansi_id)
            .order_by(_unor.c.nama)
        )
        return [dict(r._mapping) for r in rows]


def periode_list(store: Store, instansi_id: str) -> list[dict[str, Any]]:
    """The e-Kinerja periods of an instansi, TAHUNAN first, by start date."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(_periode)
            .where(_periode.c.instansi_id == instansi_id)
            .order_by(_periode.c.jenis.desc(), _periode.c.awal, _periode.c.periode_id)
        )
        return [dict(r._mapping) for r in rows]


def school_ptk(store: Store, npsn: str | None) -> list[dict[str, Any]]:
    """The Dapodik PTK of one school, by name: ``{nip, nama, jenis_ptk, tugas_tambahan}``."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(_ptk.c.nip, _ptk.c.nama, _ptk.c.jenis_ptk, _ptk.c.tugas_tambahan)
            .where(_ptk.c.npsn == npsn)
            .order_by(_ptk.c.nama)
        )
        return [dict(r._mapping) for r in rows]


# ---------------------------------------------------------------------- instansi settings

ZONA_BAKU = "WIB"
"""The time zone of an instansi that has not set one."""


def zona_of(store: Store, instansi_id: str | None) -> str:
    """The time zone an instansi shows its times in (``WIB``, ``WITA`` or ``WIT``)."""
    if not instansi_id:
        return ZONA_BAKU
    with store.read() as conn:
        found = conn.execute(
            sa.select(instansi_setelan.c.zona_waktu).where(instansi_setelan.c.instansi_id == instansi_id)
        ).scalar()
    return found or ZONA_BAKU


def set_zona(store: Store, instansi_id: str, zona: str) -> None:
    """Set the time zone of an instansi (the caller validates ``zona``)."""
    with store.write() as conn:
        done = conn.execute(
            sa.update(instansi_setelan).where(instansi_setelan.c.instansi_id == instansi_id).values(zona_waktu=zona)
        )
        if not done.rowcount:
            conn.execute(sa.insert(instansi_setelan), [{"instansi_id": instansi_id, "zona_waktu": zona}])


def plt_setelan(store: Store) -> pl.DataFrame:
    """Each instansi's Plt settings that differ from nothing: one row per instansi with a
    settings row (``instansi_id``, ``plt_boleh_menilai``, ``plt_masa_bulan``); the others use
    the defaults (:mod:`selaras.domain.pimpinan`)."""
    t = instansi_setelan
    with store.read() as conn:
        rows = conn.execute(sa.select(t.c.instansi_id, t.c.plt_boleh_menilai, t.c.plt_masa_bulan)).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"instansi_id": pl.String, "plt_boleh_menilai": pl.Boolean, "plt_masa_bulan": pl.Int64},
        orient="row",
    )


def set_plt(store: Store, instansi_id: str, boleh_menilai: bool | None, masa_bulan: int | None) -> None:
    """Set an instansi's Plt settings (``None`` leaves one as it is)."""
    values: dict[str, object] = {}
    if boleh_menilai is not None:
        values["plt_boleh_menilai"] = boleh_menilai
    if masa_bulan is not None:
        values["plt_masa_bulan"] = masa_bulan
    if not values:
        return
    with store.write() as conn:
        done = conn.execute(
            sa.update(instansi_setelan).where(instansi_setelan.c.instansi_id == instansi_id).values(**values)
        )
        if not done.rowcount:
            conn.execute(sa.insert(instansi_setelan), [{"instansi_id": instansi_id, "zona_waktu": ZONA_BAKU, **values}])


# ------------------------------------------------------------------------ latest state


def latest_tahun(store: Store) -> int | None:
    """The latest year any run was logged for."""
    with store.read() as conn:
        year = conn.execute(sa.select(sa.func.max(sync_run.c.tahun))).scalar()
    return int(year) if year is not None else None


@dataclass(frozen=True)
class LatestState:
    """A pegawai's latest logged result for one flow and year, with its errors."""

    nip: str
    log_id: int
    status: str
    kode: str | None
    instansi_id: str | None
    npsn: str | None
    unor_id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)


def latest_state(
    store: Store,
    flow: str,
    *,
    tahun: int | None = None,
    nips: Collection[str] | None = None,
    instansi_ids: Collection[str] | None = None,
    status: str | None = None,
    codes: Sequence[str] | None = None,
    with_errors: bool = False,
    concerning: dict[str, str] | None = None,
) -> list[LatestState]:
    """Each pegawai's latest logged result for ``flow`` (and ``tahun``), filtered by NIP,
    instansi, status, or having an error with one of ``codes``; with the errors' code, detail
    (parsed) and ``selesai_oleh`` when ``with_errors`` (or ``codes``) is given.

    ``concerning`` keeps the pegawai any of whose ``unor_id`` (logged, or now in SIASN),
    ``instansi_id``, ``npsn`` or ``nip`` is the one given.

    The one place the ``sync_state`` -> ``sync_log`` join is written.
    """
    q = _latest_query(flow, tahun, instansi_ids, status, codes, concerning)
    out: dict[int, LatestState] = {}
    with store.read() as conn:
        queries = [q.where(sync_state.c.nip.in_(chunk)) for chunk in _chunks(nips)] if nips is not None else [q]
        for query in queries:
            for r in conn.execute(query):
                out[int(r.log_id)] = LatestState(
                    r.nip, int(r.log_id), r.status, r.kode, r.instansi_id, r.npsn, r.unor_id, []
                )
        if (with_errors or codes is not None) and out:
            _add_errors(conn, out)
    return sorted(out.values(), key=lambda s: s.nip)


def _latest_query(
    flow: str,
    tahun: int | None,
    instansi_ids: Collection[str] | None,
    status: str | None,
    codes: Sequence[str] | None,
    concerning: dict[str, str] | None,
) -> sa.Select:
    """The latest-state query of :func:`latest_state` with its filters (NIPs aside)."""
    q = (
        sa.select(
            sync_log.c.nip,
            sync_log.c.log_id,
            sync_log.c.status,
            sync_log.c.kode,
            sync_state.c.instansi_id,
            sync_log.c.npsn,
            sync_log.c.unor_id,
        )
        .select_from(sync_state)
        .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
        .where(sync_state.c.flow == flow)
    )
    if tahun is not None:
        q = q.where(sync_state.c.tahun == tahun)
    if instansi_ids is not None:
        q = q.where(sync_state.c.instansi_id.in_(sorted(set(instansi_ids))))
    if status is not None:
        q = q.where(sync_log.c.status == status)
    if concerning:
        any_of: list[Any] = []
        for key, value in concerning.items():
            if key == "unor_id":
                any_of.append(sync_log.c.unor_id == value)
                any_of.append(sync_log.c.nip.in_(sa.select(_peg.c.nip).where(_peg.c.unor_id == value)))
            elif key == "instansi_id":
                any_of.append(sync_state.c.instansi_id == value)
            else:
                any_of.append(sync_log.c[key] == value)
        q = q.where(sa.or_(*any_of))
    if codes is not None:
        q = q.where(
            sa.exists().where(sync_log_error.c.log_id == sync_state.c.log_id, sync_log_error.c.code.in_(list(codes)))
        )
    return q


def _add_errors(conn: sa.Connection, out: dict[int, LatestState]) -> None:
    """Each state's logged errors (``detail`` parsed), in the logged order."""
    ids = sorted(out)
    for i in range(0, len(ids), CHUNK):
        eq = (
            sa.select(sync_log_error)
            .where(sync_log_error.c.log_id.in_(ids[i : i + CHUNK]))
            .order_by(sync_log_error.c.log_id, sync_log_error.c.nomor)
        )
        for e in conn.execute(eq):
            out[int(e.log_id)].errors.append(
                {
                    "code": e.code,
                    "urutan": e.urutan,
                    "pmm_skp_id": e.pmm_skp_id,
                    "detail": _json(e.detail),
                    "selesai_oleh": e.selesai_oleh,
                }
            )


def instansi_of(store: Store, nips: Collection[str]) -> set[str]:
    """The SIASN instansi of these pegawai."""
    return {p["instansi_id"] for p in pegawai_brief(store, nips).values() if p["instansi_id"]}


def _json(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {"teks": text}
