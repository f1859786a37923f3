"""The SQL of the admin actions and sync requests: periods, unit superiors, manual SKP, audit.

Every writing function takes the caller's connection: a use case opens one write transaction
(``store.write()``) and passes it to each function, so the change and its audit row commit
together or not at all. Reading functions take a connection too, so that a use case decides on
the rows it is about to write against.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from selaras.store.tables import CONTRACT, audit_log

_peg = CONTRACT["siasn_pegawai"]
_unor = CONTRACT["siasn_unor"]
_ek_unor = CONTRACT["ekinerja_unor"]
_ek_skp = CONTRACT["ekinerja_skp"]
_ek_rhk = CONTRACT["ekinerja_rhk"]
_ek_nilai = CONTRACT["ekinerja_penilaian"]
_periode = CONTRACT["ekinerja_periode"]

_CHUNK = 500


def _upsert(conn: sa.Connection, table: sa.Table, row: dict[str, Any]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    key = [c.name for c in table.primary_key.columns]
    stmt = insert(table).values(row)
    stmt = stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in row if c not in key})
    conn.execute(stmt)


# ------------------------------------------------------------------------------- audit


def insert_audit(
    conn: sa.Connection,
    *,
    username: str,
    peran: str,
    aksi: str,
    sasaran: str,
    instansi_id: str | None,
    sebelum: Any = None,
    sesudah: Any = None,
) -> None:
    """One audit row (before and after as JSON), in ``conn``'s transaction."""
    conn.execute(
        sa.insert(audit_log),
        [
            {
                "waktu": datetime.now(UTC),
                "username": username,
                "peran": peran,
                "aksi": aksi,
                "sasaran": sasaran,
                "instansi_id": instansi_id,
                "sebelum": None if sebelum is None else json.dumps(sebelum, default=str, ensure_ascii=False),
                "sesudah": None if sesudah is None else json.dumps(sesudah, default=str, ensure_ascii=False),
            }
        ],
    )


# ----------------------------------------------------------------------------- periods


def periode_owner(conn: sa.Connection, periode_id: str) -> str | None:
    """The instansi that owns ``periode_id`` (``None``: no such period)."""
    return conn.execute(sa.select(_periode.c.instansi_id).where(_periode.c.periode_id == periode_id)).scalar()


def periode_uses(conn: sa.Connection, periode_id: str) -> dict[str, int]:
    """How many e-Kinerja SKP and assessments refer to ``periode_id``."""
    skp = conn.execute(sa.select(sa.func.count()).where(_ek_skp.c.periode_id == periode_id)).scalar_one()
    nilai = conn.execute(sa.select(sa.func.count()).where(_ek_nilai.c.periode_id == periode_id)).scalar_one()
    return {"skp": int(skp), "penilaian": int(nilai)}


def save_periode(conn: sa.Connection, row: dict[str, Any]) -> None:
    """Insert or update one period by its id."""
    _upsert(conn, _periode, row)


def delete_periode(conn: sa.Connection, periode_id: str) -> int:
    """Delete one period; how many rows went (0 or 1)."""
    return conn.execute(sa.delete(_periode).where(_periode.c.periode_id == periode_id)).rowcount


# ------------------------------------------------------------------------------- units


def unor_owner(conn: sa.Connection, unor_id: str) -> str | None:
    """The instansi of a SIASN unit (``None``: no such unit)."""
    return conn.execute(sa.select(_unor.c.instansi_id).where(_unor.c.unor_id == unor_id)).scalar()


def ekinerja_unor(conn: sa.Connection, unor_id: str) -> dict[str, Any] | None:
    """The unit's e-Kinerja row (activity and superior), or ``None``."""
    row = conn.execute(sa.select(_ek_unor).where(_ek_unor.c.unor_id == unor_id)).first()
    return dict(row._mapping) if row is not None else None


def save_ekinerja_unor(conn: sa.Connection, row: dict[str, Any]) -> None:
    """Insert or update the unit's e-Kinerja row."""
    _upsert(conn, _ek_unor, row)


def pegawai_instansi(conn: sa.Connection, nip: str) -> str | None:
    """The SIASN instansi of ``nip`` (``None``: not in SIASN)."""
    return conn.execute(sa.select(_peg.c.instansi_id).where(_peg.c.nip == nip)).scalar()


# -------------------------------------------------------------------------- manual SKP


def ekinerja_skp(conn: sa.Connection, skp_id: str, nip: str) -> dict[str, Any] | None:
    """One e-Kinerja SKP of ``nip``, or ``None``."""
    row = conn.execute(sa.select(_ek_skp).where(_ek_skp.c.skp_id == skp_id, _ek_skp.c.nip == nip)).first()
    return dict(row._mapping) if row is not None else None


def rhk_of(conn: sa.Connection, skp_id: str) -> list[dict[str, Any]]:
    """The e-Kinerja RHK of one SKP."""
    return [dict(r._mapping) for r in conn.execute(sa.select(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))]


def penilaian_of(conn: sa.Connection, skp_id: str) -> list[dict[str, Any]]:
    """The e-Kinerja assessments of one SKP."""
    return [dict(r._mapping) for r in conn.execute(sa.select(_ek_nilai).where(_ek_nilai.c.skp_id == skp_id))]


def rhk_linked_to(conn: sa.Connection, rhk_ids: Sequence[str], outside_skp: str) -> list[dict[str, Any]]:
    """RHK of other SKPs whose ``induk_rhk_id`` is one of ``rhk_ids`` (they would lose their link)."""
    out: list[dict[str, Any]] = []
    ids = sorted(set(rhk_ids))
    for i in range(0, len(ids), _CHUNK):
        q = sa.select(_ek_rhk.c.rhk_id, _ek_rhk.c.skp_id, _ek_rhk.c.induk_rhk_id, _ek_skp.c.nip).join(
            _ek_skp, _ek_skp.c.skp_id == _ek_rhk.c.skp_id, isouter=True
        )
        q = q.where(_ek_rhk.c.induk_rhk_id.in_(ids[i : i + _CHUNK]), _ek_rhk.c.skp_id != outside_skp)
        out += [dict(r._mapping) for r in conn.execute(q)]
    return out


def delete_skp(conn: sa.Connection, skp_id: str) -> None:
    """Delete one e-Kinerja SKP with its RHK."""
    conn.execute(sa.delete(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))
    conn.execute(sa.delete(_ek_skp).where(_ek_skp.c.skp_id == skp_id))


# ------------------------------------------------------------------ bulk sync selection


def nips_of_school(conn: sa.Connection, instansi_id: str, npsn: str) -> list[str]:
    """The instansi's pegawai whose SIASN unit is the school ``npsn``."""
    q = (
        sa.select(_peg.c.nip)
        .join(_unor, _unor.c.unor_id == _peg.c.unor_id)
        .where(_unor.c.npsn == npsn, _peg.c.instansi_id == instansi_id)
    )
    return [r[0] for r in conn.execute(q)]


def nips_of_instansi(conn: sa.Connection, instansi_id: str) -> list[str]:
    """Every pegawai of the instansi in SIASN."""
    return [r[0] for r in conn.execute(sa.select(_peg.c.nip).where(_peg.c.instansi_id == instansi_id))]


def nips_in_instansi(conn: sa.Connection, instansi_id: str, nips: Sequence[str]) -> set[str]:
    """Which of ``nips`` are pegawai of the instansi."""
    wanted = sorted(set(nips))
    return {
        r[0]
        for i in range(0, len(wanted), _CHUNK)
        for r in conn.execute(
            sa.select(_peg.c.nip).where(_peg.c.nip.in_(wanted[i : i + _CHUNK]), _peg.c.instansi_id == instansi_id)
        )
    }
