"""School leaders (leaders.md, issue 18): Dapodik's extra duties (``dapodik_tugas_tambahan``),
how an e-Kinerja unit's head holds it and whether it is claimed (``ekinerja_unor``), and each
instansi's Plt settings (``instansi_setelan``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dapodik_tugas_tambahan",
        sa.Column("ptk_id", sa.String(), nullable=False),
        sa.Column("npsn", sa.String(), nullable=False),
        sa.Column("jenis", sa.String(), nullable=False),
        sa.Column("nomor_sk", sa.String(), nullable=True),
        sa.Column("tmt", sa.Date(), nullable=True),
        sa.Column("tst", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("ptk_id", "npsn", "jenis", name=op.f("pk_dapodik_tugas_tambahan")),
    )
    op.add_column("ekinerja_unor", sa.Column("atasan_penugasan", sa.String(), nullable=True))
    op.add_column("ekinerja_unor", sa.Column("pimpinan_diklaim", sa.Boolean(), nullable=True))
    op.add_column(
        "instansi_setelan", sa.Column("plt_boleh_menilai", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column("instansi_setelan", sa.Column("plt_masa_bulan", sa.Integer(), server_default="9", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("instansi_setelan") as batch:
        batch.drop_column("plt_masa_bulan")
        batch.drop_column("plt_boleh_menilai")
    with op.batch_alter_table("ekinerja_unor") as batch:
        batch.drop_column("pimpinan_diklaim")
        batch.drop_column("atasan_penugasan")
    op.drop_table("dapodik_tugas_tambahan")
