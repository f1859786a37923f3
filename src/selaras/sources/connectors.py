"""The sources ``selaras tarik`` reads, configured by environment (``docs/source-api.md``).

SIASN and Dapodik in their real shapes (``sources.siasn``, ``sources.dapodik``); PMM in the
project's own contract (``sources.clients.PmmClient``), which also gives the padanan (which SIASN
unit is which school, ``GET {PMM}/padanan?instansi_id=``). Each source is optional: one not
configured is not pulled (its data in the store stays as it is).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from selaras.sources.clients import PmmClient, SourceConfig, Sources
from selaras.sources.dapodik import DapodikConfig, DapodikConnector
from selaras.sources.problems import SourceProblem
from selaras.sources.real import RealSettings
from selaras.sources.siasn import SiasnConfig, SiasnConnector
from selaras.sources.transport import SourceContractError

__all__ = ["ENV_SIASN", "LiveSources", "RealSources", "live_from_env", "padanan", "read_roster"]

ENV_SIASN = {
    "base_url": "SELARAS_SIASN_API_URL",
    "token_url": "SELARAS_SIASN_TOKEN_URL",
    "consumer_key": "SELARAS_SIASN_CONSUMER_KEY",
    "consumer_secret": "SELARAS_SIASN_CONSUMER_SECRET",
    "sso_url": "SELARAS_SIASN_SSO_URL",
    "sso_client_id": "SELARAS_SIASN_SSO_CLIENT_ID",
    "username": "SELARAS_SIASN_USERNAME",
    "password": "SELARAS_SIASN_PASSWORD",
}
_SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CONNECT_TIMEOUT": ("connect_timeout", float),
    "READ_TIMEOUT": ("read_timeout", float),
    "MAX_ATTEMPTS": ("max_attempts", int),
    "RATE_LIMIT": ("rate_limit", float),
    "CONCURRENCY": ("concurrency", int),
}


def _settings(env: Mapping[str, str], source: str) -> RealSettings:
    """``SELARAS_SOURCE_<X>`` for every source, ``SELARAS_<SOURCE>_<X>`` for one."""
    values: dict[str, Any] = {}
    for suffix, (name, convert) in _SETTINGS.items():
        for var in (f"SELARAS_SOURCE_{suffix}", f"SELARAS_{source}_{suffix}"):
            if env.get(var, "").strip():
                try:
                    values[name] = convert(env[var].strip())
                except ValueError as e:
                    raise ValueError(f"{var}={env[var]!r} bukan angka") from e
    return replace(RealSettings(), **values)


@dataclass
class RealSources:
    """The connectors ``selaras tarik`` pulls from (None: not configured)."""

    siasn: SiasnConnector | None
    dapodik: DapodikConnector | None
    pmm: PmmClient | None
    daftar_nip: dict[str, str | None] = field(default_factory=dict)
    """NIP -> instansi (None: any) of a roster file (``SELARAS_SIASN_DAFTAR_NIP``): SIASN's web
    service reads by NIP only, so a pegawai no other source names is found through it."""

    roster_done: set[str] = field(default_factory=set)
    """Roster NIPs without an instansi already pulled in this run: not read again for the next."""

    def nips_of(self, instansi_id: str) -> list[str]:
        """The roster's NIPs of ``instansi_id``, and those given without an instansi that no
        earlier pull of this run has read."""
        return sorted(
            n for n, i in self.daftar_nip.items() if i == instansi_id or (i is None and n not in self.roster_done)
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> RealSources:
        """The sources set in ``env`` (default the process's); ``ValueError`` naming the
        variables missing for a source that is half configured. ``options`` (``sleep``,
        ``transport``) go to every connector."""
        env = os.environ if env is None else env
        missing: list[str] = []
        siasn = None
        given = {k: env.get(v, "").strip() for k, v in ENV_SIASN.items()}
        if any(given.values()):
            missing += [ENV_SIASN[k] for k, v in given.items() if not v]
            if not missing:
                siasn = SiasnConnector(SiasnConfig(**given, settings=_settings(env, "SIASN")), **options)
        dapodik = None
        template = env.get("SELARAS_DAPODIK_SEKOLAH_URL", "").strip()
        key = env.get("SELARAS_DAPODIK_KEY", "").strip()
        if template or key:
            if not template:
                missing.append("SELARAS_DAPODIK_SEKOLAH_URL")
            if not key:
                missing.append("SELARAS_DAPODIK_KEY")
            if template and key:
                config = DapodikConfig(key, template=template, settings=_settings(env, "DAPODIK"))
                dapodik = DapodikConnector(config, **options)
        pmm = None
        url = env.get("SELARAS_PMM_URL", "").strip()
        if url:
            token = (env.get("SELARAS_PMM_TOKEN") or env.get("SELARAS_SOURCE_TOKEN") or "").strip()
            if not token:
                missing.append("SELARAS_PMM_TOKEN atau SELARAS_SOURCE_TOKEN")
            else:
                t = _settings(env, "PMM")
                config = SourceConfig(
                    url,
                    token,
                    connect_timeout=t.connect_timeout,
                    read_timeout=t.read_timeout,
                    max_attempts=t.max_attempts,
                    rate_limit=t.rate_limit,
                )
                pmm = PmmClient(config, **{k: v for k, v in options.items() if k == "sleep"})
        if missing:
            raise ValueError(f"konfigurasi sumber data tidak lengkap: {', '.join(missing)} belum diisi")
        roster = env.get("SELARAS_SIASN_DAFTAR_NIP", "").strip()
        return cls(siasn, dapodik, pmm, read_roster(Path(roster)) if roster else {})

    @property
    def configured(self) -> list[str]:
        """The sources set, by name."""
        return [n for n, c in (("SIASN", self.siasn), ("Dapodik", self.dapodik), ("PMM", self.pmm)) if c is not None]

    def close(self) -> None:
        """Close every connector's connections."""
        for c in (self.siasn, self.dapodik, self.pmm):
            if c is not None:
                c.close()

    def __enter__(self) -> RealSources:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def padanan(pmm: PmmClient, instansi_id: str) -> list[tuple[str, str | None]]:
    """The instansi's schools as (NPSN, the SIASN unit matched to it or None), from PMM's
    ``padanan`` list (the project's own contract)."""
    body = pmm.get_json("padanan", {"instansi_id": instansi_id})
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise SourceContractError([SourceProblem("PMM", "padanan", None, "data", None, "jawaban tanpa daftar 'data'")])
    out: list[tuple[str, str | None]] = []
    for r in rows:
        if isinstance(r, dict) and isinstance(r.get("npsn"), str):
            unor = r.get("unor_id")
            out.append((r["npsn"], unor if isinstance(unor, str) else None))
    return out


def read_roster(path: Path) -> dict[str, str | None]:
    """A roster file: one pegawai a line, ``NIP`` or ``NIP,instansi_id`` (``;`` also separates;
    a header line and blank lines are skipped). ``ValueError`` naming the file and line of a
    NIP that is not 18 digits."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ValueError(f"SELARAS_SIASN_DAFTAR_NIP: berkas {path} tidak dapat dibaca ({e.strerror})") from e
    out: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [c.strip().strip('"') for c in line.replace(";", ",").split(",")]
        if not cells[0] or (number == 1 and not cells[0].isdigit()):
            continue
        if len(cells[0]) != 18 or not cells[0].isdigit():
            raise ValueError(f"{path} baris {number}: NIP '{cells[0]}' harus 18 digit angka")
        out[cells[0]] = cells[1] if len(cells) > 1 and cells[1] else None
    return out


LiveSources = Sources | RealSources
"""The live sources a worker pulls from: the project's own contract, or the real shapes."""


def live_from_env(env: Mapping[str, str] | None = None) -> LiveSources | None:
    """The live sources the sync jobs and the scheduled refresh pull from: SIASN or Dapodik
    configured in their real shapes (``SELARAS_SIASN_API_URL``, ``SELARAS_DAPODIK_SEKOLAH_URL``)
    give the connectors of ``selaras tarik``; otherwise the project's own contract
    (:meth:`Sources.from_env`). None when no source is configured; ``ValueError`` naming the
    variables missing for a source half configured."""
    env = os.environ if env is None else env
    if any(env.get(v, "").strip() for v in (*ENV_SIASN.values(), "SELARAS_DAPODIK_SEKOLAH_URL", "SELARAS_DAPODIK_KEY")):
        real = RealSources.from_env(env)
        return real if real.configured else None
    return Sources.from_env(env)
