"""The sync log as the web reads it: the page's filters, names beside ids, exports, the trend.
The SQL is in ``selaras.store.logs``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl

from selaras.catalogue import dates, words
from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Status
from selaras.store import logs, peminta, reads
from selaras.store.database import Store
from selaras.usecases.access import LogScope

EXPORT_MAX = 200_000
EXPORT_PAGE = 5_000
EXPORT_COLUMNS = (
    "log_id",
    "waktu",
    "nip",
    "nama",
    "npsn",
    "sekolah_nama",
    "instansi_id",
    "instansi_nama",
    "flow",
    "tahun",
    "mode",
    "status",
    "hasil",
    "kode",
    "kendala",
    "pelaku",
)
"""The columns of a log export: the log row's own, with the names beside the ids."""


@dataclass(frozen=True)
class LogFilter:
    """The filters of the Log Sinkronisasi PMM page (all optional)."""

    kode: str | None = None
    npsn: str | None = None
    status: str | None = None
    dari: date | None = None
    sampai: date | None = None
    aktor: str | None = None
    q: str | None = None  # a NIP (or its start) or part of a name
    flow: str | None = None

    def params(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for links and exports)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}


def log_query(f: LogFilter, scope: LogScope, zona: str | None = None) -> logs.LogQuery:
    """The page's filters within the user's scope as a store query; the days ``dari`` and
    ``sampai`` are days in the instansi's zone."""
    tz = dates.zona(zona)
    codes: list[tuple[str, ...]] = []
    if scope.codes is not None:
        codes.append(scope.codes)
    if f.kode:
        codes.append((f.kode,))
    if f.aktor:
        codes.append(tuple(c.code for c in CATALOGUE.values() if f.aktor in [a.value for a in c.aktor]))
    equal = {}
    for column, value in (
        ("instansi_id", scope.instansi_id),
        ("nip", scope.nip),
        ("status", f.status),
        ("flow", f.flow),
    ):
        if value:
            equal[column] = value
    if scope.npsn and f.npsn and scope.npsn != f.npsn:
        codes.append(())  # two different schools: nothing matches
    if scope.npsn or f.npsn:
        equal["npsn"] = scope.npsn or f.npsn or ""
    q = (f.q or "").strip()
    return logs.LogQuery(
        equal=equal,
        code_groups=codes,
        since=datetime.combine(f.dari, time(), tz).astimezone(UTC) if f.dari else None,
        until=datetime.combine(f.sampai + timedelta(days=1), time(), tz).astimezone(UTC) if f.sampai else None,
        nip_prefix=q if q.isdigit() else None,
        nama_part=q if q and not q.isdigit() else None,
    )


def log_page(
    store: Store, f: LogFilter, scope: LogScope, *, before: int | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of log rows (newest first) and the ``before`` of the next page (None at the end)."""
    rows, nxt = logs.log_page(
        store, log_query(f, scope, reads.zona_of(store, scope.instansi_id)), before=before, limit=limit
    )
    return readable(store, rows), nxt


def log_entry(store: Store, log_id: int) -> dict[str, Any] | None:
    """One log row with its errors (``detail`` parsed), or None."""
    entry = logs.log_entry(store, log_id)
    return None if entry is None else readable(store, [entry])[0]


def readable(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the names people read beside the ids of log rows: ``sekolah_nama``,
    ``instansi_nama`` and ``pelaku_nama`` (who made the row, in words)."""
    schools = reads.sekolah_names(store, {r["npsn"] for r in rows if r.get("npsn")})
    instansi = reads.instansi_names(store, {r["instansi_id"] for r in rows if r.get("instansi_id")})
    for r in rows:
        r["sekolah_nama"] = schools.get(r.get("npsn") or "")
        r["instansi_nama"] = instansi.get(r.get("instansi_id") or "")
        r["pelaku_nama"] = words.pelaku(r.get("pelaku"))
    who_asked(store, rows)
    return rows


def who_asked(store: Store, rows: list[dict[str, Any]]) -> None:
    """Say who asked for each sync of ``rows``: a worker's row names the person (name and role)
    or the system of the job it finished, and why (``diminta_oleh``, ``alasan``, and in words
    ``pelaku_nama``); an admin's own action names the admin."""
    for r in rows:
        r["diminta_oleh"], r["alasan"] = None, None
    by_job = [(r["nip"], r["log_id"]) for r in rows if str(r.get("pelaku") or "").startswith("job:")]
    own = {r["log_id"]: str(r["pelaku"]).partition(":")[2] for r in rows if str(r.get("pelaku")).startswith("akun:")}
    if not by_job and not own:
        return
    jobs = peminta.requests_of(store, by_job) if by_job else {}
    users = {u for u, _ in jobs.values()} | set(own.values())
    accounts = peminta.account_labels(store, users - {"selaras"})
    for r in rows:
        if r["log_id"] in jobs:
            username, alasan = jobs[r["log_id"]]
            r["diminta_oleh"], r["alasan"] = (None if username == "selaras" else username), alasan
            r["pelaku_nama"] = words.diminta_oleh(username, accounts.get(username), alasan)
        elif r["log_id"] in own:
            username = own[r["log_id"]]
            r["diminta_oleh"] = username
            r["pelaku_nama"] = words.diminta_oleh(username, accounts.get(username), aksi="GANTI_SKP_MANUAL")


def latest_state(store: Store, nip: str, flow: str, tahun: int) -> dict[str, Any] | None:
    """``{status, kode}`` of the pegawai's latest log row for the flow and year; None when
    never logged."""
    found = reads.latest_state(store, flow, tahun=tahun, nips=[nip])
    return None if not found else {"status": found[0].status, "kode": found[0].kode}


def latest_entry(store: Store, nip: str, flow: str) -> dict[str, Any] | None:
    """The newest log row of ``nip`` for ``flow``, with its errors; None when never logged."""
    log_id = logs.newest_log_id(store, nip, flow)
    return None if log_id is None else log_entry(store, log_id)


def export_rows(store: Store, f: LogFilter, scope: LogScope) -> Iterator[dict[str, Any]]:
    """Every row of the filtered view (up to ``EXPORT_MAX``), page by page."""
    before: int | None = None
    done = 0
    while done < EXPORT_MAX:
        rows, before = log_page(store, f, scope, before=before, limit=min(EXPORT_PAGE, EXPORT_MAX - done))
        yield from rows
        done += len(rows)
        if before is None:
            break


def trend(store: Store, flow: str, tahun: int, instansi_id: str | None) -> pl.DataFrame:
    """Per day with log rows: how many pegawai had each status at the end of that day.

    Days are days in the instansi's zone. Each pegawai counts with the status of their newest
    row up to that day: a day's change adds one to the new status and takes one from the
    previous, and the running sums give the counts.
    """
    rows = logs.trend_rows(store, flow, tahun, instansi_id)
    zona = reads.zona_of(store, instansi_id)
    statuses = [s.value for s in Status]
    if not rows:
        return pl.DataFrame(schema={"hari": pl.Date, **{s: pl.Int64 for s in statuses}})
    df = pl.DataFrame(
        {
            "log_id": [r[0] for r in rows],
            "nip": [r[1] for r in rows],
            "hari": [dates.di_zona(r[2], zona).date() for r in rows],
            "status": [r[3] for r in rows],
        }
    )
    daily = (
        df.sort("log_id")
        .group_by("nip", "hari")
        .agg(pl.col("status").last())
        .sort("nip", "hari")
        .with_columns(pl.col("status").shift(1).over("nip").alias("sebelum"))
    )
    plus = daily.select("hari", "status", pl.lit(1).alias("n"))
    minus = daily.filter(pl.col("sebelum").is_not_null()).select(
        "hari", pl.col("sebelum").alias("status"), pl.lit(-1).alias("n")
    )
    delta = pl.concat([plus, minus]).group_by("hari", "status").agg(pl.col("n").sum())
    days = delta.select("hari").unique().sort("hari")
    out = days
    for s in statuses:
        col = delta.filter(pl.col("status") == s).select("hari", pl.col("n").alias(s))
        out = out.join(col, on="hari", how="left")
    return out.fill_null(0).sort("hari").with_columns(pl.col(s).cum_sum() for s in statuses)
