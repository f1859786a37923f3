"""The SQL of escalation (issue 12): item ages, escalation steps, digests, an instansi's days
off and policy, and the daily summary the trend pages and the forecast read.

Functions taking a ``conn`` run inside the caller's transaction (a use case commits once);
those taking a ``store`` open their own read.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain.eskalasi import Butir, Kebijakan
from selaras.store.database import Store
from selaras.store.tables import (
    akun,
    digest_kirim,
    eskalasi_butir,
    eskalasi_langkah,
    instansi_kebijakan,
    instansi_libur,
    notifikasi,
    ringkasan_instansi,
    ringkasan_sekolah,
    sync_log,
    sync_log_error,
    sync_state,
)

CHUNK = 500


def _utc(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _chunks(values: Collection[str]) -> list[list[str]]:
    wanted = sorted(set(values))
    return [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]


# ------------------------------------------------------------------ policy and days off


def kebijakan_of(store: Store, instansi_id: str) -> Kebijakan:
    """The instansi's escalation policy (the defaults without a row)."""
    with store.read() as conn:
        row = conn.execute(sa.select(instansi_kebijakan).where(instansi_kebijakan.c.instansi_id == instansi_id)).first()
    if row is None:
        return Kebijakan()
    return Kebijakan(row.ke_admin, row.ke_pimpinan, row.pimpinan_email)


def set_kebijakan(store: Store, instansi_id: str, kebijakan: Kebijakan) -> None:
    """Set an instansi's escalation policy."""
    values = {
        "ke_admin": kebijakan.ke_admin,
        "ke_pimpinan": kebijakan.ke_pimpinan,
        "pimpinan_email": kebijakan.pimpinan_email,
    }
    with store.write() as conn:
        done = conn.execute(
            sa.update(instansi_kebijakan).where(instansi_kebijakan.c.instansi_id == instansi_id).values(**values)
        )
        if not done.rowcount:
            conn.execute(instansi_kebijakan.insert().values(instansi_id=instansi_id, **values))


def libur_of(store: Store, instansi_id: str) -> dict[date, str]:
    """The days off an instansi added: date -> why."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(instansi_libur.c.tanggal, instansi_libur.c.keterangan).where(
                instansi_libur.c.instansi_id == instansi_id
            )
        ).all()
    return {r.tanggal: r.keterangan for r in rows}


def add_libur(store: Store, instansi_id: str, tanggal: date, keterangan: str) -> None:
    """Add (or rename) a day off of an instansi."""
    with store.write() as conn:
        conn.execute(
            sa.delete(instansi_libur).where(
                instansi_libur.c.instansi_id == instansi_id, instansi_libur.c.tanggal == tanggal
            )
        )
        conn.execute(instansi_libur.insert().values(instansi_id=instansi_id, tanggal=tanggal, keterangan=keterangan))


# --------------------------------------------------------------------------- item ages


def open_items(conn: sa.Connection, instansi_id: str) -> list[dict[str, Any]]:
    """The open items of an instansi, each with the levels already taken (``tingkat``)."""
    rows = conn.execute(
        sa.select(eskalasi_butir).where(eskalasi_butir.c.instansi_id == instansi_id, eskalasi_butir.c.ditutup.is_(None))
    ).all()
    items = [dict(r._mapping) for r in rows]
    steps = _steps(conn, [i["butir_id"] for i in items])
    for i in items:
        i["pegawai"] = tuple(json.loads(i["pegawai"]))
        i["tingkat"] = steps.get(i["butir_id"], {})
        for k in ("pertama_terlihat", "terakhir_berubah"):
            i[k] = _utc(i[k])
    return items


def _steps(conn: sa.Connection, ids: Sequence[int]) -> dict[int, dict[int, datetime]]:
    out: dict[int, dict[int, datetime]] = {}
    for i in range(0, len(ids), CHUNK):
        q = sa.select(eskalasi_langkah.c.butir_id, eskalasi_langkah.c.tingkat, eskalasi_langkah.c.waktu).where(
            eskalasi_langkah.c.butir_id.in_(list(ids[i : i + CHUNK]))
        )
        for r in conn.execute(q):
            out.setdefault(r.butir_id, {})[r.tingkat] = _utc(r.waktu)  # type: ignore[assignment]
    return out


def streak_start(
    conn: sa.Connection, flow: str, tahun: int, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], datetime]:
    """For each ``(nip, code)``: when the pegawai's current unbroken run of log rows with that
    error began (the first row after the last row without it)."""
    wanted: dict[str, set[str]] = {}
    for nip, code in pairs:
        wanted.setdefault(nip, set()).add(code)
    out: dict[tuple[str, str], datetime] = {}
    for chunk in _chunks(wanted):
        logs = conn.execute(
            sa.select(sync_log.c.log_id, sync_log.c.nip, sync_log.c.waktu)
            .where(sync_log.c.flow == flow, sync_log.c.tahun == tahun, sync_log.c.nip.in_(chunk))
            .order_by(sync_log.c.nip, sync_log.c.log_id.desc())
        ).all()
        codes: dict[int, set[str]] = {}
        for i in range(0, len(logs), CHUNK):
            ids = [r.log_id for r in logs[i : i + CHUNK]]
            q = sa.select(sync_log_error.c.log_id, sync_log_error.c.code).where(sync_log_error.c.log_id.in_(ids))
            for r in conn.execute(q):
                codes.setdefault(r.log_id, set()).add(r.code)
        open_runs: dict[tuple[str, str], bool] = {}
        for r in logs:  # newest first per nip
            for code in wanted[r.nip]:
                key = (r.nip, code)
                if open_runs.get(key) is False:
                    continue
                if code in codes.get(r.log_id, set()):
                    out[key] = _utc(r.waktu)  # type: ignore[assignment]
                    open_runs[key] = True
                else:
                    open_runs[key] = False
    return out


def latest_waktu(conn: sa.Connection, flow: str, tahun: int, nips: Collection[str]) -> dict[str, datetime]:
    """Each pegawai's latest log time for the flow and year."""
    out: dict[str, datetime] = {}
    for chunk in _chunks(nips):
        q = (
            sa.select(sync_state.c.nip, sync_log.c.waktu)
            .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
            .where(sync_state.c.flow == flow, sync_state.c.tahun == tahun, sync_state.c.nip.in_(chunk))
        )
        out.update({r.nip: _utc(r.waktu) for r in conn.execute(q)})  # type: ignore[misc]
    return out


def open_item(conn: sa.Connection, instansi_id: str, tahun: int, butir: Butir, pertama: datetime) -> int:
    """Record a newly seen item; its id."""
    return int(
        conn.execute(
            eskalasi_butir.insert().values(
                instansi_id=instansi_id,
                tahun=tahun,
                flow=butir.flow,
                kode=butir.kode,
                jenis=butir.jenis,
                kunci=butir.kunci,
                pihak=butir.pihak,
                pegawai=json.dumps(list(butir.pegawai)),
                jumlah_pegawai=len(butir.pegawai),
                pertama_terlihat=pertama,
                terakhir_berubah=pertama,
            )
        ).inserted_primary_key[0]
    )


def change_item(conn: sa.Connection, butir_id: int, butir: Butir, waktu: datetime) -> None:
    """Record that an open item's pegawai (or party) changed at ``waktu``."""
    conn.execute(
        sa.update(eskalasi_butir)
        .where(eskalasi_butir.c.butir_id == butir_id)
        .values(
            pihak=butir.pihak,
            pegawai=json.dumps(list(butir.pegawai)),
            jumlah_pegawai=len(butir.pegawai),
            terakhir_berubah=waktu,
        )
    )


def close_item(conn: sa.Connection, butir_id: int, waktu: datetime) -> None:
    """Close an item the log shows gone."""
    conn.execute(sa.update(eskalasi_butir).where(eskalasi_butir.c.butir_id == butir_id).values(ditutup=waktu))


def add_step(conn: sa.Connection, butir_id: int, tingkat: int, waktu: datetime, penerima: str, umur: int) -> None:
    """Record one escalation step (the key refuses a second of the same level)."""
    conn.execute(
        eskalasi_langkah.insert().values(
            butir_id=butir_id, tingkat=tingkat, waktu=waktu, penerima=penerima, umur_hari_kerja=umur
        )
    )


def add_notice(
    conn: sa.Connection, penerima: str, waktu: datetime, judul: str, isi: str, kode: str | None = None
) -> int:
    """Store one in-app notice in the caller's transaction (read and e-mailed as the job
    engine's notices, ``store.notices``); its id."""
    return int(
        conn.execute(
            notifikasi.insert().values(
                penerima=penerima, waktu=waktu, nip=None, kode=kode, judul=judul, isi=isi, dibaca=False
            )
        ).inserted_primary_key[0]
    )


def items_of(
    store: Store,
    *,
    instansi_id: str | None = None,
    pihak: Collection[str] | None = None,
    tahun: int | None = None,
    tingkat_min: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Open items (of an instansi, of some parties, escalated to at least a level), oldest
    first, each with the levels taken (``tingkat``: level -> time)."""
    q = sa.select(eskalasi_butir).where(eskalasi_butir.c.ditutup.is_(None))
    if instansi_id is not None:
        q = q.where(eskalasi_butir.c.instansi_id == instansi_id)
    if pihak is not None:
        q = q.where(eskalasi_butir.c.pihak.in_(list(pihak)))
    if tahun is not None:
        q = q.where(eskalasi_butir.c.tahun == tahun)
    if tingkat_min is not None:
        q = q.where(
            sa.exists().where(
                eskalasi_langkah.c.butir_id == eskalasi_butir.c.butir_id, eskalasi_langkah.c.tingkat >= tingkat_min
            )
        )
    q = q.order_by(eskalasi_butir.c.pertama_terlihat, eskalasi_butir.c.butir_id)
    if limit is not None:
        q = q.limit(limit)
    with store.read() as conn:
        items = [dict(r._mapping) for r in conn.execute(q)]
        steps = _steps(conn, [i["butir_id"] for i in items])
    for i in items:
        i["pegawai"] = tuple(json.loads(i["pegawai"]))
        i["tingkat"] = steps.get(i["butir_id"], {})
        for k in ("pertama_terlihat", "terakhir_berubah"):
            i[k] = _utc(i[k])
    return items


def step_log(store: Store, instansi_id: str | None = None) -> list[dict[str, Any]]:
    """Every escalation step taken (of an instansi), newest first, with its item."""
    q = sa.select(
        eskalasi_langkah,
        eskalasi_butir.c.instansi_id,
        eskalasi_butir.c.kode,
        eskalasi_butir.c.jenis,
        eskalasi_butir.c.kunci,
        eskalasi_butir.c.pihak,
        eskalasi_butir.c.ditutup,
    ).join(eskalasi_butir, eskalasi_butir.c.butir_id == eskalasi_langkah.c.butir_id)
    if instansi_id is not None:
        q = q.where(eskalasi_butir.c.instansi_id == instansi_id)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(eskalasi_langkah.c.waktu.desc()))]


# -------------------------------------------------------------------------------- digests


def digest_accounts(conn: sa.Connection) -> list[dict[str, Any]]:
    """Active accounts a digest may go to (every role that has items of its own)."""
    q = sa.select(akun.c.username, akun.c.nama, akun.c.peran, akun.c.nip, akun.c.npsn, akun.c.instansi_id).where(
        akun.c.aktif.is_(True), akun.c.peran.in_(["pegawai", "operator", "admin", "dinas"])
    )
    return [dict(r._mapping) for r in conn.execute(q.order_by(akun.c.username))]


def last_digest(conn: sa.Connection, username: str) -> tuple[date, datetime] | None:
    """The date and time of the account's latest digest."""
    row = conn.execute(
        sa.select(digest_kirim.c.tanggal, digest_kirim.c.waktu)
        .where(digest_kirim.c.username == username)
        .order_by(digest_kirim.c.tanggal.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.tanggal, _utc(row.waktu))  # type: ignore[return-value]


def add_digest(conn: sa.Connection, username: str, tanggal: date, waktu: datetime, notifikasi_id: int, n: int) -> None:
    """Record the day's digest of an account (the key refuses a second one that day)."""
    conn.execute(
        digest_kirim.insert().values(
            username=username, tanggal=tanggal, waktu=waktu, notifikasi_id=notifikasi_id, jumlah_butir=n
        )
    )


def digests(store: Store, username: str | None = None) -> list[dict[str, Any]]:
    """Digests sent (to one account), by account and date."""
    q = sa.select(digest_kirim)
    if username is not None:
        q = q.where(digest_kirim.c.username == username)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(digest_kirim.c.username, digest_kirim.c.tanggal))]


# -------------------------------------------------------------------------- daily summary


def summary_written(conn: sa.Connection, tanggal: date) -> bool:
    """Whether the day's summary is already written."""
    return (
        conn.execute(
            sa.select(ringkasan_instansi.c.tanggal).where(ringkasan_instansi.c.tanggal == tanggal).limit(1)
        ).first()
        is not None
    )


def write_summary(conn: sa.Connection, tanggal: date) -> tuple[int, int]:
    """Write the day's summary from each pegawai's latest state: one row per instansi, and a
    row per school whose counts differ from its latest row. Rows written (instansi, schools)."""
    ok = sa.case((sync_log.c.status == "TERSINKRON", 1), else_=0)
    siap = sa.case((sync_log.c.status == "SIAP", 1), else_=0)
    gagal = sa.case((sync_log.c.status == "GAGAL", 1), else_=0)
    base = sa.select(sync_state.c.flow, sync_state.c.tahun).join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
    per_instansi = conn.execute(
        base.add_columns(
            sync_state.c.instansi_id,
            sa.func.count().label("total"),
            sa.func.sum(ok).label("tersinkron"),
            sa.func.sum(siap).label("siap"),
            sa.func.sum(gagal).label("gagal"),
        )
        .where(sync_state.c.instansi_id.isnot(None))
        .group_by(sync_state.c.flow, sync_state.c.tahun, sync_state.c.instansi_id)
    ).all()
    conn.execute(sa.delete(ringkasan_instansi).where(ringkasan_instansi.c.tanggal == tanggal))
    rows = [
        {
            "flow": r.flow,
            "tahun": r.tahun,
            "instansi_id": r.instansi_id,
            "tanggal": tanggal,
            "total": int(r.total),
            "tersinkron": int(r.tersinkron or 0),
            "siap": int(r.siap or 0),
            "gagal": int(r.gagal or 0),
        }
        for r in per_instansi
    ]
    if rows:
        conn.execute(ringkasan_instansi.insert(), rows)
    return len(rows), _write_school_summary(conn, tanggal, base, ok)


def _write_school_summary(conn: sa.Connection, tanggal: date, base: sa.Select[Any], ok: Any) -> int:
    """The day's row per school whose counts differ from its latest row before the day."""
    per_school = conn.execute(
        base.add_columns(
            sync_log.c.npsn,
            sa.func.min(sync_state.c.instansi_id).label("instansi_id"),
            sa.func.count().label("total"),
            sa.func.sum(ok).label("tersinkron"),
        )
        .where(sync_log.c.npsn.isnot(None), sync_state.c.instansi_id.isnot(None))
        .group_by(sync_state.c.flow, sync_state.c.tahun, sync_log.c.npsn)
    ).all()
    latest = (
        sa.select(
            ringkasan_sekolah.c.flow,
            ringkasan_sekolah.c.tahun,
            ringkasan_sekolah.c.npsn,
            sa.func.max(ringkasan_sekolah.c.tanggal).label("tanggal"),
        )
        .where(ringkasan_sekolah.c.tanggal < tanggal)
        .group_by(ringkasan_sekolah.c.flow, ringkasan_sekolah.c.tahun, ringkasan_sekolah.c.npsn)
        .subquery()
    )
    prev = {
        (r.flow, r.tahun, r.npsn): (r.total, r.tersinkron)
        for r in conn.execute(
            sa.select(ringkasan_sekolah).join(
                latest,
                sa.and_(
                    latest.c.flow == ringkasan_sekolah.c.flow,
                    latest.c.tahun == ringkasan_sekolah.c.tahun,
                    latest.c.npsn == ringkasan_sekolah.c.npsn,
                    latest.c.tanggal == ringkasan_sekolah.c.tanggal,
                ),
            )
        )
    }
    conn.execute(sa.delete(ringkasan_sekolah).where(ringkasan_sekolah.c.tanggal == tanggal))
    changed = [
        {
            "flow": r.flow,
            "tahun": r.tahun,
            "npsn": r.npsn,
            "tanggal": tanggal,
            "instansi_id": r.instansi_id,
            "total": int(r.total),
            "tersinkron": int(r.tersinkron or 0),
        }
        for r in per_school
        if prev.get((r.flow, r.tahun, r.npsn)) != (int(r.total), int(r.tersinkron or 0))
    ]
    for i in range(0, len(changed), 5000):
        conn.execute(ringkasan_sekolah.insert(), changed[i : i + 5000])
    return len(changed)


def _frame(conn: sa.Connection, q: sa.Select[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Rows of ``q`` as a frame; ``tanggal`` comes as ISO text (no per-row date parsing)."""
    raw = {k: (pl.String if k == "tanggal" else v) for k, v in schema.items()}
    df = pl.DataFrame([tuple(r) for r in conn.execute(q)], schema=raw, orient="row")
    return df.with_columns(pl.col("tanggal").str.to_date("%Y-%m-%d")) if "tanggal" in schema else df


def _tanggal(col: Any) -> Any:
    return sa.cast(col, sa.String).label("tanggal")


def trend(store: Store, flow: str, tahun: int, instansi_id: str | None = None) -> pl.DataFrame:
    """Per day of the summary: total, TERSINKRON, SIAP and GAGAL of an instansi (or of all)."""
    t = ringkasan_instansi
    q = (
        sa.select(
            _tanggal(t.c.tanggal),
            sa.func.sum(t.c.total),
            sa.func.sum(t.c.tersinkron),
            sa.func.sum(t.c.siap),
            sa.func.sum(t.c.gagal),
        )
        .where(t.c.flow == flow, t.c.tahun == tahun)
        .group_by(t.c.tanggal)
        .order_by(t.c.tanggal)
    )
    if instansi_id is not None:
        q = q.where(t.c.instansi_id == instansi_id)
    schema = {"tanggal": pl.Date, "total": pl.Int64, "tersinkron": pl.Int64, "siap": pl.Int64, "gagal": pl.Int64}
    with store.read() as conn:
        return _frame(conn, q, schema)


def instansi_history(store: Store, flow: str, tahun: int, sejak: date | None = None) -> pl.DataFrame:
    """Every instansi's daily summary of the flow and year (``instansi_id, tanggal, total,
    tersinkron``), from ``sejak`` on."""
    t = ringkasan_instansi
    q = sa.select(t.c.instansi_id, _tanggal(t.c.tanggal), t.c.total, t.c.tersinkron).where(
        t.c.flow == flow, t.c.tahun == tahun
    )
    if sejak is not None:
        q = q.where(t.c.tanggal >= sejak)
    schema = {"instansi_id": pl.String, "tanggal": pl.Date, "total": pl.Int64, "tersinkron": pl.Int64}
    with store.read() as conn:
        return _frame(conn, q, schema)


def school_history(store: Store, flow: str, tahun: int, instansi_id: str) -> pl.DataFrame:
    """The schools' summary rows of an instansi (a row on each day a school's counts changed)."""
    t = ringkasan_sekolah
    q = sa.select(t.c.npsn, _tanggal(t.c.tanggal), t.c.total, t.c.tersinkron).where(
        t.c.instansi_id == instansi_id, t.c.flow == flow, t.c.tahun == tahun
    )
    schema = {"npsn": pl.String, "tanggal": pl.Date, "total": pl.Int64, "tersinkron": pl.Int64}
    with store.read() as conn:
        return _frame(conn, q, schema)


def last_summary_date(store: Store, flow: str, tahun: int) -> date | None:
    """The latest day of the summary of the flow and year."""
    t = ringkasan_instansi
    with store.read() as conn:
        found = conn.execute(
            sa.select(sa.cast(sa.func.max(t.c.tanggal), sa.String)).where(t.c.flow == flow, t.c.tahun == tahun)
        ).scalar()
    return date.fromisoformat(str(found)[:10]) if found else None


def summary_years(store: Store, flow: str) -> int | None:
    """The latest year with a summary for the flow."""
    with store.read() as conn:
        return conn.execute(
            sa.select(sa.func.max(ringkasan_instansi.c.tahun)).where(ringkasan_instansi.c.flow == flow)
        ).scalar()


def instansi_logged(store: Store) -> list[str]:
    """The instansi with pegawai in the latest state of any flow."""
    with store.read() as conn:
        q = sa.select(sync_state.c.instansi_id).where(sync_state.c.instansi_id.isnot(None)).distinct()
        return sorted(r.instansi_id for r in conn.execute(q))


# ------------------------------------------------------------- the forecast's live point


def live_counts(store: Store, flow: str, tahun: int, instansi_id: str | None = None) -> pl.DataFrame:
    """Each school's count now, from each pegawai's latest state (what the pages show):
    ``instansi_id, npsn, total, tersinkron``; pegawai of no school have ``npsn`` "" (one group
    per instansi)."""
    ok = sa.case((sync_log.c.status == "TERSINKRON", 1), else_=0)
    npsn = sa.func.coalesce(sync_log.c.npsn, "")
    q = (
        sa.select(sync_state.c.instansi_id, npsn.label("npsn"), sa.func.count(), sa.func.sum(ok))
        .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
        .where(sync_state.c.flow == flow, sync_state.c.tahun == tahun, sync_state.c.instansi_id.isnot(None))
        .group_by(sync_state.c.instansi_id, npsn)
    )
    if instansi_id is not None:
        q = q.where(sync_state.c.instansi_id == instansi_id)
    schema = {"instansi_id": pl.String, "npsn": pl.String, "total": pl.Int64, "tersinkron": pl.Int64}
    with store.read() as conn:
        rows = [(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in conn.execute(q)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def schools_history(
    store: Store, flow: str, tahun: int, instansi_id: str | None = None, sejak: date | None = None
) -> pl.DataFrame:
    """The schools' summary rows (a row on each day a school's counts changed), of one
    instansi or of all: ``instansi_id, npsn, tanggal, total, tersinkron``. With ``sejak``: the
    rows from that day on, and each school's latest row before it (its value on that day)."""
    t = ringkasan_sekolah
    cols = (t.c.instansi_id, t.c.npsn, _tanggal(t.c.tanggal), t.c.total, t.c.tersinkron)
    where = [t.c.flow == flow, t.c.tahun == tahun]
    if instansi_id is not None:
        where.append(t.c.instansi_id == instansi_id)
    schema = {
        "instansi_id": pl.String,
        "npsn": pl.String,
        "tanggal": pl.Date,
        "total": pl.Int64,
        "tersinkron": pl.Int64,
    }
    with store.read() as conn:
        if sejak is None:
            return _frame(conn, sa.select(*cols).where(*where), schema)
        recent = _frame(conn, sa.select(*cols).where(*where, t.c.tanggal >= sejak), schema)
        last = (
            sa.select(t.c.npsn, sa.func.max(t.c.tanggal).label("tanggal"))
            .where(*where, t.c.tanggal < sejak)
            .group_by(t.c.npsn)
            .subquery()
        )
        carried = _frame(
            conn,
            sa.select(*cols).join(last, sa.and_(last.c.npsn == t.c.npsn, last.c.tanggal == t.c.tanggal)).where(*where),
            schema,
        )
    return pl.concat([carried, recent])


def libur_all(store: Store) -> dict[str, dict[date, str]]:
    """Every instansi's own days off: instansi -> date -> why."""
    out: dict[str, dict[date, str]] = {}
    with store.read() as conn:
        for r in conn.execute(sa.select(instansi_libur)):
            out.setdefault(r.instansi_id, {})[r.tanggal] = r.keterangan
    return out


def max_log_id(conn: sa.Connection) -> int:
    """The newest log row's id (0 when none): whether the log changed since a summary."""
    return int(conn.execute(sa.select(sa.func.max(sync_log.c.log_id))).scalar() or 0)
