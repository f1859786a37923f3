"""Escalation (issue 12): item ages, escalation steps, digests sent, an instansi's days off and
policy, and the daily summary per instansi and per school.

Revision ID: 0008
Revises: 0007 (the merger chains it; written against 0005's schema, it touches no older table)
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "eskalasi_butir",
        sa.Column("butir_id", _ID, autoincrement=True, nullable=False),
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("kode", sa.String(), nullable=False),
        sa.Column("jenis", sa.String(), nullable=False),
        sa.Column("kunci", sa.String(), nullable=False),
        sa.Column("pihak", sa.String(), nullable=False),
        sa.Column("pegawai", sa.Text(), nullable=False),
        sa.Column("jumlah_pegawai", sa.Integer(), nullable=False),
        sa.Column("pertama_terlihat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terakhir_berubah", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ditutup", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("butir_id", name=op.f("pk_eskalasi_butir")),
    )
    op.create_index("ix_eskalasi_butir_instansi_id_ditutup", "eskalasi_butir", ["instansi_id", "ditutup"])
    op.create_index("ix_eskalasi_butir_pihak_ditutup", "eskalasi_butir", ["pihak", "ditutup"])
    op.create_index(
        "uq_eskalasi_butir_terbuka",
        "eskalasi_butir",
        ["instansi_id", "tahun", "flow", "kode", "jenis", "kunci"],
        unique=True,
        sqlite_where=sa.text("ditutup IS NULL"),
        postgresql_where=sa.text("ditutup IS NULL"),
    )
    op.create_table(
        "eskalasi_langkah",
        sa.Column("butir_id", sa.BigInteger(), nullable=False),
        sa.Column("tingkat", sa.Integer(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.Column("penerima", sa.String(), nullable=False),
        sa.Column("umur_hari_kerja", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("butir_id", "tingkat", name=op.f("pk_eskalasi_langkah")),
    )
    op.create_table(
        "digest_kirim",
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notifikasi_id", sa.BigInteger(), nullable=True),
        sa.Column("jumlah_butir", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("username", "tanggal", name=op.f("pk_digest_kirim")),
    )
    op.create_table(
        "instansi_libur",
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("keterangan", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("instansi_id", "tanggal", name=op.f("pk_instansi_libur")),
    )
    op.create_table(
        "instansi_kebijakan",
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("ke_admin", sa.Integer(), nullable=False),
        sa.Column("ke_pimpinan", sa.Integer(), nullable=False),
        sa.Column("pimpinan_email", sa.String(), nullable=True),
        sa.CheckConstraint("ke_admin >= 1 AND ke_pimpinan >= 1", name=op.f("ck_instansi_kebijakan_ambang")),
        sa.PrimaryKeyConstraint("instansi_id", name=op.f("pk_instansi_kebijakan")),
    )
    op.create_table(
        "ringkasan_instansi",
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("tersinkron", sa.Integer(), nullable=False),
        sa.Column("siap", sa.Integer(), nullable=False),
        sa.Column("gagal", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "tahun", "instansi_id", "tanggal", name=op.f("pk_ringkasan_instansi")),
    )
    op.create_index(
        "ix_ringkasan_instansi_flow_tahun_tanggal",
        "ringkasan_instansi",
        ["flow", "tahun", "tanggal", "instansi_id", "total", "tersinkron", "siap", "gagal"],
    )
    op.create_table(
        "ringkasan_sekolah",
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("npsn", sa.String(), nullable=False),
        sa.Column("tanggal", sa.Date(), nullable=False),
        sa.Column("instansi_id", sa.String(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("tersinkron", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "tahun", "npsn", "tanggal", name=op.f("pk_ringkasan_sekolah")),
    )
    op.create_index(
        "ix_ringkasan_sekolah_instansi_id_flow_tahun", "ringkasan_sekolah", ["instansi_id", "flow", "tahun"]
    )


def downgrade() -> None:
    for name in (
        "ringkasan_sekolah",
        "ringkasan_instansi",
        "instansi_kebijakan",
        "instansi_libur",
        "digest_kirim",
        "eskalasi_langkah",
        "eskalasi_butir",
    ):
        op.drop_table(name)
