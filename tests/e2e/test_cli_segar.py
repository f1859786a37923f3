"""`selaras worker` with the real-shape sources misconfigured: a clear error, exit 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from selaras.cli import main


def test_a_worker_with_a_source_half_configured_says_what_is_missing(tmp_path: Path) -> None:
    env = {"SELARAS_DAPODIK_SEKOLAH_URL": "http://127.0.0.1:9/dapodik-sekolah/{npsn}", "SELARAS_DAPODIK_KEY": ""}
    result = CliRunner().invoke(main, ["worker", "--db", str(tmp_path / "s.db")], env=env)
    assert result.exit_code == 2
    assert "SELARAS_DAPODIK_KEY" in result.output and "Traceback" not in result.output
