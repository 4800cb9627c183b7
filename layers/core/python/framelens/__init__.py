"""Framelens: self-hosted media analysis. The library behind the API, the CLI and the cloud stages.

This package owns all logic; entry points (Lambda handlers, the CLI, the local server) only adapt.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
