"""The database schema: the contract tables (derived from ``snapshot.TABLES``) and the log.

Every contract table has the columns, types and key of its ``snapshot.Table``; nothing about
them is written twice. The store's own tables (``sync_run``, ``sync_log``,
``sync_log_error``) keep the history of checks and syncs: rows are only ever inserted.
``sync_state`` points at each pegawai's latest log row per flow and year; it is the one log
table whose rows are updated (by the run that logs a newer row, in the same transaction).

The contract tables have no foreign keys and only the key columns are NOT NULL: the import
validates references and required values against the contract, the check reports dangling
ones as data problems, and a bulk load of tens of millions of rows must not pay for
constraint checks (nor depend on the order the tables are loaded in).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from selaras.domain import snapshot
from selaras.domain.snapshot import Kind

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only makes an INTEGER PRIMARY KEY (exactly that type name) an auto-assigned rowid.
_BIG_ID = sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


def _sql_type(kind: Kind) -> sa.types.TypeEngine[object]:
    if kind is Kind.DATE:
        return sa.Date()
    if kind is Kind.BOOL:
        return sa.Boolean()
    if kind is Kind.INT:
        return sa.BigInteger()
    if kind is Kind.DECIMAL:
        return sa.Float()
    # Timestamps stay text, as in the snapshot frames (ISO strings of varying precision).
    return sa.String()


def _contract_table(table: snapshot.Table) -> sa.Table:
    columns = [
        sa.Column(c.name, _sql_type(c.kind), primary_key=c.name in table.key, nullable=c.name not in table.key)
        for c in table.columns
    ]
    return sa.Table(table.name, metadata, *columns)


CONTRACT: dict[str, sa.Table] = {t.name: _contract_table(t) for t in snapshot.TABLES}
"""One table per snapshot table, in the order of ``snapshot.TABLES``."""

# The lookups of load_snapshot(nips) and of the check's joins.
_CONTRACT_INDEXES: tuple[tuple[str, str], ...] = (
    ("dapodik_ptk", "nip"),
    ("dapodik_ptk", "nik"),
    ("pmm_skp", "ptk_id"),
    ("pmm_rhk", "pmm_skp_id"),
    ("pmm_penilaian", "pmm_skp_id"),
    ("ekinerja_skp", "nip"),
    ("ekinerja_skp", "pmm_skp_id"),
    ("ekinerja_rhk", "skp_id"),
    ("siasn_pegawai", "instansi_id"),
    ("siasn_unor", "npsn"),
    ("siasn_unor", "instansi_id"),
    ("ekinerja_periode", "instansi_id"),
    ("dapodik_sekolah", "instansi_id"),
)
for _table, _column in _CONTRACT_INDEXES:
    sa.Index(None, CONTRACT[_table].c[_column])

sync_run = sa.Table(
    "sync_run",
    metadata,
    sa.Column("run_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("mulai", sa.DateTime(timezone=True), nullable=False),
    sa.Column("selesai", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pelaku", sa.String(), nullable=False),
    sa.Column("mode", sa.String(), nullable=False),
    sa.Column("flow", sa.String(), nullable=False),
    sa.Column("tahun", sa.Integer(), nullable=False),
    sa.Column("jumlah_pegawai", sa.Integer(), nullable=False),
    sa.Column("jumlah_siap", sa.Integer(), nullable=False),
    sa.Column("jumlah_gagal", sa.Integer(), nullable=False),
    sa.Column("jumlah_tersinkron", sa.Integer(), nullable=False),
    sa.CheckConstraint("mode IN ('CHECK', 'SYNC')", name="mode"),
    sa.CheckConstraint("flow IN ('skp', 'penilaian', 'tahunan')", name="flow"),
)
"""One row per check or sync run."""

sync_log = sa.Table(
    "sync_log",
    metadata,
    sa.Column("log_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.BigInteger(), nullable=False),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pelaku", sa.String(), nullable=False),
    sa.Column("mode", sa.String(), nullable=False),
    sa.Column("flow", sa.String(), nullable=False),
    sa.Column("tahun", sa.Integer(), nullable=False),
    sa.Column("nip", sa.String(), nullable=False),
    sa.Column("nama", sa.String()),
    sa.Column("instansi_id", sa.String()),
    sa.Column("unor_id", sa.String()),
    sa.Column("npsn", sa.String()),
    sa.Column("kepala_sekolah", sa.Boolean()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("hasil", sa.String()),
    sa.Column("kode", sa.String()),
    sa.Index("ix_sync_log_nip_waktu", "nip", "waktu"),
    sa.Index("ix_sync_log_instansi_id_waktu", "instansi_id", "waktu"),
    sa.Index("ix_sync_log_npsn", "npsn"),
    sa.Index("ix_sync_log_status", "status"),
    sa.Index("ix_sync_log_run_id", "run_id"),
)
"""One row per pegawai per run: the status and, for a sync, what it did (``hasil``)."""

sync_log_error = sa.Table(
    "sync_log_error",
    metadata,
    sa.Column("log_id", sa.BigInteger(), primary_key=True),
    sa.Column("nomor", sa.Integer(), primary_key=True),
    sa.Column("urutan", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(), nullable=False),
    sa.Column("pmm_skp_id", sa.String()),
    sa.Column("detail", sa.Text()),
    sa.Column("selesai_oleh", sa.String()),
    sa.Index("ix_sync_log_error_code_log_id", "code", "log_id"),
)
"""One row per error of a logged pegawai; ``nomor`` is its position in the pegawai's list,
``urutan`` the fix-first rank of its code (``results.ERROR_SCHEMA``)."""

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("flow", sa.String(), primary_key=True),
    sa.Column("tahun", sa.Integer(), primary_key=True),
    sa.Column("nip", sa.String(), primary_key=True),
    sa.Column("log_id", sa.BigInteger(), nullable=False),
    sa.Column("instansi_id", sa.String()),
    # Covering: one instansi's rows (and its latest year) without visiting the table.
    sa.Index("ix_sync_state_flow_instansi_id_tahun_log_id", "flow", "instansi_id", "tahun", "log_id"),
    # On SQLite the rows live in the primary-key b-tree: no separate rowid table to visit.
    sqlite_with_rowid=False,
)
"""Each pegawai's latest known state of a flow and year: the ``log_id`` of their newest
``sync_log`` row, and that row's ``instansi_id``. One row per (flow, tahun, nip) ever logged:
the log's history can grow to tens of millions of rows, this table stays one row per pegawai."""

# ------------------------------------------------------------------ jobs and notifications

sync_job = sa.Table(
    "sync_job",
    metadata,
    sa.Column("job_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("nip", sa.String(), nullable=False),
    sa.Column("flow", sa.String(), nullable=False),
    sa.Column("tahun", sa.Integer(), nullable=False),
    sa.Column("alasan", sa.String(), nullable=False),
    sa.Column("diminta_oleh", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("jadwal", sa.DateTime(timezone=True), nullable=False),
    sa.Column("mulai", sa.DateTime(timezone=True)),
    sa.Column("selesai", sa.DateTime(timezone=True)),
    sa.Column("percobaan", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("pekerja", sa.String()),
    sa.Column("sewa_sampai", sa.DateTime(timezone=True)),
    sa.Column("log_id", sa.BigInteger()),
    sa.Column("hasil", sa.String()),
    sa.Column("pesan", sa.Text()),
    sa.CheckConstraint("status IN ('ANTRE', 'JALAN', 'SELESAI')", name="status"),
    sa.CheckConstraint("flow IN ('skp', 'penilaian', 'tahunan')", name="flow"),
    # At most one waiting job per pegawai, flow and year: a second request joins it.
    sa.Index(
        "uq_sync_job_antre",
        "nip",
        "flow",
        "tahun",
        unique=True,
        sqlite_where=sa.text("status = 'ANTRE'"),
        postgresql_where=sa.text("status = 'ANTRE'"),
    ),
    sa.Index("ix_sync_job_status_jadwal", "status", "jadwal", "job_id"),
    sa.Index("ix_sync_job_nip_job_id", "nip", "job_id"),
)
"""One row per sync request (the button, an admin on behalf, a bulk sync, a scheduled refresh,
a cascade). Persisted before the request is acknowledged; ANTRE -> JALAN (leased by a worker
until ``sewa_sampai``) -> SELESAI. A lease that runs out puts the job back in reach of any
worker: a killed worker loses nothing."""

notifikasi = sa.Table(
    "notifikasi",
    metadata,
    sa.Column("notifikasi_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("penerima", sa.String(), nullable=False),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("nip", sa.String()),
    sa.Column("kode", sa.String()),
    sa.Column("judul", sa.String(), nullable=False),
    sa.Column("isi", sa.Text(), nullable=False),
    sa.Column("job_id", sa.BigInteger()),
    sa.Column("dibaca", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("email_terkirim", sa.DateTime(timezone=True)),
    sa.Index("ix_notifikasi_penerima_notifikasi_id", "penerima", "notifikasi_id"),
)
"""Notices to people: ``penerima`` is ``pegawai:<nip>``, ``operator:<npsn>``,
``admin:<instansi_id>`` or ``dinas:<instansi_id>``."""

sumber_tanda = sa.Table(
    "sumber_tanda",
    metadata,
    sa.Column("sumber", sa.String(), primary_key=True),
    sa.Column("diperbarui_sampai", sa.String(), nullable=False),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
)
"""Each source's high-water mark: the newest ``diperbarui`` pulled by the scheduled refresh."""

# ------------------------------------------------------------- accounts, sessions and audit

akun = sa.Table(
    "akun",
    metadata,
    sa.Column("username", sa.String(), primary_key=True),
    sa.Column("password_hash", sa.String(), nullable=False),
    sa.Column("peran", sa.String(), nullable=False),
    sa.Column("nama", sa.String(), nullable=False),
    sa.Column("nip", sa.String()),
    sa.Column("npsn", sa.String()),
    sa.Column("instansi_id", sa.String()),
    sa.Column("aktif", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("email", sa.String()),
    sa.CheckConstraint(
        "peran IN ('pegawai', 'operator', 'admin', 'dinas', 'nasional', 'monitor', 'pimpinan')", name="peran"
    ),
    sa.Index("ix_akun_nip", "nip"),
    sa.Index("ix_akun_npsn", "npsn"),
)
"""Web accounts. ``peran``: pegawai (``nip``; a principal is a pegawai whose Dapodik PTK is
Kepala Sekolah), operator (``npsn``), admin, dinas and pimpinan (the head of the agency, who
reads what is escalated to them: ``instansi_id``), nasional."""

akun_sesi = sa.Table(
    "akun_sesi",
    metadata,
    sa.Column("sesi_hash", sa.String(), primary_key=True),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("csrf", sa.String(), nullable=False),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
    sa.Column("terakhir", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_akun_sesi_username", "username"),
)
"""Browser sessions: the SHA-256 of the cookie value, never the value itself. ``kedaluwarsa``
is the absolute end; ``terakhir`` the last use (the idle timeout counts from it)."""

akun_token = sa.Table(
    "akun_token",
    metadata,
    sa.Column("token_hash", sa.String(), primary_key=True),
    sa.Column("token_id", sa.String(), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("label", sa.String(), nullable=False),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
    sa.Column("dicabut", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("ix_akun_token_username", "username"),
)
"""API tokens of machine clients (``Authorization: Bearer``): the SHA-256 of the token, a short
public ``token_id`` to list and revoke it by, and its expiry."""

login_batas = sa.Table(
    "login_batas",
    metadata,
    sa.Column("kunci", sa.String(), primary_key=True),
    sa.Column("jumlah", sa.Integer(), nullable=False),
    sa.Column("mulai", sa.DateTime(timezone=True), nullable=False),
)
"""Login attempts by ``username|ip`` in the current window: one row counted up by one atomic
statement per attempt, so concurrent attempts can never pass the limit together."""

penyimpanan_tanda = sa.Table(
    "penyimpanan_tanda",
    metadata,
    sa.Column("kunci", sa.String(), primary_key=True),
    sa.Column("nilai", sa.String(), nullable=False),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
)
"""Marks of the store itself: ``demo`` when ``selaras demo`` made it (only then may
``selaras akun demo`` give accounts the public demo password)."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("peran", sa.String(), nullable=False),
    sa.Column("aksi", sa.String(), nullable=False),
    sa.Column("sasaran", sa.String(), nullable=False),
    sa.Column("instansi_id", sa.String()),
    sa.Column("sebelum", sa.Text()),
    sa.Column("sesudah", sa.Text()),
    sa.Index("ix_audit_log_instansi_id_audit_id", "instansi_id", "audit_id"),
)
"""Every admin action: who, when, what (``aksi`` on ``sasaran``), before and after (JSON)."""

# The log page pages on log_id within one instansi (keyset), newest first.
sa.Index("ix_sync_log_instansi_id_log_id", sync_log.c.instansi_id, sync_log.c.log_id)

instansi_setelan = sa.Table(
    "instansi_setelan",
    metadata,
    sa.Column("instansi_id", sa.String(), primary_key=True),
    sa.Column("zona_waktu", sa.String(), nullable=False, server_default="WIB"),
    sa.CheckConstraint("zona_waktu IN ('WIB', 'WITA', 'WIT')", name="zona_waktu"),
    # leaders.md: may a Plt assess teachers' SKP here, and how many months a Plt term lasts.
    sa.Column("plt_boleh_menilai", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("plt_masa_bulan", sa.Integer(), nullable=False, server_default="9"),
)
"""Settings of an instansi that are Selaras's own (not contract data): the time zone its
people read times in (WIB by default, when no row exists)."""

# ------------------------------------------------ escalation, digests, daily summary (issue 12)

eskalasi_butir = sa.Table(
    "eskalasi_butir",
    metadata,
    sa.Column("butir_id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("instansi_id", sa.String(), nullable=False),
    sa.Column("tahun", sa.Integer(), nullable=False),
    sa.Column("flow", sa.String(), nullable=False),
    sa.Column("kode", sa.String(), nullable=False),
    sa.Column("jenis", sa.String(), nullable=False),
    sa.Column("kunci", sa.String(), nullable=False),
    sa.Column("pihak", sa.String(), nullable=False),
    sa.Column("pegawai", sa.Text(), nullable=False),
    sa.Column("jumlah_pegawai", sa.Integer(), nullable=False),
    sa.Column("pertama_terlihat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("terakhir_berubah", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ditutup", sa.DateTime(timezone=True)),
    sa.Index("ix_eskalasi_butir_instansi_id_ditutup", "instansi_id", "ditutup"),
    sa.Index("ix_eskalasi_butir_pihak_ditutup", "pihak", "ditutup"),
    # At most one open item per root cause: a reopened cause is a new item.
    sa.Index(
        "uq_eskalasi_butir_terbuka",
        "instansi_id",
        "tahun",
        "flow",
        "kode",
        "jenis",
        "kunci",
        unique=True,
        sqlite_where=sa.text("ditutup IS NULL"),
        postgresql_where=sa.text("ditutup IS NULL"),
    ),
)
"""Each worklist item of an instansi (one root cause, one responsible party ``pihak``) and
its age: first seen, last changed (its pegawai changed) and closed, all times of the sync log.
``pegawai`` is the JSON list of the NIPs it holds."""

eskalasi_langkah = sa.Table(
    "eskalasi_langkah",
    metadata,
    sa.Column("butir_id", sa.BigInteger(), primary_key=True),
    sa.Column("tingkat", sa.Integer(), primary_key=True),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("penerima", sa.String(), nullable=False),
    sa.Column("umur_hari_kerja", sa.Integer(), nullable=False),
)
"""Each escalation step taken: once per item and level (the key says so)."""

digest_kirim = sa.Table(
    "digest_kirim",
    metadata,
    sa.Column("username", sa.String(), primary_key=True),
    sa.Column("tanggal", sa.Date(), primary_key=True),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("notifikasi_id", sa.BigInteger()),
    sa.Column("jumlah_butir", sa.Integer(), nullable=False),
)
"""The daily digest sent to an account: at most one per account and local date."""

instansi_libur = sa.Table(
    "instansi_libur",
    metadata,
    sa.Column("instansi_id", sa.String(), primary_key=True),
    sa.Column("tanggal", sa.Date(), primary_key=True),
    sa.Column("keterangan", sa.String(), nullable=False),
)
"""Days off an instansi adds to the national calendar (a regional holiday, a local event)."""

instansi_kebijakan = sa.Table(
    "instansi_kebijakan",
    metadata,
    sa.Column("instansi_id", sa.String(), primary_key=True),
    sa.Column("ke_admin", sa.Integer(), nullable=False),
    sa.Column("ke_pimpinan", sa.Integer(), nullable=False),
    sa.Column("pimpinan_email", sa.String()),
    sa.CheckConstraint("ke_admin >= 1 AND ke_pimpinan >= 1", name="ambang"),
)
"""An instansi's escalation policy; without a row the defaults of ``domain.eskalasi`` hold."""

ringkasan_instansi = sa.Table(
    "ringkasan_instansi",
    metadata,
    sa.Column("flow", sa.String(), primary_key=True),
    sa.Column("tahun", sa.Integer(), primary_key=True),
    sa.Column("instansi_id", sa.String(), primary_key=True),
    sa.Column("tanggal", sa.Date(), primary_key=True),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("tersinkron", sa.Integer(), nullable=False),
    sa.Column("siap", sa.Integer(), nullable=False),
    sa.Column("gagal", sa.Integer(), nullable=False),
    # Covering: the national trend and the recent weeks of every instansi from the index alone.
    sa.Index(
        "ix_ringkasan_instansi_flow_tahun_tanggal",
        "flow",
        "tahun",
        "tanggal",
        "instansi_id",
        "total",
        "tersinkron",
        "siap",
        "gagal",
    ),
)
"""The daily summary per instansi, written once a day: the trend pages read it, not the log."""

ringkasan_sekolah = sa.Table(
    "ringkasan_sekolah",
    metadata,
    sa.Column("flow", sa.String(), primary_key=True),
    sa.Column("tahun", sa.Integer(), primary_key=True),
    sa.Column("npsn", sa.String(), primary_key=True),
    sa.Column("tanggal", sa.Date(), primary_key=True),
    sa.Column("instansi_id", sa.String(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("tersinkron", sa.Integer(), nullable=False),
    sa.Index("ix_ringkasan_sekolah_instansi_id_flow_tahun", "instansi_id", "flow", "tahun"),
)
"""The daily summary per school, a row only on the days its counts changed (a school's value
on any day is its latest row up to that day): ~200,000 schools stay a few rows each."""

# ------------------------------------------ single sign-on, grants, password-set links (issue 20)

akun_hak = sa.Table(
    "akun_hak",
    metadata,
    sa.Column("nip", sa.String(), primary_key=True),
    sa.Column("peran", sa.String(), nullable=False),
    sa.Column("npsn", sa.String()),
    sa.Column("instansi_id", sa.String()),
    sa.Column("diberikan_oleh", sa.String(), nullable=False),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("peran IN ('operator', 'admin', 'dinas', 'nasional', 'monitor', 'pimpinan')", name="peran"),
)
"""A role granted by an admin to the person with ``nip`` when he or she signs in with single
sign-on (operator of ``npsn``, admin or dinas of ``instansi_id``, nasional, monitor). Without a
grant (or a mapped claim) the data decides: a pegawai, and the leader of the school led now."""

oidc_state = sa.Table(
    "oidc_state",
    metadata,
    sa.Column("state_hash", sa.String(), primary_key=True),
    sa.Column("nonce", sa.String(), nullable=False),
    sa.Column("verifier", sa.String(), nullable=False),
    sa.Column("lanjut", sa.String(), nullable=False),
    sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
)
"""Each single sign-on login under way: the SHA-256 of its ``state``, its nonce and PKCE
verifier. Deleted when the provider sends the browser back (a replayed state finds nothing)."""

akun_tautan = sa.Table(
    "akun_tautan",
    metadata,
    sa.Column("tautan_hash", sa.String(), primary_key=True),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_akun_tautan_username", "username"),
)
"""One-time password-set links of local accounts (``selaras akun impor``): the SHA-256 of the
link's token; deleted when used, and every other link of the account with it."""

generasi_data = sa.Table(
    "generasi_data",
    metadata,
    sa.Column("kunci", sa.String(), primary_key=True),
    sa.Column("generasi", sa.BigInteger(), nullable=False),
    sa.Column("diganti", sa.DateTime(timezone=True)),
)
"""Row ``kunci="snapshot"``: how many times an import replaced the contract data (in the
import's transaction). A run in parts checks it in every part: all its parts see one snapshot."""
