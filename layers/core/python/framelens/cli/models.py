"""``framelens models list|pull``: thin printing around ``framelens.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.config import Settings

__all__ = ["list_models", "pull_models", "register_model"]


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


def pull_models(
    settings: Settings,
    names: list[str],
    *,
    url: str | None = None,
    shippable: bool = False,
    into: Path | None = None,
    source_dir: Path | None = None,
) -> None:
    """Download (or copy from ``source_dir``), verify and install models by name.

    Container builds bake models with this: ``--into`` the image's model folder, ``--source-dir``
    a build-context folder (no network, same sha256 check).

    Args:
        settings: Configuration (the registry's folders).
        names: Registry names; with ``shippable``, every built-in model that may ship is added.
        url: Download the single named model from here instead.
        shippable: Add every built-in model whose licence allows shipping it.
        into: Install into this folder instead of the model cache.
        source_dir: Copy ``<source_dir>/<file>`` when it is there, else download.

    Raises:
        ValidationError: No names, an unknown name, or ``url`` with several names.
        ModelError: A download failed or a digest differs (nothing is installed then).
    """
    from framelens.errors import ValidationError
    from framelens.models import ModelRegistry

    registry = ModelRegistry(
        model_dir=settings.model_dir, cache_dir=into or settings.model_cache_dir
    )
    wanted = list(dict.fromkeys(names))
    if shippable:
        wanted += [m.name for m in registry.list() if m.shippable and not m.custom]
        wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise ValidationError("name at least one model, or pass --shippable")
    if url is not None and len(wanted) != 1:
        raise ValidationError("--url downloads exactly one model")
    for name in wanted:
        source = url
        if source is None and source_dir is not None:
            local = source_dir / registry.manifest(name).file
            source = local.resolve().as_uri() if local.is_file() else None
        path = registry.pull(name, url=source)
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
