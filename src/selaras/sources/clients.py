"""Clients of the project's own source API (PMM, SIASN, Dapodik), as documented in
``docs/source-api.md``: paginated, filtered reads whose records are checked against the data
contract (``sources.http``), with the retries of ``sources.transport``.

A client is thread-safe: one pooled ``httpx.Client`` and one token bucket per source.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx

from selaras.sources.http import (
    MAX_LIMIT,
    RESOURCES,
    SOURCE_PREFIX,
    Batch,
    Resource,
    format_timestamp,
    parse_records,
)
from selaras.sources.problems import SourceProblem
from selaras.sources.transport import (
    PooledClient,
    Sleep,
    SourceConfigError,
    SourceContractError,
    SourceUnavailable,
    parse_retry_after,
)

__all__ = [
    "DapodikClient",
    "PmmClient",
    "SiasnClient",
    "SourceClient",
    "SourceConfig",
    "Sources",
]


# ------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class SourceConfig:
    """How to reach one source."""

    base_url: str
    token: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    """Seconds: the ceiling of the first backoff; it doubles with each attempt."""
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    """A ``Retry-After`` longer than this is shortened to it."""
    rate_limit: float | None = 10.0
    """Requests per second at most (None: unlimited)."""
    burst: float | None = None
    page_size: int = MAX_LIMIT
    batch_size: int = 200
    """Values per key-list filter in one request (longer lists are split)."""
    max_connections: int = 10


# ------------------------------------------------------------------------------ clients


class SourceClient(PooledClient):
    """A client of one source API: paginated, filtered, validated reads with retries."""

    def __init__(
        self,
        source: str,
        config: SourceConfig,
        *,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            source,
            base_url=config.base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {config.token}", "Accept": "application/json"},
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            connections=config.max_connections,
            rate_limit=config.rate_limit,
            burst=config.burst,
            sleep=sleep,
            rng=rng,
            transport=transport,
        )
        self.config = config
        self._resources = {r.path: r for r in RESOURCES if r.source == source}

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get_json(self, path: str, params: Mapping[str, str]) -> Any:
        """GET ``path`` (relative to the base URL) and parse its JSON body, retrying the
        transient failures of SYS-01 with backoff; raises :class:`SourceUnavailable` after
        ``max_attempts``, :class:`SourceConfigError` at once on 401/403/other 4xx."""
        cfg = self.config
        reason = ""
        for attempt in range(1, cfg.max_attempts + 1):
            self._limiter.acquire()
            asked: float | None = None
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException as e:
                reason = f"batas waktu habis ({type(e).__name__})"
            except httpx.TransportError as e:
                reason = f"koneksi gagal ({type(e).__name__}: {e})"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise SourceConfigError(self.source, path, status, "token ditolak; periksa konfigurasi token")
                if status == 429:
                    reason = "HTTP 429 (terlalu banyak permintaan)"
                    asked = parse_retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    reason = f"HTTP {status}"
                elif status >= 300:
                    raise SourceConfigError(self.source, path, status, response.text[:300])
                else:
                    try:
                        return json.loads(response.content)
                    except ValueError:
                        # A cut-off body is what a dropped connection or a failing proxy gives.
                        reason = "jawaban bukan JSON yang sah (terpotong?)"
            if attempt < cfg.max_attempts:
                if asked is not None:
                    delay = min(asked, cfg.retry_after_cap)
                else:
                    delay = self.backoff(attempt, cfg.backoff_base, cfg.backoff_cap)
                self._sleep(delay)
        raise SourceUnavailable(self.source, path, reason, cfg.max_attempts)

    def fetch(self, path: str, *, since: datetime | None = None, **filters: Iterable[str] | None) -> Batch:
        """Every record of endpoint ``path`` (all pages) matching the filters: at most one
        key-list filter (split into requests of ``batch_size`` values), and records changed
        after ``since``. An empty key list gives an empty batch without a request."""
        resource = self._resources.get(path)
        if resource is None:
            raise ValueError(f"{self.source} has no endpoint {path!r}")
        given = {k: v for k, v in filters.items() if v is not None}
        unknown = set(given) - set(resource.filters)
        if unknown:
            raise ValueError(f"{self.source} {path} cannot be filtered by {sorted(unknown)}")
        if len(given) > 1:
            raise ValueError("at most one key-list filter per fetch")
        tables = [resource.table, *(t for _, t in resource.nested)]
        params: dict[str, str] = {}
        if since is not None:
            params["diperbarui_sejak"] = format_timestamp(since)
        if not given:
            return Batch.merge(list(self._pages(resource, params)), tables)
        ((name, raw),) = given.items()
        if isinstance(raw, str):
            raise TypeError(f"{name} takes a list of values, not one string")
        values = sorted({v for v in raw if v is not None})
        size = max(1, min(self.config.batch_size, MAX_LIMIT))
        batches = []
        for i in range(0, len(values), size):
            batches.extend(self._pages(resource, {**params, name: ",".join(values[i : i + size])}))
        return Batch.merge(batches, tables)

    def _pages(self, resource: Resource, params: Mapping[str, str]) -> Iterator[Batch]:
        cursor: str | None = None
        seen: set[str] = set()
        limit = str(max(1, min(self.config.page_size, MAX_LIMIT)))
        while True:
            query = {**params, "limit": limit}
            if cursor is not None:
                query["cursor"] = cursor
            body = self.get_json(resource.path, query)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise SourceContractError(
                    [SourceProblem(self.source, resource.table, None, "data", None, "jawaban tanpa daftar 'data'")]
                )
            yield parse_records(self.source, resource, body["data"])
            cursor = body.get("next_cursor")
            if cursor is None:
                return
            if not isinstance(cursor, str) or cursor in seen:
                rule = "next_cursor bukan teks" if not isinstance(cursor, str) else "next_cursor berulang"
                raise SourceContractError(
                    [SourceProblem(self.source, resource.table, None, "next_cursor", str(cursor)[:200], rule)]
                )
            seen.add(cursor)


class SiasnClient(SourceClient):
    """SIASN (BKN): instansi, units, pegawai."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("SIASN", config, **options)

    def instansi(self, *, instansi_id: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``instansi`` records."""
        return self.fetch("instansi", since=since, instansi_id=instansi_id)

    def unor(
        self,
        *,
        unor_id: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``siasn_unor`` records (one filter at most)."""
        return self.fetch("unor", since=since, unor_id=unor_id, instansi_id=instansi_id, npsn=npsn)

    def pegawai(
        self,
        *,
        nip: Iterable[str] | None = None,
        nik: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        unor_id: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``siasn_pegawai`` records (one filter at most)."""
        return self.fetch("pegawai", since=since, nip=nip, nik=nik, instansi_id=instansi_id, unor_id=unor_id)

    def jabatan(self, *, nip: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``siasn_jabatan`` records: the jenjang history."""
        return self.fetch("jabatan", since=since, nip=nip)

    def angka_kredit(self, *, nip: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``siasn_angka_kredit`` records: the credit recorded."""
        return self.fetch("angka-kredit", since=since, nip=nip)


class DapodikClient(SourceClient):
    """Dapodik / Verval PTK: schools and PTK."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("Dapodik", config, **options)

    def sekolah(
        self,
        *,
        npsn: Iterable[str] | None = None,
        instansi_id: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_sekolah`` records (one filter at most)."""
        return self.fetch("sekolah", since=since, npsn=npsn, instansi_id=instansi_id)

    def ptk(
        self,
        *,
        ptk_id: Iterable[str] | None = None,
        nip: Iterable[str] | None = None,
        nik: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_ptk`` records (one filter at most)."""
        return self.fetch("ptk", since=since, ptk_id=ptk_id, nip=nip, nik=nik, npsn=npsn)

    def tugas_tambahan(
        self,
        *,
        ptk_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``dapodik_tugas_tambahan`` records, the leaders' duties (one filter at most)."""
        return self.fetch("tugas-tambahan", since=since, ptk_id=ptk_id, npsn=npsn)


class PmmClient(SourceClient):
    """PMM / Ruang GTK: SKP with their RHK and assessments."""

    def __init__(self, config: SourceConfig, **options: Any) -> None:
        super().__init__("PMM", config, **options)

    def skp(
        self,
        *,
        pmm_skp_id: Iterable[str] | None = None,
        ptk_id: Iterable[str] | None = None,
        npsn: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> Batch:
        """``pmm_skp`` records with their ``pmm_rhk`` and ``pmm_penilaian`` (one filter at most)."""
        return self.fetch("skp", since=since, pmm_skp_id=pmm_skp_id, ptk_id=ptk_id, npsn=npsn)

    def predikat_organisasi(self, *, npsn: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``pmm_predikat_organisasi`` records: the schools' organisation ratings (PKO)."""
        return self.fetch("predikat-organisasi", since=since, npsn=npsn)

    def predikat(self, *, ptk_id: Iterable[str] | None = None, since: datetime | None = None) -> Batch:
        """``pmm_predikat`` records: the teachers' annual ratings."""
        return self.fetch("predikat", since=since, ptk_id=ptk_id)


_ENV_URL = {"PMM": "SELARAS_PMM_URL", "SIASN": "SELARAS_SIASN_URL", "Dapodik": "SELARAS_DAPODIK_URL"}
_ENV_TOKEN = {"PMM": "SELARAS_PMM_TOKEN", "SIASN": "SELARAS_SIASN_TOKEN", "Dapodik": "SELARAS_DAPODIK_TOKEN"}
_REAL_ENV = {"SELARAS_SIASN_API_URL", "SELARAS_DAPODIK_SEKOLAH_URL"}
_ENV_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SELARAS_SOURCE_CONNECT_TIMEOUT": ("connect_timeout", float),
    "SELARAS_SOURCE_READ_TIMEOUT": ("read_timeout", float),
    "SELARAS_SOURCE_MAX_ATTEMPTS": ("max_attempts", int),
    "SELARAS_SOURCE_RATE_LIMIT": ("rate_limit", float),
}


@dataclass
class Sources:
    """The three source clients."""

    siasn: SiasnClient
    dapodik: DapodikClient
    pmm: PmmClient

    @classmethod
    def from_configs(cls, siasn: SourceConfig, dapodik: SourceConfig, pmm: SourceConfig, **options: Any) -> Sources:
        """Clients for three configurations; ``options`` (``sleep``, ``rng``, ``transport``)
        go to each client."""
        return cls(SiasnClient(siasn, **options), DapodikClient(dapodik, **options), PmmClient(pmm, **options))

    @classmethod
    def from_base_url(cls, url: str, token: str, *, sleep: Sleep = time.sleep, **settings: Any) -> Sources:
        """Clients of three sources served by one server at ``url`` (the simulator):
        ``{url}/siasn/v1``, ``{url}/dapodik/v1``, ``{url}/pmm/v1``. ``settings`` are
        :class:`SourceConfig` fields."""
        root = url.rstrip("/")

        def config(source: str) -> SourceConfig:
            return SourceConfig(f"{root}/{SOURCE_PREFIX[source]}", token, **settings)

        return cls.from_configs(config("SIASN"), config("Dapodik"), config("PMM"), sleep=sleep)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Sources | None:
        """Clients configured by ``SELARAS_PMM_URL``, ``SELARAS_SIASN_URL``,
        ``SELARAS_DAPODIK_URL`` and ``SELARAS_SOURCE_TOKEN`` (or a per-source
        ``SELARAS_PMM_TOKEN`` ...), tuned by ``SELARAS_SOURCE_CONNECT_TIMEOUT``,
        ``_READ_TIMEOUT``, ``_MAX_ATTEMPTS``, ``_RATE_LIMIT``. None when no source URL is set;
        ``ValueError`` naming the missing variables when only some are."""
        env = os.environ if env is None else env
        urls = {s: env.get(v, "").strip() for s, v in _ENV_URL.items()}
        if not any(urls.values()):
            return None
        if not urls["SIASN"] and not urls["Dapodik"] and _REAL_ENV.intersection(k for k, v in env.items() if v):
            # Only PMM in this contract, SIASN and Dapodik in their real shapes: that is the
            # configuration of ``selaras tarik`` (sources.connectors), not of these clients.
            return None
        tokens = {s: (env.get(_ENV_TOKEN[s]) or env.get("SELARAS_SOURCE_TOKEN") or "").strip() for s in urls}
        missing = [_ENV_URL[s] for s, u in urls.items() if not u]
        missing += [f"{_ENV_TOKEN[s]} atau SELARAS_SOURCE_TOKEN" for s, t in tokens.items() if not t]
        if missing:
            raise ValueError(f"konfigurasi sumber data tidak lengkap: {', '.join(missing)} belum diisi")
        settings: dict[str, Any] = {}
        for var, (name, convert) in _ENV_OPTIONS.items():
            if env.get(var):
                try:
                    settings[name] = convert(env[var])
                except ValueError as e:
                    raise ValueError(f"{var}={env[var]!r} bukan angka") from e
        configs = {s: replace(SourceConfig(urls[s], tokens[s]), **settings) for s in urls}
        return cls.from_configs(configs["SIASN"], configs["Dapodik"], configs["PMM"])

    def close(self) -> None:
        """Close every client's connections."""
        for client in (self.siasn, self.dapodik, self.pmm):
            client.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
