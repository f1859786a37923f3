"""A batch evaluated in parts of whole instansi gives exactly the result of one pass."""

from __future__ import annotations

import polars as pl
import pytest

import selaras.domain.sync as domain_sync
from selaras.domain.partition import parts
from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.domain.sync import sync
from selaras.simulation.generator import generate


def same(a: CheckResult, b: CheckResult) -> None:
    assert a.pegawai.sort("nip").equals(b.pegawai.sort("nip"))
    assert a.errors.sort(["nip", "urutan", "pmm_skp_id", "detail"]).equals(
        b.errors.sort(["nip", "urutan", "pmm_skp_id", "detail"])
    )


def test_parts_cover_every_pegawai_once_and_keep_instansi_whole() -> None:
    s = generate(3000, seed=5, instansi=9).snapshot
    found = [p for p in parts(s, size=800)]
    assert len(found) > 2
    nips = [n for p in found for n in (p.nips or [])]
    assert sorted(nips) == sorted(s["siasn_pegawai"]["nip"].to_list())
    for p in found:
        own = p.snapshot["siasn_pegawai"].filter(pl.col("nip").is_in(p.nips))
        others = s["siasn_pegawai"].filter(pl.col("instansi_id").is_in(own["instansi_id"].unique().implode()))
        assert own.height == others.height


def test_check_in_parts_equals_one_pass() -> None:
    s = generate(3000, seed=5, instansi=9).snapshot
    for flow in Flow:
        same(check(s, 2026, flow, part_size=700), check(s, 2026, flow, part_size=10**9))


def test_sync_in_parts_equals_one_pass() -> None:
    s = generate(3000, seed=5, instansi=9).snapshot
    a, ra = sync(s, 2026, part_size=700)
    b, rb = sync(s, 2026, part_size=10**9)
    same(ra.check, rb.check)
    assert ra.outcomes.sort("nip").equals(rb.outcomes.sort("nip"))
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        assert a[name].sort(a[name].columns).equals(b[name].sort(b[name].columns))


def test_second_round_on_the_waiting_teachers_rows_equals_it_on_the_whole_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = generate(3000, seed=5, instansi=9).snapshot
    cut: list[int] = []
    real = domain_sync.of_pegawai

    def counted(snapshot: Snapshot, nips: pl.Series) -> Snapshot:
        rows = real(snapshot, nips)
        cut.append(rows["pmm_rhk"].height)
        return rows

    monkeypatch.setattr(domain_sync, "of_pegawai", counted)
    a, ra = sync(s, 2026, part_size=10**9)
    assert cut and all(n < s["pmm_rhk"].height for n in cut)  # a second round ran, on fewer rows
    monkeypatch.setattr(domain_sync, "of_pegawai", lambda snapshot, nips: snapshot)
    b, rb = sync(s, 2026, part_size=10**9)
    same(ra.check, rb.check)
    assert ra.outcomes.sort("nip").equals(rb.outcomes.sort("nip"))
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        assert a[name].sort(a[name].columns).equals(b[name].sort(b[name].columns))
