"""Dates, times and time zones as people in Indonesia read them: ``1 Desember 2026``,
``01-12-2026 14.05 WITA``, in the instansi's own zone (WIB, WITA or WIT). Pure: no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

AKHIR_PEKAN = "akhir pekan"
"""Why a Saturday or a Sunday is not a working day."""
LIBUR_INSTANSI = "libur instansi"
"""Why a day the instansi added is not a working day."""

ZONA = {"WIB": 7, "WITA": 8, "WIT": 9}
"""Indonesia's three time zones, hours east of UTC."""
ZONA_BAKU = "WIB"


def zona(nama: str | None) -> timezone:
    """The ``timezone`` of ``WIB``, ``WITA`` or ``WIT`` (WIB when unknown)."""
    kode = nama if nama in ZONA else ZONA_BAKU
    return timezone(timedelta(hours=ZONA[kode]), kode)


def _date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def tanggal(value: date | datetime | str | None) -> str:
    """A date: ``1 Desember 2026``."""
    if value is None or value == "":
        return "-"
    d = _date(value)
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def tanggal_singkat(value: date | datetime | str | None) -> str:
    """A date in a table: ``01-12-2026``."""
    if value is None or value == "":
        return "-"
    return _date(value).strftime("%d-%m-%Y")


def di_zona(value: datetime, nama_zona: str | None = None) -> datetime:
    """``value`` (naive = UTC) as a time in the zone ``nama_zona``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zona(nama_zona))


def waktu(value: datetime | None, nama_zona: str | None = None) -> str:
    """A time in the instansi's zone, with the zone named: ``1 Desember 2026 14.05 WITA``."""
    if value is None:
        return "-"
    t = di_zona(value, nama_zona)
    return f"{tanggal(t.date())} {t:%H.%M} {t.tzname()}"


def waktu_singkat(value: datetime | None, nama_zona: str | None = None) -> str:
    """A time in a table: ``01-12-2026 14.05 WIB``."""
    if value is None:
        return "-"
    t = di_zona(value, nama_zona)
    return f"{t:%d-%m-%Y %H.%M} {t.tzname()}"
