"""instansi_setelan: the time zone (WIB, WITA, WIT) an instansi reads its times in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instansi_setelan",
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("zona_waktu", sa.String(), server_default="WIB", nullable=False),
        sa.CheckConstraint("zona_waktu IN ('WIB', 'WITA', 'WIT')", name=op.f("ck_instansi_setelan_zona_waktu")),
        sa.PrimaryKeyConstraint("instansi_id", name=op.f("pk_instansi_setelan")),
    )


def downgrade() -> None:
    op.drop_table("instansi_setelan")
