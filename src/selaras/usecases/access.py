"""Who may see and do what: one decision per resource, shared by the pages and the API.

Refusals: a resource outside the user's reach answers **404** (as if it did not exist: a
teacher learns nothing about another NIP); an action the role may never take answers **403**.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selaras.catalogue.codes import CATALOGUE, Aktor
from selaras.domain.akun import PERAN_LABEL, SSO_PREFIX, Akun, Pelaku, Peran
from selaras.domain.pegawai import KEPALA_SEKOLAH
from selaras.store import pimpinan, reach
from selaras.store.database import Store

DINAS_CODES: tuple[str, ...] = tuple(c.code for c in CATALOGUE.values() if Aktor.DINAS_PENDIDIKAN in c.aktor)
"""The unit matching problems a Dinas Pendidikan sees (the codes it must act on)."""


class Ditolak(Exception):
    """A refused request: ``status`` 403 (not for this role) or 404 (outside the user's reach)."""

    def __init__(self, status: int, pesan: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(pesan)
        self.status = status
        self.pesan = pesan
        self.headers = headers


def forbidden(pesan: str = "Peran Anda tidak boleh melakukan tindakan ini.") -> Ditolak:
    """A 403 refusal."""
    return Ditolak(403, pesan)


def not_found(pesan: str = "Data tidak ditemukan atau bukan wewenang Anda.") -> Ditolak:
    """A 404 refusal (also for what exists but is out of reach)."""
    return Ditolak(404, pesan)


@dataclass(frozen=True)
class Pengguna:
    """The signed-in account with what it reaches: its instansi, its school, principal or not."""

    akun: Akun
    instansi_id: str | None = None
    npsn: str | None = None  # operator: the school; pegawai: the Dapodik school of their PTK
    kepala_sekolah: bool = False
    csrf: str | None = None
    via_token: bool = False
    sekolah_nama: str | None = field(default=None, compare=False)
    pimpinan_npsn: tuple[str, ...] = ()
    """The schools the pegawai leads as a valid Plt/Plh today (leaders.md): a Plt sees and acts
    for their teachers while the duty lasts, and no longer."""

    @property
    def peran(self) -> Peran:
        return self.akun.peran

    @property
    def label(self) -> str:
        """The role as shown to people."""
        if self.peran is Peran.PEGAWAI:
            if not self.kepala_sekolah and self.pimpinan_npsn:
                return f"Plt {KEPALA_SEKOLAH}"
            return KEPALA_SEKOLAH if self.kepala_sekolah else "Guru"
        return PERAN_LABEL[self.peran]

    @property
    def is_admin(self) -> bool:
        return self.peran is Peran.ADMIN

    @property
    def pelaku(self) -> Pelaku:
        """The account as the one who acts (the audit's who)."""
        return Pelaku(self.akun.username, self.peran.value, self.instansi_id)


def resolve(store: Store, a: Akun, *, csrf: str | None = None, via_token: bool = False) -> Pengguna:
    """The account's reach, looked up in the contract data (SIASN, Dapodik)."""
    if a.peran is Peran.MONITOR:  # a monitoring account reads /metrics (web/health.py) and nothing else
        raise Ditolak(403, "Akun pemantau hanya dapat membaca /metrics.")
    instansi_id, npsn, ks = a.instansi_id, a.npsn, False
    if a.peran is Peran.PEGAWAI and a.nip:
        # Matched as the rules match (NIP, then NIK): a principal whose Dapodik NIP is wrong
        # (PMM-01) is still a principal here.
        r = reach.pegawai_reach(store, a.nip)
        if not r.exists and a.username.startswith(SSO_PREFIX):
            # A single sign-on person is a pegawai only while the data says so.
            raise Ditolak(403, f"NIP {a.nip} tidak ada lagi di data Selaras (SIASN); hubungi Admin Instansi Anda.")
        instansi_id = r.instansi_id or instansi_id
        if r.npsn is not None:
            npsn, ks = r.npsn, leads_school_now(store, r)
    nama = None
    if npsn:
        nama, sekolah_instansi = reach.sekolah_of(store, npsn)
        if a.peran is Peran.OPERATOR and not instansi_id:
            instansi_id = sekolah_instansi
    dipimpin: tuple[str, ...] = ()
    if a.peran is Peran.PEGAWAI and a.nip:
        dipimpin = tuple(pimpinan.sekolah_dipimpin(store, a.nip, instansi_id=instansi_id))
    return Pengguna(a, instansi_id, npsn, ks, csrf, via_token, nama, dipimpin)


def leads_school_now(store: Store, r: reach.PegawaiReach) -> bool:
    """Whether the pegawai is the definitive principal of their Dapodik school now: the one
    decision of who is a principal for the web (local and single sign-on sessions alike, on
    every request). The school's leader L(s) decides (leaders.md): Dapodik's Kepala Sekolah,
    unless the duty file's KEPALA_SEKOLAH row for that PTK and school has ended. A Plt's
    schools are :func:`selaras.store.pimpinan.sekolah_dipimpin`'s (``Pengguna.pimpinan_npsn``)."""
    if r.npsn is None or r.ptk_id is None:
        return False
    return pimpinan.memimpin_definitif(store, r.ptk_id, r.npsn, instansi_id=r.instansi_id)


def pegawai_school(store: Store, nip: str) -> tuple[str | None, str | None]:
    """(Dapodik school of the pegawai's PTK, found by NIP or else by NIK; SIASN instansi)."""
    r = reach.pegawai_reach(store, nip)
    return r.npsn, r.instansi_id


def can_view_pegawai(store: Store, user: Pengguna, nip: str) -> bool:
    """Whether ``user`` may see pegawai ``nip``'s data and sync state.

    Pegawai: themselves; a principal also the pegawai of their school, a Plt/Plh those of the
    school led while the duty is active (leaders.md). Operator: the pegawai whose Dapodik PTK is
    at their school. Admin Instansi and Pimpinan Instansi (reading only): the pegawai of their
    instansi (SIASN).
    Admin Nasional: everyone. Dinas Pendidikan: nobody one by one (it sees the matching problems).
    """
    p = user.peran
    if p is Peran.NASIONAL:
        return _exists(store, nip)
    if p is Peran.PEGAWAI and nip == user.akun.nip:
        return True
    if p is Peran.DINAS:
        return False
    npsn, instansi_id = pegawai_school(store, nip)
    if p in (Peran.ADMIN, Peran.PIMPINAN):
        return instansi_id is not None and instansi_id == user.instansi_id
    if p is Peran.OPERATOR or (p is Peran.PEGAWAI and user.kepala_sekolah):
        return npsn is not None and npsn == user.npsn
    if p is Peran.PEGAWAI and user.pimpinan_npsn:
        return npsn is not None and npsn in user.pimpinan_npsn
    return False


def require_pegawai(store: Store, user: Pengguna, nip: str) -> None:
    """Raise a 404 :class:`Ditolak` unless ``user`` may see ``nip``."""
    if not can_view_pegawai(store, user, nip):
        raise not_found()


def require_sync_for(store: Store, user: Pengguna, nip: str) -> str:
    """Whether ``user`` may request a sync of ``nip``; the job's ``alasan`` (TOMBOL or ADMIN)."""
    if user.peran is Peran.PEGAWAI and nip == user.akun.nip:
        return "TOMBOL"
    if user.peran is Peran.ADMIN:
        require_pegawai(store, user, nip)
        return "ADMIN"
    require_pegawai(store, user, nip)  # 404 when out of reach, before telling what the role may do
    raise forbidden("Hanya pegawai itu sendiri atau Admin Instansi yang dapat menjalankan sinkron.")


def require_admin(user: Pengguna) -> str:
    """The admin's instansi; 403 for every other role."""
    if user.peran is not Peran.ADMIN or not user.instansi_id:
        raise forbidden("Hanya Admin Instansi yang dapat melakukan tindakan ini.")
    return user.instansi_id


def instansi_scope(user: Pengguna, instansi_id: str | None) -> str | None:
    """The instansi a recap or list covers: the user's own; a national admin picks any (or all)."""
    if user.peran is Peran.NASIONAL:
        return instansi_id
    if user.peran in (Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN):
        if instansi_id not in (None, user.instansi_id):
            raise not_found()
        return user.instansi_id
    raise forbidden("Rekap hanya untuk Admin Instansi dan Admin Nasional.")


@dataclass(frozen=True)
class LogScope:
    """The part of the sync log a user may read."""

    instansi_id: str | None = None
    npsn: str | None = None
    nip: str | None = None
    codes: tuple[str, ...] | None = None


def log_scope(user: Pengguna) -> LogScope:
    """Admin and pimpinan: their instansi; nasional: all; dinas: their instansi's matching problems; operator
    and principal: their school; a teacher: themselves."""
    p = user.peran
    if p is Peran.NASIONAL:
        return LogScope()
    if p in (Peran.ADMIN, Peran.PIMPINAN):
        return LogScope(instansi_id=user.instansi_id or "-")
    if p is Peran.DINAS:
        return LogScope(instansi_id=user.instansi_id or "-", codes=DINAS_CODES)
    if p is Peran.OPERATOR or (p is Peran.PEGAWAI and user.kepala_sekolah):
        return LogScope(npsn=user.npsn or "-")
    if p is Peran.PEGAWAI and user.pimpinan_npsn:
        return LogScope(npsn=user.pimpinan_npsn[0])  # a Plt reads the log of the school led
    return LogScope(nip=user.akun.nip or "-")


def _exists(store: Store, nip: str) -> bool:
    return reach.pegawai_reach(store, nip).exists
