"""Situational sentences people read: templates with named fields that the code fills with
``str.format`` (``WORKLIST["unor_tidak_aktif"].format(nama="SD Negeri 4", unor_id="U1")``).

One text, one place: the worklists, the escalation's digests and the command line's cards and
tables say these sentences only through this module. Rich markup (``[bold]``) stays with the
code that prints; the words are here. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

WORKLIST: Mapping[str, str] = {
    "skp_anda": "SKP Anda",
    "skp_anda_sendiri": "SKP Anda sendiri",
    "skp_kepala": "SKP kepala sekolah {nama} (NIP {nip})",
    "skp_kepala_sendiri": "SKP kepala sekolah {nama} (NIP {nip}) sendiri",
    "atasan_belum_ada": "{skp} belum ada di e-Kinerja; sinkronnya sudah siap dan akan membebaskan guru di bawah",
    "atasan_belum_memuat": "{skp} di e-Kinerja belum memuat RHK yang diacu guru; sinkronnya sudah siap",
    "atasan_tertahan": (
        "Guru menunggu SKP kepala sekolah, tetapi {skp} masih berkendala: selesaikan itu dulu, lalu sinkron"
    ),
    "anda": "Anda",
    "rhk_pmm": "RHK {siapa} belum terkait ke RHK kepala sekolah di PMM (perbaikan di PMM)",
    "unor_atasan_beda": "Atasan unit {nama} ({unor_id}) di e-Kinerja berbeda dengan PMM",
    "unor_tidak_aktif": "Unit {nama} ({unor_id}) tidak aktif atau tidak terdaftar",
    "pko_belum": "Predikat kinerja organisasi {nama} (NPSN {npsn}) belum ditetapkan",
    "sebaran_tidak_sesuai": "Sebaran predikat guru di {nama} (NPSN {npsn}) tidak sesuai predikat organisasi",
    "sekolah_tanpa_unor": "Sekolah {nama} (NPSN {npsn}) belum terpetakan ke unit kerja",
    "predikat_belum": "Predikat tahunan guru di {nama} belum ditetapkan",
    "skp_guru_belum_disepakati": "SKP guru di {nama} belum disepakati",
    "periode_instansi": "Pengaturan periode instansi {nama}",
    "pegawai": "{nama} (NIP {nip})",
    "tanpa_daftar": "Admin Nasional hanya membaca rekap dan log; tidak ada daftar kerja.",
}
"""A worklist item's label (``web.screens.worklist``), by the kind of root cause."""

ESKALASI: Mapping[str, str] = {
    "tingkat_admin": "Admin Instansi",
    "tingkat_pimpinan": "Kepala instansi dan Admin Nasional",
    "ambang_minimal": "ambang eskalasi harus paling sedikit 1 hari kerja",
    "umur_hari_ini": "muncul hari ini",
    "umur_hari": "menunggu sejak {hari} hari kerja",
    "digest_judul": "Ringkasan harian: {n} kendala terbuka",
    "digest_judul_baru": "Ringkasan harian: {n} kendala terbuka, {baru} baru",
    "digest_salam": "Yth. {nama},",
    "digest_pembuka": "Kendala yang menunggu tindakan Anda, yang terlama di atas:",
    "digest_baris": "- {label}: {umur}, menahan {guru} guru{tanda}",
    "digest_baru": " (baru)",
    "digest_dieskalasi": " [dieskalasi ke {kepada}]",
}
"""Escalation (``domain.eskalasi``): its levels, an item's age and the daily digest."""

CARDS: Mapping[str, str] = {
    "judul_resmi": "pesan yang tampil di e-Kinerja",
    "judul_selaras": "uraian Selaras (bukan pesan e-Kinerja)",
    "judul": "Judul: {asal}",
    "bertindak": "Yang harus bertindak:",
    "pegawai_ini": "{nama} (pegawai ini)",
    "atasan_kepala": "{nama} (NIP {nip}), kepala sekolah",
    "pegawai_ini_kepala": "{nama} (pegawai ini), kepala sekolah",
    "kepala_sekolah_nama": "{nama} (NIP {nip}), kepala sekolah {sekolah}",
    "kepala_sekolah": "Kepala sekolah {sekolah}",
    "operator": "Operator sekolah {sekolah}",
    "admin": "Admin Instansi {instansi}",
    "dinas": "Dinas Pendidikan {instansi}",
    "npsn": "NPSN {npsn}",
    "sekolahnya": "sekolahnya",
    "instansinya": "instansinya",
    "selesai_sendiri": "Akan selesai sendiri:",
    "selesai_sendiri_isi": "sinkron {nama} (NIP {nip}) siap dijalankan; Selaras mencoba lagi sinkron Anda setelah itu.",
    "langkah": "Langkah:",
    "penyebab": "Penyebab: {judul}",
    "penyebab_bertindak": "(bertindak: {aktor})",
    "rhk_guru": "RHK guru: {uraian} ({rhk_id}); induk: {induk}",
    "tanpa_induk": "(tanpa induk)",
    "skp_pmm": "SKP PMM: {skp_id}",
    "berbeda": "{nama} (berbeda)",
    "pemilik_sumber": "{aktor}, dilaporkan ke pemilik sumber: {pemilik}",
    "dan_lagi": "... dan {n} lagi (lihat laporan CSV)",
}
"""An error's card on the command line (``views.error_cards``, ``views.rejected_panel``)."""

TABLES: Mapping[str, str] = {
    "pegawai": "Pegawai ({n} dalam cakupan, {tampil} ditampilkan)",
    "kepala_sekolah": "Kepala Sekolah",
    "guru": "Guru",
    "ringkasan": "Ringkasan ({n} pegawai)",
    "per_kode": "Kendala per kode",
    "per_pihak": "Kendala per pihak yang harus bertindak",
    "sekolah_terbanyak": "Sekolah dengan kendala terbanyak (dari {n})",
    "kepala_menahan": "Kepala sekolah yang menahan guru (satu butir per kepala sekolah)",
    "hasil_sinkron": "Hasil sinkron",
    "ditulis_dihapus": "{tabel}: ditulis / dihapus",
}
"""Titles and sentences of the command line's tables (``views``)."""

COLUMNS: Mapping[str, str] = {
    "nip": "NIP",
    "nama": "Nama",
    "npsn": "NPSN",
    "peran": "Peran",
    "status": "Status",
    "kode": "Kode",
    "data": "Data",
    "judul": "Judul",
    "pegawai": "Pegawai",
    "pihak": "Pihak",
    "sekolah": "Sekolah",
    "persen_tersinkron": "Tersinkron (%)",
    "guru_tertahan": "Guru tertahan",
    "hasil": "Hasil",
}
"""Column headers of the command line's tables (``views``)."""

SOURCES: Mapping[str, str] = {
    "format_nip": "NIP harus 18 digit angka",
    "format_nik": "NIK harus 16 digit angka",
    "format_npsn": "NPSN harus 8 digit angka",
    "format_date": "tanggal harus berformat YYYY-MM-DD",
    "format_timestamp": "waktu harus berformat ISO (YYYY-MM-DDTHH:MM:SS)",
    "format_bool": "nilai harus 1 atau 0",
    "format_int": "nilai harus bilangan bulat",
    "format_decimal": "nilai harus angka dengan titik desimal (misalnya 12.5)",
    "pemisah_koma": "koma (,)",
    "pemisah_titik_koma": "titik koma (;)",
    "kontrak": "kontrak Selaras",
    "dibaca_kolom": "kolom {kontrak}",
    "dibaca_pemetaan": "pemetaan {pemetaan}",
    "dibaca_pemisah": "pemisah {pemisah}",
    "dibaca_baris_judul": "baris judul tabel di baris {baris}",
    "kolom_tidak_dikenal": (
        "nama kolom tidak dikenal (bukan kolom kontrak Selaras maupun kolom SIASN/Dapodik yang dibaca); "
        "bila ini kolom yang dinyatakan tidak ada, ganti judulnya"
    ),
    "tidak_terpetakan": "nilai tidak dapat dipetakan ({pemetaan})",
    "kolom_berulang": "kolom muncul lebih dari sekali di baris judul",
    "periode_bertumpang": (
        "Periode TAHUNAN {periode_id} ({awal} s.d. {akhir}) bertumpang tanggal dengan "
        "periode TAHUNAN {lain_id} ({lain_awal} s.d. {lain_akhir})."
    ),
}
"""What people read about the data they bring: a value's format, how a file was read, a value
that does not map, periods that overlap (``domain.snapshot``, ``domain.overlap``, ``sources``)."""

TEMPLATES: Mapping[str, Mapping[str, str]] = {
    "WORKLIST": WORKLIST,
    "ESKALASI": ESKALASI,
    "CARDS": CARDS,
    "TABLES": TABLES,
    "COLUMNS": COLUMNS,
    "SOURCES": SOURCES,
}
"""Every group of templates, for the test that each fills with its named fields."""
