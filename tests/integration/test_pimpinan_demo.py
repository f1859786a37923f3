"""School leaders on the demo's data (issue 18): the teachers of a Plt school who wait only on
the Plt's own sync clear once it succeeds, and no card names a Plt whose duty has ended."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from rich.console import Console

from selaras.domain import pimpinan
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.results import Flow, Outcome
from selaras.domain.rules import check
from selaras.domain.sync import sync
from selaras.simulation.generator import Generated, generate
from selaras.simulation.pimpinan import tanggal_snapshot
from selaras.views import CardNames, error_cards

TAHUN = 2026
KEBIJAKAN = Kebijakan(tanggal_snapshot(TAHUN))


@pytest.fixture(scope="module")
def demo() -> Generated:
    """The demo's data (``selaras demo``: 600 pegawai, seed 7, one instansi)."""
    return generate(600, seed=7, tahun=TAHUN, instansi=1)


def _leaders(g: Generated) -> pl.DataFrame:
    return pimpinan.leaders(g.snapshot, KEBIJAKAN)


def test_teachers_waiting_only_on_their_plt_clear_once_the_plt_syncs(demo: Generated) -> None:
    s = demo.snapshot
    plt = _leaders(demo).filter(
        (pl.col("jenis") == pimpinan.PLT) & pl.col("sah") & ~pl.col("berakhir") & pl.col("nip").is_not_null()
    )
    before = check(s, TAHUN, Flow.SKP, kebijakan=KEBIJAKAN)
    school_of = dict(
        s["pmm_skp"]
        .join(s["dapodik_ptk"].select("ptk_id", "nip"), on="ptk_id")
        .select("nip", "npsn")
        .unique("nip", keep="first")
        .iter_rows()
    )
    plt_of = dict(plt.select("npsn", "nip").iter_rows())
    per = before.errors.group_by("nip").agg(pl.col("selesai_oleh"))
    waiting = [
        nip
        for nip, by in per.iter_rows()
        if school_of.get(nip) in plt_of and all(b == plt_of[school_of[nip]] for b in by)
    ]
    assert waiting, "the demo has teachers waiting on a Plt's sync"
    plts = {plt_of[school_of[n]] for n in waiting}
    assert all(before.pegawai.filter(pl.col("nip") == p)["status"].item() == "SIAP" for p in plts)

    _, result = sync(s, TAHUN, Flow.SKP, kebijakan=KEBIJAKAN)
    hasil = dict(result.outcomes.select("nip", "hasil").iter_rows())
    assert all(hasil[p] == Outcome.BARU for p in plts)
    assert all(hasil[n] == Outcome.BARU for n in waiting), {n: hasil[n] for n in waiting}


def test_no_card_names_a_plt_whose_duty_has_ended(demo: Generated) -> None:
    s = demo.snapshot
    lead = _leaders(demo)
    ended = lead.filter((pl.col("jenis") != pimpinan.DEFINITIF) & pl.col("berakhir"))
    assert ended.height, "the demo has a Plt whose term is over"
    names = CardNames.of(s, KEBIJAKAN)
    for npsn in ended["npsn"]:
        assert npsn not in names.kepala
    result = check(s, TAHUN, Flow.SKP, kebijakan=KEBIJAKAN)
    plt03 = result.errors.filter(pl.col("code") == "PLT-03")
    assert plt03.height
    ended_nips = set(ended["nip"].drop_nulls())
    for nip in plt03["nip"].unique():
        console = Console(record=True, width=200, file=io.StringIO())
        for panel in error_cards(result, nip, names):
            console.print(panel)
        text = console.export_text()
        assert not any(n in text for n in ended_nips), nip
        # the card of PLT-03 sends the teacher to the Dinas, with the term's dates
        assert "Dinas Pendidikan" in text
    for e in plt03.iter_rows(named=True):
        d = json.loads(e["detail"])
        assert d["selaras"]["akhir_masa"] < KEBIJAKAN.tanggal.isoformat()
        assert "nama" not in d["dapodik"] and "nip" not in d["dapodik"]
        assert d["dapodik"]["penugasan"] == "PLT" and d["dapodik"]["tmt"]


def test_the_demo_shows_the_plt_step_of_pmm12(demo: Generated) -> None:
    """A school whose e-Kinerja head is still the former principal and whose PMM superior is a
    valid Plt: its teachers' PMM-12 sends the Admin Instansi to the Plt/Plh menu."""
    from selaras.domain import blockers

    result = check(demo.snapshot, TAHUN, Flow.SKP, kebijakan=KEBIJAKAN)
    pmm12 = [
        {**e, "detail": json.loads(e["detail"])}
        for e in result.errors.filter(pl.col("code") == "PMM-12").iter_rows(named=True)
    ]
    plt = [e for e in pmm12 if e["detail"].get("alasan") == ["ATASAN_PLT"]]
    assert plt and len(plt) < len(pmm12)
    assert all("menu Plt/Plh" in blockers.langkah(e)[0] for e in plt)
    assert all(e["detail"]["pimpinan"]["penugasan"] == "PLT" for e in plt)
