"""akun, akun_sesi, akun_token, login_gagal, audit_log; the log's instansi keyset index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "akun",
        sa.Column("username", sa.String(), primary_key=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("peran", sa.String(), nullable=False),
        sa.Column("nama", sa.String(), nullable=False),
        sa.Column("nip", sa.String()),
        sa.Column("npsn", sa.String()),
        sa.Column("instansi_id", sa.String()),
        sa.Column("aktif", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "peran IN ('pegawai', 'operator', 'admin', 'dinas', 'nasional')", name=op.f("ck_akun_peran")
        ),
    )
    op.create_index("ix_akun_nip", "akun", ["nip"])
    op.create_index("ix_akun_npsn", "akun", ["npsn"])
    op.create_table(
        "akun_sesi",
        sa.Column("sesi_hash", sa.String(), primary_key=True),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("csrf", sa.String(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_akun_sesi_username", "akun_sesi", ["username"])
    op.create_table(
        "akun_token",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dicabut", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_akun_token_username", "akun_token", ["username"])
    op.create_table(
        "login_gagal",
        sa.Column("gagal_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_gagal_kunci_waktu", "login_gagal", ["kunci", "waktu"])
    op.create_table(
        "audit_log",
        sa.Column("audit_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("peran", sa.String(), nullable=False),
        sa.Column("aksi", sa.String(), nullable=False),
        sa.Column("sasaran", sa.String(), nullable=False),
        sa.Column("instansi_id", sa.String()),
        sa.Column("sebelum", sa.Text()),
        sa.Column("sesudah", sa.Text()),
    )
    op.create_index("ix_audit_log_instansi_id_audit_id", "audit_log", ["instansi_id", "audit_id"])
    op.create_index("ix_sync_log_instansi_id_log_id", "sync_log", ["instansi_id", "log_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_log_instansi_id_log_id", table_name="sync_log")
    op.drop_table("audit_log")
    op.drop_table("login_gagal")
    op.drop_table("akun_token")
    op.drop_table("akun_sesi")
    op.drop_table("akun")
