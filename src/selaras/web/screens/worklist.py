"""What a person must fix, grouped by root cause: one principal who has not synced is one
item with the teachers it blocks, a unit's wrong superior one item with its teachers. The
blocker that is the person's to fix now comes first (a principal with a manual SKP sees the
manual SKP before the teachers waiting on the principal's sync)."""

from __future__ import annotations

import json
from typing import Any

from selaras.catalogue import sentences, words
from selaras.catalogue.codes import CATALOGUE, Aktor
from selaras.domain import blockers as diagnosis
from selaras.domain.akun import Peran
from selaras.domain.results import Flow
from selaras.store import reads
from selaras.store.logs import latest_results
from selaras.usecases.access import Pengguna, forbidden
from selaras.web.screens import umur
from selaras.web.screens.konteks import Konteks

ATASAN, ATASAN_TERTAHAN, RHK_PMM = diagnosis.ATASAN, diagnosis.ATASAN_TERTAHAN, diagnosis.RHK_PMM
_root = diagnosis.root


def _actor_for(user: Pengguna) -> tuple[Aktor, ...]:
    p = user.peran
    if p is Peran.ADMIN:
        return (Aktor.ADMIN_INSTANSI,)
    if p is Peran.DINAS:
        return (Aktor.DINAS_PENDIDIKAN,)
    if p is Peran.OPERATOR:
        return (Aktor.OPERATOR_SEKOLAH,)
    if p is Peran.PEGAWAI and (user.kepala_sekolah or user.pimpinan_npsn):
        return (Aktor.KEPALA_SEKOLAH, Aktor.PEGAWAI)  # a running Plt/Plh leads too (leaders.md)
    if p is Peran.PEGAWAI:
        return (Aktor.PEGAWAI,)
    raise forbidden(sentences.WORKLIST["tanpa_daftar"])


def _concerns(user: Pengguna, mine: list[Aktor], err: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether an error (whose actors include the user's) is this user's to fix."""
    if user.peran in (Peran.ADMIN, Peran.DINAS):
        return True
    if user.peran is Peran.OPERATOR:
        return row.get("npsn") == user.npsn
    nip = user.akun.nip
    if Aktor.KEPALA_SEKOLAH in mine and (user.kepala_sekolah or user.pimpinan_npsn):
        sup = diagnosis.superior(err)
        if sup is not None:
            return sup["nip"] == nip or (Aktor.PEGAWAI in mine and row["nip"] == nip)
        led = (user.npsn,) if user.kepala_sekolah else user.pimpinan_npsn
        if row["nip"] != nip and row.get("npsn") in led:
            return True
    return Aktor.PEGAWAI in mine and row["nip"] == nip


def worklist(ctx: Konteks, user: Pengguna) -> dict[str, Any]:
    """What the user must fix, grouped by root cause, the blocker theirs to fix now first."""
    actors = _actor_for(user)
    store, tahun = ctx.store, ctx.tahun()
    peran = user.label
    if not user.instansi_id:
        return {"tahun": tahun, "butir": [], "peran": peran}
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for flow in Flow:
        latest = latest_results(store, flow, user.instansi_id, tahun=tahun)
        if latest is None:
            continue
        peg = {r["nip"]: r for r in latest.pegawai.iter_rows(named=True)}
        for e in latest.errors.iter_rows(named=True):
            c = CATALOGUE[e["code"]]
            row = peg.get(e["nip"], {"nip": e["nip"]})
            err = {**e, "detail": json.loads(e["detail"]) if e["detail"] else {}}
            mine = [a for a in diagnosis.aktor(err) if a in actors]
            if not mine or not _concerns(user, mine, err, row):
                continue
            kind, key = _root(c.code, err, row)
            item = groups.setdefault(
                (c.code, kind, key),
                {
                    "code": c.code,
                    "judul": c.judul,
                    "jenis": kind,
                    "kunci": key,
                    "flow": flow.value,
                    "flow_label": words.FLOW[flow.value],
                    "pegawai": {},
                },
            )
            item["pegawai"][e["nip"]] = row.get("nama") or e["nip"]
    keys = {kind: [k for (_, kd, k) in groups if kd == kind] for kind in (ATASAN, ATASAN_TERTAHAN, "unor", "sekolah")}
    people = reads.names_of(store, keys[ATASAN] + keys[ATASAN_TERTAHAN])
    units = reads.unit_names(store, keys["unor"])
    schools = reads.sekolah_names(store, keys["sekolah"] + [k for (_, kd, k) in groups if kd == "sekolah-skp"])
    instansi = reads.instansi_names(store, [k for (_, kd, k) in groups if kd == "instansi"])
    own = user.akun.nip if user.peran is Peran.PEGAWAI else None
    items = []
    for (code, kind, key), item in groups.items():
        pegawai = sorted(item.pop("pegawai").items(), key=lambda kv: kv[1] or "")
        label = _label(code, kind, key, pegawai, own, people, units, schools, instansi)
        # Now: what the user can do at once. Later: what waits on the principal's own SKP first.
        sekarang = kind != ATASAN_TERTAHAN
        items.append(
            {
                **item,
                "label": label,
                "jumlah": len(pegawai),
                "daftar": [{"nip": n, "nama": nm} for n, nm in pegawai],
                "urutan": CATALOGUE[code].urutan,
                "sekarang": sekarang,
                "milik_sendiri": own is not None and kind == "pegawai" and key == own,
            }
        )
    umur.annotate(store, user.instansi_id, items)
    if own is not None:
        items.sort(key=lambda i: (not i["sekarang"], not i["milik_sendiri"], i["urutan"], -i["jumlah"], i["kunci"]))
    else:
        items.sort(key=lambda i: (not i["sekarang"], -i["jumlah"], i["urutan"], i["kunci"]))
    return {"tahun": tahun, "peran": peran, "butir": items}


def _label(
    code: str,
    kind: str,
    key: str,
    pegawai: list[tuple[str, str]],
    own: str | None,
    people: dict[str, str],
    units: dict[str, str],
    schools: dict[str, str],
    instansi: dict[str, str],
) -> str:
    mine = own is not None and key == own
    t = sentences.WORKLIST
    if kind == ATASAN:
        who = t["skp_anda"] if mine else t["skp_kepala"].format(nama=people.get(key, key), nip=key)
        if code == "PMM-11":
            return t["atasan_belum_ada"].format(skp=who)
        return t["atasan_belum_memuat"].format(skp=who)
    if kind == ATASAN_TERTAHAN:
        who = t["skp_anda_sendiri"] if mine else t["skp_kepala_sendiri"].format(nama=people.get(key, key), nip=key)
        return t["atasan_tertahan"].format(skp=who)
    if kind == RHK_PMM:
        return t["rhk_pmm"].format(siapa=t["anda"] if mine else pegawai[0][1])
    if kind == "unor":
        unit = {"nama": units.get(key, key), "unor_id": key}
        if code == "PMM-12":
            return t["unor_atasan_beda"].format(**unit)
        return t["unor_tidak_aktif"].format(**unit)
    sekolah = {"nama": schools.get(key, key), "npsn": key}
    if kind == "sekolah" and code == "TAH-02":
        return t["pko_belum"].format(**sekolah)
    if kind == "sekolah" and code == "TAH-04":
        return t["sebaran_tidak_sesuai"].format(**sekolah)
    if kind == "sekolah":
        return t["sekolah_tanpa_unor"].format(**sekolah)
    if kind == "sekolah-skp" and code == "TAH-03":
        return t["predikat_belum"].format(**sekolah)
    if kind == "sekolah-skp":
        return t["skp_guru_belum_disepakati"].format(**sekolah)
    if kind == "instansi":
        return t["periode_instansi"].format(nama=instansi.get(key, key))
    if mine:
        return t["skp_anda_sendiri"]
    return t["pegawai"].format(nama=pegawai[0][1], nip=key)


def waiting_on_me(ctx: Konteks, user: Pengguna) -> dict[str, Any] | None:
    """For a leader's own page (a principal, or a Plt/Plh while the duty runs): how many teachers
    wait on his SKP (the worklist's items keyed on him), and whether they wait on his sync (ready)
    or on his own errors first. None for others."""
    if user.peran is not Peran.PEGAWAI or not (user.kepala_sekolah or user.pimpinan_npsn) or not user.akun.nip:
        return None
    nip = user.akun.nip
    siap: set[str] = set()
    tertahan: set[str] = set()
    for item in worklist(ctx, user)["butir"]:
        if item["kunci"] != nip or item["jenis"] not in (ATASAN, ATASAN_TERTAHAN):
            continue
        target = siap if item["jenis"] == ATASAN else tertahan
        target.update(p["nip"] for p in item["daftar"] if p["nip"] != nip)
    guru = siap | tertahan
    if not guru:
        return None
    return {"guru": len(guru), "siap": not tertahan}
