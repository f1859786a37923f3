"""penyimpanan_tanda: marks of the store itself (``demo``: made by ``selaras demo``); the
account role ``pimpinan`` (the head of an agency, the escalation's top level).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "penyimpanan_tanda",
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("nilai", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kunci", name=op.f("pk_penyimpanan_tanda")),
    )
    _roles(ROLES + ", 'pimpinan'")


# With 'monitor' (migration 0009, issue 20): this one is chained after it when merged.
ROLES = "'pegawai', 'operator', 'admin', 'dinas', 'nasional', 'monitor'"


def _roles(allowed: str) -> None:
    with op.batch_alter_table("akun") as batch:
        batch.drop_constraint(op.f("ck_akun_peran"), type_="check")
        batch.create_check_constraint("peran", f"peran IN ({allowed})")


def downgrade() -> None:
    op.execute("DELETE FROM akun WHERE peran = 'pimpinan'")
    _roles(ROLES)
    op.drop_table("penyimpanan_tanda")
