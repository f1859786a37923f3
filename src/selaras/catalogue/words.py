"""Words people read: labels for every enumeration, flow, actor, role and audit action, and
Indonesian formats for numbers and percentages (dates and times: ``catalogue.dates``).

The web pages, the exports, the notices and the log show values through these helpers and
never print an enum value, a key name or ``True``/``False`` as they are. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selaras.catalogue.dates import tanggal, tanggal_singkat, waktu, waktu_singkat

# ------------------------------------------------------------------------------ labels

STATUS = {"SIAP": "Siap disinkronkan", "GAGAL": "Gagal", "TERSINKRON": "Tersinkron"}
"""Status of a pegawai in a check (``domain.results.Status``)."""

HASIL = {
    "BARU": "data baru terkirim",
    "DIPERBARUI": "SKP diperbarui dari PMM",
    "TIDAK_BERUBAH": "tidak berubah, sudah sama",
    "SAMA": "tidak ada data baru, sudah sama",
    "GAGAL": "belum terkirim karena ada kendala",
}
"""Outcome of a sync (``domain.results.Outcome``)."""

FLOW = {"skp": "Sinkron PMM (SKP)", "penilaian": "Sinkron Penilaian Periodik", "tahunan": "Sinkron Predikat Tahunan"}
"""The flows (``domain.results.Flow``)."""

FLOW_SINGKAT = {"skp": "SKP", "penilaian": "Penilaian Periodik", "tahunan": "Predikat Tahunan"}

MODE = {"SYNC": "sinkron", "CHECK": "pemeriksaan"}
"""How a log row was made."""

JOB_STATUS = {"ANTRE": "dalam antrean", "JALAN": "sedang diproses", "SELESAI": "selesai"}
"""Status of a sync request (``jobs.queue.JobStatus``)."""

ALASAN_JOB = {
    "TOMBOL": "tombol sinkron oleh pegawai",
    "ADMIN": "sinkron atas nama oleh Admin Instansi",
    "MASSAL": "sinkron massal",
    "JADWAL": "pembaruan terjadwal (data sumber berubah)",
    "TARIK": "data sumber ditarik (selaras tarik)",
    "KASKADE": "otomatis, setelah hambatannya selesai",
}
"""Why a sync request was made (``jobs.queue.Alasan``)."""

JOB_TIDAK_DIKENAL = "NIP tidak ditemukan di SIASN atau bukan guru dalam cakupan Sinkron PMM"
"""The message of a finished sync request whose NIP no run logged."""

PERAN = {
    "pegawai": "Pegawai",
    "operator": "Operator Sekolah",
    "admin": "Admin Instansi",
    "dinas": "Dinas Pendidikan",
    "nasional": "Admin Nasional",
    "pimpinan": "Pimpinan Instansi",
}
"""Roles of accounts (``domain.akun.Peran``)."""

AKSI = {
    "SINKRON_ATAS_NAMA": "Sinkron atas nama pegawai",
    "SINKRON_MASSAL": "Sinkron massal",
    "PERIODE_SIMPAN": "Simpan periode",
    "PERIODE_HAPUS": "Hapus periode",
    "UBAH_ATASAN_UNOR": "Ubah atasan unit kerja",
    "GANTI_SKP_MANUAL": "Ganti SKP manual dengan SKP dari PMM",
    "UBAH_ZONA_WAKTU": "Ubah zona waktu instansi",
    "TARIK_DATA": "Tarik data sumber (selaras tarik)",
    "GANTI_SANDI_SENDIRI": "Ganti kata sandi sendiri",
    "UBAH_KEBIJAKAN_PLT": "Ubah kebijakan Plt Kepala Sekolah",
    "UBAH_KEBIJAKAN_ESKALASI": "Ubah kebijakan eskalasi instansi",
    "TAMBAH_HARI_LIBUR": "Tambah hari libur instansi",
    "BUAT_AKUN": "Buat akun",
    "BUAT_AKUN_MASSAL": "Buat akun massal",
    "IMPOR_AKUN": "Impor akun dari berkas",
    "GANTI_SANDI": "Ganti kata sandi akun",
    "SANDI_LEWAT_TAUTAN": "Atur kata sandi lewat tautan",
    "AKTIFKAN_AKUN": "Aktifkan akun",
    "NONAKTIFKAN_AKUN": "Nonaktifkan akun",
    "AKHIRI_SESI": "Akhiri sesi masuk",
    "BUAT_TOKEN": "Buat token API",
    "CABUT_TOKEN": "Cabut token API",
    "BERI_PERAN": "Beri peran",
    "CABUT_PERAN": "Cabut peran",
}
"""Audit actions."""

TABEL_EKINERJA = {
    "ekinerja_skp": "SKP e-Kinerja",
    "ekinerja_rhk": "RHK e-Kinerja",
    "ekinerja_penilaian": "Penilaian e-Kinerja",
    "ekinerja_predikat": "Predikat tahunan e-Kinerja",
}
"""The e-Kinerja tables a sync writes, as a sync's summary names them."""

TANPA_SEKOLAH = "Pegawai tanpa sekolah di Dapodik"
"""The forecast's row of an instansi's pegawai who belong to no school."""

SISTEM = {
    "siasn": "SIASN",
    "dapodik": "Dapodik / Verval PTK",
    "pmm": "PMM / Ruang GTK",
    "ekinerja": "e-Kinerja",
    "selaras": "Aturan instansi (Selaras)",  # the instansi's Plt policy and the check date (PLT-03, PLT-04)
}
"""The source systems, as keys of an error's ``detail``."""

TIDAK_DI_SISTEM = "–"
"""A side-by-side cell of a field the system does not hold (never a blank cell)."""

NILAI = {
    # SIASN pegawai status, jabatan
    "AKTIF": "aktif",
    "TIDAK_AKTIF": "tidak aktif",
    "TIDAK_ADA": "tidak terdaftar",
    "PENSIUN": "pensiun",
    "BERHENTI": "berhenti",
    "MENINGGAL": "meninggal",
    "CLTN": "cuti di luar tanggungan negara",
    "FUNGSIONAL": "fungsional",
    "STRUKTURAL": "struktural",
    "PELAKSANA": "pelaksana",
    # PMM plan
    "DRAF": "draf",
    "DIAJUKAN": "diajukan",
    "DISETUJUI": "disetujui",
    "DISEPAKATI": "disepakati",
    "UTAMA": "utama",
    "TAMBAHAN": "tambahan",
    # periods and assessments
    "TAHUNAN": "tahunan",
    "PERIODIK": "periodik",
    "BULANAN": "bulanan",
    "TRIWULANAN": "triwulanan",
    "DIATAS": "di atas ekspektasi",
    "SESUAI": "sesuai ekspektasi",
    "DIBAWAH": "di bawah ekspektasi",
    "SANGAT_BAIK": "sangat baik",
    "BAIK": "baik",
    "BUTUH_PERBAIKAN": "butuh perbaikan",
    "KURANG": "kurang",
    "SANGAT_KURANG": "sangat kurang",
    # where an e-Kinerja SKP came from
    "MANUAL": "dibuat manual di e-Kinerja",
    "PMM": "hasil sinkron dari PMM",
    "belum ada SKP DISEPAKATI": "belum ada SKP yang disepakati",
    # PMM-13, per RHK that cannot be linked
    "INDUK_KOSONG": "RHK ini belum dikaitkan ke RHK atasan di PMM",
    "INDUK_BUKAN_RHK_ATASAN": "RHK induknya bukan RHK pada SKP PMM atasan yang disepakati",
    "BELUM_DI_SKP_ATASAN": "RHK induknya ada di PMM, tetapi belum ada di SKP e-Kinerja atasan",
}
"""Values that appear inside an error's ``detail`` and on pages: the contract's enumerations
(``domain.snapshot``) and the values the rules compute."""

FIELD = {
    "tarik_siasn": "SIASN",
    "tarik_dapodik": "Dapodik",
    "tarik_pmm": "PMM",
    "diperiksa_ulang": "Pegawai diperiksa ulang",
    "nip": "NIP",
    "nik": "NIK",
    "nama": "Nama",
    "ptk_id": "ID PTK",
    "npsn": "NPSN sekolah",
    "nama_sekolah": "Nama sekolah",
    "sekolah": "Sekolah",
    "unor_id": "Unit kerja",
    "unor_nama": "Nama unit kerja",
    "unor": "Status unit",
    "status": "Status",
    "jenis_asn": "Jenis ASN",
    "jenis_ptk": "Jenis PTK",
    "tugas_tambahan": "Tugas tambahan",
    "jabatan_nama": "Jabatan",
    "jabatan_jenis": "Jenis jabatan",
    "status_skp": "Status SKP",
    "periode_awal": "Awal SKP",
    "periode_akhir": "Akhir SKP",
    "periode_id": "Periode",
    "periode_nama": "Nama periode",
    "instansi_id": "ID instansi",
    "instansi_nama": "Instansi",
    "jenis": "Jenis periode",
    "atasan_nip": "NIP atasan",
    "atasan_nama": "Nama atasan",
    "skp_id": "ID SKP e-Kinerja",
    "sumber": "Sumber SKP",
    "pmm_skp_id": "ID SKP PMM",
    "rhk_tidak_terkait": "RHK yang tidak dapat dikaitkan",
    "rhk": "RHK",
    "rhk_atasan": "RHK atasan",
    "jumlah_penilaian": "Jumlah penilaian",
    "tipe_periodik": "Jenis periodik",
    "angka_periodik": "Nomor periodik",
    "campuran": "Jenis bulanan dan triwulanan bercampur",
    "angka_ganda": "Nomor yang dipakai dua kali",
    "di_luar_rentang": "Nomor di luar rentang",
    "penilaian_tanpa_periode": "Penilaian tanpa periode",
    "alasan": "Sebab",
    "teks": "Teks",
    "uraian": "Uraian",
    "rhk_teks": "RHK",
    "induk_teks": "RHK induk",
    "induk_uraian": "RHK induk di PMM",
    "pmm_rhk_id": "ID RHK PMM",
    "induk_pmm_rhk_id": "ID RHK induk di PMM",
    "induk_rhk_id": "ID RHK induk di e-Kinerja",
    "rhk_id": "ID RHK e-Kinerja",
    "kode": "Kode kendala",
    "flow": "Alur",
    "tahun": "Tahun",
    "awal": "Awal",
    "akhir": "Akhir",
    "aktif": "Aktif",
    "kriteria": "Kriteria",
    "semua": "Semua pegawai",
    "jumlah": "Jumlah pegawai",
    "job_id": "Nomor permintaan sinkron",
    "job_id_pertama": "Nomor permintaan sinkron pertama",
    "dicoba_lagi": "Pegawai yang dicoba lagi",
    "dihapus_rhk": "RHK yang dihapus",
    "diganti_oleh": "Diganti dengan",
    "run_id": "Nomor proses sinkron",
    "skp": "SKP",
    "zona_waktu": "Zona waktu",
}
"""Field names (contract columns, detail keys) as people call them."""

NAMED_IDS = {
    "unor_id": "unor",
    "atasan_unor_id": "unor",
    "npsn": "sekolah",
    "periode_id": "periode",
    "atasan_nip": "orang",
    "instansi_id": "instansi",
}
"""Detail fields that hold an id, and what kind of name goes beside it (web cards and CLI cards)."""


def named(kind: str | None, value: Any, names: Mapping[str, Mapping[str, str]]) -> str:
    """An id with its name beside it (``SD Negeri 4 (UNR10000007)``), or the value in words."""
    if kind and isinstance(value, str) and value:
        name = names.get(kind, {}).get(value)
        return f"{name} ({value})" if name else value
    return nilai(value)


TEXT_FIELDS = (
    "uraian",
    "teks",
    "rhk_teks",
    "induk_teks",
    "nama",
    "atasan_nama",
    "nama_sekolah",
    "unor_nama",
    "periode_nama",
)
"""Fields of an item that name it in words; an item with one of them is shown by it, its ids
after it."""

ID_FIELDS = (
    "rhk_id",
    "pmm_rhk_id",
    "induk_pmm_rhk_id",
    "induk_rhk_id",
    "skp_id",
    "pmm_skp_id",
    "periode_id",
    "unor_id",
)


def label(table: Mapping[str, str], value: Any) -> str:
    """``table[value]``, or a readable form of an unknown ``value`` (never the raw token)."""
    if value is None or value == "":
        return "-"
    text = str(value)
    if text in table:
        return table[text]
    return text.replace("_", " ").lower() if text.isupper() else text


def nilai(value: Any) -> str:
    """One value inside an error's detail, in words."""
    if value is None:
        return "(kosong)"
    if isinstance(value, bool):
        return ya_tidak(value)
    if isinstance(value, int | float):
        return angka(value)
    if isinstance(value, str) and value in NILAI:
        return NILAI[value]
    if isinstance(value, str) and ("<=" in value or ">=" in value):
        return batas(value)  # a bound of the distribution rule (TAH-04)
    if isinstance(value, dict):
        return item_text(value)
    if isinstance(value, list):
        if not value:
            return "(tidak ada)"
        return "; ".join(nilai(v) for v in value)
    return str(value)


def item_text(item: Mapping[str, Any]) -> str:
    """A dict in a detail (an RHK, a period) as one phrase: its text first, then its other
    fields with their labels; ids in brackets after the words that name them."""
    words = [str(item[k]) for k in TEXT_FIELDS if item.get(k)]
    rest = [
        f"{label(FIELD, k)}: {nilai(v)}"
        for k, v in item.items()
        if k not in TEXT_FIELDS and k not in ID_FIELDS and v is not None and not (k == "induk_uraian" and not v)
    ]
    head = " · ".join(words)
    body = "; ".join(rest)
    out = " — ".join(p for p in (f"“{head}”" if head else "", body) if p)
    if not head:
        # Only an item with no words of its own is shown by its ids, each named.
        ids = [f"{label(FIELD, k)} {item[k]}" for k in ID_FIELDS if item.get(k)]
        out = "; ".join(p for p in (", ".join(ids), out) if p)
    return out or "-"


VALUE_OF: dict[str, Mapping[str, str]] = {
    "flow": FLOW,
    "status": {**NILAI, **STATUS},
    "hasil": HASIL,
    "mode": MODE,
    "peran": PERAN,
    "alasan": {**NILAI, **ALASAN_JOB},
}
"""Keys whose values have a table of words of their own."""


RINCIAN_IDS = {**NAMED_IDS, "nip": "orang", "kode": "kode"}
"""Fields of an audit's before/after that hold an id or a code, and the kind of name beside it."""

PLAIN_NUMBERS = ("tahun", "angka_periodik")
"""Numbers that count nothing (a year, a period's number): written without a thousands separator."""


def rincian(value: Any, names: Mapping[str, Mapping[str, str]] | None = None, field: str | None = None) -> str:
    """A before/after of the audit log (or any nested data) as one readable line; with ``names``
    (kind -> id -> name, kinds of :data:`RINCIAN_IDS`) each id has its name beside it."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        parts = [
            f"{label(FIELD, k)}: "
            + (label(VALUE_OF[k], v) if k in VALUE_OF and isinstance(v, str) else rincian(v, names, k))
            for k, v in value.items()
            if v not in (None, "", [])
        ]
        return "; ".join(parts) or "-"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return f"{angka(len(value))} butir: " + " | ".join(item_text(v) for v in value)
        return ", ".join(rincian(v, names, field) for v in value) or "(tidak ada)"
    if isinstance(value, int) and not isinstance(value, bool) and field and (field in PLAIN_NUMBERS or "_id" in field):
        return str(value)
    if field in RINCIAN_IDS and isinstance(value, str) and names:
        return named(RINCIAN_IDS[field], value, names)
    return nilai(value)


def ya_tidak(value: Any) -> str:
    """``Ya`` / ``Tidak`` (``-`` for unknown)."""
    if value is None:
        return "-"
    return "Ya" if value else "Tidak"


# ----------------------------------------------------------------------------- numbers


def angka(n: Any, digits: int = 0) -> str:
    """A number the Indonesian way: ``1.096``, ``85,8``."""
    if n is None:
        return "-"
    if isinstance(n, bool):
        return ya_tidak(n)
    if digits == 0 and (isinstance(n, int) or float(n).is_integer()):
        text = f"{int(n):,}"
        return text.replace(",", ".")
    text = f"{float(n):,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def persen(x: Any, digits: int = 1) -> str:
    """A percentage: ``85,8%``."""
    if x is None:
        return "-"
    return f"{float(x):,.{digits}f}".replace(",", "\0").replace(".", ",").replace("\0", ".") + "%"


# ------------------------------------------------------------------------------ actors


def pelaku(value: str | None, accounts: Mapping[str, str] | None = None) -> str:
    """Who made a log row or a request, in words: ``Sistem (antrean)`` for a worker, the
    account's name for a person, ``Sistem (data contoh demo)`` for the demo's own runs,
    ``Baris perintah (user)``."""
    if not value:
        return "-"
    accounts = accounts or {}
    if value.startswith("job:"):
        return "Sistem (antrean)"
    if value in accounts:
        return accounts[value]
    if value == "demo":
        return "Sistem (data contoh demo)"
    if value == "selaras":
        return "Sistem (otomatis)"
    if value.startswith("cli"):
        user = value.partition(":")[2]
        return f"Baris perintah ({user})" if user else "Baris perintah"
    return value


def diminta_oleh(
    username: str | None, akun: tuple[str, str] | None, alasan: str | None = None, aksi: str | None = None
) -> str:
    """Who asked for a sync and why, in words: the person's name and role
    (``Rina Wati (Pegawai) · tombol sinkron oleh pegawai``), or the system and why
    (``Sistem · pembaruan terjadwal (data sumber berubah)``). ``akun`` is (nama, peran) of
    ``username``'s account; ``alasan`` a ``jobs.queue.Alasan``, ``aksi`` an audit action."""
    why = label(ALASAN_JOB, alasan) if alasan else (label(AKSI, aksi) if aksi else "")
    if not username or username == "selaras":
        who = "Sistem"
    elif akun is not None:
        who = f"{akun[0]} ({label(PERAN, akun[1])})"
    else:
        who = f"akun {username} (sudah tidak ada)"
    return f"{who} · {why}" if why else who


def install_filters(env: Any) -> None:
    """Register the helpers as Jinja2 filters (``waktu``, ``tgl``, ``angka``, ``persen``,
    ``ya_tidak``, ``hasil``, ``status``, ``alur``, ``mode``, ``nilai``, ``aksi``, ``peran``,
    ``pelaku``, ``job_status``, ``alasan_job``). ``waktu`` takes the zone: ``t|waktu(zona)``."""
    env.filters["waktu"] = waktu_singkat
    env.filters["waktu_panjang"] = waktu
    env.filters["tgl"] = tanggal_singkat
    env.filters["tanggal"] = tanggal
    env.filters["angka"] = angka
    env.filters["persen"] = persen
    env.filters["ya_tidak"] = ya_tidak
    env.filters["nilai"] = nilai
    env.filters["pelaku"] = pelaku
    env.filters["rincian"] = rincian
    for name, table in (
        ("hasil", HASIL),
        ("status", STATUS),
        ("alur", FLOW),
        ("mode", MODE),
        ("aksi", AKSI),
        ("peran", PERAN),
        ("job_status", JOB_STATUS),
        ("alasan_job", ALASAN_JOB),
        ("field", FIELD),
    ):
        env.filters[name] = lambda v, t=table: label(t, v)
    install_year_end_filters(env)


# ------------------------------------------------------------- the year's end (annual.md)

JENJANG = {
    "AHLI_PERTAMA": "Ahli Pertama",
    "AHLI_MUDA": "Ahli Muda",
    "AHLI_MADYA": "Ahli Madya",
    "AHLI_UTAMA": "Ahli Utama",
}
"""The jenjang of a teacher's functional position (``siasn_jabatan.jenjang``)."""

PREDIKAT = {
    "ISTIMEWA": "Istimewa",
    "SANGAT_BAIK": "Sangat Baik",
    "BAIK": "Baik",
    "BUTUH_PERBAIKAN": "Butuh Perbaikan",
    "KURANG": "Kurang",
    "SANGAT_KURANG": "Sangat Kurang",
}
"""Ratings as titles: a pegawai's annual rating and a school's organisation rating (PKO)."""

NILAI.update(
    {
        "ISTIMEWA": "istimewa",
        **{k: v.lower() for k, v in JENJANG.items()},
        "KONVERSI": "konversi predikat",
        "INTEGRASI": "integrasi",
        "PERTAMA": "angka kredit pertama",
        # TAH-03: who sets the missing rating
        "KEPALA_SEKOLAH": "kepala sekolah",
        "ATASAN": "atasan kepala sekolah",
    }
)

FIELD.update(
    {
        "predikat": "Predikat",
        "predikat_organisasi": "Predikat kinerja organisasi (PKO)",
        "penilai": "Yang menetapkan",
        "penilai_nip": "NIP yang menetapkan",
        "dinilai": "Guru yang sudah diberi predikat",
        "persen": "Persentase (%)",
        "pelanggaran": "Syarat yang dilanggar",
        "jenjang": "Jenjang jabatan",
        "golongan": "Golongan",
        "tmt_jabatan": "TMT jabatan",
        "tmt_golongan": "TMT golongan",
        "tmt_jabatan_tahun_ini": "TMT jabatan tahun ini",
        "angka_kredit": "Angka kredit",
        "ditetapkan": "Tanggal penetapan",
        "disinkron": "Waktu sinkron",
        **{p: PREDIKAT[p] for p in ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")},
    }
)


NAMED_IDS.update({"penilai_nip": "orang", "ditetapkan_oleh_nip": "orang"})


def batas(kunci: str) -> str:
    """A bound of the distribution rule (``SANGAT_BAIK+BAIK<=70%``, see ``domain.sebaran``) in words:
    ``Sangat Baik + Baik paling banyak 70%``."""
    op = "<=" if "<=" in kunci else ">="
    kiri, kanan = kunci.split(op)
    siapa = " + ".join(PREDIKAT.get(p, p) for p in kiri.split("+"))
    arah = "paling banyak" if op == "<=" else "paling sedikit"
    nilai_ = kanan if kanan.endswith("%") else f"{kanan} orang"
    return f"{siapa} {arah} {nilai_}"


def install_year_end_filters(env: Any) -> None:
    """The Jinja filters of the year's end pages (``|jenjang``, ``|predikat``, ``|batas``)."""
    env.filters["jenjang"] = lambda v: label(JENJANG, v)
    env.filters["predikat"] = lambda v: label(PREDIKAT, v)
    env.filters["batas"] = batas


# --- school leaders (leaders.md, issue 18) ---------------------------------------------------

KEADAAN_PIMPINAN = {
    "DEFINITIF": "Kepala sekolah definitif",
    "PLT": "Dipimpin Plt",
    "PLH": "Dipimpin Plh",
    "TANPA": "Tanpa kepala sekolah",
    "TIDAK_SAH": "Plt/Plh belum sah",
    "BERAKHIR": "Masa tugas Plt berakhir",
}
"""How a school is led, as the Dinas Pendidikan's list says it."""

PENUGASAN_ATASAN = {"DEFINITIF": "Definitif", "PLT": "Plt", "PLH": "Plh"}
"""How e-Kinerja records a unit's head (``atasan_penugasan``)."""

FIELD.update(
    {
        "penugasan": "Penugasan",
        "nomor_sk": "Nomor SK",
        "tmt": "TMT",
        "tst": "TST",
        "sejak": "Sejak",
        "plt_masa_bulan": "Masa tugas Plt (bulan)",
        "akhir_masa": "Masa tugas berakhir",
        "tanggal_periksa": "Tanggal pemeriksaan",
        "plt_boleh_menilai": "Plt boleh menilai SKP",
        "atasan_penugasan": "Penugasan atasan",
        "pimpinan_diklaim": "Kepemimpinan unit sudah diklaim",
    }
)
NILAI.update(
    {
        "DEFINITIF": "definitif",
        "PLT": "Plt (pelaksana tugas)",
        "PLH": "Plh (pelaksana harian)",
        "SEKOLAH_INDUK": "tugas Plt di sekolah induknya sendiri",
        "JENIS_PTK": "jenis PTK-nya Kepala Sekolah",
        "NOMOR_SK": "nomor SK kurang dari 10 digit",
        "TMT_KOSONG": "TMT kosong",
        "PIMPINAN_BELUM_DIKLAIM": "kepala sekolah belum mengklaim kepemimpinan unit di e-Kinerja",
        "ATASAN_PLT": "atasan di PMM adalah Plt/Plh yang belum dicatat di menu Plt/Plh e-Kinerja",
    }
)
