"""Seed dialects: pydantic models of the four commercial APIs' own request and response shapes.

Owns: one module per seed API family, field names exactly as its document spells them, and pure
builders from native results to those shapes. Does not own: routes (``framelens.api.seeds``).
"""

from __future__ import annotations

__all__: list[str] = []
