"""Values side by side are the product's promise: on every card of the demo, in the CLI and on the
web, a cell is never blank, says "–" (not held) or "(kosong)" only when the system's data for that
pegawai has no such value, and a row says "berbeda" only when the values shown differ (issue 23).

The data is read here from the snapshot itself, by a table of where each system keeps each field
(:data:`HELD`), written apart from the rules; a field a system does not keep at all is listed in
:data:`NOT_HELD` with the reason. A pair in neither fails: a new detail field must be placed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from demo import TAHUN, Demo, demo_store
from fastapi.testclient import TestClient
from test_words_people_read import login

from selaras.catalogue import words
from selaras.domain.nama import tanpa_gelar
from selaras.domain.results import Flow, Status
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store import tables
from selaras.store.logs import log_entry, record_run
from selaras.usecases.batch import work_once
from selaras.views import NAME_FIELDS, CardNames, _side_by_side, detail_fields
from selaras.web.app import create_app

Lookup = Callable[[Snapshot, str, dict[str, Any]], Any]
"""(snapshot, the pegawai's NIP, the error's detail) -> the value the system keeps, or None."""


def _detail(value: str | dict[str, Any] | None) -> dict[str, Any]:
    """An error's detail as the check returns it (JSON text) or the log stores it."""
    return json.loads(value) if isinstance(value, str) else value or {}


def _one(frame: pl.DataFrame, column: str) -> Any:
    values = [v for v in frame[column].to_list() if v is not None]
    return values[0] if values else None


def _pmm_skp(s: Snapshot, d: dict[str, Any]) -> pl.DataFrame:
    return s["pmm_skp"].filter(pl.col("pmm_skp_id") == d.get("pmm_skp_id"))


def _ptk(s: Snapshot, d: dict[str, Any]) -> pl.DataFrame:
    return s["dapodik_ptk"].filter(pl.col("ptk_id") == (d.get("dapodik") or {}).get("ptk_id"))


def _pegawai(s: Snapshot, nip: str) -> pl.DataFrame:
    return s["siasn_pegawai"].filter(pl.col("nip") == nip)


def _nama(s: Snapshot, nip: Any) -> Any:
    return _one(s["siasn_pegawai"].filter(pl.col("nip") == nip), "nama") if nip else None


def _siasn_unor(s: Snapshot, nip: str) -> pl.DataFrame:
    return s["siasn_unor"].filter(pl.col("unor_id") == _one(_pegawai(s, nip), "unor_id"))


def _ptk_of(s: Snapshot, nip: str) -> pl.DataFrame:
    return s["dapodik_ptk"].filter(pl.col("nip") == nip)


def _predikat(s: Snapshot, nip: str) -> pl.DataFrame:
    ptk = _ptk_of(s, nip)["ptk_id"].implode()
    return s["pmm_predikat"].filter(pl.col("ptk_id").is_in(ptk) & (pl.col("tahun") == TAHUN))


def _penilai(s: Snapshot, nip: str, d: dict[str, Any]) -> Any:
    """The leader who sets a teacher's rating: a principal of the school other than the pegawai."""
    ptk = s["dapodik_ptk"].filter(
        (pl.col("npsn") == (d.get("pmm") or {}).get("npsn"))
        & ((pl.col("jenis_ptk") == "Kepala Sekolah") | (pl.col("tugas_tambahan") == "Kepala Sekolah"))
        & (pl.col("nip") != nip)
    )
    return _one(ptk, "nip")


def _jabatan_tahun(s: Snapshot, nip: str) -> pl.DataFrame:
    return s["siasn_jabatan"].filter(
        (pl.col("nip") == nip) & pl.col("tmt_jabatan").is_not_null() & (pl.col("tmt_jabatan").dt.year() <= TAHUN)
    )


def _duty(s: Snapshot, d: dict[str, Any]) -> pl.DataFrame:
    """The Plt/Plh duty a PLT detail is about: at its school, by its decree and holder when named."""
    dd = d.get("dapodik") or {}
    duty = s["dapodik_tugas_tambahan"].filter((pl.col("npsn") == d.get("npsn")) & (pl.col("jenis") != "KEPALA_SEKOLAH"))
    for column in ("nomor_sk", "ptk_id"):
        if dd.get(column):
            duty = duty.filter(pl.col(column) == dd[column])
    return duty


HELD: dict[tuple[str, str, str], Lookup] = {
    **{
        (code, "dapodik", f): (lambda s, nip, d, f=f: _one(_duty(s, d), f))
        for code in ("PLT-02", "PLT-03")
        for f in ("tmt", "tst")
    },
    ("TAH-03", "pmm", "predikat"): lambda s, nip, d: _one(_predikat(s, nip), "predikat"),
    ("TAH-03", "pmm", "penilai_nip"): _penilai,
    ("TAH-05", "siasn", "jenjang"): lambda s, nip, d: _one(_jabatan_tahun(s, nip), "jenjang"),
    ("TAH-05", "siasn", "tmt_jabatan_tahun_ini"): lambda s, nip, d: _one(
        _jabatan_tahun(s, nip).filter(pl.col("jenjang").is_not_null()), "tmt_jabatan"
    ),
    ("PMM-01", "dapodik", "nip"): lambda s, nip, d: _one(_ptk(s, d), "nip"),
    ("PMM-01", "dapodik", "nik"): lambda s, nip, d: _one(_ptk(s, d), "nik"),
    ("PMM-01", "siasn", "npsn"): lambda s, nip, d: _one(_siasn_unor(s, nip), "npsn"),
    # The SIASN unit of the PMM plan's school (by its NPSN).
    ("PMM-08", "siasn", "unor_id"): lambda s, nip, d: _one(
        s["siasn_unor"].filter(pl.col("npsn") == _one(_pmm_skp(s, d), "npsn")), "unor_id"
    ),
    ("PMM-13", "pmm", "atasan_nip"): lambda s, nip, d: _one(_pmm_skp(s, d), "atasan_nip"),
    ("PMM-13", "pmm", "atasan_nama"): lambda s, nip, d: _nama(s, _one(_pmm_skp(s, d), "atasan_nip")),
    ("PER-02", "pmm", "pmm_skp_id"): lambda s, nip, d: _one(_pmm_skp(s, d), "pmm_skp_id"),
    ("PER-02", "ekinerja", "skp_id"): lambda s, nip, d: _one(
        s["ekinerja_skp"].filter(pl.col("pmm_skp_id") == d.get("pmm_skp_id")), "skp_id"
    ),
    ("TAH-01", "pmm", "pmm_skp_id"): lambda s, nip, d: _one(_pmm_skp(s, d), "pmm_skp_id"),
    ("TAH-01", "ekinerja", "skp_id"): lambda s, nip, d: _one(
        s["ekinerja_skp"].filter(pl.col("pmm_skp_id") == d.get("pmm_skp_id")), "skp_id"
    ),
    ("PMM-06", "ekinerja", "periode_id"): lambda s, nip, d: _one(
        s["ekinerja_periode"].filter(
            (pl.col("instansi_id") == _one(_pegawai(s, nip), "instansi_id"))
            & (pl.col("jenis") == "TAHUNAN")
            & (pl.col("awal") <= _one(_pmm_skp(s, d), "periode_awal"))
            & (pl.col("akhir") >= _one(_pmm_skp(s, d), "periode_akhir"))
        ),
        "periode_id",
    ),
}
"""Where a system keeps a field of an error's detail, for the pairs the demo shows empty."""

FOLLOWS: dict[tuple[str, str, str], str] = {
    ("PMM-06", "ekinerja", "periode_awal"): "periode_id",
    ("PMM-06", "ekinerja", "periode_akhir"): "periode_id",
    ("PMM-08", "siasn", "npsn"): "unor_id",
    ("PMM-08", "siasn", "nama_sekolah"): "unor_id",
    ("PER-02", "ekinerja", "pmm_skp_id"): "skp_id",
    ("TAH-01", "ekinerja", "pmm_skp_id"): "skp_id",
}
"""Fields of a record the system does not have for this pegawai: empty exactly when its id is."""

NOT_HELD: dict[tuple[str, str, str], str] = {
    ("PMM-01", "siasn", "ptk_id"): "a PTK id is Dapodik's",
    ("PMM-01", "siasn", "nama_sekolah"): "SIASN names units; the school is named beside its NPSN",
    ("PMM-03", "ekinerja", "nama"): "e-Kinerja's unit reference holds no name",
    ("PMM-06", "pmm", "instansi_id"): "a PMM plan names no instansi",
    ("PMM-06", "pmm", "jenis"): "PMM has no periods, only a plan's dates",
    ("PMM-06", "pmm", "periode_id"): "PMM has no periods, only a plan's dates",
    ("PMM-08", "pmm", "unor_id"): "PMM knows schools, not units",
    ("PMM-10", "pmm", "unor_id"): "PMM knows schools, not units",
    ("PMM-10", "pmm", "nama"): "PMM knows schools, not units (the school's name is its own row)",
    ("PMM-10", "siasn", "nama_sekolah"): "SIASN names its unit (the row Nama), not a school",
    ("PMM-12", "pmm", "unor_id"): "PMM knows schools, not units",
    ("PMM-13", "pmm", "skp_id"): "an e-Kinerja SKP id is e-Kinerja's",
    ("PER-01", "pmm", "instansi_id"): "PMM has no periods",
    ("PER-01", "pmm", "tipe_periodik"): "PMM has no periods (its assessments are listed in their own row)",
    ("PER-01", "pmm", "angka_ganda"): "a check of e-Kinerja's periods",
    ("PER-01", "pmm", "campuran"): "a check of e-Kinerja's periods",
    ("PER-01", "pmm", "di_luar_rentang"): "a check of e-Kinerja's periods",
    ("PER-01", "ekinerja", "penilaian_tanpa_periode"): "PMM's assessments that e-Kinerja has no period for",
    ("PER-02", "pmm", "skp_id"): "an e-Kinerja SKP id is e-Kinerja's",
    ("PER-02", "ekinerja", "status"): "the agreement status is PMM's",
    ("TAH-01", "pmm", "skp_id"): "an e-Kinerja SKP id is e-Kinerja's",
    ("TAH-01", "ekinerja", "status"): "the agreement status is PMM's",
    ("TAH-06", "pmm", "sumber"): "who typed a rating is e-Kinerja's record (PMM's rating is its own)",
    **{
        (code, "dapodik", f): "the instansi's Plt policy and the check date are Selaras's settings"
        for code in ("PLT-03", "PLT-04")
        for f in ("plt_masa_bulan", "akhir_masa", "tanggal_periksa", "plt_boleh_menilai")
    },
    ("PLT-04", "pmm", "plt_boleh_menilai"): "the instansi's Plt policy is a Selaras setting",
    **{
        (code, "selaras", f): "a duty is Dapodik's record (or a plan's superior PMM's)"
        for code in ("PLT-03", "PLT-04")
        for f in ("nomor_sk", "penugasan", "tmt", "tst", "ptk_id", "nama", "nip", "atasan_nip", "atasan_nama")
    },
}
"""Fields a system does not keep at all, with the reason."""


def empty_cells_the_data_has(s: Snapshot, code: str, nip: str, detail: dict[str, Any]) -> list[str]:
    """The (system, field) cells of one detail that are absent or empty although the data has a value."""
    systems, fields = detail_fields(detail)
    wrong: list[str] = []
    for k in systems:
        for f in fields:
            if f == "rhk_tidak_terkait":  # listed in a table of its own, not side by side
                continue
            value = detail[k].get(f)
            if value not in (None, "") and f in detail[k]:
                continue
            key = (code, k, f)
            if key in NOT_HELD:
                continue
            if key in FOLLOWS:
                if detail[k].get(FOLLOWS[key]) is not None:
                    wrong.append(f"{code} {nip} {k}.{f} empty beside {FOLLOWS[key]} {detail[k][FOLLOWS[key]]}")
                continue
            if key not in HELD:
                wrong.append(f"{code} {nip} {k}.{f} empty: where does {k} keep {f}? (HELD or NOT_HELD)")
                continue
            held = HELD[key](s, nip, detail)
            if held is not None:
                wrong.append(f"{code} {nip} {k}.{f} shown {'absent' if f not in detail[k] else 'empty'}, data: {held}")
    return wrong


def differ_as_shown(field: str, texts: list[str]) -> bool:
    """Whether the texts a person reads differ (names without their degrees, as the cards compare)."""
    if field in NAME_FIELDS:
        texts = [tanpa_gelar(t) for t in texts]
    return len(set(texts)) > 1


def cell_problems(field: str, systems: list[str], detail: dict[str, Any], texts: list[str], beda: bool) -> list[str]:
    """One rendered row: no blank cell, "–" exactly where the system lacks the field, "berbeda" when it differs."""
    out = []
    held = []
    for k, text in zip(systems, texts, strict=True):
        if not text.strip():
            out.append(f"{field}: the {k} cell is blank")
        elif (text == words.TIDAK_DI_SISTEM) != (field not in detail[k]):
            out.append(f"{field}: the {k} cell says {text!r} (field held: {field in detail[k]})")
        if field in detail[k]:
            held.append(text)
    if beda and not differ_as_shown(field, held):
        out.append(f"{field}: 'berbeda' beside equal values {held}")
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, TestClient]]:
    demo = demo_store(tmp_path_factory.mktemp("sbs") / "selaras.db")
    for flow in (Flow.PENILAIAN, Flow.TAHUNAN):
        result = check(demo.snapshot, TAHUN, flow)
        record_run(demo.store, pelaku="demo", mode="CHECK", flow=flow, tahun=TAHUN, check=result)
    runner = JobRunner(demo.store, run=work_once).start()
    try:
        yield demo, TestClient(create_app(demo.store, runner, tahun=TAHUN))
    finally:
        runner.stop()
        demo.store.dispose()


def test_no_detail_leaves_out_a_value_the_data_has(site: tuple[Demo, TestClient]) -> None:
    demo = site[0]
    wrong: list[str] = []
    seen = 0
    for flow in Flow:
        errors = check(demo.snapshot, TAHUN, flow).errors
        for e in errors.iter_rows(named=True):
            seen += 1
            wrong += empty_cells_the_data_has(demo.snapshot, e["code"], e["nip"], _detail(e["detail"]))
    assert seen > 100
    assert not wrong, "\n".join(wrong[:30])


def test_every_cli_card_shows_each_value_and_berbeda_only_when_they_differ(site: tuple[Demo, TestClient]) -> None:
    demo = site[0]
    names = CardNames.of(demo.snapshot)
    wrong: list[str] = []
    rows = 0
    for flow in Flow:
        for e in check(demo.snapshot, TAHUN, flow).errors.iter_rows(named=True):
            detail = _detail(e["detail"])
            table = _side_by_side(detail, names)
            if table is None:
                continue
            systems, fields = detail_fields(detail)
            fields = [f for f in fields if f != "rhk_tidak_terkait"]
            labels = [str(c) for c in table.columns[0]._cells]
            assert all(words.label(words.FIELD, f) in label for f, label in zip(fields, labels, strict=True))
            for i, (field, label) in enumerate(zip(fields, labels, strict=True)):
                texts = [str(col._cells[i]) for col in table.columns[1:]]
                rows += 1
                found = cell_problems(field, systems, detail, texts, "(berbeda)" in label)
                wrong += [f"CLI {e['code']} {e['nip']}: {p}" for p in found]
    assert rows > 100
    assert not wrong, "\n".join(wrong[:30])


class _Cards(HTMLParser):
    """The side-by-side tables of a page: per card (``data-code``), rows of (label, cells, beda)."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[list[tuple[str, list[str], bool]]] = []
        self.in_sbs = False
        self.row: tuple[str, list[str], bool] | None = None
        self.cell: list[str] | None = None
        self.header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article" and a.get("data-code"):
            self.cards.append([])
        elif tag == "table" and "sbs" in (a.get("class") or ""):
            self.in_sbs = True
        elif self.in_sbs and tag == "thead":
            self.header = True
        elif self.in_sbs and tag == "tr" and not self.header:
            self.row = ("", [], "beda" in (a.get("class") or ""))
        elif self.row is not None and tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self.header = False
        elif tag == "table":
            self.in_sbs = False
        elif self.row is not None and tag in ("th", "td") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            label, cells, beda = self.row
            self.row = (text, cells, beda) if tag == "th" else (label, [*cells, text], beda)
            self.cell = None
        elif self.row is not None and tag == "tr":
            if self.row[0]:  # the RHK table of PMM-13 has no row labels: not values side by side
                self.cards[-1].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_every_web_card_shows_each_value_and_berbeda_only_when_they_differ(site: tuple[Demo, TestClient]) -> None:
    demo, client = site
    instansi = demo.before.pegawai["instansi_id"][0]
    admin, _csrf = login(client, f"admin-{instansi}")
    with demo.store.read() as conn:
        ids = conn.execute(
            sa.select(tables.sync_log.c.log_id).where(tables.sync_log.c.status == Status.GAGAL.value)
        ).scalars()
        log_ids = sorted(ids)
    wrong: list[str] = []
    rows = 0
    flows = set()
    for log_id in log_ids:
        entry = log_entry(demo.store, log_id)
        assert entry is not None
        page = admin.get(f"/log/{log_id}")
        assert page.status_code == 200
        parser = _Cards()
        parser.feed(page.text)
        assert len(parser.cards) == len(entry["errors"]), log_id
        for err, card in zip(entry["errors"], parser.cards, strict=True):
            detail = err.get("detail") or {}
            systems, fields = detail_fields(detail)
            fields = [f for f in fields if f != "rhk_tidak_terkait"]
            assert [label for label, _, _ in card] == [words.label(words.FIELD, f) for f in fields], err["code"]
            for field, (_label, texts, beda) in zip(fields, card, strict=True):
                rows += 1
                flows.add(entry["flow"])
                found = cell_problems(field, systems, detail, texts, beda)
                wrong += [f"web {err['code']} {entry['nip']}: {p}" for p in found]
    assert rows > 100 and flows == {f.value for f in Flow}, (rows, flows)
    assert not wrong, "\n".join(wrong[:30])
