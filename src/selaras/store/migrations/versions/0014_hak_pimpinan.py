"""akun_hak: an admin may grant the role ``pimpinan`` (Pimpinan Instansi, the head of an agency)
to a NIP for single sign-on, as it grants operator, admin and dinas.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTED = "'operator', 'admin', 'dinas', 'nasional', 'monitor'"
"""The roles of migration 0009."""


def _granted(allowed: str) -> None:
    with op.batch_alter_table("akun_hak") as batch:
        batch.drop_constraint(op.f("ck_akun_hak_peran"), type_="check")
        batch.create_check_constraint("peran", f"peran IN ({allowed})")


def upgrade() -> None:
    _granted(GRANTED + ", 'pimpinan'")


def downgrade() -> None:
    op.execute("DELETE FROM akun_hak WHERE peran = 'pimpinan'")
    _granted(GRANTED)
