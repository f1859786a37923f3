"""The sentences of the notices (``domain.pemberitahuan`` drafts them): each one once, as data.

Placeholders are filled with ``str.format``; the words are those a pegawai, an operator or an
admin reads in the app and in the e-mail.
"""

from __future__ import annotations

ALUR: dict[str, str] = {"skp": "SKP", "penilaian": "Penilaian Periodik", "tahunan": "Predikat Tahunan"}
"""What each sync flow (``Flow`` value) is called in a notice."""

TERSINKRON_JUDUL = "{alur} tersinkron"
TERSINKRON_ISI = "{alur} Anda sudah tersinkron ke e-Kinerja."

KENDALA_JUDUL = "{kode}: {judul}"
"""The title of a notice about one error: its code and the catalogue's title."""

LAKUKAN_ISI = "Yang perlu Anda lakukan: {langkah}{rhk}"
"""To the pegawai who must act themselves."""

KEPALA_SEKOLAH = "{nama} (Kepala Sekolah)"
MENUNGGU_JUDUL = "{kode}: menunggu {siapa}"
MENUNGGU_ISI = (
    "{judul}. Sinkron SKP {siapa} sudah siap dan akan menyelesaikan kendala ini; "
    "Selaras mencoba lagi sinkron Anda otomatis setelah itu."
)
"""To a teacher waiting on a principal whose sync clears the error."""

KEPALA_DULU_ISI = (
    "Kepala sekolah {nama} perlu lebih dulu menyelesaikan kendala SKP-nya sendiri, lalu "
    "menyinkronkan SKP-nya; Selaras mencoba lagi sinkron Anda otomatis setelah itu."
)
"""To a teacher whose principal's own SKP still fails."""

ORANG_LAIN_ISI = (
    "Yang harus bertindak: {siapa}. Langkahnya: {langkah} Selaras mencoba lagi otomatis setelah data diperbaiki."
)
"""To the pegawai when others must act."""

KEPALA_TERTAHAN_ISI = (
    "{nama} (NIP {nip}) menunggu SKP Anda di e-Kinerja, tetapi sinkron SKP Anda sendiri "
    "belum bisa berjalan. Selesaikan dulu kendala SKP Anda (lihat halaman SKP Anda), lalu "
    "sinkronkan; guru ini dicoba lagi otomatis setelah itu."
)
"""To a principal a teacher waits on while the principal's own SKP still fails."""

UNTUK_ISI = "Untuk {nama} (NIP {nip}): {langkah}{rhk}"
"""To everyone else who must act on a pegawai's error."""

RHK_BUTIR = "“{teks}”"
RHK_SEBAB = " ({sebab})"
RHK_LAINNYA = " dan {jumlah} lainnya"
RHK_DAFTAR = " RHK: {daftar}{lainnya}."
"""PMM-13: the RHK that cannot be linked, each with its cause, at most five by name."""

SUMBER_JUDUL = "SYS-02: {sumber} {tabel} [{kunci}]"
"""To a source's owner: a record of theirs that breaks the contract."""

SUREL_SUBJEK = "[Selaras] {judul}"
"""The subject of a notice's e-mail."""
