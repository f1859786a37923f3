"""Every page of every role, and the exports, say words people use: no enum value, key name,
True/False, job key, English number or bare internal id without its name (issue 8).

The tokens are derived from the code (its enumerations, the contract's and the log's column
names, the PMM-13 causes, the audit actions), not written out by hand: a new enum value or
column that leaks onto a page fails here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from demo import PASSWORD, TAHUN, Demo, demo_store
from fastapi.testclient import TestClient

from selaras.catalogue import words
from selaras.catalogue.codes import SEBAB
from selaras.domain.results import Flow, Outcome, Status
from selaras.domain.snapshot import TABLES, Kind
from selaras.jobs.queue import Alasan, JobStatus
from selaras.jobs.runtime import JobRunner
from selaras.store import tables
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

SYSTEM_NAMES = {"PMM"}
"""Enumeration values that are also a system's name people use (``sumber`` PMM)."""


def raw_tokens() -> set[str]:
    """Code-like values no one should read: every enumeration value of the code that is written
    in capitals or with underscores, and the flow key ``skp``."""
    values: set[str] = {s.value for s in Status} | {o.value for o in Outcome} | {Flow.SKP.value}
    values |= {s.value for s in JobStatus} | {a.value for a in Alasan}
    values |= {v for t in TABLES for c in t.columns if c.kind is Kind.ENUM for v in c.values}
    values |= {alasan for causes in SEBAB.values() for alasan in causes}
    values |= set(words.AKSI) | set(words.MODE) | {"TIDAK_AKTIF", "TIDAK_ADA"}
    return {v for v in values if (v.isupper() or "_" in v or v == Flow.SKP.value) and v not in SYSTEM_NAMES}


def key_names() -> set[str]:
    """Column and key names: every contract column, log, job, audit and notice column with an
    underscore (a bare ``nip`` or ``nama`` is also a word), and the keys of an error's detail."""
    cols = {c.name for t in TABLES for c in t.columns}
    for table in (tables.sync_log, tables.sync_log_error, tables.sync_job, tables.audit_log, tables.notifikasi):
        cols |= {c.name for c in table.columns}
    cols |= set(words.FIELD)
    return {c for c in cols if "_" in c}


TOKEN_RE = re.compile(
    "|".join(rf"(?<![\w-]){re.escape(t)}(?![\w-])" for t in sorted(raw_tokens() | key_names(), key=len, reverse=True))
)
OTHER_RE = re.compile(
    r"\b(True|False|None|UTC)\b"  # Python values, the wrong zone
    r"|\b(job|cli|pegawai|unor|periode|instansi|operator|admin|dinas|sumber):\S"  # keys of jobs, notices, audit
    r"|\b[a-z_]+=\S"  # key=value
    r"|\b\d{1,3}(,\d{3})+\b|\b\d+\.\d+\s?%"  # English numbers: 1,096 and 85.8%
)


class _Visible(HTMLParser):
    """The text a person reads: element text (not scripts) and the attributes read aloud or shown."""

    SHOWN = ("title", "aria-label", "placeholder", "data-confirm", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    """The visible text of a page."""
    p = _Visible()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, TestClient, JobRunner]]:
    demo = demo_store(tmp_path_factory.mktemp("demo") / "selaras.db")
    runner = JobRunner(demo.store, run=work_once).start()
    app = create_app(demo.store, runner, tahun=TAHUN)
    try:
        yield demo, TestClient(app), runner
    finally:
        runner.stop()
        demo.store.dispose()


def login(app_client: TestClient, username: str) -> tuple[TestClient, str]:
    c = TestClient(app_client.app)
    page = c.get("/masuk")
    pra = re.search(r'name="pra" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/masuk", data={"username": username, "password": PASSWORD, "pra": pra}, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").text)
    return c, token.group(1) if token else ""


class Names:
    """The ids of the demo and the names that must stand beside them."""

    def __init__(self, demo: Demo) -> None:
        s = demo.snapshot
        self.ids: dict[str, set[str]] = {}

        def add(frame: pl.DataFrame, key: str, *names: str) -> None:
            for r in frame.iter_rows(named=True):
                if r[key]:
                    self.ids.setdefault(r[key], set()).update(r[n] for n in names if r.get(n))

        add(s["siasn_unor"], "unor_id", "nama")
        add(s["ekinerja_periode"], "periode_id", "nama")
        add(s["instansi"], "instansi_id", "nama")
        add(s["dapodik_sekolah"], "npsn", "nama")
        add(s["siasn_pegawai"], "nip", "nama")
        add(s["dapodik_ptk"].filter(pl.col("nip").is_not_null()), "nip", "nama")
        self.re = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(i) for i in sorted(self.ids, key=len, reverse=True)) + r")(?![\w-])"
        )

    def bare(self, text: str) -> list[str]:
        """The ids in ``text`` none of whose names is in ``text``."""
        return sorted({i for i in self.re.findall(text) if not any(n in text for n in self.ids[i])})


def problems(text: str, names: Names, *, own_page: bool) -> list[str]:
    """Everything in a page's visible text that is not in words people use."""
    found = [m.group(0) for m in TOKEN_RE.finditer(text)] + [m.group(0) for m in OTHER_RE.finditer(text)]
    found += [f"id tanpa nama: {i}" for i in names.bare(text)]
    if not own_page and re.search(r"\bAnda\b", text):
        found.append("'Anda' di halaman orang lain")
    return found


def test_every_page_of_every_role_and_the_exports_speak_words(site: tuple[Demo, TestClient, JobRunner]) -> None:
    demo, client, runner = site
    names = Names(demo)
    peg = demo.before.pegawai
    instansi = peg["instansi_id"][0]
    principals = peg.filter(pl.col("kepala_sekolah"))["nip"].to_list()
    failing = peg.filter(pl.col("status") == Status.GAGAL.value)["nip"].to_list()
    teachers = peg.filter(~pl.col("kepala_sekolah"))["nip"].to_list()[:10]
    schools = sorted({n for n in peg.filter(pl.col("status") == Status.GAGAL.value)["npsn"].to_list() if n})[:4]

    # Make the log, the jobs, the notices and the audit hold something of every kind.
    admin, csrf = login(client, f"admin-{instansi}")
    for nip in principals[:3] + failing[:3]:
        assert admin.post(f"/pegawai/{nip}/sinkron", data={"csrf_token": csrf, "flow": "skp"}).status_code == 200
    admin.post("/sinkron-massal", data={"csrf_token": csrf, "semua": "1", "flow": "penilaian", "kembali": "/rekap"})
    unit = demo.snapshot["siasn_unor"].filter(pl.col("npsn").is_not_null())["unor_id"][0]
    admin.post(f"/unor/{unit}/atasan", data={"csrf_token": csrf, "atasan_nip": principals[0]})
    runner.drain()

    pages: list[tuple[str, str, bool]] = []  # (who, path, own page)
    admin_paths = [
        "/rekap",
        "/rekap?flow=penilaian",
        "/log",
        "/log?status=GAGAL",
        "/periode",
        "/unor",
        "/audit",
        "/kerja",
        "/pimpinan",
    ]
    admin_paths += [f"/pegawai/{n}" for n in failing[:40] + principals[:10]]
    log_rows = admin.get("/api/v1/log?status=GAGAL").json()["baris"][:40]
    admin_paths += [f"/log/{r['log_id']}" for r in log_rows]
    pages += [(f"admin-{instansi}", p, _own(p)) for p in admin_paths]
    pages += [(f"dinas-{instansi}", p, True) for p in ("/kerja", "/log", "/pimpinan")]
    pages += [("nasional", p, True) for p in ("/rekap", "/log", "/audit")]
    pages += [(f"pimpinan-{instansi}", p, True) for p in ("/rekap", "/log", "/akun")]
    for npsn in schools:
        pages += [(f"op-{npsn}", p, True) for p in ("/kerja", "/sekolah")]
    for nip in principals[:10]:
        pages += [(nip, "/skp", True), (nip, "/kerja", True), (nip, "/sekolah", True)]
    for nip in sorted(set(teachers) | set(failing[:20])):
        pages += [(nip, "/skp", True), (nip, "/kerja", True)]

    clients: dict[str, TestClient] = {f"admin-{instansi}": admin}
    bad: dict[str, list[str]] = {}
    for who, path, own in pages:
        if who not in clients:
            clients[who] = login(client, who)[0]
        r = clients[who].get(path)
        assert r.status_code == 200, (who, path, r.status_code)
        found = problems(visible(r.text), names, own_page=own)
        if found:
            bad[f"{who} {path}"] = sorted(set(found))[:8]

    for fmt in ("csv", "xlsx"):
        r = admin.get(f"/api/v1/log/ekspor?format={fmt}")
        assert r.status_code == 200
        rows = export_rows(r.content, fmt)
        assert len(rows) > 1
        text = " | ".join(" ; ".join("" if v is None else str(v) for v in row) for row in rows)
        found = problems(text, names, own_page=False)
        if found:
            bad[f"ekspor {fmt}"] = sorted(set(found))[:8]

    if os.environ.get("SELARAS_WORDS_DUMP"):
        Path(os.environ["SELARAS_WORDS_DUMP"]).write_text(json.dumps(bad, indent=1, ensure_ascii=False))
    assert not bad, "\n".join(f"{k}: {v}" for k, v in sorted(bad.items())[:30])


def _own(path: str) -> bool:
    """Whether a page speaks to its reader ("Anda"): all but another pegawai's SKP page and a
    log row about someone else."""
    return not (path.startswith("/pegawai/") or path.startswith("/log/"))


def export_rows(content: bytes, fmt: str) -> list[list[Any]]:
    """The rows of an export."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb["log"].iter_rows(values_only=True)]


def test_the_token_list_comes_from_the_code() -> None:
    tokens = raw_tokens() | key_names()
    # A sample of what the issue saw on pages; each is caught because the code defines it.
    for seen in ("TIDAK_AKTIF", "UBAH_ATASAN_UNOR", "skp", "GAGAL", "pmm_rhk_id", "induk_pmm_rhk_id", "INDUK_KOSONG"):
        assert seen in tokens
    assert "PMM" not in tokens and "nip" not in tokens
    assert len(tokens) > 60
    assert Path(__file__).exists()


def test_times_are_in_the_instansi_zone_set_from_the_command_line(site: tuple[Demo, TestClient, JobRunner]) -> None:
    from click.testing import CliRunner

    from selaras.cli import main

    demo, client, _ = site
    instansi = demo.before.pegawai["instansi_id"][0]
    admin, _ = login(client, f"admin-{instansi}")
    db = demo.store.engine.url.render_as_string(hide_password=False)
    assert "WIB" in visible(admin.get("/log").text)
    out = CliRunner().invoke(main, ["instansi", "zona", instansi, "WITA", "--db", db])
    assert out.exit_code == 0, out.output
    assert "zona waktu WITA" in out.output
    page = visible(admin.get("/log").text)
    assert "WITA" in page and " WIB" not in page
    header = admin.get("/api/v1/log/ekspor?format=csv").content.decode("utf-8-sig").splitlines()[0]
    assert "Waktu (WITA)" in header
    bad = CliRunner().invoke(main, ["instansi", "zona", instansi, "UTC", "--db", db])
    assert bad.exit_code == 2


def test_every_cli_card_speaks_words(site: tuple[Demo, TestClient, JobRunner]) -> None:
    """The command line's error cards (``selaras check --nip``) of every demo pegawai with an
    error, both flows, pass the same reading as the pages."""
    from rich.console import Console

    from selaras.domain.rules import check
    from selaras.views import CardNames, error_cards

    demo = site[0]
    names = Names(demo)
    card_names = CardNames.of(demo.snapshot)
    found: dict[str, list[str]] = {}
    seen = 0
    for flow in Flow:
        result = check(demo.snapshot, TAHUN, flow)
        failing = result.pegawai.filter(pl.col("status") == Status.GAGAL.value)["nip"].to_list()
        for nip in failing:
            console = Console(width=400, record=True, file=io.StringIO())
            for card in error_cards(result, nip, card_names):
                console.print(card)
            text = " ".join(console.export_text().split())
            seen += 1
            bad = problems(text, names, own_page=True)
            if bad:
                found[f"{flow.value}:{nip}"] = bad
    assert seen > 50
    assert not found, json.dumps(dict(list(found.items())[:10]), ensure_ascii=False, indent=1)
