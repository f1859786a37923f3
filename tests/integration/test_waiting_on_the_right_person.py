"""On the demo: nothing tells anyone to wait on a person whose sync would not clear the error,
and every teacher listed under a blocking principal clears, with no other action, once that
principal's sync succeeds (issue 8: cards, notices, worklists, the recap, the cascade)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from demo import TAHUN, TANGGAL, Demo, demo_store

from selaras.domain.cascade import WAITING_CODES
from selaras.domain.pemberitahuan import drafts_for
from selaras.domain.recap import recap
from selaras.domain.results import Flow, Outcome, Status
from selaras.domain.rules import check
from selaras.domain.sync import sync
from selaras.jobs.runtime import JobRunner
from selaras.store.logs import log_entries
from selaras.usecases import cascade
from selaras.usecases.access import resolve
from selaras.usecases.accounts import get_account
from selaras.usecases.batch import work_once
from selaras.web.screens import Konteks, cards, worklist


@pytest.fixture(scope="module", autouse=True)
def _the_demo_day() -> Iterator[None]:
    """Every check here (the rules, the pages, the notices) on the demo's day: its Plt terms
    are dated from it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SELARAS_TANGGAL", TANGGAL.isoformat())
        yield


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_store(tmp_path_factory.mktemp("demo") / "selaras.db")


def _errors(result: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in result.errors.iter_rows(named=True):
        out.setdefault(e["nip"], []).append({**e, "detail": json.loads(e["detail"])})
    return out


class Cleared:
    """What each principal's successful sync clears: (teacher, code) pairs, by principal."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.by: dict[str, set[tuple[str, str]]] = {}
        self.after_status: dict[str, dict[str, str]] = {}

    def of(self, atasan: str) -> set[tuple[str, str]]:
        """Sync ``atasan`` alone on the demo; the teachers' errors that are gone afterwards."""
        if atasan not in self.by:
            snap, before = self.demo.snapshot, self.demo.before
            after, result = sync(snap, TAHUN, Flow.SKP, nips=[atasan])
            hasil = dict(zip(result.outcomes["nip"], result.outcomes["hasil"], strict=True))
            assert hasil.get(atasan) in (Outcome.BARU.value, Outcome.DIPERBARUI.value), (atasan, hasil)
            again = check(after, TAHUN, Flow.SKP)
            had = {(e["nip"], e["code"]) for e in before.errors.iter_rows(named=True)}
            has = {(e["nip"], e["code"]) for e in again.errors.iter_rows(named=True)}
            self.by[atasan] = had - has
            self.after_status[atasan] = dict(zip(again.pegawai["nip"], again.pegawai["status"], strict=True))
        return self.by[atasan]


def test_every_teacher_under_a_blocking_principal_clears_once_that_principal_syncs(demo: Demo) -> None:
    r = recap(demo.before, demo.snapshot["dapodik_sekolah"])
    assert r.blockers.height > 0, "the demo has principals whose ready sync frees teachers"
    errors = _errors(demo.before)
    cleared = Cleared(demo)
    for b in r.blockers.iter_rows(named=True):
        d = b["atasan"]
        assert b["status_atasan"] == Status.SIAP.value
        waiting = {n for n, errs in errors.items() if any(e["selesai_oleh"] == d for e in errs)}
        only = {n for n in waiting if all(e["selesai_oleh"] == d for e in errors[n])}
        assert (b["guru_menunggu"], b["guru_tertahan"]) == (len(waiting), len(only))
        gone = cleared.of(d)
        status = cleared.after_status[d]
        # Every teacher listed under D clears with no other action ...
        assert {n: status[n] for n in only} == {n: Status.SIAP.value for n in only}
        # ... and every error that names D as the one to wait on is gone.
        for n in waiting:
            for e in errors[n]:
                if e["selesai_oleh"] == d:
                    assert (n, e["code"]) in gone
        # The cascade re-checks exactly the teachers D's sync helps.
        assert set(cascade.waiting_on(demo.store, [d])) >= waiting


def test_no_card_notice_or_worklist_waits_on_a_sync_that_does_not_help(demo: Demo) -> None:
    store = demo.store
    cleared = Cleared(demo)
    entries = log_entries(store, limit=10_000)
    failing = [e for e in entries if e["status"] == Status.GAGAL.value]
    assert failing
    names = dict(zip(demo.before.pegawai["nip"], demo.before.pegawai["nama"], strict=True))
    own_plan = 0
    for entry in failing:
        for card, err in zip(cards(store, entry), entry["errors"], strict=True):
            waits = card["menunggu"] or ""
            if "menyinkronkan SKP-nya; sinkronnya sudah siap" in waits:
                d = err["selesai_oleh"]
                assert d and names.get(d, d) in waits
                assert (entry["nip"], err["code"]) in cleared.of(d)
            alasan = set(err["detail"].get("alasan", [])) if err["code"] == "PMM-13" else set()
            if alasan & {"INDUK_KOSONG", "INDUK_BUKAN_RHK_ATASAN"}:
                own_plan += 1
                assert not waits.startswith("Menunggu"), waits
                assert any("Guru mengaitkan" in s for s in card["langkah"])
            if "PIMPINAN_BELUM_DIKLAIM" in alasan:  # cleared by the head's claim, not a sync
                assert not err["selesai_oleh"] and not waits.startswith("Menunggu"), waits
                assert any("mengklaim" in s for s in card["langkah"])
        for draft in drafts_for(entry, Flow.SKP, None, names):
            if "menunggu" in draft.judul:
                err = next(e for e in entry["errors"] if e["code"] == draft.kode)
                d = err["selesai_oleh"]
                assert d and names[d] in draft.judul
                assert (entry["nip"], err["code"]) in cleared.of(d)
    assert own_plan > 0, "the demo has PMM-13 caused by the teacher's own plan"

    runner = JobRunner(store, run=work_once)
    ctx = Konteks(store, runner, tahun_tetap=TAHUN)
    instansi = demo.before.pegawai["instansi_id"][0]
    principals = demo.before.pegawai.filter(pl.col("kepala_sekolah"))["nip"].to_list()
    for username in [f"admin-{instansi}", *principals]:
        user = resolve(store, get_account(store, username))  # type: ignore[arg-type]
        for item in worklist(ctx, user)["butir"]:
            if item["jenis"] == "atasan":
                gone = cleared.of(item["kunci"])
                assert all((p["nip"], item["code"]) in gone for p in item["daftar"]), item["label"]


def test_a_principal_with_a_manual_skp_sees_it_before_the_teachers_waiting_on_them(demo: Demo) -> None:
    errors = _errors(demo.before)
    ks = demo.before.pegawai.filter(pl.col("kepala_sekolah"))["nip"].to_list()
    manual = [n for n in ks if any(e["code"] == "PMM-07" for e in errors.get(n, []))]
    held = {
        n
        for n in manual
        if any(
            e["code"] in WAITING_CODES and (e["detail"].get("ekinerja") or {}).get("atasan_nip") == n
            for errs in errors.values()
            for e in errs
        )
    }
    assert held, "the demo has a principal with a manual SKP whom teachers wait on"
    store = demo.store
    ctx = Konteks(store, JobRunner(store, run=work_once), tahun_tetap=TAHUN)
    for nip in held:
        items = worklist(ctx, resolve(store, get_account(store, nip)))["butir"]  # type: ignore[arg-type]
        assert items[0]["code"] == "PMM-07" and items[0]["milik_sendiri"], items[0]
        waiting = [i for i in items if i["kunci"] == nip and i["jenis"] != "pegawai"]
        assert waiting and all(i["jenis"] == "atasan-tertahan" for i in waiting)
        assert all("sinkronnya sudah siap" not in i["label"] for i in waiting)
    assert Path(__file__).exists()
