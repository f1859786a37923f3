"""Accounts as data: the roles, an account as stored, who acts (the audit's ``pelaku``) and the
refusal of an account that cannot be made as asked. The decisions and writes are in
``usecases/accounts.py`` and ``usecases/access.py``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SSO_PREFIX = "sso:"
"""The username of the account row a single sign-on person acts through is this plus the NIP."""


class Peran(StrEnum):
    """Account roles. A principal (kepala sekolah) is a pegawai account; see ``access``."""

    PEGAWAI = "pegawai"
    OPERATOR = "operator"
    ADMIN = "admin"
    DINAS = "dinas"
    NASIONAL = "nasional"
    MONITOR = "monitor"
    PIMPINAN = "pimpinan"  # the head of the agency: reads what is escalated to them


PERAN_LABEL = {
    Peran.PEGAWAI: "Pegawai",
    Peran.OPERATOR: "Operator Sekolah",
    Peran.ADMIN: "Admin Instansi",
    Peran.DINAS: "Dinas Pendidikan",
    Peran.NASIONAL: "Admin Nasional",
    Peran.MONITOR: "Pemantau Layanan",
    Peran.PIMPINAN: "Pimpinan Instansi",
}


@dataclass(frozen=True)
class Akun:
    """One account as stored (without its password hash)."""

    username: str
    peran: Peran
    nama: str
    nip: str | None = None
    npsn: str | None = None
    instansi_id: str | None = None
    aktif: bool = True


class AccountError(ValueError):
    """An account that cannot be created as asked."""


@dataclass(frozen=True)
class Pelaku:
    """Who acts: an account (a page) or the command line (``cli``)."""

    username: str
    peran: str
    instansi_id: str | None = None
