"""The year's end (issue 21): the PKO, the annual ratings, jenjang and angka kredit, the
e-Kinerja annual rating Selaras writes, and flow ``tahunan`` allowed in the run and job logs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLOWS_OLD = "flow IN ('skp', 'penilaian')"
_FLOWS_NEW = "flow IN ('skp', 'penilaian', 'tahunan')"


def upgrade() -> None:
    op.create_table(
        "pmm_predikat_organisasi",
        sa.Column("npsn", sa.String(), nullable=False),
        sa.Column("tahun", sa.BigInteger(), nullable=False),
        sa.Column("predikat", sa.String(), nullable=True),
        sa.Column("ditetapkan_oleh_nip", sa.String(), nullable=True),
        sa.Column("ditetapkan", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("npsn", "tahun", name=op.f("pk_pmm_predikat_organisasi")),
    )
    op.create_table(
        "pmm_predikat",
        sa.Column("ptk_id", sa.String(), nullable=False),
        sa.Column("tahun", sa.BigInteger(), nullable=False),
        sa.Column("predikat", sa.String(), nullable=True),
        sa.Column("penilai_nip", sa.String(), nullable=True),
        sa.Column("ditetapkan", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("ptk_id", "tahun", name=op.f("pk_pmm_predikat")),
    )
    op.create_table(
        "siasn_jabatan",
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("jenjang", sa.String(), nullable=True),
        sa.Column("golongan", sa.String(), nullable=True),
        sa.Column("tmt_jabatan", sa.Date(), nullable=False),
        sa.Column("tmt_golongan", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("nip", "tmt_jabatan", name=op.f("pk_siasn_jabatan")),
    )
    op.create_table(
        "siasn_angka_kredit",
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("tahun", sa.BigInteger(), nullable=False),
        sa.Column("angka_kredit", sa.Float(), nullable=True),
        sa.Column("jenis", sa.String(), nullable=False),
        sa.Column("dasar", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("nip", "tahun", "jenis", name=op.f("pk_siasn_angka_kredit")),
    )
    op.create_table(
        "ekinerja_predikat",
        sa.Column("nip", sa.String(), nullable=False),
        sa.Column("tahun", sa.BigInteger(), nullable=False),
        sa.Column("predikat", sa.String(), nullable=True),
        sa.Column("penilai_nip", sa.String(), nullable=True),
        sa.Column("sumber", sa.String(), nullable=True),
        sa.Column("disinkron", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("nip", "tahun", name=op.f("pk_ekinerja_predikat")),
    )
    _flows("sync_run", _FLOWS_NEW)
    _flows("sync_job", _FLOWS_NEW)


def downgrade() -> None:
    _flows("sync_job", _FLOWS_OLD)
    _flows("sync_run", _FLOWS_OLD)
    for name in ("ekinerja_predikat", "siasn_angka_kredit", "siasn_jabatan", "pmm_predikat", "pmm_predikat_organisasi"):
        op.drop_table(name)


def _flows(table: str, condition: str) -> None:
    # SQLite cannot alter a constraint: the batch copies the table with the new one.
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_flow"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_flow"), condition)
