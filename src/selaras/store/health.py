"""What an operator's probes and Prometheus ask the store: is it reachable, is its schema the
latest, and the numbers behind ``/metrics`` (jobs, sync outcomes, source failures, open
escalation items). The decisions (ready or not, what to export) are the web's (web/health.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from selaras.store.database import Store, alembic_config
from selaras.store.tables import eskalasi_butir, sync_job, sync_log, sync_run, sync_state

SOURCE_FAILURE_PREFIX = "SYS-01: "
"""How a job put back because a source was unreachable starts its ``pesan`` (usecases/batch.py)."""


def head_revision() -> str | None:
    """The latest Alembic revision of the package's migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    """The schema revision the store is at (raises when the store cannot be reached)."""
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass
class StoreMetrics:
    """The store's numbers for ``/metrics``, read in one transaction."""

    jobs: dict[str, int] = field(default_factory=dict)
    oldest_queued: datetime | None = None
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    runs: dict[tuple[str, str], tuple[int, int, int, int]] = field(default_factory=dict)
    source_failures: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, int] = field(default_factory=dict)


def store_metrics(store: Store) -> StoreMetrics:
    """Jobs by status and the oldest waiting job's creation; each pegawai's latest outcome
    counted by flow, status and code; runs and their pegawai counts by mode and flow; waiting
    jobs whose last attempt failed at a source, by source; open escalation items by party."""
    m = StoreMetrics()
    with store.read() as conn:
        for status, n in conn.execute(sa.select(sync_job.c.status, sa.func.count()).group_by(sync_job.c.status)):
            m.jobs[str(status)] = int(n)
        oldest = conn.execute(sa.select(sa.func.min(sync_job.c.dibuat)).where(sync_job.c.status == "ANTRE")).scalar()
        if oldest is not None:
            m.oldest_queued = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        latest = (
            sa.select(sync_log.c.flow, sync_log.c.status, sync_log.c.kode, sa.func.count())
            .select_from(sync_state.join(sync_log, sync_log.c.log_id == sync_state.c.log_id))
            .group_by(sync_log.c.flow, sync_log.c.status, sync_log.c.kode)
        )
        for flow, status, kode, n in conn.execute(latest):
            m.outcomes[(str(flow), str(status), str(kode or ""))] = int(n)
        runs = sa.select(
            sync_run.c.mode,
            sync_run.c.flow,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sync_run.c.jumlah_pegawai), 0),
            sa.func.coalesce(sa.func.sum(sync_run.c.jumlah_gagal), 0),
            sa.func.coalesce(sa.func.sum(sync_run.c.jumlah_tersinkron), 0),
        ).group_by(sync_run.c.mode, sync_run.c.flow)
        for mode, flow, n, pegawai, gagal, tersinkron in conn.execute(runs):
            m.runs[(str(mode), str(flow))] = (int(n), int(pegawai), int(gagal), int(tersinkron))
        failed = conn.execute(
            sa.select(sync_job.c.pesan).where(
                sync_job.c.status == "ANTRE", sync_job.c.pesan.like(SOURCE_FAILURE_PREFIX + "%")
            )
        )
        for (pesan,) in failed:
            source = str(pesan)[len(SOURCE_FAILURE_PREFIX) :].split(" ", 1)[0] or "-"
            m.source_failures[source] = m.source_failures.get(source, 0) + 1
        open_items = (
            sa.select(eskalasi_butir.c.pihak, sa.func.count())
            .where(eskalasi_butir.c.ditutup.is_(None))
            .group_by(eskalasi_butir.c.pihak)
        )
        for pihak, n in conn.execute(open_items):
            m.escalations[str(pihak)] = int(n)
    return m
