"""The simulator's real shapes: SIASN's web service and Dapodik's school services
(``sources-real.md``), served from the same data as the project's own contract.

- SIASN: ``POST /oauth2/token`` (gateway, ``client_credentials``, consumer key and secret by
  HTTP basic auth), ``POST /sso/token`` (SSO, ``password`` grant), then with both tokens
  (``Authorization: Bearer`` and ``Auth: bearer``) ``GET /apisiasn/1.0/pns/data-utama/{nip}``,
  ``/pns/rw-jabatan/{nip}`` and ``/referensi/ref-unor``, in the envelope
  ``{"status", "message_code", "message_description", "data"}``: dates ``DD-MM-YYYY`` with
  ``01-01-0001`` for none, values spelt as SIASN does, fields Selaras does not know.
- Dapodik: ``GET /dapodik-sekolah/{npsn}/WebService/getSekolah?npsn=`` and ``getGtk`` (one
  service per school), the same under ``/dapodik-pusat`` (a central feed), with the
  web-service key; JSON labelled ``text/html``; ``rows`` an object for getSekolah.
- The padanan (which unit is which school), the project's own contract on the PMM side:
  ``GET /pmm/v1/padanan?instansi_id=`` with the PMM token.

Faults (``Faults``) hit these calls as the others, ``invalid`` spelling a value SIASN or Dapodik
could send but Selaras cannot map. Tokens live ``token_seconds``, or ``token_uses`` calls.
Control: ``POST /_sim/token`` with ``{"expire": true}`` (every token issued so far dies) or
``{"unauthorized": n}`` (the next n data calls answer 401 whatever their tokens).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from selaras.simulation.state import Simulator
from selaras.sources.http import Resource

__all__ = ["RealAccess", "add_real_routes"]

_KEDUDUKAN = {
    "AKTIF": "Aktif",
    "PENSIUN": "Pensiun",
    "BERHENTI": "Diberhentikan Dengan Hormat",
    "MENINGGAL": "Meninggal",
    "CLTN": "CLTN",
}
_JENIS_JABATAN = {"STRUKTURAL": "1", "FUNGSIONAL": "2", "PELAKSANA": "4"}
_JENIS_PEGAWAI = {"PNS": "PNS Daerah", "PPPK": "PPPK"}
NO_DATE = "01-01-0001"


@dataclass
class RealAccess:
    """The credentials the simulated SIASN and Dapodik accept, and how long tokens live."""

    consumer_key: str = "konsumen"
    consumer_secret: str = "rahasia"
    sso_client_id: str = "selaras"
    username: str = "admin-instansi"
    password: str = "sandi"
    dapodik_key: str = "kunci-dapodik"
    token_seconds: float = 3600.0
    token_uses: int | None = None
    """A token dies after this many data calls (None: only by time)."""


@dataclass
class _Tokens:
    access: RealAccess
    issued: dict[str, list[float]] = field(default_factory=dict)
    """token -> [expiry (monotonic), uses left]"""
    unauthorized: int = 0
    issued_count: dict[str, int] = field(default_factory=lambda: {"gateway": 0, "sso": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, kind: str) -> dict[str, Any]:
        token = f"{kind}-{secrets.token_urlsafe(12)}"
        uses = float(self.access.token_uses) if self.access.token_uses else math.inf
        with self.lock:
            self.issued[token] = [time.monotonic() + self.access.token_seconds, uses]
            self.issued_count[kind] += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.access.token_seconds)}

    def valid(self, *tokens: str) -> bool:
        with self.lock:
            if self.unauthorized > 0:
                self.unauthorized -= 1
                return False
            for t in tokens:
                state = self.issued.get(t)
                if state is None or state[0] < time.monotonic() or state[1] <= 0:
                    return False
            for t in tokens:
                self.issued[t][1] -= 1
            return True


def _dmy(iso: str | None) -> str:
    if not iso:
        return NO_DATE
    y, m, d = iso[:10].split("-")
    return f"{d}-{m}-{y}"


def _envelope(data: Any, *, ok: bool = True, code: str = "200", description: str = "Berhasil") -> bytes:
    body = {"status": ok, "message_code": code, "message_description": description, "data": data}
    return json.dumps(body, ensure_ascii=False).encode()


def _rows(sim: Simulator, table: str, column: str, value: str) -> pl.DataFrame:
    """The rows whose ``column`` is ``value``, by the table's sorted index (no scan)."""
    data = sim.tables[table]
    if column in data.indexes:
        return data.frame.gather(data.lookup(column, [value]).sort())
    return data.frame.filter(pl.col(column) == value)


def _row(sim: Simulator, table: str, column: str, value: str) -> dict[str, Any] | None:
    found = _rows(sim, table, column, value)
    return found.row(0, named=True) if found.height else None


def _data_utama(sim: Simulator, nip: str, spoil: bool) -> dict[str, Any] | None:
    with sim._lock:
        p = _row(sim, "siasn_pegawai", "nip", nip)
        if p is None:
            return None
        unor = _row(sim, "siasn_unor", "unor_id", p["unor_id"]) if p["unor_id"] else None
        instansi = _row(sim, "instansi", "instansi_id", p["instansi_id"])
    jenis = p["jenis_asn"]
    return {
        "id": f"A8ACA7{nip[-10:]}",
        "nipBaru": nip,
        "nipLama": None,
        "nik": p["nik"],
        "nama": p["nama"],
        "gelarDepan": "",
        "tglLahir": f"{nip[6:8]}-{nip[4:6]}-{nip[:4]}",
        "jenisPegawaiNama": _JENIS_PEGAWAI.get(jenis, jenis) if jenis else None,
        "kedudukanPnsNama": "Cuti Besar" if spoil else _KEDUDUKAN[p["status"]],
        "statusPegawai": "PPPK" if jenis == "PPPK" else "PNS",
        "instansiIndukId": p["instansi_id"],
        "instansiIndukNama": instansi["nama"] if instansi else None,
        "instansiKerjaId": p["instansi_id"],
        "instansiKerjaNama": instansi["nama"] if instansi else None,
        "unorId": p["unor_id"],
        "unorNama": unor["nama"] if unor else None,
        "unorIndukId": unor["parent_unor_id"] if unor else None,
        "jenisJabatanId": _JENIS_JABATAN.get(p["jabatan_jenis"] or ""),
        "jabatanNama": p["jabatan_nama"],
        "jabatanFungsionalId": None,
        "jabatanFungsionalNama": p["jabatan_nama"] if p["jabatan_jenis"] == "FUNGSIONAL" else None,
        "tmtJabatan": NO_DATE,
        "golRuangAkhir": "III/a",
        "tmtGolAkhir": "01-04-2020",
        "lokasiKerja": "tidak tercantum di dokumen BKN",
        "path": {"sumber": "simulasi", "versi": 2},
    }


def _rw_jabatan(sim: Simulator, nip: str) -> list[dict[str, Any]] | None:
    record = _data_utama(sim, nip, False)
    if record is None:
        return None
    return [
        {
            "id": f"RJ{nip[-12:]}",
            "idPns": record["id"],
            "nipBaru": nip,
            "jenisJabatan": record["jenisJabatanId"],
            "unorId": record["unorId"],
            "unorNama": record["unorNama"],
            "namaJabatan": record["jabatanNama"],
            "jenisPenugasanId": "D",
            "jenisMutasiId": "MJ",
            "nomorSk": f"800/{nip[-4:]}/BKD/2020",
            "tmtJabatan": NO_DATE,  # SIASN's "no date"
            "tanggalSk": "15-06-2020",
        }
    ]


def _ref_unor(sim: Simulator) -> list[dict[str, Any]]:
    with sim._lock:
        units = sim.tables["siasn_unor"].frame.select("unor_id", "instansi_id", "nama", "parent_unor_id", "aktif")
    return [
        {
            "Id": u["unor_id"],
            "DiatasanId": u["parent_unor_id"],
            "NamaUnor": u["nama"],
            "NamaJabatan": f"Kepala {u['nama']}",
            "InstansiId": u["instansi_id"],
            "Aktif": u["aktif"],
            "EselonId": None,
        }
        for u in units.iter_rows(named=True)
    ]


def _padanan(sim: Simulator, instansi_id: str) -> list[dict[str, Any]]:
    with sim._lock:
        sekolah = _rows(sim, "dapodik_sekolah", "instansi_id", instansi_id).select("npsn")
        unor = (
            sim.tables["siasn_unor"].frame.filter(pl.col("npsn").is_not_null()).select("unor_id", "npsn", "instansi_id")
        )
    own_units = unor.filter(pl.col("instansi_id") == instansi_id)
    rows = sekolah.join(unor.select("npsn", "unor_id"), on="npsn", how="left")
    rows = pl.concat([rows, own_units.select("npsn", "unor_id")]).unique(maintain_order=True).sort("npsn")
    return [
        {"npsn": r["npsn"], "unor_id": r["unor_id"], "instansi_id": instansi_id} for r in rows.iter_rows(named=True)
    ]


def _sekolah(sim: Simulator, npsn: str) -> dict[str, Any] | None:
    with sim._lock:
        s = _row(sim, "dapodik_sekolah", "npsn", npsn)
    if s is None:
        return None
    return {
        "sekolah_id": f"sek-{npsn}",
        "npsn": npsn,
        "nama": s["nama"],
        "bentuk_pendidikan_id_str": "SMP",
        "status_sekolah_str": "Negeri",
        "kode_wilayah": "016000",
    }


_DUTY_LABEL = {
    "KEPALA_SEKOLAH": "Kepala Sekolah",
    "PLT_KEPALA_SEKOLAH": "PLT Kepala Sekolah",
    "PLH_KEPALA_SEKOLAH": "PLH Kepala Sekolah",
}


def _gtk_row(r: Mapping[str, Any], induk: bool) -> dict[str, Any]:
    return {
        "ptk_id": r["ptk_id"],
        "ptk_terdaftar_id": f"pt-{r['ptk_id']}" if induk else f"pt-{r['ptk_id']}-tugas",
        "ptk_induk": "1" if induk else "0",
        "tahun_ajaran_id": "2025",
        "nip": r["nip"] or "",
        "nuptk": r["nuptk"] or "",
        "nik": r["nik"],
        "nama": r["nama"],
        "jenis_ptk_id_str": r["jenis_ptk"],
        "jabatan_ptk_id_str": r["tugas_tambahan"] or "-",
        "status_kepegawaian_id_str": "PNS",
        "tanggal_surat_tugas": "2020-07-13",
        # A field Selaras must never keep (getPengguna carries such hashes).
        "password": "$2y$10$" + base64.b64encode(r["ptk_id"].encode()).decode(),
    }


def _gtk(sim: Simulator, npsn: str, spoil: bool) -> list[dict[str, Any]]:
    with sim._lock:
        ptk = _rows(sim, "dapodik_ptk", "npsn", npsn)
        duties = _rows(sim, "dapodik_tugas_tambahan", "npsn", npsn).filter(pl.col("tst").is_null())
        elsewhere = sorted(set(duties["ptk_id"].to_list()) - set(ptk["ptk_id"].to_list()))
        holders = sim.tables["dapodik_ptk"].frame.filter(pl.col("ptk_id").is_in(elsewhere))
    rows = [_gtk_row(r, True) for r in ptk.iter_rows(named=True)]
    by_ptk = {r["ptk_id"]: r for r in rows}
    # A duty is a getGtk row at the school where it is held (this project's reading): the
    # PTK's own row at its own school, a row with ptk_induk 0 at another.
    for h in holders.iter_rows(named=True):
        by_ptk[h["ptk_id"]] = _gtk_row(h, False)
        rows.append(by_ptk[h["ptk_id"]])
    for d in duties.iter_rows(named=True):
        row = by_ptk.get(d["ptk_id"])
        if row is None:
            continue  # a holder Dapodik does not list has no getGtk row to carry the duty
        row["jabatan_ptk_id_str"] = _DUTY_LABEL[d["jenis"]]
        row["nomor_surat_tugas"] = d["nomor_sk"]
        row["tanggal_surat_tugas"] = d["tmt"]
    if spoil and rows:
        rows[0]["jenis_ptk_id_str"] = ""  # required, left empty
    return rows


def _unauthorized(message: str = "token tidak sah atau kedaluwarsa") -> JSONResponse:
    return JSONResponse({"error": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def _faulty(sim: Simulator, resource: Resource) -> tuple[Response | None, str | None]:
    """Draw the call's fault and wait as it says: the answer that replaces the real one (None:
    answer), and the fault's kind."""
    kind = sim.draw_fault(resource)
    f = sim.faults
    if f.latency_ms:
        await asyncio.sleep(f.latency_ms / 1000)
    if kind == "latency":
        await asyncio.sleep(f.slow_ms / 1000)
    elif kind == "timeout":
        await asyncio.sleep(f.hang_s)
    elif kind == "5xx":
        return JSONResponse({"error": "gangguan simulasi"}, status_code=sim.server_error()), kind
    elif kind == "429":
        wait = str(math.ceil(f.retry_after_s))
        return JSONResponse({"error": "terlalu banyak"}, status_code=429, headers={"Retry-After": wait}), kind
    return None, kind


def _out(body: bytes, kind: str | None, media: str = "application/json") -> Response:
    if kind == "malformed":
        body = body[: len(body) // 2]
    return Response(body, media_type=media)


def _pmm_ok(request: Request, expected_pmm: bytes) -> bool:
    return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected_pmm)


def _add_token_routes(app: FastAPI, tokens: _Tokens, expected_pmm: bytes) -> None:
    """SIASN's gateway and SSO tokens, and ``/_sim/token`` to expire or refuse them."""
    access = tokens.access

    @app.post("/oauth2/token")
    async def gateway_token(request: Request) -> Response:
        form = await request.form()
        given = request.headers.get("authorization", "")
        wanted = "Basic " + base64.b64encode(f"{access.consumer_key}:{access.consumer_secret}".encode()).decode()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not hmac.compare_digest(given.encode(), wanted.encode()):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse(tokens.issue("gateway"))

    @app.post("/sso/token")
    async def sso_token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "password":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        ok = (
            form.get("client_id") == access.sso_client_id
            and form.get("username") == access.username
            and hmac.compare_digest(str(form.get("password", "")).encode(), access.password.encode())
        )
        if not ok:
            return JSONResponse({"error": "invalid_grant"}, status_code=401)
        return JSONResponse(tokens.issue("sso"))

    @app.post("/_sim/token")
    async def token_control(request: Request) -> Response:
        if not _pmm_ok(request, expected_pmm):
            return _unauthorized()
        body = await request.json()
        with tokens.lock:
            if body.get("expire"):
                for state in tokens.issued.values():
                    state[0] = 0.0
            tokens.unauthorized = int(body.get("unauthorized", tokens.unauthorized))
            counts = dict(tokens.issued_count)
        return JSONResponse({"issued": counts})


def _add_siasn_routes(app: FastAPI, sim: Simulator, tokens: _Tokens) -> None:
    """SIASN's data-utama, rw-jabatan and ref-unor, with both tokens."""

    def siasn_ok(request: Request) -> bool:
        gw = request.headers.get("authorization", "")
        sso = request.headers.get("auth", "")
        if not gw.lower().startswith("bearer ") or not sso.lower().startswith("bearer "):
            return False
        return tokens.valid(gw[7:].strip(), sso[7:].strip())

    siasn_resources = {
        name: Resource("SIASN", "apisiasn/1.0", name, "siasn_pegawai", ())
        for name in ("pns/data-utama", "pns/rw-jabatan", "referensi/ref-unor")
    }

    @app.get("/apisiasn/1.0/pns/data-utama/{nip}")
    async def data_utama(nip: str, request: Request) -> Response:
        if not siasn_ok(request):
            return _unauthorized()
        refused, kind = await _faulty(sim, siasn_resources["pns/data-utama"])
        if refused is not None:
            return refused
        record = _data_utama(sim, nip, kind == "invalid")
        if record is None:
            return _out(_envelope(None, ok=False, code="404", description="Data tidak ditemukan"), kind)
        return _out(_envelope(record), kind)

    @app.get("/apisiasn/1.0/pns/rw-jabatan/{nip}")
    async def rw_jabatan(nip: str, request: Request) -> Response:
        if not siasn_ok(request):
            return _unauthorized()
        refused, kind = await _faulty(sim, siasn_resources["pns/rw-jabatan"])
        if refused is not None:
            return refused
        rows = _rw_jabatan(sim, nip)
        if rows is None:
            return _out(_envelope(None, ok=False, code="404", description="Data tidak ditemukan"), kind)
        return _out(_envelope(rows), kind)

    @app.get("/apisiasn/1.0/referensi/ref-unor")
    async def ref_unor(request: Request) -> Response:
        if not siasn_ok(request):
            return _unauthorized()
        refused, kind = await _faulty(sim, siasn_resources["referensi/ref-unor"])
        if refused is not None:
            return refused
        return _out(_envelope(_ref_unor(sim)), kind)


def _add_dapodik_routes(app: FastAPI, sim: Simulator, access: RealAccess) -> None:
    """Dapodik's getSekolah and getGtk, per school and central, with the web-service key."""
    dapodik_resources = {
        name: Resource("Dapodik", "WebService", name, "dapodik_ptk", ()) for name in ("getSekolah", "getGtk")
    }

    async def dapodik(npsn_path: str | None, method: str, request: Request) -> Response:
        if not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {access.dapodik_key}".encode()
        ):
            return _unauthorized("kunci web service salah")
        npsn = request.query_params.get("npsn", "")
        if npsn_path is not None and npsn != npsn_path:
            return JSONResponse({"error": "npsn tidak sesuai sekolah"}, status_code=400)
        refused, kind = await _faulty(sim, dapodik_resources[method])
        if refused is not None:
            return refused
        if method == "getSekolah":
            sekolah = _sekolah(sim, npsn)
            rows: Any = sekolah if sekolah is not None else []
            n = 0 if sekolah is None else 1
        else:
            rows = _gtk(sim, npsn, kind == "invalid")
            n = len(rows)
        body = {"results": n, "id": npsn, "start": 0, "limit": n, "rows": rows}
        return _out(json.dumps(body, ensure_ascii=False).encode(), kind, media="text/html")

    @app.get("/dapodik-sekolah/{npsn}/WebService/{method}")
    async def dapodik_school(npsn: str, method: str, request: Request) -> Response:
        if method not in dapodik_resources:
            return JSONResponse({"error": "tidak ditemukan"}, status_code=404)
        return await dapodik(npsn, method, request)

    @app.get("/dapodik-pusat/WebService/{method}")
    async def dapodik_central(method: str, request: Request) -> Response:
        if method not in dapodik_resources:
            return JSONResponse({"error": "tidak ditemukan"}, status_code=404)
        return await dapodik(None, method, request)


def add_real_routes(app: FastAPI, sim: Simulator, *, pmm_token: str, access: RealAccess | None = None) -> None:
    """Serve the real shapes of SIASN and Dapodik (and the padanan) next to the project's own
    contract; the token state is ``app.state.real_tokens``."""
    access = access or RealAccess()
    tokens = _Tokens(access)
    app.state.real_tokens = tokens
    expected_pmm = f"Bearer {pmm_token}".encode()
    _add_token_routes(app, tokens, expected_pmm)
    _add_siasn_routes(app, sim, tokens)
    _add_dapodik_routes(app, sim, access)

    # The padanan: the project's own contract, PMM side.
    padanan_resource = Resource("PMM", "pmm/v1", "padanan", "siasn_unor", ())

    @app.get("/pmm/v1/padanan")
    async def padanan(request: Request) -> Response:
        if not _pmm_ok(request, expected_pmm):
            return _unauthorized()
        refused, kind = await _faulty(sim, padanan_resource)
        if refused is not None:
            return refused
        instansi_id = request.query_params.get("instansi_id", "")
        body = json.dumps({"data": _padanan(sim, instansi_id), "next_cursor": None}).encode()
        return _out(body, kind)


def real_env(url: str, access: RealAccess, pmm_token: str) -> Mapping[str, str]:
    """The environment that points ``selaras tarik`` at a simulator at ``url``."""
    return {
        "SELARAS_SIASN_API_URL": f"{url}/apisiasn/1.0",
        "SELARAS_SIASN_TOKEN_URL": f"{url}/oauth2/token",
        "SELARAS_SIASN_CONSUMER_KEY": access.consumer_key,
        "SELARAS_SIASN_CONSUMER_SECRET": access.consumer_secret,
        "SELARAS_SIASN_SSO_URL": f"{url}/sso/token",
        "SELARAS_SIASN_SSO_CLIENT_ID": access.sso_client_id,
        "SELARAS_SIASN_USERNAME": access.username,
        "SELARAS_SIASN_PASSWORD": access.password,
        "SELARAS_DAPODIK_SEKOLAH_URL": f"{url}/dapodik-sekolah/{{npsn}}",
        "SELARAS_DAPODIK_KEY": access.dapodik_key,
        "SELARAS_PMM_URL": f"{url}/pmm/v1",
        "SELARAS_PMM_TOKEN": pmm_token,
    }
