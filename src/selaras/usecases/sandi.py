"""A person's own account: changing the own password (old password asked; every other
session and token ends; audited in the same transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from selaras.store import uow
from selaras.store.database import Store
from selaras.usecases.access import Ditolak, Pengguna
from selaras.usecases.accounts import (
    clear_password_attempts,
    count_password_attempt,
    hash_password,
    password_ok,
    replace_password_keeping,
)
from selaras.usecases.requests import audit

SANDI_MIN = 8


@dataclass(frozen=True)
class SandiDiganti:
    """What changing the own password ended."""

    sesi_diakhiri: int
    token_dicabut: int


def ganti_sandi(
    store: Store,
    user: Pengguna,
    lama: str,
    baru: str,
    ulang: str | None = None,
    *,
    sesi: str | None = None,
    token: str | None = None,
) -> SandiDiganti:
    """Change ``user``'s own password from ``lama`` to ``baru``. The request's own session
    cookie ``sesi`` or API token ``token`` stays; every other session and token ends.

    Refuses (:class:`Ditolak`): 422 a new password too short, equal to the old or not repeated
    alike; 403 a wrong old password; 429 too many wrong ones.
    """
    if len(baru) < SANDI_MIN:
        raise Ditolak(422, f"Kata sandi baru minimal {SANDI_MIN} karakter.")
    if ulang is not None and ulang != baru:
        raise Ditolak(422, "Ulangan kata sandi baru tidak sama.")
    if baru == lama:
        raise Ditolak(422, "Kata sandi baru harus berbeda dari yang lama.")
    username = user.akun.username
    if not count_password_attempt(store, username):
        raise Ditolak(429, "Terlalu banyak percobaan dengan kata sandi lama yang salah. Coba lagi dalam 15 menit.")
    new_hash = hash_password(baru)  # slow on purpose: outside the transaction

    def work(u: uow.UnitOfWork) -> SandiDiganti:
        if not password_ok(u.store, username, lama):
            raise Ditolak(403, "Kata sandi lama salah.")
        ended, revoked = replace_password_keeping(u.store, username, new_hash, sesi=sesi, token=token)
        audit(
            u.conn,
            user,
            "GANTI_SANDI_SENDIRI",
            f"akun:{username}",
            sesudah={"sesi_diakhiri": ended, "token_dicabut": revoked},
        )
        return SandiDiganti(ended, revoked)

    done = uow.run(store, work, name="ganti_sandi", lock=False)
    clear_password_attempts(store, username)
    return done
