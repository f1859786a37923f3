"""Credential lifecycle: token ids and expiry, session last use (idle timeout), an atomic
login counter (login_batas) in place of the failure rows (login_gagal).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_DAYS = 90
"""Tokens made before expiry existed get the default lifetime from the upgrade on."""


def upgrade() -> None:
    with op.batch_alter_table("akun_token") as batch:
        batch.add_column(sa.Column("token_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        expiry = f"now() + interval '{TOKEN_DAYS} days'"
    else:
        expiry = f"datetime('now', '+{TOKEN_DAYS} days')"
    conn.execute(sa.text(f"UPDATE akun_token SET token_id = substr(token_hash, 1, 12), kedaluwarsa = {expiry}"))
    with op.batch_alter_table("akun_token") as batch:
        batch.alter_column("token_id", existing_type=sa.String(), nullable=False)
        batch.alter_column("kedaluwarsa", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("akun_sesi") as batch:
        batch.add_column(sa.Column("terakhir", sa.DateTime(timezone=True), nullable=True))
    conn.execute(sa.text("UPDATE akun_sesi SET terakhir = dibuat"))
    with op.batch_alter_table("akun_sesi") as batch:
        batch.alter_column("terakhir", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_table(
        "login_batas",
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("jumlah", sa.Integer(), nullable=False),
        sa.Column("mulai", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kunci", name=op.f("pk_login_batas")),
    )
    op.drop_index("ix_login_gagal_kunci_waktu", table_name="login_gagal")
    op.drop_table("login_gagal")


def downgrade() -> None:
    op.drop_table("login_batas")
    op.create_table(
        "login_gagal",
        sa.Column("gagal_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gagal_id", name=op.f("pk_login_gagal")),
    )
    op.create_index("ix_login_gagal_kunci_waktu", "login_gagal", ["kunci", "waktu"])
    with op.batch_alter_table("akun_sesi") as batch:
        batch.drop_column("terakhir")
    with op.batch_alter_table("akun_token") as batch:
        batch.drop_column("kedaluwarsa")
        batch.drop_column("token_id")
