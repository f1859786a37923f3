"""Importing a snapshot into the store: the contract tables replaced in one transaction."""

from __future__ import annotations

from selaras.domain.snapshot import Snapshot
from selaras.store.bulk import Progress
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot


def import_snapshot(store: Store, snapshot: Snapshot, *, progress: Progress | None = None) -> None:
    """Replace the store's snapshot with ``snapshot``, whole or not at all.

    The import holds the data lock, like a sync (``selaras.store.uow``): a sync waits for it
    instead of planning on data the import is replacing, and an import waits for a running
    sync's part. A failing store raises :class:`selaras.store.uow.InfrastructureError`.
    """
    save_snapshot(store, snapshot, progress=progress)
