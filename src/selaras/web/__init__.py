"""The web application and HTTP API (``selaras serve``)."""

from __future__ import annotations

from selaras.web.app import create_app

__all__ = ["create_app"]
