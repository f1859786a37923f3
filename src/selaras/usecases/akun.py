"""Account actions of issue 20: role grants to a NIP for single sign-on (audited), and local
accounts made in bulk from a CSV, each with a one-time password-set link (never a password in
a file). Each action is one transaction: the change, the ended sessions and the audit row."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from selaras.domain.akun import PERAN_LABEL, SSO_PREFIX, AccountError, Pelaku, Peran
from selaras.store import accounts as accounts_db
from selaras.store import reach, reads, uow
from selaras.store import sso as db
from selaras.store.admin import insert_audit
from selaras.store.database import Store
from selaras.usecases.accounts import hash_password

GRANTABLE = (Peran.OPERATOR, Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN, Peran.NASIONAL, Peran.MONITOR)
"""Roles an admin grants to a NIP (pegawai and principal come from the data, never a grant)."""
LINK_HOURS = 72
"""A password-set link works this long, once."""
NIP = re.compile(r"^\d{18}$")
NPSN = re.compile(r"^\d{8}$")


def _check_grant(
    store: Store, peran: Peran, npsn: str | None, instansi_id: str | None
) -> tuple[str | None, str | None]:
    if peran not in GRANTABLE:
        raise AccountError(f"peran {peran.value} tidak diberikan: pegawai dan kepala sekolah ditentukan oleh data")
    if peran is Peran.OPERATOR:
        if not npsn or not NPSN.match(npsn):
            raise AccountError("peran operator memerlukan NPSN sekolah (8 angka)")
        _nama, sekolah_instansi = reach.sekolah_of(store, npsn)
        if _nama is None:
            raise AccountError(f"sekolah NPSN {npsn} tidak ada di data")
        return npsn, sekolah_instansi
    if peran in (Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN):
        if not instansi_id or reads.instansi_nama(store, instansi_id) is None:
            raise AccountError(
                "peran admin instansi, dinas pendidikan dan pimpinan instansi memerlukan instansi yang ada di data"
            )
        return None, instansi_id
    return None, None


def grant(
    store: Store,
    pelaku: Pelaku,
    nip: str,
    peran: Peran | str,
    *,
    npsn: str | None = None,
    instansi_id: str | None = None,
) -> None:
    """Grant ``peran`` to the person with ``nip`` for single sign-on (replacing a former grant),
    audited. An admin instansi grants only within its instansi. The person's open sessions end:
    the next login decides the role anew."""
    peran = Peran(peran)
    if not NIP.match(nip):
        raise AccountError("NIP harus 18 angka")
    npsn, instansi_id = _check_grant(store, peran, npsn, instansi_id)
    if pelaku.peran == Peran.ADMIN.value and (
        peran in (Peran.NASIONAL, Peran.MONITOR) or instansi_id != pelaku.instansi_id
    ):
        raise AccountError(
            "Admin Instansi hanya memberi peran operator, admin, dinas atau pimpinan di instansinya sendiri"
        )
    row = {
        "nip": nip,
        "peran": peran.value,
        "npsn": npsn,
        "instansi_id": instansi_id,
        "diberikan_oleh": pelaku.username,
        "waktu": datetime.now(UTC),
    }

    def work(u: uow.UnitOfWork) -> None:
        conn = u.conn
        before = db.put_grant(conn, row)
        if before is not None and pelaku.peran == Peran.ADMIN.value and before.instansi_id != pelaku.instansi_id:
            raise AccountError("NIP ini sudah mendapat peran dari instansi lain")
        db.end_credentials(conn, SSO_PREFIX + nip)
        insert_audit(
            conn,
            username=pelaku.username,
            peran=pelaku.peran,
            aksi="BERI_PERAN",
            sasaran=f"pegawai:{nip}",
            instansi_id=instansi_id or pelaku.instansi_id,
            sebelum=_grant_json(before),
            sesudah={"peran": peran.value, "npsn": npsn, "instansi_id": instansi_id},
        )

    uow.run(store, work, name="beri_peran", lock=False)


def revoke(store: Store, pelaku: Pelaku, nip: str) -> bool:
    """Remove the grant of ``nip`` (audited); its single sign-on sessions and tokens end at
    once. False when there was none (in the admin's instansi)."""

    def work(u: uow.UnitOfWork) -> bool:
        conn = u.conn
        before = db.delete_grant(conn, nip)
        if before is None:
            return False
        if pelaku.peran == Peran.ADMIN.value and before.instansi_id != pelaku.instansi_id:
            raise AccountError("peran NIP ini diberikan oleh instansi lain")
        db.end_credentials(conn, SSO_PREFIX + nip)
        insert_audit(
            conn,
            username=pelaku.username,
            peran=pelaku.peran,
            aksi="CABUT_PERAN",
            sasaran=f"pegawai:{nip}",
            instansi_id=before.instansi_id or pelaku.instansi_id,
            sebelum=_grant_json(before),
            sesudah=None,
        )
        return True

    return uow.run(store, work, name="cabut_peran", lock=False)


def grants(store: Store, instansi_id: str | None = None) -> list[dict[str, Any]]:
    """The grants (of one instansi, or all) with the person's name."""
    rows = [dict(r._mapping) for r in db.grant_rows(store, instansi_id)]
    names = reads.names_of(store, {r["nip"] for r in rows})
    givers = reads.account_names(store, {r["diberikan_oleh"] for r in rows})
    for r in rows:
        r["nama"] = names.get(r["nip"], r["nip"])
        r["pemberi"] = givers.get(r["diberikan_oleh"], r["diberikan_oleh"])
        r["peran_label"] = PERAN_LABEL[Peran(r["peran"])]
    return rows


def _grant_json(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"peran": row.peran, "npsn": row.npsn, "instansi_id": row.instansi_id}


# ------------------------------------------------------------------- bulk local accounts

IMPORT_COLUMNS = ("username", "peran", "nama", "nip", "npsn", "instansi_id", "email")
"""The CSV's header (``nip``, ``npsn``, ``instansi_id``, ``email`` may be empty)."""
FORBIDDEN_COLUMNS = ("password", "kata_sandi", "sandi", "password_hash")


class ImportGagal(ValueError):
    """A CSV that cannot be imported: every problem with its row and column; nothing made."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def import_accounts(store: Store, name: str, text: str, *, pelaku: Pelaku | None = None) -> list[tuple[str, str]]:
    """Create the accounts of CSV ``text`` (file ``name`` for the messages), each with a
    one-time password-set link token. All or nothing: any bad row raises
    :class:`ImportGagal` naming file, row and column, and nothing is made. Returns
    (username, link token) per account; the store keeps only each token's SHA-256. One unit of
    work: the accounts, their links and ``pelaku``'s audit row."""
    reader = csv.DictReader(io.StringIO(text))
    _check_header(name, [h.strip() for h in (reader.fieldnames or [])])
    now = datetime.now(UTC)
    problems: list[str] = []
    accounts = _account_rows(name, reader, now, problems)
    existing = db.existing_usernames(store, [a["username"] for a in accounts])
    for a in accounts:
        if a["username"] in existing:
            problems.append(f"{name}: baris {a['_baris']}, kolom username: akun {a['username']} sudah ada")
    if problems:
        raise ImportGagal(problems)
    if not accounts:
        raise ImportGagal([f"{name}: tidak ada baris akun"])
    links, link_rows = _links(accounts, now)

    def work(u: uow.UnitOfWork) -> None:
        db.insert_accounts_with_links(u.store, accounts, link_rows)
        if pelaku is not None:
            insert_audit(
                u.conn,
                username=pelaku.username,
                peran=pelaku.peran,
                aksi="IMPOR_AKUN",
                sasaran="akun:*",
                instansi_id=pelaku.instansi_id,
                sesudah={"berkas": name, "username": [a["username"] for a in accounts]},
            )

    uow.run(store, work, name="impor_akun", lock=False)
    return links


def _check_header(name: str, header: list[str]) -> None:
    """Refuse a header with a password column, without a required column or with an unknown one."""
    problems: list[str] = []
    for col in header:
        if col.lower() in FORBIDDEN_COLUMNS:
            problems.append(f"{name}: kolom {col}: kata sandi tidak boleh ada di berkas; setiap akun mendapat tautan")
    missing = [c for c in ("username", "peran", "nama") if c not in header]
    if missing:
        problems.append(f"{name}: baris 1: kolom wajib tidak ada: {', '.join(missing)}")
    unknown = [c for c in header if c not in IMPORT_COLUMNS and c.lower() not in FORBIDDEN_COLUMNS]
    if unknown:
        problems.append(
            f"{name}: baris 1: kolom tidak dikenal: {', '.join(unknown)} (yang dikenal: {', '.join(IMPORT_COLUMNS)})"
        )
    if problems:
        raise ImportGagal(problems)


def _account_rows(name: str, reader: csv.DictReader[str], now: datetime, problems: list[str]) -> list[dict[str, Any]]:
    """The account rows of the CSV (each with its line ``_baris``); every bad value to ``problems``."""
    accounts: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(reader, start=2):
        r = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        username = r.get("username", "")
        where = f"{name}: baris {i}"
        if not username or username.startswith(SSO_PREFIX) or len(username) > 64:
            problems.append(f"{where}, kolom username: wajib, paling panjang 64, tidak diawali {SSO_PREFIX}")
        elif username in seen:
            problems.append(f"{where}, kolom username: {username} sudah ada di baris {seen[username]}")
        seen.setdefault(username, i)
        try:
            peran = Peran(r.get("peran", ""))
        except ValueError:
            problems.append(
                f"{where}, kolom peran: {r.get('peran')!r} bukan salah satu dari {', '.join(p.value for p in Peran)}"
            )
            continue
        if not r.get("nama"):
            problems.append(f"{where}, kolom nama: wajib")
        nip, npsn, instansi_id = r.get("nip") or None, r.get("npsn") or None, r.get("instansi_id") or None
        problems.extend(_role_problems(where, peran, nip, npsn, instansi_id))
        accounts.append(
            {
                "username": username,
                "password_hash": "!tautan",  # no password until the link is used
                "peran": peran.value,
                "nama": r.get("nama", ""),
                "nip": nip,
                "npsn": npsn,
                "instansi_id": instansi_id,
                "aktif": True,
                "dibuat": now,
                "email": r.get("email") or None,
                "_baris": i,
            }
        )
    return accounts


def _role_problems(where: str, peran: Peran, nip: str | None, npsn: str | None, instansi_id: str | None) -> list[str]:
    """What a row of ``peran`` lacks: a pegawai's NIP, an operator's NPSN, an instansi."""
    problems = []
    if peran is Peran.PEGAWAI and not (nip and NIP.match(nip)):
        problems.append(f"{where}, kolom nip: akun pegawai memerlukan NIP 18 angka")
    if peran is Peran.OPERATOR and not (npsn and NPSN.match(npsn)):
        problems.append(f"{where}, kolom npsn: akun operator memerlukan NPSN 8 angka")
    if peran in (Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN) and not instansi_id:
        problems.append(f"{where}, kolom instansi_id: akun admin instansi, dinas dan pimpinan memerlukan instansi")
    return problems


def _links(accounts: list[dict[str, Any]], now: datetime) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """A one-time password-set link per account: (username, token) to hand out and the rows
    to store (the token's hash). Drops each account's ``_baris``."""
    links: list[tuple[str, str]] = []
    link_rows: list[dict[str, Any]] = []
    for a in accounts:
        a.pop("_baris")
        token = secrets.token_urlsafe(32)
        links.append((a["username"], token))
        link_rows.append(
            {
                "tautan_hash": _sha(token),
                "username": a["username"],
                "dibuat": now,
                "kedaluwarsa": now + timedelta(hours=LINK_HOURS),
            }
        )
    return links, link_rows


def link_account(store: Store, token: str) -> str | None:
    """The name of the person a live, unused link is for, or None."""
    row = db.link_row(store, _sha(token))
    if row is None or not row.aktif:
        return None
    end = row.kedaluwarsa if row.kedaluwarsa.tzinfo else row.kedaluwarsa.replace(tzinfo=UTC)
    return str(row.nama) if end >= datetime.now(UTC) else None


def set_password_by_link(store: Store, token: str, password: str) -> str:
    """Set the password through a link, once; the username. Raises :class:`AccountError`.
    One unit of work: the password, the used links, the ended sessions and the audit row
    (the person acts on their own account)."""
    if len(password) < 8:
        raise AccountError("kata sandi minimal 8 karakter")
    digest, now = hash_password(password), datetime.now(UTC)

    def work(u: uow.UnitOfWork) -> str | None:
        username = db.use_link(u.store, _sha(token), digest, now)
        if username is None:
            return None
        row = accounts_db.account_row(u.store, username)
        insert_audit(
            u.conn,
            username=username,
            peran=row.peran if row is not None else "",
            aksi="SANDI_LEWAT_TAUTAN",
            sasaran=f"akun:{username}",
            instansi_id=row.instansi_id if row is not None else None,
        )
        return username

    username = uow.run(store, work, name="sandi_tautan", lock=False)
    if username is None:
        raise AccountError("tautan tidak berlaku: sudah dipakai, kedaluwarsa, atau tidak dikenal")
    return username
