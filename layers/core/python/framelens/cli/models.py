"""``framelens models list|pull``: thin printing around ``framelens.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from framelens.config import Settings

__all__ = ["list_models", "pull_model"]


def _registry(settings: Settings):  # type: ignore[no-untyped-def]
    from framelens.models import ModelRegistry

    return ModelRegistry(model_dir=settings.model_dir, cache_dir=settings.model_cache_dir)


def list_models(settings: Settings) -> None:
    """Print each known model: installed and verified, or missing and how to install it."""
    for status in _registry(settings).list():
        typer.echo(str(status))


def pull_model(settings: Settings, name: str, url: str | None) -> None:
    """Download, verify and install ``name``."""
    path = _registry(settings).pull(name, url=url)
    typer.echo(f"installed {name} at {path}")
