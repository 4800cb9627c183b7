"""Model files shipped inside installed PyPI packages (``face-recognition-models``).

Owns: finding the folder of such a package without importing it. Does not own verifying the
files (``framelens.models.registry`` checks their sha256 like any other model file).

The package is located with ``importlib.util.find_spec``, which does not run its ``__init__``:
``face_recognition_models/__init__.py`` imports ``pkg_resources``, which new setuptools releases
no longer ship, and the files are all we need.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["packaged_dir"]


def packaged_dir(package: str) -> Path | None:
    """The folder named by ``"<package>[/<folder>]"``, or ``None`` when the package is absent.

    Examples:
        >>> packaged_dir("no_such_package_here/models") is None
        True
    """
    top, _, sub = package.partition("/")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / sub if sub else folder
