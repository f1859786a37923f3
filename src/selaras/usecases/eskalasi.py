"""Escalation use cases (issue 12): run the policy once, send the daily digests, write the daily
summary, and read the forecast. Each writing use case is one unit of work
(:func:`selaras.store.uow.run`): it reads and writes in one transaction and commits once (the
item ages, the steps and their notices together, or nothing); e-mail goes out after the commit.
They take no data lock: they plan on the log, not on the contract data. ``sekarang`` is the
clock (tests walk it through weeks); it defaults to now.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from selaras.catalogue.codes import CATALOGUE
from selaras.domain import blockers
from selaras.domain import eskalasi as policy
from selaras.domain.harikerja import Kalender, tanggal_lokal
from selaras.domain.prakiraan import JENDELA_HARI, Prakiraan, Titik, berisiko_urut, gabung, prakirakan, prakirakan_semua
from selaras.domain.results import Flow
from selaras.jobs import notifications
from selaras.store import eskalasi as esk
from selaras.store import reads, uow
from selaras.store.database import Store
from selaras.store.repository import latest_results


def _now(sekarang: datetime | None) -> datetime:
    return (sekarang or datetime.now(UTC)).astimezone(UTC)


def kalender_of(store: Store, instansi_id: str) -> Kalender:
    """The working-day calendar of an instansi (national days off plus its own)."""
    return Kalender.dengan(esk.libur_of(store, instansi_id))


# ------------------------------------------------------------------------ the policy run


@dataclass
class Tindakan:
    """One thing a policy run did (or, as a dry run, would do)."""

    instansi_id: str
    jenis: str
    """``baru`` (item first seen), ``berubah``, ``tutup``, ``eskalasi``."""
    label: str
    umur: int = 0
    tingkat: int | None = None
    penerima: str | None = None


@dataclass
class LaporanEskalasi:
    """What a policy run did."""

    coba: bool
    waktu: datetime
    tindakan: list[Tindakan] = field(default_factory=list)

    def hitung(self, jenis: str) -> int:
        """How many actions of one kind."""
        return sum(1 for t in self.tindakan if t.jenis == jenis)


def jalankan(
    store: Store, *, sekarang: datetime | None = None, coba: bool = False, instansi: Sequence[str] | None = None
) -> LaporanEskalasi:
    """Run the escalation policy once over every instansi (or those given): record new items
    with their age from the log, the changed and the closed ones, and take each step due
    (a notice to the next level). ``coba``: report what it would do, change nothing."""
    now = _now(sekarang)

    def work(u: uow.UnitOfWork) -> LaporanEskalasi:
        report = LaporanEskalasi(coba, now)
        for inst in instansi if instansi is not None else esk.instansi_logged(u.store):
            _apply(u.conn, _plan(u.store, inst, now), now, report)
        if coba:
            raise _Coba(report)  # rolls the unit back: a dry run keeps nothing
        return report

    try:
        report = uow.run(store, work, name="eskalasi", lock=False)
    except _Coba as dry:
        return dry.report
    if report.hitung("eskalasi"):
        notifications.send_email(store, notifications.account_address(store))
    return report


class _Coba(Exception):
    """A dry run's report, raised to roll its unit of work back."""

    def __init__(self, report: LaporanEskalasi) -> None:
        super().__init__("coba")
        self.report = report


@dataclass
class _Plan:
    instansi_id: str
    items: dict[tuple[str, int], list[policy.Butir]]
    kalender: Kalender
    zona: str
    kebijakan: policy.Kebijakan
    names: dict[str, dict[str, str]]


def _plan(store: Store, instansi_id: str, now: datetime) -> _Plan:
    items: dict[tuple[str, int], list[policy.Butir]] = {}
    for flow in Flow:
        latest = latest_results(store, flow, instansi_id)
        if latest is None:
            continue
        peg = {r["nip"]: r for r in latest.pegawai.iter_rows(named=True)}
        errs = [
            {**e, "detail": json.loads(e["detail"]) if e["detail"] else {}} for e in latest.errors.iter_rows(named=True)
        ]
        items[(flow.value, latest.tahun)] = policy.butir_dari(flow.value, errs, peg, instansi_id)
    every = [b for bs in items.values() for b in bs]
    return _Plan(
        instansi_id,
        items,
        kalender_of(store, instansi_id),
        reads.zona_of(store, instansi_id),
        esk.kebijakan_of(store, instansi_id),
        names_of_items(store, every, instansi_id),
    )


def names_of_items(store: Store, items: Sequence[policy.Butir], instansi_id: str) -> dict[str, dict[str, str]]:
    """The names an item label needs: people, units, schools and the instansi."""
    person = [
        b.kunci for b in items if b.jenis in (blockers.ATASAN, blockers.ATASAN_TERTAHAN, blockers.RHK_PMM, "pegawai")
    ]
    person += [n for b in items for n in b.pegawai]
    return {
        "pegawai": reads.names_of(store, person),
        "unor": reads.unit_names(store, [b.kunci for b in items if b.jenis == "unor"]),
        "sekolah": reads.sekolah_names(
            store,
            [b.kunci for b in items if b.jenis in ("sekolah", "sekolah-skp")]
            + [b.pihak.partition(":")[2] for b in items if b.pihak.startswith("operator:")],
        ),
        "instansi": reads.instansi_names(store, [instansi_id]),
    }


def label_of(jenis: str, kunci: str, kode: str, names: dict[str, dict[str, str]]) -> str:
    """An item in words: its code's title and what it is about, by name."""
    judul = f"{kode} {CATALOGUE[kode].judul}" if kode in CATALOGUE else kode
    if jenis in (blockers.ATASAN, blockers.ATASAN_TERTAHAN):
        about = f"SKP kepala sekolah {names['pegawai'].get(kunci, kunci)} (NIP {kunci})"
    elif jenis in (blockers.RHK_PMM, "pegawai"):
        about = f"{names['pegawai'].get(kunci, kunci)} (NIP {kunci})"
    elif jenis == "unor":
        about = f"unit {names['unor'].get(kunci, kunci)}"
    elif jenis in ("sekolah", "sekolah-skp"):
        about = f"sekolah {names['sekolah'].get(kunci, kunci)} (NPSN {kunci})"
    else:
        about = f"instansi {names['instansi'].get(kunci, kunci)}"
    return f"{judul}: {about}"


def _apply(conn: Any, plan: _Plan, now: datetime, report: LaporanEskalasi) -> None:
    inst, kal, today = plan.instansi_id, plan.kalender, tanggal_lokal(now, plan.zona)
    current = {(flow, tahun, *b.kunci_butir[1:]): (b, tahun) for (flow, tahun), bs in plan.items.items() for b in bs}
    stored = {(i["flow"], i["tahun"], i["kode"], i["jenis"], i["kunci"]): i for i in esk.open_items(conn, inst)}

    def act(jenis: str, kode: str, kind: str, key: str, **kw: Any) -> None:
        label = label_of(kind, key, kode, plan.names)
        report.tindakan.append(Tindakan(inst, jenis, label, **kw))

    for key, item in stored.items():
        if key not in current:
            seen = esk.latest_waktu(conn, item["flow"], item["tahun"], item["pegawai"])
            closed = max(seen.values(), default=now)
            esk.close_item(conn, item["butir_id"], min(closed, now))
            act("tutup", item["kode"], item["jenis"], item["kunci"])
    new = [(k, b, tahun) for k, (b, tahun) in current.items() if k not in stored]
    starts: dict[tuple[str, str], datetime] = {}
    for flow, tahun in {(k[0], k[1]) for k, _, _ in new}:
        pairs = [(n, b.kode) for k, b, _ in new if (k[0], k[1]) == (flow, tahun) for n in b.pegawai]
        starts.update(esk.streak_start(conn, flow, tahun, pairs))
    for key, b, tahun in new:
        first = min((starts[(n, b.kode)] for n in b.pegawai if (n, b.kode) in starts), default=now)
        first = min(first, now)
        item_id = esk.open_item(conn, inst, tahun, b, first)
        stored[key] = {
            "butir_id": item_id,
            "pihak": b.pihak,
            "pegawai": b.pegawai,
            "pertama_terlihat": first,
            "tingkat": {},
            "kode": b.kode,
            "jenis": b.jenis,
            "kunci": b.kunci,
        }
        act("baru", b.kode, b.jenis, b.kunci, umur=kal.antara(tanggal_lokal(first, plan.zona), today))
    for key, (b, tahun) in current.items():
        item = stored[key]
        if (item["pegawai"], item["pihak"]) != (b.pegawai, b.pihak):
            moved = set(item["pegawai"]) ^ set(b.pegawai)
            seen = esk.latest_waktu(conn, b.flow, tahun, moved)
            esk.change_item(conn, item["butir_id"], b, min(max(seen.values(), default=now), now))
            act("berubah", b.kode, b.jenis, b.kunci)
        umur = kal.antara(tanggal_lokal(item["pertama_terlihat"], plan.zona), today)
        for step in policy.langkah_jatuh_tempo(b.pihak, umur, item["tingkat"], plan.kebijakan):
            to = policy.penerima_eskalasi(step, inst)
            label = label_of(b.jenis, b.kunci, b.kode, plan.names)
            who = _party_words(b.pihak, plan.names)
            judul = f"Eskalasi: {label}"
            isi = (
                f"{label}, tanggung jawab {who}, {policy.umur_label(umur)} "
                f"(sejak {tanggal_lokal(item['pertama_terlihat'], plan.zona):%d-%m-%Y}) dan menahan "
                f"{len(b.pegawai)} guru. Mohon pastikan kendala ini ditangani."
            )
            esk.add_step(conn, item["butir_id"], int(step), now, to, umur)
            esk.add_notice(conn, to, now, judul, isi, b.kode)
            act("eskalasi", b.kode, b.jenis, b.kunci, umur=umur, tingkat=int(step), penerima=to)


def _party_words(pihak: str, names: dict[str, dict[str, str]]) -> str:
    kind, _, value = pihak.partition(":")
    if kind == "pegawai":
        return f"{names['pegawai'].get(value, value)} (NIP {value})"
    if kind == "operator":
        return f"operator sekolah {names['sekolah'].get(value, value)} (NPSN {value})"
    if kind == "admin":
        return "Admin Instansi"
    return "Dinas Pendidikan"


# ---------------------------------------------------------------------------- digests


def penerima_akun(akun: dict[str, Any]) -> list[str]:
    """The notice addresses of an account (as ``web.screens.notices.penerima_of``)."""
    p = akun["peran"]
    if p == "pegawai" and akun.get("nip"):
        return [f"pegawai:{akun['nip']}"]
    if p == "operator" and akun.get("npsn"):
        return [f"operator:{akun['npsn']}"]
    if p in ("admin", "dinas") and akun.get("instansi_id"):
        return [f"{p}:{akun['instansi_id']}"]
    return []


@dataclass
class LaporanDigest:
    """What a digest round did."""

    terkirim: list[str] = field(default_factory=list)
    """Usernames that got today's digest."""
    email: int = 0


def kirim_digest(store: Store, *, sekarang: datetime | None = None) -> LaporanDigest:
    """Send each account with open items its digest of the day, at most one a day: in the app,
    and by e-mail where the account has an address (``jobs.notifications``)."""
    now = _now(sekarang)

    def work(u: uow.UnitOfWork) -> LaporanDigest:
        report = LaporanDigest()
        # Every open item once, by party: a national round asks the store once, not per account.
        by_party: dict[str, list[dict[str, Any]]] = {}
        escalated: dict[str, list[dict[str, Any]]] = {}
        for i in esk.items_of(u.store):
            by_party.setdefault(i["pihak"], []).append(i)
            if i["tingkat"] and not i["pihak"].startswith("admin:"):
                escalated.setdefault(i["instansi_id"], []).append(i)
        zones: dict[str | None, str] = {}
        for acc in esk.digest_accounts(u.conn):
            keys = penerima_akun(acc)
            items = [i for k in keys for i in by_party.get(k, [])]
            if acc["peran"] == "admin":
                items += escalated.get(acc["instansi_id"], [])
            if not items:
                continue
            inst = acc.get("instansi_id")
            if inst not in zones:
                zones[inst] = reads.zona_of(u.store, inst)
            today = tanggal_lokal(now, zones[inst])
            last = esk.last_digest(u.conn, acc["username"])
            if last is not None and last[0] >= today:
                continue
            rows = _digest_rows(u.store, items, now, last[1] if last else None)
            judul, isi = policy.digest(acc["nama"], rows)
            notice_id = esk.add_notice(u.conn, keys[0], now, judul, isi)
            esk.add_digest(u.conn, acc["username"], today, now, notice_id, len(rows))
            report.terkirim.append(acc["username"])
        return report

    report = uow.run(store, work, name="digest", lock=False)
    report.email = notifications.send_email(store, notifications.account_address(store))
    return report


def _digest_rows(
    store: Store, items: list[dict[str, Any]], now: datetime, since: datetime | None
) -> list[policy.BarisDigest]:
    out = []
    by_inst: dict[str, list[dict[str, Any]]] = {}
    for i in items:
        by_inst.setdefault(i["instansi_id"], []).append(i)
    for inst, group in by_inst.items():
        kal, zona = kalender_of(store, inst), reads.zona_of(store, inst)
        bs = [policy.Butir(i["flow"], i["kode"], i["jenis"], i["kunci"], i["pihak"], i["pegawai"]) for i in group]
        names = names_of_items(store, bs, inst)
        for i in group:
            out.append(
                policy.BarisDigest(
                    label=label_of(i["jenis"], i["kunci"], i["kode"], names),
                    umur=kal.antara(tanggal_lokal(i["pertama_terlihat"], zona), tanggal_lokal(now, zona)),
                    jumlah_guru=i["jumlah_pegawai"],
                    baru=since is None or i["pertama_terlihat"] > since,
                    tingkat=max(i["tingkat"], default=0),
                )
            )
    return out


# ---------------------------------------------------------------------- daily summary


def tulis_ringkasan(store: Store, *, sekarang: datetime | None = None, ulang: bool = False) -> tuple[int, int] | None:
    """Write today's summary (WIB date) once: rows per instansi and changed schools; None when
    today's is already written (``ulang`` writes it again)."""
    today = tanggal_lokal(_now(sekarang), "WIB")

    def work(u: uow.UnitOfWork) -> tuple[int, int] | None:
        if esk.summary_written(u.conn, today) and not ulang:
            return None
        return esk.write_summary(u.conn, today)

    return uow.run(store, work, name="ringkasan", lock=False)


def putaran(store: Store, *, sekarang: datetime | None = None) -> int:
    """One scheduled round: today's summary (once a day), the policy, the digests (once a day
    per account); each its own transaction. How many escalation steps were taken."""
    tulis_ringkasan(store, sekarang=sekarang)
    report = jalankan(store, sekarang=sekarang)
    kirim_digest(store, sekarang=sekarang)
    return report.hitung("eskalasi")


# ---------------------------------------------------------------------------- forecast


@dataclass(frozen=True)
class BarisPrakiraan:
    """One school or instansi in the forecast."""

    kunci: str
    nama: str
    prakiraan: Prakiraan


@dataclass(frozen=True)
class HasilPrakiraan:
    """The forecast of an instansi (its schools) or of the nation (its instansi)."""

    flow: str
    tahun: int
    tenggat: date
    keseluruhan: Prakiraan | None
    berisiko: list[BarisPrakiraan]
    semua: list[BarisPrakiraan]


def prakiraan(
    store: Store,
    flow: Flow,
    *,
    instansi_id: str | None = None,
    tahun: int | None = None,
    tenggat: date | None = None,
) -> HasilPrakiraan | None:
    """The forecast at the deadline from the daily summary: of an instansi and each of its
    schools, or (without ``instansi_id``) of the nation and each instansi. None without a
    summary."""
    flow = Flow(flow)
    tahun = tahun or esk.summary_years(store, flow.value)
    if tahun is None:
        return None
    tenggat = tenggat or date(tahun, 12, 31)
    kal = kalender_of(store, instansi_id) if instansi_id else Kalender()
    # The forecast reads the last weeks only (JENDELA_HARI): the pace of late. The whole is the
    # sum of its parts (a stalled school holds its share back); the series of the whole serves
    # only when no part has a history.
    overall: Prakiraan | None = None
    if instansi_id is None:
        last = esk.last_summary_date(store, flow.value, tahun)
        if last is None:
            return None
        sejak = last - timedelta(days=JENDELA_HARI)
        hist = esk.instansi_history(store, flow.value, tahun, sejak).rename({"instansi_id": "kunci"})
        names = reads.instansi_names(store, hist["kunci"].unique().to_list())
    else:
        whole = esk.trend(store, flow.value, tahun, instansi_id)
        if whole.is_empty():
            return None
        sejak = whole["tanggal"].max() - timedelta(days=JENDELA_HARI)  # type: ignore[operator]
        overall = prakirakan(_points(whole.filter(pl.col("tanggal") >= sejak)), tenggat, kal)
        schools = _fill(esk.school_history(store, flow.value, tahun, instansi_id), whole["tanggal"])
        hist = schools.filter(pl.col("tanggal") >= sejak).rename({"npsn": "kunci"})
        names = reads.sekolah_names(store, hist["kunci"].unique().to_list())
    each = prakirakan_semua(hist, tenggat, kal)
    overall = gabung(each.values()) or overall
    rows = [BarisPrakiraan(k, names.get(k, k), p) for k, p in sorted(each.items())]
    risky = [BarisPrakiraan(k, names.get(k, k), p) for k, p in berisiko_urut(each)]
    return HasilPrakiraan(flow.value, tahun, tenggat, overall, risky, rows)


def _points(df: pl.DataFrame) -> list[Titik]:
    return [Titik(r["tanggal"], int(r["tersinkron"]), int(r["total"])) for r in df.iter_rows(named=True)]


def _fill(schools: pl.DataFrame, days: pl.Series) -> pl.DataFrame:
    """Each school's value on each summary day: its latest row up to that day (schools are
    written only on the days they changed)."""
    if schools.is_empty():
        return schools
    grid = schools.select("npsn").unique().join(pl.DataFrame({"tanggal": days}), how="cross").sort("npsn", "tanggal")
    return (
        grid.join_asof(
            schools.sort("npsn", "tanggal"), on="tanggal", by="npsn", strategy="backward", check_sortedness=False
        )
        .drop_nulls("total")
        .select("npsn", "tanggal", "total", "tersinkron")
    )
