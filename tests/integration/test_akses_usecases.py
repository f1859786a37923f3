"""Every write about accounts, sessions, tokens, passwords and instansi settings is a use case
(issue 22): one unit of work that commits the change with its audit row, or, on a failure
after the write, neither. The failure is raised at the unit's ``before_commit`` point (every
write done, nothing committed). Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from selaras.domain.akun import AccountError, Pelaku
from selaras.domain.eskalasi import Kebijakan
from selaras.store import eskalasi as esk
from selaras.store import reads, uow
from selaras.store.database import Store
from selaras.store.tables import akun, akun_sesi, akun_tautan, akun_token, audit_log
from selaras.usecases import accounts, instansi
from selaras.usecases import akun as akun_uc

CLI = Pelaku("cli:uji", "cli")
USER = "admin-uji"


class Injected(Exception):
    """The failure after the write."""


def _fail_at(monkeypatch: pytest.MonkeyPatch, unit: str) -> None:
    def hook(point: str) -> None:
        if point == f"{unit}:before_commit":
            raise Injected(point)

    monkeypatch.setattr(uow, "CRASH_HOOKS", [hook])


def _audit(store: Store) -> list[tuple[str, str, str, str | None]]:
    with store.read() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id)).all()
    return [(r.username, r.aksi, r.sasaran, r.instansi_id) for r in rows]


def _count(store: Store, table: sa.Table, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def _account(store: Store) -> None:
    accounts.create_account(store, USER, "sandi-lama-1", "admin", "Admin Uji", instansi_id="I1")


def _both_or_neither(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    unit: str,
    act: Callable[[], object],
    state: Callable[[], object],
    aksi: str,
) -> None:
    """``act`` failing after its write leaves ``state()`` and the audit as they were; run
    again, it changes both, in one commit."""
    before, audit_before = state(), _audit(store)
    _fail_at(monkeypatch, unit)
    with pytest.raises(Injected):
        act()
    assert state() == before and _audit(store) == audit_before
    monkeypatch.setattr(uow, "CRASH_HOOKS", [])
    act()
    assert state() != before
    new = _audit(store)[len(audit_before) :]
    assert [a[1] for a in new] == [aksi]
    assert new[0][0] == CLI.username


def test_creating_an_account_commits_it_with_its_audit_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def act() -> None:
        accounts.create_account(store, USER, "sandi-uji-1", "admin", "Admin Uji", instansi_id="I1", pelaku=CLI)

    _both_or_neither(store, monkeypatch, "buat_akun", act, lambda: _count(store, akun), "BUAT_AKUN")
    assert _audit(store)[-1] == (CLI.username, "BUAT_AKUN", f"akun:{USER}", "I1")
    # Without anyone acting (the demo's seeding) there is no audit row.
    accounts.create_accounts(store, [{"username": "demo-1", "peran": "nasional", "nama": "Demo"}], "!x")
    assert [a[1] for a in _audit(store)] == ["BUAT_AKUN"]


def test_many_accounts_commit_with_one_audit_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[dict[str, object]] = [{"username": f"n{i}", "peran": "nasional", "nama": f"N {i}"} for i in range(3)]
    _both_or_neither(
        store,
        monkeypatch,
        "buat_akun",
        lambda: accounts.create_accounts(store, rows, "!x", pelaku=CLI),
        lambda: _count(store, akun),
        "BUAT_AKUN_MASSAL",
    )


def test_a_new_password_commits_with_its_audit_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _account(store)
    _both_or_neither(
        store,
        monkeypatch,
        "ganti_sandi",
        lambda: accounts.reset_password(store, USER, "sandi-baru-22", pelaku=CLI),
        lambda: accounts.password_ok(store, USER, "sandi-baru-22"),
        "GANTI_SANDI",
    )
    with pytest.raises(AccountError):
        accounts.reset_password(store, "tidak-ada", "sandi-baru-22", pelaku=CLI)
    assert [a[1] for a in _audit(store)] == ["GANTI_SANDI"]


def test_deactivating_commits_with_its_audit_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _account(store)
    accounts.open_session(store, USER)
    _both_or_neither(
        store,
        monkeypatch,
        "aktif_akun",
        lambda: accounts.set_active(store, USER, False, pelaku=CLI),
        lambda: (_count(store, akun, akun.c.aktif == sa.false()), _count(store, akun_sesi)),
        "NONAKTIFKAN_AKUN",
    )
    assert _count(store, akun_sesi) == 0  # its session ended with it


def test_ending_sessions_commits_with_its_audit_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _account(store)
    accounts.open_session(store, USER)
    accounts.open_session(store, USER)
    assert _audit(store) == []  # signing in is bookkeeping, not an action
    _both_or_neither(
        store,
        monkeypatch,
        "sesi",
        lambda: accounts.end_sessions(store, USER, pelaku=CLI),
        lambda: _count(store, akun_sesi),
        "AKHIRI_SESI",
    )


def test_tokens_are_made_and_revoked_with_their_audit_rows(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _account(store)
    _both_or_neither(
        store,
        monkeypatch,
        "token",
        lambda: accounts.create_token(store, USER, "uji", pelaku=CLI),
        lambda: _count(store, akun_token),
        "BUAT_TOKEN",
    )
    (made,) = accounts.list_tokens(store, USER)
    live = sa.and_(akun_token.c.dicabut == sa.false())
    _both_or_neither(
        store,
        monkeypatch,
        "token",
        lambda: accounts.revoke_token(store, USER, made.token_id, pelaku=CLI),
        lambda: _count(store, akun_token, live),
        "CABUT_TOKEN",
    )
    accounts.create_token(store, USER, "lagi")  # got by signing in: no audit row
    _both_or_neither(
        store,
        monkeypatch,
        "token",
        lambda: accounts.revoke_tokens(store, USER, pelaku=CLI),
        lambda: _count(store, akun_token, live),
        "CABUT_TOKEN",
    )
    assert [a[1] for a in _audit(store)] == ["BUAT_TOKEN", "CABUT_TOKEN", "CABUT_TOKEN"]


def test_imported_accounts_commit_with_their_audit_row_and_the_link_with_its_own(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "username,peran,nama,nip,npsn,instansi_id,email\nbudi,nasional,Budi,,,,\n"
    links: list[tuple[str, str]] = []
    _both_or_neither(
        store,
        monkeypatch,
        "impor_akun",
        lambda: links.extend(akun_uc.import_accounts(store, "akun.csv", text, pelaku=CLI)),
        lambda: (_count(store, akun), _count(store, akun_tautan)),
        "IMPOR_AKUN",
    )
    ((username, token),) = links
    _fail_at(monkeypatch, "sandi_tautan")
    with pytest.raises(Injected):
        akun_uc.set_password_by_link(store, token, "sandi-budi-1")
    assert _count(store, akun_tautan) == 1 and [a[1] for a in _audit(store)] == ["IMPOR_AKUN"]
    monkeypatch.setattr(uow, "CRASH_HOOKS", [])
    assert akun_uc.set_password_by_link(store, token, "sandi-budi-1") == username
    assert _count(store, akun_tautan) == 0
    assert _audit(store)[-1] == ("budi", "SANDI_LEWAT_TAUTAN", "akun:budi", None)


@pytest.mark.parametrize(
    ("unit", "aksi", "act", "state"),
    [
        (
            "zona_waktu",
            "UBAH_ZONA_WAKTU",
            lambda s: instansi.set_zona(s, "I1", "WITA", pelaku=CLI),
            lambda s: reads.zona_of(s, "I1"),
        ),
        (
            "hari_libur",
            "TAMBAH_HARI_LIBUR",
            lambda s: instansi.add_libur(s, "I1", date(2026, 3, 2), "Hari jadi", pelaku=CLI),
            lambda s: esk.libur_of(s, "I1"),
        ),
        (
            "kebijakan_eskalasi",
            "UBAH_KEBIJAKAN_ESKALASI",
            lambda s: instansi.set_kebijakan_eskalasi(s, "I1", Kebijakan(ke_admin=2, ke_pimpinan=4), pelaku=CLI),
            lambda s: esk.kebijakan_of(s, "I1"),
        ),
        (
            "kebijakan-plt",
            "UBAH_KEBIJAKAN_PLT",
            lambda s: instansi.set_plt(s, "I1", False, 6, pelaku=CLI),
            lambda s: reads.plt_setelan(s).rows(),
        ),
    ],
)
def test_instansi_settings_commit_with_their_audit_row(
    store: Store, monkeypatch: pytest.MonkeyPatch, unit: str, aksi: str, act: Any, state: Any
) -> None:
    _both_or_neither(store, monkeypatch, unit, lambda: act(store), lambda: state(store), aksi)
    assert _audit(store)[-1][2:] == ("instansi:I1", "I1")
