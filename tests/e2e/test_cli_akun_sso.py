"""``selaras akun impor`` (local accounts in bulk, each with a one-time password-set link, never
a password in a file) and ``selaras akun hak ...`` (audited role grants for single sign-on),
end to end through the command line and the web pages they lead to."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from world import G2, NPSN, TAHUN, base_rows

from selaras.cli import main
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store.database import Store
from selaras.store.snapshots import save_snapshot
from selaras.store.tables import akun, akun_hak, akun_tautan, audit_log
from selaras.usecases.accounts import authenticate
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

CSV = f"""username,peran,nama,nip,npsn,instansi_id,email
budi,admin,Budi Santoso,,,I1,budi@contoh.go.id
op-{NPSN},operator,Operator SD 1,,{NPSN},,
"""


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _store(tmp_path: Path) -> tuple[Store, str]:
    db = str(tmp_path / "selaras.db")
    store = Store.open(db)
    save_snapshot(store, Snapshot.from_rows(base_rows()))
    return store, db


def _login(app: object, username: str, password: str) -> int:
    c = TestClient(app)  # type: ignore[arg-type]
    pra = re.search(r'name="pra" value="([^"]+)"', c.get("/masuk").text)
    assert pra
    data = {"username": username, "password": password, "pra": pra.group(1)}
    return c.post("/masuk", data=data, follow_redirects=False).status_code


def test_import_makes_accounts_with_one_time_links_and_no_password(tmp_path: Path) -> None:
    store, db = _store(tmp_path)
    f = tmp_path / "akun.csv"
    f.write_text(CSV)
    r = cli("akun", "impor", f, "--db", db, "--url", "https://selaras.contoh.go.id")
    assert r.exit_code == 0, r.output
    links = dict(re.findall(r"^(\S+)\t(https://selaras\.contoh\.go\.id/sandi/\S+)$", r.output, re.M))
    assert set(links) == {"budi", f"op-{NPSN}"}
    with store.read() as conn:
        hashes = set(conn.execute(sa.select(akun_tautan.c.tautan_hash)).scalars())
    tokens = {u: url.rsplit("/", 1)[1] for u, url in links.items()}
    assert not hashes & set(tokens.values())  # the store keeps hashes only
    # no password works before the link is used
    assert authenticate(store, "budi", "", "127.0.0.1") is None
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    c = TestClient(app)
    page = c.get(f"/sandi/{tokens['budi']}")
    assert page.status_code == 200 and "Budi Santoso" in page.text
    short = c.post(f"/sandi/{tokens['budi']}", data={"password": "pendek", "ulang": "pendek"})
    assert short.status_code == 422 and "minimal 8 karakter" in short.text
    ok = c.post(
        f"/sandi/{tokens['budi']}", data={"password": "sandi-budi-1", "ulang": "sandi-budi-1"}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/masuk"
    assert _login(app, "budi", "sandi-budi-1") == 303
    # used once: the link is gone
    again = c.post(f"/sandi/{tokens['budi']}", data={"password": "sandi-lain-1", "ulang": "sandi-lain-1"})
    assert again.status_code == 404
    assert c.get(f"/sandi/{tokens['budi']}").status_code == 404
    assert _login(app, "budi", "sandi-lain-1") == 401


def test_import_with_errors_names_row_and_column_and_makes_nothing(tmp_path: Path) -> None:
    store, db = _store(tmp_path)
    f = tmp_path / "akun.csv"
    f.write_text(CSV + "siti,pegawai,Siti,12345,,,\nbudi,kepala,Budi Lagi,,,,\n")
    r = CliRunner().invoke(main, ["akun", "impor", str(f), "--db", db])
    assert r.exit_code == 2
    assert f"{f}: baris 4, kolom nip: akun pegawai memerlukan NIP 18 angka" in r.output
    assert f"{f}: baris 5, kolom peran:" in r.output
    assert "Tidak ada akun yang dibuat." in r.output
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(akun)).scalar_one() == 0
    f.write_text("username,peran,nama,password\nbudi,admin,Budi,rahasia123\n")
    r = CliRunner().invoke(main, ["akun", "impor", str(f), "--db", db])
    assert r.exit_code == 2 and "kolom password: kata sandi tidak boleh ada di berkas" in r.output


def test_grants_from_the_cli_and_the_page_are_audited(tmp_path: Path) -> None:
    store, db = _store(tmp_path)
    r = cli("akun", "hak", G2, "--peran", "operator", "--npsn", NPSN, "--db", db)
    assert r.exit_code == 0, r.output
    daftar = cli("akun", "hak-daftar", "--db", db).output
    assert G2 in daftar and f"Operator Sekolah  {NPSN}  oleh cli:" in daftar
    bad = CliRunner().invoke(main, ["akun", "hak", G2, "--peran", "admin", "--instansi", "TIDAK-ADA", "--db", db])
    assert bad.exit_code == 2 and "instansi yang ada di data" in bad.output
    # an Admin Instansi revokes it on the page
    f = tmp_path / "akun.csv"
    f.write_text(CSV)
    links = dict(re.findall(r"^(\S+)\t\S+/sandi/(\S+)$", cli("akun", "impor", f, "--db", db).output, re.M))
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    c = TestClient(app)
    c.post(f"/sandi/{links['budi']}", data={"password": "sandi-budi-1", "ulang": "sandi-budi-1"})
    pra = re.search(r'name="pra" value="([^"]+)"', c.get("/masuk").text)
    assert pra
    c.post("/masuk", data={"username": "budi", "password": "sandi-budi-1", "pra": pra.group(1)})
    page = c.get("/akun/hak")
    assert page.status_code == 200 and G2 in page.text and "Operator Sekolah" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r2 = c.post(f"/akun/hak/{G2}/cabut", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r2.status_code == 303
    r3 = c.post("/akun/hak", data={"csrf_token": csrf.group(1), "nip": G2, "peran": "nasional"})
    assert r3.status_code == 403  # only the command line grants nasional
    assert cli("akun", "hak-cabut", G2, "--db", db).exit_code == 2  # nothing left to revoke
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(akun_hak)).scalar_one() == 0
        audit = [(a.username, a.aksi) for a in conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id))]
    assert audit[0][1] == "BERI_PERAN" and audit[0][0].startswith("cli:")
    # the import and the password set through the link are audited too (issue 22)
    assert audit[1][1] == "IMPOR_AKUN" and audit[1][0] == audit[0][0]
    assert audit[2:] == [("budi", "SANDI_LEWAT_TAUTAN"), ("budi", "CABUT_PERAN")]


def test_the_cli_grants_pimpinan_only_with_an_instansi_and_imports_need_one_too(tmp_path: Path) -> None:
    store, db = _store(tmp_path)
    bare = CliRunner().invoke(main, ["akun", "hak", G2, "--peran", "pimpinan", "--db", db])
    assert bare.exit_code == 2 and "pimpinan instansi memerlukan instansi" in bare.output
    r = cli("akun", "hak", G2, "--peran", "pimpinan", "--instansi", "I1", "--db", db)
    assert r.exit_code == 0 and "Peran Pimpinan Instansi diberikan" in r.output
    assert f"{G2}" in (daftar := cli("akun", "hak-daftar", "--db", db).output)
    assert "Pimpinan Instansi  I1  oleh cli:" in daftar
    with store.read() as conn:
        granted = conn.execute(sa.select(akun_hak.c.peran, akun_hak.c.instansi_id)).one()
    assert tuple(granted) == ("pimpinan", "I1")
    f = tmp_path / "akun.csv"
    f.write_text("username,peran,nama,nip,npsn,instansi_id,email\npimpinan-i1,pimpinan,Bupati,,,,\n")
    bad = CliRunner().invoke(main, ["akun", "impor", str(f), "--db", db])
    assert bad.exit_code == 2 and f"{f}: baris 2, kolom instansi_id:" in bad.output


def test_account_commands_name_a_store_they_cannot_open(tmp_path: Path) -> None:
    """A wrong --db is the person's input: exit 2 naming the store, not a traceback."""
    for args in (
        ["akun", "token", "guru", "--db", "bogus://tidak-ada"],
        ["akun", "nonaktif", "guru", "--db", "bogus://tidak-ada"],
        ["akun", "keluar", "guru", "--db", "bogus://tidak-ada"],
    ):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, (args, r.output, r.exception)
        assert "penyimpanan bogus://tidak-ada tidak dapat dibuka" in r.output
