"""The connector of SIASN's real web service (BKN), as ``sources-real.md`` describes it.

Two tokens on every call: the gateway's (OAuth2 ``client_credentials`` with a consumer key and
secret, sent as ``Authorization: Bearer``) and the SSO's of an instansi user (OpenID Connect
password grant, sent as ``Auth: bearer``). Both are fetched when first needed, again shortly
before they expire, and again on a 401. Reads: ``pns/data-utama/{nip}``,
``pns/rw-jabatan/{nip}``, ``referensi/ref-unor``, each answer in the envelope
``{"status", "message_code", "message_description", "data"}``; an envelope that reports a
failure is a SYS-02 problem carrying its ``message_code``. The fields are mapped to the
snapshot by ``sources.mapping``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from selaras.sources.mapping import MAPPINGS
from selaras.sources.problems import SourceProblem
from selaras.sources.real import Pulled, RealSettings, Transport, validated
from selaras.sources.transport import SourceContractError

__all__ = ["SiasnConfig", "SiasnConnector", "SiasnPull", "TokenSource"]

_OK = {"true", "1", "ok", "success", "sukses", "berhasil"}
_NOT_FOUND = ("404", "not_found", "not found", "tidak ditemukan", "data_not_found")
RENEW_MARGIN = 30.0
"""Seconds before its expiry that a token is fetched again (a call must not carry a dying one)."""


@dataclass(frozen=True)
class SiasnConfig:
    """Where SIASN is and who Selaras is there."""

    base_url: str
    """The API's base, ending in ``/apisiasn/1.0``."""
    token_url: str
    """The gateway's OAuth2 token endpoint."""
    consumer_key: str
    consumer_secret: str
    sso_url: str
    """The SSO's OpenID Connect token endpoint."""
    sso_client_id: str
    username: str
    password: str
    settings: RealSettings = field(default_factory=RealSettings)


class TokenSource:
    """One token, fetched by ``fetch`` (value, seconds valid), renewed before it expires or
    when :meth:`invalidate` is called after a 401. Thread-safe."""

    def __init__(self, fetch: Callable[[], tuple[str, float]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock = fetch, clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._until = 0.0
        self.fetched = 0

    def get(self) -> str:
        """A token valid for a while yet."""
        with self._lock:
            if self._value is None or self._clock() >= self._until:
                value, seconds = self._fetch()
                self._value = value
                self._until = self._clock() + max(0.0, seconds - min(RENEW_MARGIN, seconds / 10))
                self.fetched += 1
            return self._value

    def invalidate(self, seen: str | None = None) -> None:
        """Forget the token (the source said 401); ``seen``: only if it is still that one, so
        threads that met the same 401 fetch one new token, not one each."""
        with self._lock:
            if seen is None or seen == self._value:
                self._value = None


@dataclass
class SiasnPull:
    """What a pull of one instansi from SIASN gave."""

    unor: Pulled
    pegawai: Pulled
    instansi: pl.DataFrame
    """The instansi of the pegawai pulled (id and name, as data-utama gives them)."""
    tidak_ada: list[str] = field(default_factory=list)
    """NIPs SIASN does not know."""

    @property
    def problems(self) -> list[SourceProblem]:
        """Every record refused."""
        return [*self.unor.problems, *self.pegawai.problems]


class SiasnConnector:
    """Reads of SIASN's web service."""

    source = "SIASN"

    def __init__(self, config: SiasnConfig, **options: Any) -> None:
        self.config = config
        self.http = Transport(self.source, config.settings, **options)
        self.gateway = TokenSource(self._gateway_token)
        self.sso = TokenSource(self._sso_token)

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def __enter__(self) -> SiasnConnector:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- tokens

    def _token(self, url: str, data: Mapping[str, str], auth: tuple[str, str] | None) -> tuple[str, float]:
        body = self.http.json("POST", url, data=dict(data), auth=auth)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise SourceContractError(
                [SourceProblem(self.source, "token", None, "access_token", None, "jawaban token tanpa access_token")]
            )
        try:
            seconds = float(body.get("expires_in") or 300)
        except (TypeError, ValueError):
            seconds = 300.0
        return body["access_token"], seconds

    def _gateway_token(self) -> tuple[str, float]:
        c = self.config
        return self._token(c.token_url, {"grant_type": "client_credentials"}, (c.consumer_key, c.consumer_secret))

    def _sso_token(self) -> tuple[str, float]:
        c = self.config
        form = {"grant_type": "password", "client_id": c.sso_client_id, "username": c.username, "password": c.password}
        return self._token(c.sso_url, form, None)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.gateway.get()}",
            "Auth": f"bearer {self.sso.get()}",
            "Accept": "application/json",
        }

    def _renew(self, sent: Mapping[str, str]) -> None:
        # Only the tokens that request carried: threads that met the same 401 fetch one pair.
        self.gateway.invalidate(sent.get("Authorization", "")[len("Bearer ") :] or None)
        self.sso.invalidate(sent.get("Auth", "")[len("bearer ") :] or None)

    # -- reads

    def get(self, path: str) -> Any:
        """The envelope of ``GET {base}/{path}`` (a 404 gives None)."""
        url = f"{self.config.base_url.rstrip('/')}/{path.lstrip('/')}"
        response = self.http.request("GET", url, headers=self._headers, renew=self._renew, ok=(200, 404))
        if response.status_code == 404:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            # Cut off on the way: asked again, retried and counted as SYS-01 by the transport.
            return self.http.json("GET", url, headers=self._headers, renew=self._renew)

    def _data(self, path: str, record: str, key: str | None) -> tuple[Any, SourceProblem | None]:
        """The ``data`` of an envelope, None when SIASN has no such record, or the problem of
        an envelope that reports a failure or is not one."""
        body = self.get(path)
        if body is None:
            return None, None
        if not isinstance(body, dict) or "data" not in body:
            return None, SourceProblem(self.source, record, key, "data", None, "jawaban tanpa amplop 'data'")
        status = str(body.get("status", True)).strip().casefold()
        code = body.get("message_code")
        description = str(body.get("message_description") or "").strip()
        if status not in _OK:
            said = f"{code} {description}".casefold()
            if body.get("data") in (None, [], {}) and any(n in said for n in _NOT_FOUND):
                return None, None
            rule = f"SIASN menjawab gagal: {description or 'tanpa keterangan'}"
            return None, SourceProblem(
                self.source, record, key, "message_code", None if code is None else str(code), rule
            )
        return body["data"], None

    def data_utama(self, nip: str) -> tuple[dict[str, Any] | None, SourceProblem | None]:
        """The ``data-utama`` record of ``nip`` (None: unknown to SIASN) or its problem."""
        data, problem = self._data(f"pns/data-utama/{nip}", "data-utama", nip)
        if problem is None and data is not None and not isinstance(data, dict):
            return None, SourceProblem(self.source, "data-utama", nip, "data", None, "data harus objek")
        return data, problem

    def rw_jabatan(self, nip: str) -> tuple[list[dict[str, Any]], SourceProblem | None]:
        """The position history of ``nip`` (rows for ``MAPPINGS['siasn.rw-jabatan']``)."""
        data, problem = self._data(f"pns/rw-jabatan/{nip}", "rw-jabatan", nip)
        if problem is None and data is not None and not isinstance(data, list):
            return [], SourceProblem(self.source, "rw-jabatan", nip, "data", None, "data harus daftar")
        return [r for r in data or [] if isinstance(r, dict)], problem

    def ref_unor(self) -> list[dict[str, Any]]:
        """The unit tree (``referensi/ref-unor``); an answer that is no list of units raises
        :class:`SourceContractError`."""
        data, problem = self._data("referensi/ref-unor", "ref-unor", None)
        if problem is None and not isinstance(data, list):
            problem = SourceProblem(self.source, "ref-unor", None, "data", None, "data harus daftar unit")
        if problem is not None:
            raise SourceContractError([problem])
        return [r for r in data if isinstance(r, dict)]

    def pull(
        self,
        instansi_id: str,
        nips: Sequence[str],
        *,
        npsn: Mapping[str, str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SiasnPull:
        """The instansi's units (rows of ref-unor that say they belong to it, or all when
        none says) and the pegawai of ``nips`` (concurrently, within the rate limit).
        ``npsn``: unor_id -> NPSN of the matched school (the padanan)."""
        units = self.ref_unor()
        own = [u for u in units if str(u.get("InstansiId") or instansi_id) == instansi_id]
        context = {"instansi_id": instansi_id, "aktif": "1"}
        unor = validated(
            MAPPINGS["siasn.ref-unor"],
            [(u, {**context, "npsn": (npsn or {}).get(str(u.get("Id")))}) for u in own],
        )
        wanted = sorted(set(nips))
        problems: list[SourceProblem] = []
        missing: list[str] = []
        names: dict[str, str] = {}

        def records() -> Iterator[tuple[Mapping[str, Any], None]]:
            # Mapped as they come: a national pull keeps a row of nine columns per pegawai,
            # not SIASN's whole record.
            answers = self.http.map_concurrent(self.data_utama, wanted)
            for i, (nip, (record, problem)) in enumerate(zip(wanted, answers, strict=True)):
                if problem is not None:
                    problems.append(problem)
                elif record is None:
                    missing.append(nip)
                else:
                    _instansi_names(record, names)
                    yield record, None
                if progress is not None:
                    progress(i + 1, len(wanted))

        pegawai = validated(MAPPINGS["siasn.data-utama"], records())
        pegawai.problems[:0] = problems
        pegawai.refused += len(problems)
        instansi = pl.DataFrame(
            {"instansi_id": list(names), "nama": list(names.values())},
            schema={"instansi_id": pl.String, "nama": pl.String},
        )
        return SiasnPull(unor, pegawai, instansi, missing)


def _instansi_names(record: Mapping[str, Any], names: dict[str, str]) -> None:
    """The instansi a data-utama record names (id -> name), added to ``names``."""
    for id_field, name_field in (("instansiKerjaId", "instansiKerjaNama"), ("instansiIndukId", "instansiIndukNama")):
        ident, name = record.get(id_field), record.get(name_field)
        if isinstance(ident, str) and isinstance(name, str) and name.strip():
            names.setdefault(ident.strip(), name.strip())
