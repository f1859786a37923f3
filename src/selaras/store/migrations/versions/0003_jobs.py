"""sync_job, notifikasi, sumber_tanda: durable sync jobs, notices and source watermarks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sync_job",
        sa.Column("job_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("alasan", sa.String(), nullable=False),
        sa.Column("diminta_oleh", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jadwal", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mulai", sa.DateTime(timezone=True)),
        sa.Column("selesai", sa.DateTime(timezone=True)),
        sa.Column("percobaan", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pekerja", sa.String()),
        sa.Column("sewa_sampai", sa.DateTime(timezone=True)),
        sa.Column("log_id", sa.BigInteger()),
        sa.Column("hasil", sa.String()),
        sa.Column("pesan", sa.Text()),
        sa.CheckConstraint("status IN ('ANTRE', 'JALAN', 'SELESAI')", name=op.f("ck_sync_job_status")),
        sa.CheckConstraint("flow IN ('skp', 'penilaian')", name=op.f("ck_sync_job_flow")),
    )
    op.create_index(
        "uq_sync_job_antre",
        "sync_job",
        ["nip", "flow", "tahun"],
        unique=True,
        sqlite_where=sa.text("status = 'ANTRE'"),
        postgresql_where=sa.text("status = 'ANTRE'"),
    )
    op.create_index("ix_sync_job_status_jadwal", "sync_job", ["status", "jadwal", "job_id"])
    op.create_index("ix_sync_job_nip_job_id", "sync_job", ["nip", "job_id"])
    op.create_table(
        "notifikasi",
        sa.Column("notifikasi_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("penerima", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nip", sa.String()),
        sa.Column("kode", sa.String()),
        sa.Column("judul", sa.String(), nullable=False),
        sa.Column("isi", sa.Text(), nullable=False),
        sa.Column("job_id", sa.BigInteger()),
        sa.Column("dibaca", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("email_terkirim", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_notifikasi_penerima_notifikasi_id", "notifikasi", ["penerima", "notifikasi_id"])
    op.create_table(
        "sumber_tanda",
        sa.Column("sumber", sa.String(), primary_key=True),
        sa.Column("diperbarui_sampai", sa.String(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sumber_tanda")
    op.drop_table("notifikasi")
    op.drop_table("sync_job")
