"""How results are shown: JSON Lines for machines, rich tables and error cards for people.

Texts come from the catalogue; nothing here restates them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from selaras.catalogue import dates, sentences, words
from selaras.catalogue.codes import CATALOGUE, SEBAB, Aktor, ErrorCode, lookup
from selaras.domain.diagnosis import WAITING_CODES, actors_expr, error_actors
from selaras.domain.nama import tanpa_gelar
from selaras.domain.pimpinan import DEFINITIF, Kebijakan, leaders
from selaras.domain.recap import Recap
from selaras.domain.results import TAHUNAN_SCHEMA, CheckResult, Flow, Status
from selaras.domain.snapshot import TABLE, Snapshot

SYSTEM_LABELS = words.SISTEM
TABLE_LABELS = words.TABEL_EKINERJA
STATUS_STYLE = {Status.SIAP.value: "yellow", Status.GAGAL.value: "red", Status.TERSINKRON.value: "green"}


def jsonl_lines(result: CheckResult, outcomes: pl.DataFrame | None = None) -> pl.Series:
    """One JSON object per pegawai (snapshot.md, last section), built set-based for scale: a
    column of lines, to be written together rather than one Python string at a time.

    Each error: ``code``, ``judul``, ``actors`` (of the causes present), ``urutan``, ``pmm_skp_id``, ``selesai_oleh``
    (the NIP whose ready sync will clear it) and ``detail`` (values per system).
    """
    cat = pl.DataFrame({"code": list(CATALOGUE), "judul": [c.judul for c in CATALOGUE.values()]})
    err = result.errors.join(cat, on="code", how="left").with_columns(actors_expr().alias("actors"))
    err = err.with_columns(
        (
            pl.struct("code", "judul", "actors", "urutan", "pmm_skp_id", "selesai_oleh")
            .struct.json_encode()
            .str.head(-1)
            + pl.lit(',"detail":')
            + pl.col("detail")
            + pl.lit("}")
        ).alias("json")
    )
    per_nip = err.group_by("nip", maintain_order=True).agg(pl.col("json").str.join(",").alias("errors_json"))
    peg = result.pegawai
    fields = ["nip", "nama", "status"]
    if outcomes is not None:
        peg = peg.join(outcomes, on="nip", how="left")
        fields.append("hasil")
    if result.flow is Flow.TAHUNAN:
        # Each pegawai of the year's flow carries the rating and its credit (null: cannot be computed).
        nilai = result.tahunan if result.tahunan is not None else pl.DataFrame(schema=TAHUNAN_SCHEMA)
        peg = peg.join(nilai.select(list(TAHUNAN_SCHEMA)), on="nip", how="left")
        fields += ["predikat", "angka_kredit"]
    return (
        peg.join(per_nip, on="nip", how="left")
        .select(
            pl.struct(*fields, pl.lit(result.flow.value).alias("flow"), pl.lit(result.tahun).alias("tahun"))
            .struct.json_encode()
            .str.head(-1)
            + pl.lit(',"errors":[')
            + pl.col("errors_json").fill_null("")
            + pl.lit("]}")
        )
        .to_series()
    )


def status_table(result: CheckResult, limit: int = 50) -> Table:
    """Pegawai with their status and codes; GAGAL first, at most ``limit`` rows."""
    codes = result.errors.group_by("nip", maintain_order=True).agg(pl.col("code").unique(maintain_order=True))
    rows = (
        result.pegawai.join(codes, on="nip", how="left")
        .with_columns(pl.col("status").replace_strict({"GAGAL": 0, "SIAP": 1, "TERSINKRON": 2}, default=3).alias("_o"))
        .sort("_o", "npsn", "nip")
        .head(limit)
    )
    table = Table(
        title=sentences.TABLES["pegawai"].format(
            n=words.angka(result.pegawai.height), tampil=words.angka(min(limit, result.pegawai.height))
        )
    )
    for col in ("nip", "nama", "npsn", "peran", "status", "kode"):
        table.add_column(sentences.COLUMNS[col])
    for r in rows.iter_rows(named=True):
        style = STATUS_STYLE.get(r["status"], "")
        table.add_row(
            r["nip"],
            r["nama"],
            r["npsn"] or "-",
            sentences.TABLES["kepala_sekolah" if r["kepala_sekolah"] else "guru"],
            f"[{style}]{r['status']}[/]",
            ", ".join(r["code"] or []),
        )
    return table


def detail_fields(detail: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The systems an error's ``detail`` has values of (in ``SYSTEM_LABELS`` order) and the
    fields they name, in first-seen order: the rows and columns of a side-by-side table."""
    systems = [k for k in SYSTEM_LABELS if isinstance(detail.get(k), dict)]
    fields: list[str] = []
    for k in systems:
        fields += [f for f in detail[k] if f not in fields]
    return systems, fields


NAME_FIELDS = ("nama", "atasan_nama")
"""Fields holding a person's name: compared without academic degrees (domain.nama)."""


def values_differ(field_name: str, values: list[Any]) -> bool:
    """Whether the systems' values of one field differ, names compared without degrees
    ("Dra. Siti Aminah, M.Pd." is "Siti Aminah"). The CLI and the web flag the same rows."""
    if field_name in NAME_FIELDS:
        return len({tanpa_gelar(v) if isinstance(v, str) else v for v in values}) > 1
    return len({_as_shown(v) for v in values}) > 1


def _as_shown(value: Any) -> str:
    """A value as compared across systems: what a person reads of it. A list is compared by its
    items in any order (RHK by their text, whatever ids each system keeps); one item is the item."""
    if isinstance(value, list):
        items = sorted(words.item_text(v) if isinstance(v, dict) else repr(v) for v in value)
        return items[0] if len(items) == 1 else repr(items)
    return repr(value)


_LISTED_BY_CAUSE = ("rhk_tidak_terkait",)
"""Detail fields the card lists under each cause instead of in the side-by-side table."""


def _side_by_side(detail: dict[str, Any], names: CardNames | None = None) -> Table | None:
    systems, fields = detail_fields(detail)
    if not systems:
        return None
    t = Table(show_header=True, box=None, padding=(0, 2))
    t.add_column(sentences.COLUMNS["data"])
    for k in systems:
        t.add_column(SYSTEM_LABELS[k], style="cyan")
    for f in fields:
        if f in _LISTED_BY_CAUSE:
            continue
        beda = values_differ(f, [detail[k].get(f) for k in systems if f in detail[k]])
        name = words.label(words.FIELD, f)
        label = f"[bold yellow]{sentences.CARDS['berbeda'].format(nama=name)}[/]" if beda else name
        t.add_row(label, *[_fmt(detail[k][f], f, names) if f in detail[k] else words.TIDAK_DI_SISTEM for k in systems])
    return t


def _fmt(value: Any, field_name: str | None = None, names: CardNames | None = None) -> str:
    """A detail value in words, as the web shows it (labels, Ya/Tidak, Indonesian numbers and
    dates); RHK by their text, one a line."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n".join(words.item_text(item) for item in value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dates.tanggal(value)
    kind = words.NAMED_IDS.get(field_name or "")
    return words.named(kind, value, names.by_kind() if names else {})


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def judul_label(c: ErrorCode) -> str:
    """Whether a title is the message e-Kinerja itself shows or Selaras's own description."""
    return sentences.CARDS["judul_resmi" if c.known else "judul_selaras"]


@dataclass
class CardNames:
    """Names to put beside ids on the cards: schools, instansi, and each school's principal."""

    sekolah: dict[str, str] = field(default_factory=dict)
    instansi: dict[str, str] = field(default_factory=dict)
    kepala: dict[str, tuple[str, str]] = field(default_factory=dict)  # npsn -> (nip, nama)
    unor: dict[str, str] = field(default_factory=dict)
    periode: dict[str, str] = field(default_factory=dict)
    orang: dict[str, str] = field(default_factory=dict)

    def by_kind(self) -> dict[str, dict[str, str]]:
        """The names per kind of id (``words.NAMED_IDS``)."""
        return {
            "sekolah": self.sekolah,
            "instansi": self.instansi,
            "unor": self.unor,
            "periode": self.periode,
            "orang": self.orang,
        }

    @classmethod
    def of(cls, s: Snapshot, kebijakan: Kebijakan | None = None) -> CardNames:
        """The names of ``s``'s schools, instansi and leaders: each school's L(s) on the date
        (leaders.md), a Plt/Plh only while the duty is valid and running."""
        lead = leaders(s, kebijakan or Kebijakan()).filter(
            ((pl.col("jenis") == DEFINITIF) | (pl.col("sah") & ~pl.col("berakhir"))) & pl.col("nip").is_not_null()
        )
        nama = s["siasn_pegawai"].select("nip", pl.col("nama").alias("nama_siasn"))
        ptk = lead.select("npsn", "nip", pl.col("ptk_nama").alias("nama")).join(nama, on="nip", how="left")
        return cls(
            sekolah=dict(s["dapodik_sekolah"].select("npsn", "nama").iter_rows()),
            instansi=dict(s["instansi"].select("instansi_id", "nama").iter_rows()),
            kepala={r["npsn"]: (r["nip"], r["nama_siasn"] or r["nama"]) for r in ptk.iter_rows(named=True)},
            unor=dict(s["siasn_unor"].select("unor_id", "nama").iter_rows()),
            periode=dict(s["ekinerja_periode"].select("periode_id", "nama").iter_rows()),
            orang=dict(s["siasn_pegawai"].select("nip", "nama").iter_rows()),
        )


def _who(aktor: Aktor, code: str, detail: dict[str, Any], p: dict[str, Any], names: CardNames) -> str:
    """The person or office behind ``aktor`` for this error, by name where it is known."""
    t = sentences.CARDS
    npsn = p.get("npsn")
    sekolah = names.sekolah.get(npsn or "", t["npsn"].format(npsn=npsn) if npsn else t["sekolahnya"])
    instansi = names.instansi.get(p.get("instansi_id") or "", p.get("instansi_id") or t["instansinya"])
    if aktor is Aktor.PEGAWAI:
        return t["pegawai_ini"].format(nama=p.get("nama") or p.get("nip"))
    if aktor is Aktor.KEPALA_SEKOLAH:
        side = detail.get("pmm" if code == "PMM-12" else "ekinerja") or {}
        if code in (*WAITING_CODES, "PMM-12") and side.get("atasan_nip"):
            return t["atasan_kepala"].format(nama=side.get("atasan_nama") or side["atasan_nip"], nip=side["atasan_nip"])
        if p.get("kepala_sekolah"):
            return t["pegawai_ini_kepala"].format(nama=p.get("nama"))
        ks = names.kepala.get(npsn or "")
        if ks:
            return t["kepala_sekolah_nama"].format(nama=ks[1], nip=ks[0], sekolah=sekolah)
        return t["kepala_sekolah"].format(sekolah=sekolah)
    if aktor is Aktor.OPERATOR_SEKOLAH:
        return t["operator"].format(sekolah=sekolah)
    if aktor is Aktor.ADMIN_INSTANSI:
        return t["admin"].format(instansi=instansi)
    if aktor is Aktor.DINAS_PENDIDIKAN:
        return t["dinas"].format(instansi=instansi)
    return aktor.value


def error_cards(result: CheckResult, nip: str, names: CardNames | None = None) -> list[Panel]:
    """Every error of one pegawai as a card: title (and whether it is e-Kinerja's own message),
    cause, the people who must act by name, steps, values side by side. One card per error."""
    names, t = names or CardNames(), sentences.CARDS
    peg = {r["nip"]: r for r in result.pegawai.iter_rows(named=True)}
    p = peg.get(nip, {"nip": nip})
    cards = []
    seen: set[tuple[str, str | None]] = set()
    for e in result.errors.filter(pl.col("nip") == nip).iter_rows(named=True):
        if (e["code"], e["pmm_skp_id"]) in seen:
            continue
        seen.add((e["code"], e["pmm_skp_id"]))
        c = lookup(e["code"])
        detail = json.loads(e["detail"])
        parts: list[Any] = [f"[dim]{t['judul'].format(asal=judul_label(c))}[/]", c.penyebab, ""]
        who = [_who(a, c.code, detail, p, names) for a in error_actors(c.code, detail)]
        parts.append(f"[bold]{t['bertindak']}[/] " + "; ".join(who))
        if e["selesai_oleh"]:
            nama = peg.get(e["selesai_oleh"], {}).get("nama") or (detail.get("ekinerja") or {}).get("atasan_nama")
            isi = t["selesai_sendiri_isi"].format(nama=nama or e["selesai_oleh"], nip=e["selesai_oleh"])
            parts.append(f"[green]{t['selesai_sendiri']}[/] {isi}")
        parts.append(f"[bold]{t['langkah']}[/]")
        parts += [f"  {i}. {s}" for i, s in enumerate(c.langkah, 1)]
        causes = SEBAB.get(c.code, {})
        for alasan in detail.get("alasan") or []:
            sebab = causes.get(alasan)
            if sebab is None:
                continue
            bertindak = t["penyebab_bertindak"].format(aktor=", ".join(a.value for a in sebab.aktor))
            parts.append(f"[bold]{t['penyebab'].format(judul=sebab.judul)}[/] {bertindak}")
            parts += [f"  - {s}" for s in sebab.langkah]
            for r in (detail.get("pmm") or {}).get("rhk_tidak_terkait") or []:
                if r.get("alasan") == alasan:
                    induk = r.get("induk_uraian") or r.get("induk_pmm_rhk_id") or t["tanpa_induk"]
                    parts.append("    " + t["rhk_guru"].format(uraian=r["uraian"], rhk_id=r["pmm_rhk_id"], induk=induk))
        if e["pmm_skp_id"]:
            parts.append(t["skp_pmm"].format(skp_id=e["pmm_skp_id"]))
        table = _side_by_side(detail, names)
        body = Group(*parts, *([table] if table else []))
        cards.append(Panel(body, title=f"[bold red]{c.code}[/] {c.judul}", title_align="left"))
    return cards


def rejected_panel(problems: list[Any], limit: int = 10) -> Panel:
    """Rows a source sent that break the contract, as one SYS-02 card naming record and field."""
    c = lookup("SYS-02")
    owners = sorted({TABLE[n].system for p in problems if (n := Path(str(p.file).split(":")[-1]).stem) in TABLE})
    t = sentences.CARDS
    pemilik = t["pemilik_sumber"].format(aktor=", ".join(a.value for a in c.aktor), pemilik=", ".join(owners) or "-")
    lines: list[Any] = [c.penyebab, "", f"[bold]{t['bertindak']}[/] {pemilik}"]
    lines += [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append("  " + t["dan_lagi"].format(n=words.angka(len(problems) - limit)))
    return Panel(Group(*lines), title=f"[bold red]{c.code}[/] {c.judul}", title_align="left")


def recap_tables(r: Recap, top_schools: int = 15) -> list[Table]:
    """The recap as tables: status, by code, by actor, schools, blocking principals."""
    out = []
    t = Table(title=sentences.TABLES["ringkasan"].format(n=words.angka(r.total)))
    for s in r.by_status:
        t.add_column(words.label(words.STATUS, s), justify="right", style=STATUS_STYLE.get(s, ""))
    t.add_row(*[words.angka(n) for n in r.by_status.values()])
    out.append(t)

    t = Table(title=sentences.TABLES["per_kode"])
    k = sentences.COLUMNS
    for col, j in ((k["kode"], "left"), (k["judul"], "left"), (k["pegawai"], "right"), ("", "left")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    top = max([1, *r.by_code["pegawai"].to_list()])
    for row in r.by_code.iter_rows(named=True):
        t.add_row(
            row["code"], row["judul"], words.angka(row["pegawai"]), "█" * max(1, round(30 * row["pegawai"] / top))
        )
    out.append(t)

    t = Table(title=sentences.TABLES["per_pihak"])
    for col in (k["pihak"], k["pegawai"], k["kode"]):
        t.add_column(col)
    for row in r.by_actor.iter_rows(named=True):
        t.add_row(row["aktor"], words.angka(row["pegawai"]), ", ".join(row["kode"]))
    out.append(t)

    t = Table(title=sentences.TABLES["sekolah_terbanyak"].format(n=words.angka(r.by_school.height)))
    statuses = [words.label(words.STATUS, x) for x in ("GAGAL", "SIAP", "TERSINKRON")]
    for col in (k["npsn"], k["sekolah"], k["pegawai"], *statuses, k["persen_tersinkron"]):
        t.add_column(col, justify="left" if col in (k["npsn"], k["sekolah"]) else "right")
    for row in r.by_school.head(top_schools).iter_rows(named=True):
        t.add_row(
            row["npsn"] or "-",
            row["nama_sekolah"] or "-",
            words.angka(row["pegawai"]),
            words.angka(row["GAGAL"]),
            words.angka(row["SIAP"]),
            words.angka(row["TERSINKRON"]),
            words.persen(row["persen_tersinkron"]),
        )
    out.append(t)

    if r.blockers.height:
        t = Table(title=sentences.TABLES["kepala_menahan"])
        for col in (k["nip"], k["nama"], k["npsn"], k["status"], k["guru_tertahan"]):
            t.add_column(col)
        for row in r.blockers.head(top_schools).iter_rows(named=True):
            t.add_row(
                row["atasan"],
                row["nama"] or "-",
                row["npsn"] or "-",
                words.label(words.STATUS, row["status_atasan"]) if row["status_atasan"] else "-",
                words.angka(row["guru_tertahan"]),
            )
        out.append(t)
    return out


def sync_summary(outcomes: pl.DataFrame, written: dict[str, tuple[int, int]]) -> Table:
    """Pegawai per outcome, and rows written / deleted per e-Kinerja table."""
    t = Table(title=sentences.TABLES["hasil_sinkron"])
    t.add_column(sentences.COLUMNS["hasil"])
    t.add_column(sentences.COLUMNS["pegawai"], justify="right")
    for row in outcomes.group_by("hasil").len().sort("hasil").iter_rows(named=True):
        t.add_row(words.label(words.HASIL, row["hasil"]), words.angka(row["len"]))
    for table, (up, de) in sorted(written.items()):
        name = TABLE_LABELS.get(table, table)
        t.add_row(
            f"[dim]{sentences.TABLES['ditulis_dihapus'].format(tabel=name)}[/]",
            f"[dim]{words.angka(up)} / {words.angka(de)}[/]",
        )
    return t


def print_all(console: Console, items: list[Any]) -> None:
    for item in items:
        console.print(item)
