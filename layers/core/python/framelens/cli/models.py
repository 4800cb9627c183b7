"""``framelens models list|pull``: thin printing around ``framelens.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.config import Settings

__all__ = ["list_models", "pull_model", "register_model"]


def _registry(settings: Settings):  # type: ignore[no-untyped-def]
    from framelens.models import ModelRegistry

    return ModelRegistry(model_dir=settings.model_dir, cache_dir=settings.model_cache_dir)


def list_models(settings: Settings) -> None:
    """Print each known model: installed and verified, or missing and how to install it."""
    for m in _registry(settings).list():
        if m.verified:
            state = f"installed, verified ({m.path})"
        elif m.installed:
            state = f"installed, NOT verified ({m.path})"
        else:
            state = f"missing: run `framelens models pull {m.name}` or set FRAMELENS_MODEL_DIR"
        note = "" if m.shippable else "; licence unknown: not for shipping"
        notes = f"\t{m.notes}" if m.notes else ""
        typer.echo(f"{m.name}\t{m.task}\t{state}\tlicence: {m.licence}{note}{notes}")


def pull_model(settings: Settings, name: str, url: str | None) -> None:
    """Download, verify and install ``name``."""
    path = _registry(settings).pull(name, url=url)
    typer.echo(f"installed {name} at {path}")


def register_model(
    settings: Settings,
    name: str,
    onnx: Path,
    classes: Path,
    format: str,
    input_size: int,
    *,
    licence: str,
    replace: bool,
) -> None:
    """Register an operator's detector in the model cache and print where it went."""
    from framelens.errors import ValidationError

    if format not in ("yolox", "yolov8"):
        raise ValidationError(f"--format must be yolox or yolov8, not {format!r}")
    names = [line.strip() for line in classes.read_text().splitlines() if line.strip()]
    if not names:
        raise ValidationError(f"{classes} lists no class names (one per line)")
    manifest = _registry(settings).register_detector(
        name,
        onnx,
        names,
        format,
        input_size,
        licence=licence,
        replace_existing=replace,
    )
    typer.echo(f"registered {manifest.name}: {len(names)} classes; select it with model={name}")
