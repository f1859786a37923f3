"""The CLI cards name the people who must act, say whether the title is e-Kinerja's own message,
and show each error once."""

from __future__ import annotations

from rich.console import Console
from world import G1, KS, TAHUN, row, snapshot, synced_rows

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.rules import check
from selaras.views import CardNames, error_cards, judul_label


def render(rows: dict, nip: str) -> str:
    s = snapshot(rows)
    console = Console(width=200, record=True)
    for card in error_cards(check(s, TAHUN), nip, CardNames.of(s)):
        console.print(card)
    return console.export_text()


def test_cards_name_people_and_the_kind_of_title() -> None:
    rows = synced_rows()
    rows["pmm_rhk"].append(
        {"pmm_rhk_id": "R-KS-3", "pmm_skp_id": "S-KS", "uraian": "Numerasi", "jenis": "UTAMA", "induk_pmm_rhk_id": None}
    )
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-1")["induk_pmm_rhk_id"] = "R-KS-3"
    row(rows, "dapodik_ptk", ptk_id="PTK-G1")["nip"] = "198502022010012099"
    text = render(rows, G1)
    assert text.count("PMM-01 Tombol sinkron PMM tidak muncul di e-Kinerja") == 1
    assert "Operator sekolah SD Negeri 1 Bima; Budi Santoso, S.Pd. (pegawai ini)" in text
    # PMM-13 only BELUM_DI_SKP_ATASAN: the principal by name, and the admin of the instansi.
    assert f"Siti Aminah, S.Pd. (NIP {KS}), kepala sekolah; Admin Instansi Pemerintah Kabupaten Bima" in text
    assert "Pembelajaran berdiferensiasi (R-G1-1); induk: Numerasi" in text
    assert text.count("Judul: pesan yang tampil di e-Kinerja") == 2
    # A name differing only by degrees is not flagged; the NIP is.
    assert "Nama (berbeda)" not in text and "Nama" in text
    assert "NIP (berbeda)" in text


def test_title_kind_follows_the_catalogue() -> None:
    assert judul_label(CATALOGUE["PMM-11"]) == "pesan yang tampil di e-Kinerja"
    assert judul_label(CATALOGUE["PMM-10"]) == "uraian Selaras (bukan pesan e-Kinerja)"
