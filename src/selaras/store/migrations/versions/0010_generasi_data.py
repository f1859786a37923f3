"""generasi_data: a counter of the imports that replaced the contract data, so that a run in
parts knows whether all its parts saw the same snapshot.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "generasi_data",
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("generasi", sa.BigInteger(), nullable=False),
        sa.Column("diganti", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kunci", name=op.f("pk_generasi_data")),
    )
    op.bulk_insert(table, [{"kunci": "snapshot", "generasi": 0, "diganti": None}])


def downgrade() -> None:
    op.drop_table("generasi_data")
