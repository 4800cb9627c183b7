"""CloudFormation intrinsic resolution against the moto resources the harness created.

Owns: the pseudo-parameter values (``REGION``, ``ACCOUNT``), the stack names, ``Refs`` (the
``Ref`` / ``Fn::GetAtt`` / ``Fn::ImportValue`` targets → moto values) and ``resolve``, which
replaces every intrinsic in a template value; ``camel_keys`` turns CloudFormation property names
into API parameter names. Knows nothing about moto itself.
"""

from __future__ import annotations

import re
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STORAGE, SERVICE = "FramelensStorage", "FramelensService"


class UnresolvedError(KeyError):
    """An intrinsic the harness has no moto resource for (a new resource in the template)."""


class Refs(dict[str, Any]):
    """``Ref`` / ``Fn::GetAtt`` / ``Fn::ImportValue`` targets → their moto values."""

    def __missing__(self, key: str) -> Any:
        raise UnresolvedError(f"no moto resource for {key!r}; teach tests/e2e/cloud about it")


def resolve(value: Any, refs: Refs) -> Any:
    """``value`` with every CloudFormation intrinsic replaced by its moto value."""
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return refs[arg]
        if fn == "Fn::GetAtt":
            return refs[f"{arg[0]}.{arg[1]}"]
        if fn == "Fn::ImportValue":
            return refs[f"import:{arg}"]
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(str(resolve(p, refs)) for p in parts)
        if fn == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(refs[m.group(1)]), arg)
    return {k: resolve(v, refs) for k, v in value.items()}


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property names → the API's camelCase (``Name`` → ``name``)."""
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel_keys(v) for k, v in value.items()}
    return value
