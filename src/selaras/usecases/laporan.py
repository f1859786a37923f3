"""Reports out of the store or a snapshot: the recap of the sync problems and the export of the
store as a snapshot. Reads only: nothing is written to the store, nothing is logged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selaras.domain.recap import Recap, recap
from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.sources.writer import write_snapshot
from selaras.store.database import Store
from selaras.store.logs import latest_results
from selaras.store.snapshots import load_snapshot, load_table
from selaras.usecases.sync import check_snapshot


def recap_snapshot(snapshot: Snapshot, *, flow: Flow, tahun: int, instansi_id: str | None = None) -> Recap:
    """The recap of checking ``snapshot`` (nothing logged): per status, code, party, school and
    the principals who hold their teachers back."""
    result = check_snapshot(snapshot, flow=flow, tahun=tahun, instansi_id=instansi_id)
    return recap(result, snapshot["dapodik_sekolah"])


def recap_latest(store: Store, *, flow: Flow, instansi_id: str | None = None, tahun: int | None = None) -> Recap | None:
    """The recap of each pegawai's latest logged state of ``flow`` (see
    :func:`selaras.store.logs.latest_results`); ``None`` when nothing was checked yet."""
    found = latest_results(store, flow, instansi_id, tahun=tahun)
    if found is None:
        return None
    return recap(found, load_table(store, "dapodik_sekolah"))


def export_snapshot(store: Store, target: Path, progress: Callable[[str], None] | None = None) -> None:
    """Write the store's contents as a snapshot (a folder of CSV files, or a workbook when
    ``target`` ends with ``.xlsx``); ``ValueError`` when ``target`` cannot hold it."""
    if progress is not None:
        progress("membaca penyimpanan")
    snapshot = load_snapshot(store)
    if progress is not None:
        progress(f"menulis {target}")
    write_snapshot(snapshot, target)
