"""penyimpanan_tanda: marks of the store itself (``demo``: made by ``selaras demo``).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0008"
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


def downgrade() -> None:
    op.drop_table("penyimpanan_tanda")
