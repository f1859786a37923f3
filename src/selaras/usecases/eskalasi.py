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

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE
from selaras.domain import blockers
from selaras.domain import eskalasi as policy
from selaras.domain.harikerja import Kalender, tanggal_lokal
from selaras.domain.prakiraan import JENDELA_HARI, Prakiraan, berisiko_urut, gabung, prakirakan_sekolah_semua
from selaras.domain.results import Flow
from selaras.store import eskalasi as esk
from selaras.store import reads, tanda, uow
from selaras.store.database import Store
from selaras.store.logs import latest_results
from selaras.usecases.pemberitahuan import kirim_surel


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
        kirim_surel(store)
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
    if p in ("admin", "dinas", "pimpinan") and akun.get("instansi_id"):
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
    and by e-mail where the account has an address (``usecases.pemberitahuan``)."""
    now = _now(sekarang)

    def work(u: uow.UnitOfWork) -> LaporanDigest:
        report = LaporanDigest()
        # Every open item once, by party: a national round asks the store once, not per account.
        by_party: dict[str, list[dict[str, Any]]] = {}
        escalated: dict[str, list[dict[str, Any]]] = {}
        to_head: dict[str, list[dict[str, Any]]] = {}
        for i in esk.items_of(u.store):
            by_party.setdefault(i["pihak"], []).append(i)
            if i["tingkat"] and not i["pihak"].startswith("admin:"):
                escalated.setdefault(i["instansi_id"], []).append(i)
            if int(policy.Tingkat.PIMPINAN) in i["tingkat"]:
                to_head.setdefault(i["instansi_id"], []).append(i)
        zones: dict[str | None, str] = {}
        for acc in esk.digest_accounts(u.conn):
            keys = penerima_akun(acc)
            items = [i for k in keys for i in by_party.get(k, [])]
            if acc["peran"] == "admin":
                items += escalated.get(acc["instansi_id"], [])
            if acc["peran"] == "pimpinan":
                items = to_head.get(acc["instansi_id"], [])
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
    report.email = kirim_surel(store)
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


RINGKASAN = "ringkasan"
"""The store mark of the daily summary: the day and the newest log row it was written from."""


def tulis_ringkasan(store: Store, *, sekarang: datetime | None = None, ulang: bool = False) -> tuple[int, int] | None:
    """Write today's summary (WIB date): rows per instansi and changed schools. Written again
    whenever the log changed since (today's point is the state at the latest round, not the
    first); None when today's is written and the log has not changed (``ulang`` writes it
    again anyway)."""
    now = _now(sekarang)
    today = tanggal_lokal(now, "WIB")

    def work(u: uow.UnitOfWork) -> tuple[int, int] | None:
        upto = f"{today.isoformat()} {esk.max_log_id(u.conn)}"
        if esk.summary_written(u.conn, today) and not ulang and tanda.mark(u.store, RINGKASAN) == upto:
            return None
        written = esk.write_summary(u.conn, today)
        tanda.set_mark(u.store, RINGKASAN, upto, now)
        return written

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
    sekarang: datetime | None = None,
) -> HasilPrakiraan | None:
    """The forecast at the deadline: of an instansi and each of its schools, or (without
    ``instansi_id``) of the nation and each instansi. None without a daily summary.

    Each school is forecast from its own days of the summary, its count now (each pegawai's
    latest state, what the pages show: today's point is always live, never the summary written
    this morning) and its instansi's pace (:func:`prakirakan_sekolah_semua`). An instansi is the
    sum of its schools (and of its pegawai of no school), the nation the sum of its instansi:
    the national view's row of an instansi is that instansi's own forecast.
    """
    flow = Flow(flow)
    tahun = tahun or esk.summary_years(store, flow.value)
    if tahun is None:
        return None
    tenggat = tenggat or date(tahun, 12, 31)
    last = esk.last_summary_date(store, flow.value, tahun)
    if last is None:
        return None
    today = tanggal_lokal(_now(sekarang), "WIB")
    # The last weeks only (JENDELA_HARI): the pace of late, not of January.
    sejak = min(today, last) - timedelta(days=JENDELA_HARI)
    inst = esk.instansi_history(store, flow.value, tahun, sejak)
    if instansi_id is not None:
        inst = inst.filter(pl.col("instansi_id") == instansi_id)
        if inst.is_empty():
            return None
    live = esk.live_counts(store, flow.value, tahun, instansi_id)
    hist = _riwayat(
        inst.filter(pl.col("tanggal") < today),
        esk.schools_history(store, flow.value, tahun, instansi_id, sejak).filter(pl.col("tanggal") < today),
        live,
        today,
    )
    each: dict[tuple[str, str], Prakiraan] = {}
    for kal, members in _calendars(store, hist["kelompok"].unique().to_list(), instansi_id):
        part = hist.filter(pl.col("kelompok").is_in(members))
        each.update(prakirakan_sekolah_semua(part, tenggat, kal))
    per_instansi = {
        i: p
        for i in sorted({k for k, _ in each})
        if (p := gabung(v for (k, _), v in each.items() if k == i)) is not None
    }
    if instansi_id is None:
        names = reads.instansi_names(store, list(per_instansi))
        units = per_instansi
    else:
        names = reads.sekolah_names(store, [n for _, n in each if n])
        names[""] = words.TANPA_SEKOLAH
        units = {n: p for (_, n), p in each.items()}
    overall = gabung(per_instansi.values())
    rows = [BarisPrakiraan(k, names.get(k, k), p) for k, p in sorted(units.items())]
    risky = [BarisPrakiraan(k, names.get(k, k), p) for k, p in berisiko_urut(units)]
    return HasilPrakiraan(flow.value, tahun, tenggat, overall, risky, rows)


def _riwayat(inst: pl.DataFrame, schools: pl.DataFrame, live: pl.DataFrame, today: date) -> pl.DataFrame:
    """Each unit's counts (``kelompok`` the instansi, ``kunci`` the school, "" for its pegawai
    of no school) on each summary day of its instansi before today, and now: a school on a day
    it did not change holds its latest earlier row; the pegawai of no school are the instansi's
    count less its schools'. Only units with pegawai now."""
    cols = ["kelompok", "kunci", "tanggal", "total", "tersinkron"]
    now = live.select(
        pl.col("instansi_id").alias("kelompok"),
        pl.col("npsn").alias("kunci"),
        pl.lit(today).alias("tanggal"),
        "total",
        "tersinkron",
    )
    if inst.is_empty():
        return now.select(cols)
    days = inst.select(pl.col("instansi_id").alias("kelompok"), "tanggal").unique()
    past = schools.rename({"instansi_id": "kelompok", "npsn": "kunci"})
    filled = (
        past.select("kelompok", "kunci")
        .unique()
        .join(days, on="kelompok")
        .sort("kelompok", "kunci", "tanggal")
        .join_asof(
            past.sort("kelompok", "kunci", "tanggal"),
            on="tanggal",
            by=["kelompok", "kunci"],
            strategy="backward",
            check_sortedness=False,
        )
        .drop_nulls("total")
        .select(cols)
    )
    sums = filled.group_by("kelompok", "tanggal").agg(
        pl.col("total").sum().alias("st"), pl.col("tersinkron").sum().alias("ss")
    )
    rest = (
        inst.rename({"instansi_id": "kelompok"})
        .join(sums, on=["kelompok", "tanggal"], how="left")
        .with_columns(
            pl.lit("").alias("kunci"),
            (pl.col("total") - pl.col("st").fill_null(0)).clip(0).alias("total"),
            (pl.col("tersinkron") - pl.col("ss").fill_null(0)).clip(0).alias("tersinkron"),
        )
        .select(cols)
    )
    out = pl.concat([filled, rest, now.select(cols)], how="vertical_relaxed")
    return out.join(now.select("kelompok", "kunci"), on=["kelompok", "kunci"], how="semi")


def _calendars(store: Store, instansi: list[str], only: str | None) -> list[tuple[Kalender, list[str]]]:
    """The instansi grouped by their working-day calendars (national days off plus their own)."""
    if only is not None:
        return [(kalender_of(store, only), [only])]
    libur = esk.libur_all(store)
    groups: dict[frozenset[date], list[str]] = {}
    for i in instansi:
        groups.setdefault(frozenset(libur.get(i, {})), []).append(i)
    return [(Kalender.dengan(days), members) for days, members in groups.items()]
