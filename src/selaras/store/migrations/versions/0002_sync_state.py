"""sync_state: each pegawai's latest log row per flow and year.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

``latest_results`` (the recap from the store) reads each pegawai's latest known state. Runs can
be partial (one pegawai synced after a national check), so that is not the latest run; and a
``MAX(log_id) GROUP BY nip`` over a log of tens of millions of rows grows with the history.
``record_run`` keeps this table up to date in its own transaction; here it is filled from the
log already there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("log_id", sa.BigInteger(), nullable=False),
        sa.Column("instansi_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("flow", "tahun", "nip", name=op.f("pk_sync_state")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO sync_state (flow, tahun, nip, log_id, instansi_id) "
        "SELECT l.flow, l.tahun, l.nip, l.log_id, l.instansi_id FROM sync_log l "
        "JOIN (SELECT MAX(log_id) AS log_id FROM sync_log GROUP BY flow, tahun, nip) m "
        "ON m.log_id = l.log_id"
    )
    op.create_index(
        "ix_sync_state_flow_instansi_id_tahun_log_id", "sync_state", ["flow", "instansi_id", "tahun", "log_id"]
    )


def downgrade() -> None:
    op.drop_table("sync_state")
