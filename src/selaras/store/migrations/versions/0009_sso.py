"""Single sign-on (issue 20): grants of roles to a NIP, OIDC logins under way, one-time
password-set links, and the monitoring role (``monitor``) of accounts.

Revision ID: 0009
Revises: 0008 (the merger chains it)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "peran IN ('pegawai', 'operator', 'admin', 'dinas', 'nasional')"
_NEW = "peran IN ('pegawai', 'operator', 'admin', 'dinas', 'nasional', 'monitor')"


def _peran_check(sql: str) -> None:
    with op.batch_alter_table("akun", recreate="always" if op.get_bind().dialect.name == "sqlite" else "auto") as b:
        b.drop_constraint(op.f("ck_akun_peran"), type_="check")
        b.create_check_constraint("peran", sa.text(sql))


def upgrade() -> None:
    _peran_check(_NEW)
    op.create_table(
        "akun_hak",
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("peran", sa.String(), nullable=False),
        sa.Column("npsn", sa.String(), nullable=True),
        sa.Column("instansi_id", sa.String(), nullable=True),
        sa.Column("diberikan_oleh", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "peran IN ('operator', 'admin', 'dinas', 'nasional', 'monitor')", name=op.f("ck_akun_hak_peran")
        ),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_akun_hak")),
    )
    op.create_table(
        "oidc_state",
        sa.Column("state_hash", sa.String(), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("verifier", sa.String(), nullable=False),
        sa.Column("lanjut", sa.String(), nullable=False),
        sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oidc_state")),
    )
    op.create_table(
        "akun_tautan",
        sa.Column("tautan_hash", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tautan_hash", name=op.f("pk_akun_tautan")),
    )
    op.create_index("ix_akun_tautan_username", "akun_tautan", ["username"])


def downgrade() -> None:
    op.drop_index("ix_akun_tautan_username", table_name="akun_tautan")
    op.drop_table("akun_tautan")
    op.drop_table("oidc_state")
    op.drop_table("akun_hak")
    op.execute(sa.text("DELETE FROM akun WHERE peran = 'monitor'"))
    _peran_check(_OLD)
