"""The error codes of ``errors.md`` and ``leaders.md``: titles, causes, actors and steps.

This is the only place where these texts live. Everything that shows an error (the command
line, exports, the recap, later the web pages) looks the code up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Aktor(StrEnum):
    """Who must act to fix an error."""

    PEGAWAI = "Pegawai"
    KEPALA_SEKOLAH = "Kepala Sekolah"
    OPERATOR_SEKOLAH = "Operator Sekolah"
    ADMIN_INSTANSI = "Admin Instansi"
    DINAS_PENDIDIKAN = "Dinas Pendidikan"
    SISTEM = "Sistem"


@dataclass(frozen=True)
class ErrorCode:
    """One entry of the catalogue."""

    code: str
    flow: str  # "skp", "penilaian", "tahunan" or "sistem"
    judul: str  # the title the user sees (the official message where it is known)
    penyebab: str  # cause, in Bahasa Indonesia
    aktor: tuple[Aktor, ...]
    langkah: tuple[str, ...]  # steps to fix, in order
    cause_en: str
    teacher_only: bool = False
    known: bool = False  # the title is the real system's public message

    @property
    def urutan(self) -> int:
        """Fix-first position: lower numbers are fixed first (errors.md, Clarifications)."""
        return FIX_ORDER.index(self.code)


FIX_ORDER: tuple[str, ...] = (
    "SYS-01",
    "SYS-02",
    "PMM-09",
    "PMM-01",
    "PMM-04",
    "PMM-05",
    "PMM-03",
    "PMM-08",
    "PMM-10",
    "PLT-01",
    "PLT-02",
    "PLT-03",
    "PLT-04",
    "PMM-06",
    "PMM-02",
    "PMM-07",
    "PMM-12",
    "PMM-11",
    "PMM-13",
    "PER-02",
    "PER-01",
    "PER-03",
    # Flow TAHUNAN (annual.md): the plan synced, the school's PKO, the rating, its distribution,
    # a rating typed by hand, then the jenjang the credit needs.
    "TAH-01",
    "TAH-02",
    "TAH-03",
    "TAH-04",
    "TAH-06",
    "TAH-05",
)

A = Aktor
_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        "PMM-01",
        "skp",
        "Tombol sinkron PMM tidak muncul di e-Kinerja",
        "NIP pegawai di SIASN tidak ditemukan pada data PTK di Dapodik (Verval PTK). Tanpa "
        "pasangan NIP, e-Kinerja tidak menampilkan tombol Sinkron PMM.",
        (A.OPERATOR_SEKOLAH, A.PEGAWAI),
        (
            "Pegawai menyerahkan NIP yang tercatat di SIASN kepada operator sekolah.",
            "Operator sekolah memperbaiki NIP di Verval PTK (Dapodik).",
            "Perbaikan memerlukan beberapa hari sampai tiba di PMM; Selaras akan mencoba lagi setelah data baru tiba.",
        ),
        "The pegawai's SIASN NIP is not on any Dapodik PTK record (Verval PTK).",
        known=True,
    ),
    ErrorCode(
        "PMM-02",
        "skp",
        "Pegawai belum membuat SKP di PMM",
        "Belum ada SKP tahun ini di PMM yang berstatus disepakati. Hanya SKP yang sudah "
        "disepakati yang dapat dikirim ke e-Kinerja.",
        (A.PEGAWAI, A.KEPALA_SEKOLAH),
        (
            "Pegawai menyelesaikan dan mengajukan SKP di PMM.",
            "Kepala sekolah menyetujui SKP, lalu pegawai dan atasan menyepakatinya.",
            "Coba sinkron lagi setelah 1x24 jam.",
        ),
        "No PMM plan of the year has status DISEPAKATI.",
        known=True,
    ),
    ErrorCode(
        "PMM-03",
        "skp",
        "Data Unit Kerja Pegawai tidak terdaftar di Referensi Unit Kerja",
        "Unit kerja (unor) pegawai tidak ada atau tidak aktif di SIASN dan/atau di e-Kinerja.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi memeriksa unit kerja pegawai di SIASN dan di e-Kinerja.",
            "Aktifkan atau perbaiki unit tersebut di kedua sistem.",
            "Jalankan sinkron lagi untuk pegawai ini.",
        ),
        "The pegawai's unit is missing or inactive in SIASN and/or e-Kinerja.",
        known=True,
    ),
    ErrorCode(
        "PMM-04",
        "skp",
        "Jenis PTK tidak dapat melakukan Sinkron PMM",
        "Jenis PTK di Dapodik bukan salah satu dari 11 jenis yang boleh memakai Pengelolaan Kinerja PMM.",
        (A.OPERATOR_SEKOLAH,),
        (
            "Operator sekolah memeriksa jenis PTK pegawai di Dapodik.",
            "Jika keliru, perbaiki jenis PTK (misalnya Guru Mapel, Guru Kelas, Kepala Sekolah).",
            "Sinkron dicoba lagi setelah data Dapodik diperbarui.",
        ),
        "The Dapodik PTK type is not one of the 11 types allowed to use PMM performance.",
    ),
    ErrorCode(
        "PMM-05",
        "skp",
        "Jabatan pegawai di SIASN bukan jabatan fungsional Guru",
        "Jabatan pegawai di SIASN bukan jabatan fungsional yang namanya diawali 'Guru'.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi memeriksa riwayat jabatan pegawai di SIASN.",
            "Perbarui jabatan menjadi jabatan fungsional Guru yang benar.",
            "Jalankan sinkron lagi untuk pegawai ini.",
        ),
        "The SIASN position is not a functional position whose name starts with 'Guru'.",
    ),
    ErrorCode(
        "PMM-06",
        "skp",
        "Periode SKP belum tersedia di e-Kinerja",
        "Instansi belum memiliki periode tahunan di e-Kinerja yang mencakup tanggal SKP.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi membuka Manajemen Periode di e-Kinerja.",
            "Buat periode tahunan yang mencakup seluruh tanggal SKP.",
            "Selaras akan mencoba lagi sinkron pegawai yang tertahan setelah periode dibuat.",
        ),
        "No yearly period of the instansi covers the plan's dates.",
    ),
    ErrorCode(
        "PMM-07",
        "skp",
        "SKP periode ini sudah dibuat manual di e-Kinerja",
        "Di e-Kinerja sudah ada SKP buatan tangan (manual) untuk periode dan unit yang sama. "
        "Selaras tidak menimpanya tanpa persetujuan.",
        (A.PEGAWAI, A.ADMIN_INSTANSI),
        (
            "Pegawai atau Admin Instansi memeriksa SKP manual tersebut.",
            "Hapus SKP manual, atau izinkan secara tegas agar SKP dari PMM menggantikannya "
            "(tindakan ini dicatat di log audit).",
            "Jalankan sinkron lagi.",
        ),
        "A hand-made (MANUAL) e-Kinerja SKP exists for the same period and unit.",
    ),
    ErrorCode(
        "PMM-08",
        "skp",
        "Unor di PMM belum padan",
        "Sekolah (NPSN) pada SKP di PMM belum dipadankan dengan unit kerja (unor) di SIASN.",
        (A.DINAS_PENDIDIKAN,),
        (
            "Dinas Pendidikan memadankan NPSN sekolah dengan unor di SIASN.",
            "Selaras akan mencoba lagi sinkron pegawai sekolah itu setelah padanan tersedia.",
        ),
        "The plan's school (NPSN) is not matched to any SIASN unit.",
        known=True,
    ),
    ErrorCode(
        "PMM-09",
        "skp",
        "Pegawai tidak aktif atau bukan ASN di SIASN",
        "Status pegawai di SIASN bukan aktif, atau jenis pegawai bukan PNS/PPPK.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi memeriksa status kepegawaian di SIASN.",
            "Jika data keliru, perbaiki status; pegawai non-ASN atau tidak aktif tidak disinkron.",
        ),
        "The SIASN status is not AKTIF, or the pegawai is not PNS/PPPK.",
    ),
    ErrorCode(
        "PMM-10",
        "skp",
        "Unit kerja di PMM tidak sama dengan unit kerja di SIASN",
        "Tidak ada SKP tahun ini yang berada di sekolah unit kerja pegawai saat ini di SIASN.",
        (A.ADMIN_INSTANSI, A.OPERATOR_SEKOLAH),
        (
            "Bandingkan sekolah di PMM/Dapodik dengan unit kerja di SIASN (nilai di bawah).",
            "Jika SIASN yang tertinggal, Admin Instansi memperbarui unit kerja di SIASN.",
            "Jika Dapodik yang tertinggal, operator sekolah memperbarui penugasan di Dapodik.",
        ),
        "None of the year's plans is at the school of the pegawai's current SIASN unit.",
    ),
    ErrorCode(
        "PMM-11",
        "skp",
        "Data SKP Organisasi belum dibuat oleh atasan",
        "Atasan (kepala sekolah) belum memiliki SKP di e-Kinerja untuk periode ini, sehingga "
        "SKP guru belum punya induk.",
        (A.KEPALA_SEKOLAH, A.ADMIN_INSTANSI),
        (
            "Pilihan A: kepala sekolah menekan Sinkron PMM untuk SKP-nya sendiri.",
            "Pilihan B: Admin Instansi menjalankan sinkron atas nama kepala sekolah.",
            "Setelah itu Selaras mencoba lagi sinkron guru ini dengan sendirinya.",
        ),
        "The superior (principal) has no e-Kinerja SKP for the period yet.",
        teacher_only=True,
        known=True,
    ),
    ErrorCode(
        "PMM-12",
        "skp",
        "Atasan Pegawai tidak sama dengan data PMM",
        "Atasan unit kerja di e-Kinerja berbeda dengan atasan yang menyetujui SKP di PMM.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi melihat perbedaan atasan di Log Sinkronisasi PMM (nilai di bawah).",
            "Perbarui atasan unit kerja di e-Kinerja dan SIASN agar sama dengan PMM.",
            "Jalankan sinkron lagi untuk pegawai ini.",
        ),
        "The unit's superior in e-Kinerja differs from the superior in PMM.",
        teacher_only=True,
        known=True,
    ),
    ErrorCode(
        "PMM-13",
        "skp",
        "Tidak ada RHK yang bisa dikaitkan",
        "Ada RHK guru yang tidak bisa dikaitkan dengan RHK pada SKP atasan di e-Kinerja. Penyebabnya "
        "disebutkan per RHK: RHK tanpa induk di PMM, induk yang bukan RHK atasan, atau RHK atasan "
        "yang belum ada di SKP atasan di e-Kinerja.",
        (A.PEGAWAI, A.KEPALA_SEKOLAH, A.ADMIN_INSTANSI),
        (
            "Lihat penyebab setiap RHK di bawah; yang harus bertindak bergantung pada penyebabnya.",
            "Setelah diperbaiki, Selaras mencoba lagi sinkron guru ini dengan sendirinya.",
        ),
        "A teacher RHK cannot be linked to an RHK of the superior's e-Kinerja SKP (cause given per RHK).",
        teacher_only=True,
        known=True,
    ),
    ErrorCode(
        "PER-01",
        "penilaian",
        "Periode penilaian periodik di e-Kinerja tidak standar",
        "Pengaturan periode periodik instansi tahun ini tidak standar: campuran bulanan dan "
        "triwulanan, nomor ganda, nomor di luar rentang, atau tidak ada periode yang cocok "
        "dengan penilaian di PMM.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi memperbaiki Manajemen Periode: satu jenis saja (bulanan nomor 1–12 atau "
            "triwulanan nomor 1–4), setiap nomor sekali.",
            "Setelah itu siapa pun dapat mencoba lagi; Selaras mencoba lagi dengan sendirinya.",
        ),
        "The instansi's periodic periods are not standard or do not match PMM's assessment.",
    ),
    ErrorCode(
        "PER-02",
        "penilaian",
        "SKP belum tersinkron ke e-Kinerja",
        "SKP yang disepakati di PMM belum ada di e-Kinerja, sehingga penilaian belum punya tempat.",
        (A.PEGAWAI,),
        (
            "Jalankan Sinkron PMM terlebih dahulu dan ikuti kendala yang muncul.",
            "Setelah SKP tersinkron, Sinkron Penilaian Periodik dapat dijalankan.",
        ),
        "The agreed plan has not been synced to e-Kinerja yet.",
    ),
    ErrorCode(
        "PER-03",
        "penilaian",
        "Data penilaian periodik belum tersedia di PMM",
        "Belum ada data penilaian periodik untuk SKP ini di PMM.",
        (A.PEGAWAI, A.KEPALA_SEKOLAH),
        (
            "Pegawai dan kepala sekolah menyelesaikan penilaian periode ini di PMM.",
            "Coba sinkron penilaian lagi setelahnya.",
        ),
        "PMM has no periodic assessment for the agreed plan.",
    ),
    ErrorCode(
        "SYS-01",
        "sistem",
        "Layanan sumber data tidak dapat dihubungi",
        "Sistem sumber (PMM, SIASN atau Dapodik) tidak menjawab, menolak, atau sedang sibuk. "
        "Permintaan disimpan dan dicoba lagi otomatis.",
        (A.SISTEM,),
        ("Tidak perlu tindakan: permintaan Anda sudah antre dan akan dicoba lagi otomatis.",),
        "A source system timed out, refused, or answered 5xx/429; the request is retried.",
    ),
    ErrorCode(
        "SYS-02",
        "sistem",
        "Data dari sumber tidak valid",
        "Sistem sumber mengirim data yang melanggar kontrak data (format, rujukan). Rekaman dan "
        "kolom yang salah disebutkan.",
        (A.SISTEM,),
        (
            "Selaras melaporkan rekaman dan kolom yang salah kepada pemilik sistem sumber.",
            "Setelah sumber diperbaiki, sinkron dicoba lagi.",
        ),
        "A source answered with data that breaks the contract; the record and field are named.",
    ),
)

_CODES_TAHUNAN: tuple[ErrorCode, ...] = (
    ErrorCode(
        "TAH-01",
        "tahunan",
        "SKP tahun ini belum tersinkron ke e-Kinerja",
        "SKP tahun ini yang disepakati di PMM belum ada di e-Kinerja, sehingga predikat tahunan belum punya tempat.",
        (A.PEGAWAI,),
        (
            "Jalankan Sinkron PMM (SKP) terlebih dahulu dan ikuti kendala yang muncul.",
            "Setelah SKP tersinkron, Sinkron Predikat Tahunan dapat dijalankan.",
        ),
        "The year's agreed plan has not been synced to e-Kinerja yet.",
    ),
    ErrorCode(
        "TAH-02",
        "tahunan",
        "Predikat kinerja organisasi sekolah belum ditetapkan",
        "Kepala Dinas Pendidikan belum menetapkan predikat kinerja organisasi (PKO) sekolah ini "
        "untuk tahun ini. Tanpa PKO, kepala sekolah belum dapat menetapkan predikat guru.",
        (A.DINAS_PENDIDIKAN,),
        (
            "Dinas Pendidikan menetapkan predikat kinerja organisasi sekolah di PMM.",
            "Setelah itu kepala sekolah menetapkan predikat setiap guru; Selaras mencoba lagi dengan sendirinya.",
        ),
        "The school of the agreed plan has no organisation rating (PKO) for the year.",
    ),
    ErrorCode(
        "TAH-03",
        "tahunan",
        "Predikat kinerja pegawai belum ditetapkan",
        "Predikat kinerja tahunan pegawai ini belum ditetapkan di PMM. Predikat guru ditetapkan "
        "oleh kepala sekolah; predikat kepala sekolah oleh atasannya.",
        (A.KEPALA_SEKOLAH,),
        (
            "Kepala sekolah (atau atasan, untuk kepala sekolah sendiri) menetapkan predikat tahunan di PMM.",
            "Coba sinkron predikat lagi setelahnya.",
        ),
        "The pegawai has no annual rating for the year (the detail names who must set it).",
    ),
    ErrorCode(
        "TAH-04",
        "tahunan",
        "Sebaran predikat tidak sesuai predikat organisasi",
        "Sebaran predikat guru di sekolah ini melanggar batas yang diizinkan oleh predikat kinerja "
        "organisasi sekolah (misalnya terlalu banyak Sangat Baik).",
        (A.KEPALA_SEKOLAH, A.DINAS_PENDIDIKAN),
        (
            "Kepala sekolah meninjau kembali predikat guru sampai sebarannya sesuai batas PKO.",
            "Bila PKO sekolah keliru, Dinas Pendidikan memperbaikinya.",
            "Selaras memeriksa lagi seluruh guru sekolah ini setelah data baru tiba.",
        ),
        "The school's ratings break the distribution its organisation rating allows (shares and rule in detail).",
    ),
    ErrorCode(
        "TAH-05",
        "tahunan",
        "Jenjang jabatan di SIASN belum lengkap",
        "Pegawai menduduki jabatan fungsional, tetapi jenjang atau TMT jabatannya untuk tahun ini "
        "tidak ada di SIASN, sehingga angka kredit tidak dapat dihitung.",
        (A.ADMIN_INSTANSI,),
        (
            "Admin Instansi melengkapi riwayat jabatan (jenjang dan TMT) pegawai di SIASN.",
            "Selaras menghitung angka kredit setelah data SIASN diperbarui.",
        ),
        "A functional-position pegawai has no jenjang or TMT in SIASN for the year.",
    ),
    ErrorCode(
        "TAH-06",
        "tahunan",
        "Predikat tahun ini sudah diisi manual di e-Kinerja",
        "Di e-Kinerja sudah ada predikat tahunan yang diisi tangan (manual) dan berbeda dengan "
        "predikat di PMM. Selaras tidak menimpanya tanpa persetujuan.",
        (A.PEGAWAI, A.ADMIN_INSTANSI),
        (
            "Pegawai atau Admin Instansi memeriksa predikat manual tersebut.",
            "Hapus predikat manual di e-Kinerja, atau samakan dengan predikat di PMM.",
            "Jalankan sinkron predikat lagi.",
        ),
        "A hand-typed (MANUAL) e-Kinerja annual rating differs from PMM's.",
    ),
)
_CODES = _CODES + _CODES_TAHUNAN
# --- school leaders (leaders.md, issue 18) -------------------------------------------------
# No public source says what e-Kinerja shows for a Plt school: these titles and texts are
# Selaras's own descriptions in the catalogue's style (``known`` stays False).
_PIMPINAN_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        "PLT-01",
        "skp",
        "Sekolah belum memiliki kepala sekolah",
        "Sekolah pada SKP ini tidak memiliki kepala sekolah definitif maupun Plt/Plh yang sedang "
        "bertugas di Dapodik, sehingga tidak ada atasan yang dapat menyetujui SKP atau menjadi induk RHK.",
        (A.DINAS_PENDIDIKAN, A.ADMIN_INSTANSI),
        (
            "Dinas Pendidikan menetapkan kepala sekolah definitif, atau menugaskan Plt Kepala Sekolah "
            "dengan SK, lalu admin Dapodik Dinas mencatat tugas tambahan itu.",
            "Admin Instansi mencatat kepala sekolah (atau Plt-nya) sebagai atasan unit di e-Kinerja.",
            "Setelah Dapodik tersinkron, Selaras mencoba lagi sinkron guru sekolah itu.",
        ),
        "The plan's school has no definitive principal and no active Plt/Plh duty.",
        teacher_only=True,
    ),
    ErrorCode(
        "PLT-02",
        "skp",
        "Plt Kepala Sekolah belum sah di Dapodik",
        "Tugas tambahan Plt/Plh Kepala Sekolah di Dapodik tidak memenuhi syarat: di sekolah induknya "
        "sendiri, jenis PTK-nya Kepala Sekolah, nomor SK kurang dari 10 digit, atau TMT kosong "
        "(rinciannya di bawah).",
        (A.DINAS_PENDIDIKAN, A.OPERATOR_SEKOLAH),
        (
            "Admin Dapodik Dinas Pendidikan memperbaiki tugas tambahan Plt/Plh sesuai rincian di bawah.",
            "Operator sekolah menyinkronkan Dapodik setelah perbaikan.",
            "Selaras mencoba lagi sinkron guru sekolah itu setelah data baru tiba.",
        ),
        "The school's Plt/Plh duty is not valid (own school, PTK type, SK number or TMT).",
        teacher_only=True,
    ),
    ErrorCode(
        "PLT-03",
        "skp",
        "Masa tugas Plt Kepala Sekolah sudah berakhir",
        "Masa tugas Plt/Plh Kepala Sekolah sudah melewati batas yang berlaku di instansi ini.",
        (A.DINAS_PENDIDIKAN,),
        (
            "Dinas Pendidikan memperpanjang tugas Plt, menugaskan Plt lain, atau menetapkan kepala sekolah definitif.",
            "Admin Dapodik Dinas mencatat perubahannya; operator sekolah menyinkronkan Dapodik.",
            "Selaras mencoba lagi sinkron guru sekolah itu setelah data baru tiba.",
        ),
        "The school's Plt/Plh term is over (TMT plus the instansi's term).",
        teacher_only=True,
    ),
    ErrorCode(
        "PLT-04",
        "skp",
        "Plt tidak berwenang menilai SKP di instansi ini",
        "Atasan SKP di PMM adalah Plt/Plh Kepala Sekolah, sedangkan kebijakan instansi ini tidak "
        "mengizinkan Plt menyetujui atau menilai SKP guru.",
        (A.DINAS_PENDIDIKAN, A.PEGAWAI),
        (
            "Pegawai meminta persetujuan SKP kepada kepala unit induk sekolah (atasan Plt), atau",
            "Dinas Pendidikan menetapkan kepala sekolah definitif.",
            "Setelah atasan di PMM berganti, coba sinkron lagi.",
        ),
        "The plan's PMM superior is a Plt/Plh and the instansi does not let a Plt assess.",
        teacher_only=True,
    ),
)

_CODES = (*_CODES, *_PIMPINAN_CODES)

CATALOGUE: dict[str, ErrorCode] = {c.code: c for c in _CODES}
CODES: tuple[str, ...] = tuple(sorted(CATALOGUE))
SKP_CODES: tuple[str, ...] = tuple(c.code for c in _CODES if c.flow == "skp")
PENILAIAN_CODES: tuple[str, ...] = tuple(c.code for c in _CODES if c.flow == "penilaian")
TAHUNAN_CODES: tuple[str, ...] = tuple(c.code for c in _CODES if c.flow == "tahunan")


@dataclass(frozen=True)
class Sebab:
    """One cause of an error that has several (errors.md, Clarifications), with its own actors."""

    alasan: str  # the key in the error's detail
    judul: str  # the cause in a few words, in Bahasa Indonesia
    aktor: tuple[Aktor, ...]
    langkah: tuple[str, ...]
    menunggu_atasan: bool  # the superior's sync clears it (the teacher waits on the superior)


SEBAB: dict[str, dict[str, Sebab]] = {
    "PMM-13": {
        s.alasan: s
        for s in (
            Sebab(
                "INDUK_KOSONG",
                "RHK guru belum punya RHK induk di PMM",
                (A.PEGAWAI, A.KEPALA_SEKOLAH),
                (
                    "Guru mengaitkan RHK ini dengan salah satu RHK kepala sekolah di PMM.",
                    "Kepala sekolah menyetujui lagi SKP guru sampai berstatus disepakati.",
                ),
                False,
            ),
            Sebab(
                "INDUK_BUKAN_RHK_ATASAN",
                "RHK induknya bukan RHK pada SKP atasan yang disepakati di PMM",
                (A.PEGAWAI, A.KEPALA_SEKOLAH),
                (
                    "Guru mengaitkan ulang RHK ini dengan RHK kepala sekolah yang sekarang di PMM "
                    "(SKP kepala sekolah berubah, atau RHK tertaut ke kepala sekolah lain).",
                    "Kepala sekolah menyetujui lagi SKP guru sampai berstatus disepakati.",
                ),
                False,
            ),
            Sebab(
                "BELUM_DI_SKP_ATASAN",
                "RHK induknya ada di PMM tetapi belum ada di SKP atasan di e-Kinerja",
                (A.KEPALA_SEKOLAH, A.ADMIN_INSTANSI),
                (
                    "Kepala sekolah (atau Admin Instansi atas namanya) menyinkronkan SKP kepala sekolah dari PMM.",
                    "Setelah itu Selaras mencoba lagi sinkron guru ini dengan sendirinya.",
                ),
                True,
            ),
            Sebab(
                "PIMPINAN_BELUM_DIKLAIM",
                "Kepala sekolah belum mengklaim kepemimpinan unit di e-Kinerja",
                (A.KEPALA_SEKOLAH, A.ADMIN_INSTANSI),
                (
                    "Kepala sekolah (atau Plt-nya) mengklaim kepemimpinan unit sekolah di e-Kinerja; "
                    "Admin Instansi membantu bila menu klaim tidak muncul.",
                    "Sinkron SKP kepala sekolah tidak menyelesaikan ini: setelah unit diklaim, coba sinkron lagi.",
                ),
                False,
            ),
        )
    },
    "PMM-12": {
        s.alasan: s
        for s in (
            Sebab(
                "ATASAN_PLT",
                "Atasan di PMM adalah Plt/Plh Kepala Sekolah yang belum dicatat di e-Kinerja",
                (A.ADMIN_INSTANSI,),
                (
                    "Admin Instansi membuka menu Plt/Plh di e-Kinerja dan mencatat Plt/Plh tersebut sebagai "
                    "atasan sementara unit sekolah (nilai di bawah).",
                    "Jalankan sinkron lagi untuk pegawai ini.",
                ),
                False,
            ),
        )
    },
}
"""The causes of each code that has several, by ``alasan`` (PMM-13; PMM-12 for a Plt superior)."""


def lookup(code: str) -> ErrorCode:
    """The catalogue entry of ``code``; KeyError for an unknown code."""
    return CATALOGUE[code]


def actors(code: str) -> list[str]:
    """The roles that must act on ``code``, as display names."""
    return [a.value for a in CATALOGUE[code].aktor]
