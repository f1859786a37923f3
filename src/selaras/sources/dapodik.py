"""The connector of Dapodik's school web service, as ``sources-real.md`` describes it.

Each school's Dapodik application serves ``/WebService/getSekolah?npsn=`` and
``/WebService/getGtk?npsn=`` with ``Authorization: Bearer <web-service key>``; a district
reaches many schools' services, or one central feed with the same rows. The connector takes
one endpoint per NPSN (a URL template with ``{npsn}``, or a table NPSN -> URL; a template
without ``{npsn}`` is a central feed) and reads them with bounded concurrency. The quirks: the
JSON comes labelled ``text/html``; ``rows`` is an object for ``getSekolah`` and a list
otherwise (either is accepted for both). Only the mapped fields (``sources.mapping``) are ever
kept: a password hash or any other field Selaras does not use is neither stored nor logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from selaras.domain.snapshot import empty_frame
from selaras.sources.mapping import MAPPINGS, is_duty, map_record
from selaras.sources.problems import SourceProblem
from selaras.sources.real import Pulled, RealSettings, Transport, validated
from selaras.sources.transport import SourceContractError, SourceUnavailable

__all__ = ["DapodikConfig", "DapodikConnector", "DapodikPull"]

_TUGAS = "dapodik_tugas_tambahan"


@dataclass(frozen=True)
class DapodikConfig:
    """Where the schools' services are and the key they want."""

    key: str
    """The web-service key (one for all schools; ``keys`` overrides it per NPSN)."""
    template: str | None = None
    """Base URL of a school's service with ``{npsn}`` in it, or of a central feed without."""
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """NPSN -> base URL of that school's service (wins over ``template``)."""
    keys: Mapping[str, str] = field(default_factory=dict)
    settings: RealSettings = field(default_factory=RealSettings)

    def per_school(self, npsn: str) -> bool:
        """Whether school ``npsn`` has a service of its own (not a central feed)."""
        return npsn in self.endpoints or bool(self.template and "{npsn}" in self.template)

    def base_url(self, npsn: str) -> str | None:
        """The base URL serving school ``npsn`` (None: no endpoint configured for it)."""
        if npsn in self.endpoints:
            return self.endpoints[npsn].rstrip("/")
        if self.template:
            return self.template.replace("{npsn}", npsn).rstrip("/")
        return None


@dataclass
class DapodikPull:
    """What a pull of a list of schools from Dapodik gave."""

    sekolah: Pulled
    ptk: Pulled
    tanpa_layanan: list[str] = field(default_factory=list)
    """NPSNs with no endpoint configured."""
    tidak_terjangkau: dict[str, SourceUnavailable] = field(default_factory=dict)
    """Schools whose own service stayed unavailable (SYS-01): NPSN -> the failure. Their data
    is left as stored; the other schools' is taken."""
    tugas: Pulled = field(default_factory=lambda: Pulled(_TUGAS, empty_frame(_TUGAS)))
    """The leaders' duties (``dapodik_tugas_tambahan``) read from the same getGtk rows."""
    terjawab: list[str] = field(default_factory=list)
    """The schools whose service answered: their duties are exactly those in ``tugas``."""

    @property
    def problems(self) -> list[SourceProblem]:
        """Every record refused."""
        return [*self.sekolah.problems, *self.ptk.problems, *self.tugas.problems]


class DapodikConnector:
    """Reads of the Dapodik web service of many schools."""

    source = "Dapodik"

    def __init__(self, config: DapodikConfig, **options: Any) -> None:
        self.config = config
        self.http = Transport(self.source, config.settings, **options)

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def __enter__(self) -> DapodikConnector:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def rows(self, npsn: str, method: str) -> list[dict[str, Any]]:
        """The ``rows`` of ``/WebService/{method}?npsn=`` of the school (object or list: a list);
        an answer that is not the envelope raises :class:`SourceContractError`."""
        base = self.config.base_url(npsn)
        if base is None:
            raise ValueError(f"no Dapodik endpoint for NPSN {npsn}")
        key = self.config.keys.get(npsn, self.config.key)
        body = self.http.json(
            "GET",
            f"{base}/WebService/{method}",
            params={"npsn": npsn},
            headers=lambda: {"Authorization": f"Bearer {key}", "Accept": "application/json, text/html"},
        )
        rows = body.get("rows") if isinstance(body, dict) else None
        if isinstance(rows, dict):
            return [rows]
        if isinstance(rows, list):
            return [r for r in rows if isinstance(r, dict)]
        if isinstance(body, dict) and "rows" in body and rows is None:
            return []
        problem = SourceProblem(self.source, method, npsn, "rows", None, "jawaban tanpa 'rows' (objek atau daftar)")
        raise SourceContractError([problem])

    def school(self, npsn: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``getSekolah`` and ``getGtk`` rows of one school."""
        return self.rows(npsn, "getSekolah"), self.rows(npsn, "getGtk")

    def pull(
        self, instansi_id: str, npsns: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> DapodikPull:
        """The schools ``npsns`` (of ``instansi_id``) and their PTK: a PTK is taken at its own
        school (``ptk_induk`` 1); its rows at other schools (a duty there) are not PTK rows."""
        wanted = sorted(set(npsns))
        served = [n for n in wanted if self.config.base_url(n) is not None]
        sekolah: list[tuple[Mapping[str, Any], Mapping[str, str | None]]] = []
        gtk: list[tuple[Mapping[str, Any], Mapping[str, str | None]]] = []
        down: dict[str, SourceUnavailable] = {}
        broken: list[SourceProblem] = []
        answered: list[str] = []

        def school(npsn: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            if not self.config.per_school(npsn):
                rows = self.school(npsn)  # a central feed down is the whole source down
                answered.append(npsn)
                return rows
            try:
                rows = self.school(npsn)
            except SourceUnavailable as e:
                # One school's own server offline must not hold up the district's other schools.
                down[npsn] = e
                return [], []
            except SourceContractError as e:
                # Nor one that answers something else (a login page): its data stays as stored.
                broken.extend(e.problems)
                return [], []
            answered.append(npsn)
            return rows

        for i, (npsn, (s_rows, g_rows)) in enumerate(
            zip(served, self.http.map_concurrent(school, served), strict=True)
        ):
            sekolah.extend((r, {"instansi_id": instansi_id, "npsn": npsn}) for r in s_rows)
            gtk.extend((r, {"npsn": npsn}) for r in g_rows)
            if progress is not None:
                progress(i + 1, len(served))
        pulled = DapodikPull(
            validated(MAPPINGS["dapodik.getSekolah"], sekolah),
            validated(MAPPINGS["dapodik.getGtk"], gtk, keep=lambda row: row.get("ptk_induk") != "0"),
            [n for n in wanted if n not in set(served)],
            down,
            validated(MAPPINGS["dapodik.getGtk-tugas"], [(r, c) for r, c in gtk if _duty_record(r, c)]),
            sorted(answered),
        )
        pulled.sekolah.problems[:0] = broken
        pulled.sekolah.refused += len(broken)
        return pulled


def _duty_record(record: Mapping[str, Any], context: Mapping[str, str | None]) -> bool:
    """Whether a getGtk row is a leader's duty, or one whose duty label cannot be read (refused
    then, SYS-02): the other rows' dates and numbers are no duty's and are not checked."""
    mapping = MAPPINGS["dapodik.getGtk-tugas"]
    row, problems = map_record(mapping, record, context)
    return is_duty(row) or any(p.field == "jabatan_ptk_id_str" for p in problems)
