"""The generation of the contract data: a number the import raises, in its own transaction,
each time it replaces the data. A use case that runs in parts (one transaction each) reads it
when it plans and checks it under the data lock in every part: a changed number means an
import landed between two parts, and the later parts would see another snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import generasi_data

KUNCI = "snapshot"


def generation(store: Store) -> int:
    """The generation of the contract data as ``store`` sees it (in a unit of work: its own)."""
    with store.read() as conn:
        value = conn.execute(sa.select(generasi_data.c.generasi).where(generasi_data.c.kunci == KUNCI)).scalar()
    return int(value or 0)


def next_generation(store: Store) -> int:
    """Raise the generation (the data was replaced), in ``store``'s write transaction; the new one."""
    now = datetime.now(UTC)
    with store.write() as conn:
        updated = conn.execute(
            sa.update(generasi_data)
            .where(generasi_data.c.kunci == KUNCI)
            .values(generasi=generasi_data.c.generasi + 1, diganti=now)
        ).rowcount
        if not updated:
            conn.execute(generasi_data.insert().values(kunci=KUNCI, generasi=1, diganti=now))
    return generation(store)
