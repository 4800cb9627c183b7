"""The HTTP API: app factory, one router per domain, auth dependencies, exception handlers."""

from __future__ import annotations

from framelens.api.app import create_app

__all__ = ["create_app"]
