"""What a signed-in person does with their notices: mark them read."""

from __future__ import annotations

from collections.abc import Sequence

from selaras.jobs.notifications import mark_read
from selaras.store import uow
from selaras.store.database import Store


def tandai_dibaca(store: Store, penerima: Sequence[str], ids: Sequence[int]) -> int:
    """Mark the notices ``ids`` read, only those addressed to ``penerima``, in one unit of work
    (no data lock: no plan depends on it); how many changed."""
    if not penerima:
        return 0
    return uow.run(store, lambda u: mark_read(u.store, penerima, ids), name="dibaca", lock=False)
