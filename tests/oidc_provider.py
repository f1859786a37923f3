"""A real OpenID provider for the single sign-on tests: the npm package ``oidc-provider``
(OpenID Certified) run by ``tests/oidc/provider.mjs`` on the loopback.

``.ci/run`` installs the package (``npm ci --prefix tests/oidc``). Without node or the package
the tests are skipped with the reason, except in CI (``CI=true``), where that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services import unavailable

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "selaras-uji"
CLIENT_SECRET = "rahasia-klien-uji-selaras"


def free_port() -> int:
    """A port free on the loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def oidc_provider(
    redirect_uris: list[str], post_logout_uris: list[str], accounts: dict[str, dict[str, Any]]
) -> Iterator[str]:
    """Start the provider with one confidential client (``CLIENT_ID``) and ``accounts`` (login
    -> claims, e.g. ``{"nip": ...}``); yields its issuer URL; stops it afterwards."""
    node = shutil.which("node") or "/usr/bin/node"
    if not Path(node).exists():
        unavailable("node is not installed: the single sign-on tests run oidc-provider with node (>= 20)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        unavailable("the npm package oidc-provider is not installed: run `npm ci --prefix tests/oidc` (.ci/run does)")
    port = free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_uris,
            }
        ],
        "accounts": accounts,
    }
    proc = subprocess.Popen(
        [node, "provider.mjs"],
        cwd=HERE,
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "siap":
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if not ready.wait(30):
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"oidc-provider did not start: {err[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
